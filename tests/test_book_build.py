"""The book builds with warnings as errors, executing every notebook, and its pages link to Colab.

The `built_book` fixture is in conftest.py (the browser and student-copy tests share the build).
"""
from __future__ import annotations

import re

from book_files import ROOT, repository_url, toc_files, toc_notebooks

HTML = ROOT / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    code, log = built_book
    # Sphinx's warnings ("path:line: WARNING: ...", "WARNING: ..."); the kernel's own log lines
    # ("[IPKernelApp] WARNING | ...") are not the book's.
    warnings = [l for l in log.splitlines() if re.search(r"(^|: )(WARNING|ERROR|CRITICAL):", l)]
    assert code == 0 and warnings == [], "\n".join(warnings[:40]) or log[-4000:]


def test_every_toc_document_has_a_page(built_book):
    missing = [f for f in toc_files() if not (HTML / f"{f}.html").exists()]
    assert missing == []


def test_notebook_pages_launch_colab_at_the_notebook_path(built_book):
    owner_repo = repository_url().removeprefix("https://github.com/")
    for nb in toc_notebooks():
        rel = nb.relative_to(ROOT).as_posix()
        page = (HTML / rel.replace(".ipynb", ".html")).read_text()
        links = set(re.findall(r'https://colab\.research\.google\.com/github/[^"\s]+', page))
        assert links == {f"https://colab.research.google.com/github/{owner_repo}/blob/main/{rel}"}, links


def test_provenance_page_shows_this_builds_commit_versions_and_chapter_run_times(built_book):
    import subprocess
    from importlib.metadata import version

    page = (HTML / "book" / "provenance.html").read_text()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert f"{repository_url()}/commit/{commit}" in page and commit[:12] in page
    for name in ("mesaopt", "torch", "numpy", "ipykernel", "jupyter-book"):
        assert re.search(rf"<p>{re.escape(name)}</p></td>\s*<td[^>]*><p>{re.escape(version(name))}</p>", page), name
    assert "Every package pinned in requirements-lock.txt was installed at its pinned version." in page
    # myst-nb's execution table: one row per chapter, each executed successfully
    table = page[page.index("Run Time (s)"):]
    for nb in toc_notebooks():
        row = re.search(rf"<tr[^>]*><td><p><a [^>]*>.*?{re.escape(nb.stem)}.*?</tr>", table, re.DOTALL)
        assert row and "✅" in row.group(0), nb.name
