"""Facts about the book's files that several tests read: the repository URL, the notebooks, the toc."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    """The one place that names the repository: pyproject.toml, [project.urls] Repository."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.MULTILINE)
    assert match, "pyproject.toml must set [project.urls] Repository"
    return match.group(1)


def toc_files() -> list[str]:
    """Every document named in _toc.yml (root first), as paths without extension."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            for part in entry.get("parts", []) or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return files


def toc_notebooks() -> list[Path]:
    """The notebooks listed in _toc.yml."""
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


def all_notebooks() -> list[Path]:
    """Every notebook committed under book/."""
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def package_version() -> str:
    """mesaopt's version, as pyproject.toml gives it (read from mesaopt/__init__.py when it is dynamic)."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        assert re.search(r'^dynamic\s*=\s*\[[^\]]*"version"', text, re.MULTILINE), "pyproject.toml sets no version"
        match = re.search(r'^__version__\s*=\s*"([^"]+)"', (ROOT / "mesaopt" / "__init__.py").read_text(), re.MULTILINE)
    assert match, "no version in pyproject.toml or mesaopt/__init__.py"
    return match.group(1)


def setup_install_url() -> str:
    """What each chapter's setup cell installs in Colab: the repository at the tag of this version."""
    return f"git+{repository_url()}@v{package_version()}"
