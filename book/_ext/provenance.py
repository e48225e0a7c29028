"""The `build-provenance` directive: the commit and the package versions of the build that writes the page.

A page that uses it (book/provenance.md) is re-read on every build (``env.note_reread``), so Sphinx's
incremental build never serves a stale commit or stale versions from an earlier build, and the versions
are read here, in the build's own Python (the one whose kernel executes the notebooks). It renders:

- the commit the book was built from (``git rev-parse HEAD``), linked on the repository, and whether the
  working tree had uncommitted changes; the build's date (UTC);
- a table of the versions that matter for the chapters' numbers (:data:`PACKAGES`);
- whether every package pinned in requirements-lock.txt is installed at its pinned version, and which are not.
"""
from __future__ import annotations

import platform
import re
import subprocess
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements-lock.txt"
PACKAGES = ("mesaopt", "torch", "numpy", "scipy", "matplotlib", "ipywidgets", "ipykernel", "jupyter-book", "myst-nb",
            "sphinx")


def git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def lock_drift() -> dict[str, tuple[str, str | None]]:
    """{name: (locked, installed)} for every package of the lock installed at another version (or not at all)."""
    drift = {}
    for line in LOCK.read_text().splitlines() if LOCK.exists() else []:
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line):
            name, locked = match.groups()
            if installed(name) != locked:
                drift[name] = (locked, installed(name))
    return drift


def table(header: list[str], rows: list[list[str]]) -> nodes.table:
    tgroup = nodes.tgroup(cols=len(header))
    tgroup += [nodes.colspec(colwidth=1) for _ in header]
    thead, tbody = nodes.thead(), nodes.tbody()
    for body, lines in ((thead, [header]), (tbody, rows)):
        for cells in lines:
            row = nodes.row()
            row += [nodes.entry("", nodes.paragraph(text=c)) for c in cells]
            body += row
    tgroup += [thead, tbody]
    node = nodes.table(classes=["colwidths-auto"])
    node += tgroup
    return node


class BuildProvenance(SphinxDirective):
    """Where this build came from: commit, date, package versions, agreement with the lock file."""

    def run(self) -> list[nodes.Node]:
        self.env.note_reread()  # re-read on every build: the commit and versions are always this build's
        commit, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
        built = nodes.paragraph()
        if commit:
            url = f"{self.config.html_theme_options.get('repository_url', '')}".rstrip("/")
            built += nodes.Text("Built from commit ")
            built += nodes.reference("", commit[:12], refuri=f"{url}/commit/{commit}") if url else nodes.literal(text=commit[:12])
            built += nodes.Text(" with uncommitted changes" if dirty else " (a clean working tree)")
        else:
            built += nodes.Text("Built outside a git checkout (no commit known)")
        built += nodes.Text(f", on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, with Python "
                            f"{platform.python_version()} on {platform.system()} {platform.machine()}.")
        rows = [[name, installed(name) or "not installed"] for name in PACKAGES]
        drift = lock_drift()
        lock = nodes.paragraph()
        if not LOCK.exists():
            lock += nodes.Text("No requirements-lock.txt was found beside the book.")
        elif not drift:
            lock += nodes.Text("Every package pinned in requirements-lock.txt was installed at its pinned version.")
        else:
            lock += nodes.Text("Installed at versions other than requirements-lock.txt pins (locked → installed): "
                               + "; ".join(f"{n} {a} → {b or 'missing'}" for n, (a, b) in sorted(drift.items())) + ".")
        return [built, table(["package", "version"], rows), lock]


def setup(app):
    app.add_directive("build-provenance", BuildProvenance)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
