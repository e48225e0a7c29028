"""The book builds with warnings as errors, executing every notebook, and its pages link to Colab."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book_files import ROOT, repository_url, toc_files, toc_notebooks

HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def built_book():
    """Build the book exactly as the README's first command does (the execution cache makes reruns fast)."""
    jb = shutil.which("jupyter-book", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert jb, "jupyter-book is not installed: pip install -r requirements.txt"
    result = subprocess.run([jb, "build", ".", "-W", "--keep-going"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    log = result.stdout + result.stderr
    return result.returncode, log


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
