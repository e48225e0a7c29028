"""The book's files agree with each other: toc, notebooks, Colab setup cells, repository URL."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from book_files import (ROOT, all_notebooks, code_cells, load, package_version, repository_url, setup_install_url,
                        toc_files, toc_notebooks)


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
    # the release of this version, by its tag: a chapter handed out today installs the same code in week 5
    assert f'"{setup_install_url()}"' in first
    # installs only when mesaopt is missing (safe to re-run, does nothing locally)
    assert 'importlib.util.find_spec("mesaopt") is None' in first
    urls = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", first))
    assert urls == {repository_url()}
    assert len(first.splitlines()) <= 10, "the setup cell stays short"


def test_every_chapter_has_the_same_setup_cell():
    cells = {p.name: "".join(code_cells(load(p))[0]["source"]) for p in all_notebooks()}
    assert len(set(cells.values())) == 1, "setup cells differ: " + ", ".join(cells)


def test_instructors_page_says_how_to_pin_a_version_and_shows_the_current_tag():
    page = (ROOT / "book" / "instructors.md").read_text()
    assert "## Pinning the version your course uses" in page
    assert f'"{setup_install_url()}"' in page and f"git checkout v{package_version()}" in page
    assert "Fork the repository" in page


def test_the_version_is_written_once_and_the_setup_cell_installs_its_tag():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]$', pyproject, re.MULTILINE)
    assert 'version = { attr = "mesaopt.__version__" }' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", package_version())
    assert setup_install_url().endswith(f"@v{package_version()}")
    # the installed package reports the same version (an editable install rereads it on reinstall only)
    from importlib.metadata import version

    import mesaopt

    assert mesaopt.__version__ == package_version() == version("mesaopt")
    # every release tag names the version its commit carries
    tags = subprocess.run(["git", "tag", "--list", "v*"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for tag in tags:
        init = subprocess.run(["git", "show", f"{tag}:mesaopt/__init__.py"], cwd=ROOT, capture_output=True, text=True)
        assert f'__version__ = "{tag[1:]}"' in init.stdout, f"tag {tag} is not on a commit of version {tag[1:]}"


def test_config_names_the_same_repository_and_gives_colab_links_to_notebooks():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == repository_url()
    # _config.yml sits at the repo root: a non-empty path_to_book would double the folder in Colab URLs
    assert config["repository"]["path_to_book"] == ""
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert "sphinx_exercise" in config["sphinx"]["extra_extensions"]


def test_the_suite_runs_every_chapter_in_the_build_in_colabs_runtime_and_as_a_student_copy():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300).stdout
    for notebook in toc_notebooks():
        for test in ("test_colab_runtime.py::test_chapter_installs_mesaopt_and_runs_in_colabs_runtime",
                     "test_student_notebooks.py::test_chapter_student_copy_runs_under_nbval",
                     "test_figures.py::test_every_figure_the_chapter_shows_has_alt_text_and_a_caption"):
            assert re.search(rf"{re.escape(test)}\w*\[{re.escape(notebook.name)}\]", out), (test, notebook.name)
    assert "test_book_build.py::test_book_builds_without_warnings" in out
    assert ".ipynb::" not in out, "nbval over book/ in this environment repeats the book build's run"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)\n(.*?)```", readme, re.DOTALL)
    assert block and readme.index(block.group(0)) < 600, "the README must open with its commands"
    commands = [l for l in block.group(1).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert len(commands) == 2
    build, test = commands
    assert "jupyter-book build ." in build and "-W" in build and "-r requirements-lock.txt" in build
    assert "pytest" in test and "-r requirements-lock.txt" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci  # .ci/run reads the test command from the README, so they cannot drift
    reqs = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0\+cpu$", reqs, re.MULTILINE)
    assert re.search(r"^jupyter-book>=1\.0\.4,<2$", reqs, re.MULTILINE)
    # the package itself keeps a range that Colab's preinstalled torch satisfies
    assert '"torch>=2.0"' in (ROOT / "pyproject.toml").read_text()


def glue_statements(source: str) -> int:
    """Statements of a code cell that call ``glue`` or ``glue_all`` (a call inside a loop counts once)."""
    import ast

    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    count = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.FunctionDef)):
            calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
            if any(getattr(c.func, "id", getattr(c.func, "attr", None)) in ("glue", "glue_all") for c in calls):
                count += 1
    return count


def test_glue_statement_counter_counts_calls_not_lines():
    assert glue_statements('glue("a", 1)\nglue_all({"b": 2,\n          "c": 3})\nx = 1\n') == 2
    assert glue_statements('for k in range(3):\n    glue(f"a{k}", k)\n    glue(f"b{k}", k)\n') == 2
    assert glue_statements("%matplotlib inline\nprint(1)\n") == 0


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_no_cell_carries_more_than_two_glue_statements(path):
    heavy = {i: n for i, c in enumerate(code_cells(load(path))) if (n := glue_statements("".join(c["source"]))) > 2}
    assert heavy == {}, f"{path.name}: code cells (index: glue statements) {heavy}; gather them in one glue_all({{...}})"


def readme_layout_rows() -> dict:
    """The README's layout table: {the `where` cell: the `what` cell}."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0]] = cells[1]
    return rows


def test_readme_layout_table_matches_the_package_tree():
    rows = readme_layout_rows()
    package = ROOT / "mesaopt"
    top = sorted(p.name for p in package.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 6, f"mesaopt/ should hold at most six modules besides __init__.py and the subpackages (issue 9): {top}"
    assert all(f"`{name}`" in rows["`mesaopt/`"] for name in top), (top, rows["`mesaopt/`"])
    subpackages = sorted(p.name for p in package.iterdir() if (p / "__init__.py").exists())
    for sub in subpackages:
        where = f"`mesaopt/{sub}/`"
        assert where in rows, f"README layout table has no row for {where}"
        if sub != "circuits":  # the chapters' rows name every module
            modules = sorted(p.name for p in (package / sub).glob("*.py") if p.name != "__init__.py")
            missing = [m for m in modules if f"`{m}`" not in rows[where]]
            assert missing == [], f"{where} row does not name {missing}"
    named = re.findall(r"`(\w+\.py)`", " ".join(v for k, v in rows.items() if k.startswith("`mesaopt")))
    for name in named:
        assert list(package.rglob(name)), f"README names {name}, which is not in mesaopt/"
