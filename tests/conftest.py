"""Fixtures several test files share: the built book and the Colab-runtime environment."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from book_files import ROOT, toc_notebooks

# tests/fixtures/ holds notebooks that tests copy and run themselves; nbval must not collect them.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def built_book():
    """Build the book exactly as the README's first command does (the execution cache makes reruns fast)."""
    jb = shutil.which("jupyter-book", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert jb, "jupyter-book is not installed: pip install -r requirements.txt"
    result = subprocess.run([jb, "build", ".", "-W", "--keep-going"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    log = result.stdout + result.stderr
    # Take the executed chapters now: a chapter edited later in the session no longer matches the cache.
    for notebook in toc_notebooks():
        _EXECUTED[notebook] = executed_notebook(notebook)
    return result.returncode, log


_EXECUTED: dict[Path, object] = {}


def executed_notebook(path: Path):
    """The notebook at ``path`` with the outputs the book build used for its page, or None.

    Taken from the build's execution cache (`_build/jupyter_execute/` is not enough: myst-nb 1.4
    writes the notebook there without outputs when it took them from the cache), as it was right
    after the session's `built_book`.
    """
    if path in _EXECUTED:
        return _EXECUTED[path]
    import nbformat
    from jupyter_cache import get_cache

    nb = nbformat.read(path, as_version=4)
    try:
        _, merged = get_cache(str(ROOT / "_build" / ".jupyter_cache")).merge_match_into_notebook(nb)
    except KeyError:  # not in the cache: the build did not execute it successfully
        return None
    return merged


@pytest.fixture(scope="session")
def colab_python() -> Path:
    """Python of `.venv-colab`: Colab's runtime (tests/colab_runtime.txt) without mesaopt; skips without Python 3.13."""
    from colab_env import ensure_env

    try:
        return ensure_env()
    except LookupError as why:
        pytest.skip(str(why))


COLAB_CHAPTER_TEST = "test_colab_runtime.py::test_chapter_installs_mesaopt_and_runs_in_colabs_runtime"


@pytest.fixture(scope="session")
def colab_chapter_runs(request, tmp_path_factory):
    """The chapters' runs in Colab's runtime, started in the background (see test_colab_runtime.ChapterRuns)."""
    from test_colab_runtime import ChapterRuns

    selected = [p for p in toc_notebooks() if any(COLAB_CHAPTER_TEST in item.nodeid and f"[{p.name}]" in item.nodeid
                                                   for item in request.session.items)]
    runs = ChapterRuns(tmp_path_factory.mktemp("colab_chapters"), selected)
    yield runs
    runs.stop()


@pytest.fixture(scope="session", autouse=True)
def _start_colab_chapter_runs_first(request):
    """When the session runs the Colab-runtime chapter tests, start their runs at its first test."""
    if any(COLAB_CHAPTER_TEST in item.nodeid for item in request.session.items):
        request.getfixturevalue("colab_chapter_runs")
