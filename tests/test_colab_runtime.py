"""Every chapter runs in Colab's runtime, installing mesaopt with its own setup cell.

`.venv-colab` (tests/colab_env.py) has Python 3.13 and the versions of tests/colab_runtime.txt, and no
mesaopt. For each chapter the test uninstalls mesaopt, copies the chapter into a temporary folder (as in
Colab, no file of this repository is beside it) with the setup cell's pip URL pointed at a copy of this
working tree, and runs it under nbval there: the setup cell's install path is what gets tested. pip runs
with --no-index (no network; every dependency must already be in the runtime, as in Colab) and
--no-build-isolation (setuptools from the runtime builds the package). The chapters that read stored results of
`experiments/` download them as in Colab, from MESAOPT_RESULTS_URL pointed at this working tree's files. The runs start in the background at
the session's first test (conftest.py), so they use the second CPU core while the book build and the unit
tests use the first.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from book_files import ROOT, setup_install_url, toc_notebooks
from colab_env import PINS, ensure_env


def pins() -> dict[str, str]:
    """{normalized name: version} of tests/colab_runtime.txt."""
    found = {}
    for line in PINS.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line.strip()):
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_pins_name_colabs_runtime_and_its_key_versions():
    text = PINS.read_text()
    assert re.search(r"googlecolab/backend-info", text) and "Python 3.13" in text
    key = {"torch": "2.11.0", "ipython": "7.34.0", "ipykernel": "6.17.1", "ipywidgets": "7.7.1", "numpy": "2.1.3",
           "matplotlib": "3.10.0", "scipy": "1.16.3", "jupyter-client": "7.4.9", "traitlets": "5.7.1",
           "tornado": "6.5.7", "pyzmq": "26.2.1", "nbformat": "5.11.1", "widgetsnbextension": "3.6.10",
           "jupyterlab-widgets": "3.0.16"}
    assert {name: pins().get(name) for name in key} == key
    assert "mesaopt" not in pins()  # the chapters' setup cells install it


def test_colab_environment_has_exactly_the_pinned_versions(colab_python):
    script = ("import json, sys\nfrom importlib.metadata import distributions\n"
              "print(json.dumps({'python': sys.version_info[:2], 'dists': {d.metadata['Name']: d.version "
              "for d in distributions()}}))")
    out = json.loads(subprocess.run([str(colab_python), "-c", script], capture_output=True, text=True,
                                    check=True, timeout=120).stdout)
    assert out["python"] == [3, 13]
    # a local label is allowed: with the PyTorch CPU index reachable (the GitHub workflow), torch is 2.11.0+cpu, as in Colab
    installed = {re.sub(r"[-_.]+", "-", name).lower(): version.split("+")[0] for name, version in out["dists"].items()}
    assert {name: installed.get(name) for name in pins()} == pins()


def copy_package(dest: Path) -> Path:
    """This working tree's package, as pip would get it from the repository (pyproject.toml, README, mesaopt/)."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "mesaopt", dest / "mesaopt", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def local_setup_cell(source: str, package: Path) -> str:
    """The setup cell with its pip URL replaced by the local package copy and offline pip flags."""
    pinned = f'"{setup_install_url()}"'
    assert source.count(pinned) == 1, f"the setup cell does not install {pinned}:\n{source}"
    return source.replace(pinned, f'"--no-index", "--no-build-isolation", "{package}"')


def test_local_setup_cell_keeps_everything_but_the_url(tmp_path):
    cell = ('import subprocess, sys\nsubprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
            f'                "{setup_install_url()}"], check=True)\n')
    local = local_setup_cell(cell, tmp_path)
    assert local == cell.replace(f'"{setup_install_url()}"', f'"--no-index", "--no-build-isolation", "{tmp_path}"')
    with pytest.raises(AssertionError, match="does not install"):
        local_setup_cell(cell.replace("@v", "@x"), tmp_path)


def pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True, timeout=600)


def colab_chapter_jobs(notebooks: list[Path], workdir: Path) -> dict:
    """{key: run} for conftest.BackgroundRuns: each chapter's run in `.venv-colab`, one after another.

    A run: uninstall mesaopt and check it is gone, write the chapter with its setup cell pointed at a copy of
    this working tree into a folder of its own, run nbval there, and record what pip shows of mesaopt then.
    """
    state: dict = {}

    def prepare() -> tuple[Path, Path]:
        if "python" not in state:  # once, in the background thread: create the env if needed, copy the package
            try:
                state["python"] = ensure_env()
            except LookupError as why:  # no Python 3.13 here
                state["python"] = pytest.skip.Exception(str(why))
            state["package"] = copy_package(workdir / "mesaopt_src")
        if isinstance(state["python"], BaseException):
            raise state["python"]
        return state["python"], state["package"]

    def run(path: Path) -> dict:
        python, package = prepare()
        start = time.perf_counter()
        pip(python, "uninstall", "-y", "mesaopt")
        installed_before = pip(python, "show", "mesaopt").returncode == 0
        folder = workdir / path.stem  # as in Colab, no file of this repository beside the chapter
        folder.mkdir()
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        setup.source = local_setup_cell(setup.source, package)
        nbformat.write(nb, folder / path.name)
        env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        env.pop("PYTHONPATH", None)
        # Colab downloads the stored results of experiments/ from the release's tag (mesaopt.results); with no
        # network here the same download code reads them from this working tree instead.
        env["MESAOPT_RESULTS_URL"] = (ROOT / "experiments" / "results").as_uri()
        result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder),
                                 "--nbval-lax", "--nbval-current-env", path.name],
                                cwd=folder, env=env, capture_output=True, text=True, timeout=1800)
        return {"installed_before": installed_before, "result": result, "seconds": time.perf_counter() - start,
                "show": pip(python, "show", "-f", "mesaopt").stdout}

    return {f"colab:{path.name}": (lambda path=path: run(path)) for path in notebooks}


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_chapter_installs_mesaopt_and_runs_in_colabs_runtime(background_runs, path):
    run = background_runs.wait(f"colab:{path.name}")  # started at the session's first test (conftest.py)
    assert not run["installed_before"], "mesaopt was still installed in .venv-colab before the chapter ran"
    result = run["result"]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout) and " failed" not in result.stdout, result.stdout[-3000:]
    # the setup cell installed the package from the copy, so the chapter ran on this working tree's code
    assert re.search(r"^Version: ", run["show"], re.MULTILINE) and "mesaopt/__init__.py" in run["show"], run["show"]
