"""The book's files agree with each other: toc, notebooks, Colab setup cells, repository URL."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from book_files import ROOT, all_notebooks, code_cells, load, repository_url, toc_files, toc_notebooks


def test_every_toc_entry_exists_and_every_notebook_is_in_the_toc():
    missing = [f for f in toc_files() if not any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb"))]
    assert missing == []
    listed = set(toc_notebooks())
    assert [p.name for p in all_notebooks() if p not in listed] == []
    assert len(listed) >= 3, "one notebook per question"


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    dirty = [i for i, c in enumerate(code_cells(load(path))) if c.get("outputs") or c.get("execution_count")]
    assert dirty == [], f"{path.name}: code cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.name)
def test_notebook_kernel_is_python3(path):
    assert load(path)["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.name)
def test_first_code_cell_installs_the_package_from_the_repository_in_colab(path):
    first = "".join(code_cells(load(path))[0]["source"])
    assert f"git+{repository_url()}" in first
    # installs only when mesaopt is missing (safe to re-run, does nothing locally)
    assert 'importlib.util.find_spec("mesaopt") is None' in first
    urls = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", first))
    assert urls == {repository_url()}


def test_config_names_the_same_repository_and_gives_colab_links_to_notebooks():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == repository_url()
    # _config.yml sits at the repo root: a non-empty path_to_book would double the folder in Colab URLs
    assert config["repository"]["path_to_book"] == ""
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert "sphinx_exercise" in config["sphinx"]["extra_extensions"]


def test_nbval_collects_every_notebook_in_the_toc():
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "book"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    ).stdout
    collected = {line.split("::")[0] for line in out.splitlines() if ".ipynb::" in line}
    expected = {p.relative_to(ROOT).as_posix() for p in toc_notebooks()}
    assert expected - collected == set(), out[-2000:]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)\n(.*?)```", readme, re.DOTALL)
    assert block and readme.index(block.group(0)) < 600, "the README must open with its commands"
    commands = [l for l in block.group(1).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert len(commands) == 2
    build, test = commands
    assert "jupyter-book build ." in build and "-W" in build and "requirements.txt" in build
    assert "pytest" in test and "requirements.txt" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci  # .ci/run reads the test command from the README, so they cannot drift
    reqs = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", reqs, re.MULTILINE)
    assert re.search(r"^jupyter-book>=1\.0\.4,<2$", reqs, re.MULTILINE)
    # the package itself keeps a range that Colab's preinstalled torch satisfies
    assert '"torch>=2.0"' in (ROOT / "pyproject.toml").read_text()
