"""Fixtures several test files share: the built book and the Colab-runtime environment."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

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



class BackgroundRuns:
    """Whole-chapter runs done one after another in a background thread, started at the session's first test.

    They use the second CPU core while the book build and the unit tests use the first. ``jobs`` maps a
    key to a function; a test calls ``wait(key)`` for its run's result (an exception the run raised,
    pytest's skip included, is raised in the test).
    """

    def __init__(self, jobs: dict[str, Callable[[], object]]):
        self.jobs, self.results, self.seconds = jobs, {}, {}
        self.done = {key: threading.Event() for key in jobs}
        self.stopped = False
        self.thread = threading.Thread(target=self._run_all, name="background-runs", daemon=True)
        self.thread.start()

    def _run_all(self) -> None:
        for key, job in self.jobs.items():
            if not self.stopped:
                start = time.perf_counter()
                try:
                    self.results[key] = job()
                except BaseException as error:  # noqa: BLE001  (pytest's skip is not an Exception)
                    self.results[key] = error
                self.seconds[key] = time.perf_counter() - start
            self.done[key].set()

    def wait(self, key: str, timeout: float = 3600) -> object:
        assert key in self.jobs, f"no background run {key}: is its test selected?"
        assert self.done[key].wait(timeout), f"{key} did not finish within {timeout:.0f} s"
        result = self.results.get(key, RuntimeError(f"{key} was not run: the session stopped"))
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        self.stopped = True  # a run in progress finishes (its subprocess has a timeout); no new one starts


@pytest.fixture(scope="session", autouse=True)
def background_runs(request, tmp_path_factory):
    """The slow chapter runs of the selected tests: Colab's runtime first, then the student copies."""
    from test_colab_runtime import colab_chapter_jobs
    from test_student_notebooks import student_copy_jobs

    def selected(test: str) -> list[Path]:
        return [p for p in toc_notebooks() if any(f"{test}[{p.name}]" in item.nodeid for item in request.session.items)]

    jobs = {**colab_chapter_jobs(selected("test_chapter_installs_mesaopt_and_runs_in_colabs_runtime"),
                                 tmp_path_factory.mktemp("colab_chapters")),
            **student_copy_jobs(selected("test_chapter_student_copy_runs_under_nbval_with_checks_saying_not_implemented_yet"),
                                tmp_path_factory.mktemp("student_copies"))}
    runs = BackgroundRuns(jobs)
    _BACKGROUND.append(runs)
    yield runs
    runs.stop()


_BACKGROUND: list[BackgroundRuns] = []


def pytest_terminal_summary(terminalreporter):
    """How long each background run took (the tests themselves only wait for them)."""
    for runs in _BACKGROUND:
        if runs.seconds:
            terminalreporter.write_line("background runs (s): " + ", ".join(f"{k} {s:.0f}" for k, s in runs.seconds.items()))
