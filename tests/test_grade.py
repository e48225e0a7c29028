"""The grading command (mesaopt/grade.py): its exercise registry, and submissions that try to fool it.

The submissions are built from the chapters: `trim` keeps the setup cells and the exercise cells only
(a few seconds to run instead of a minute), `student` is the student copy the tool hands out. Most of
them are graded in one run of the command (`batch`); the full chapters are graded once, by the
slowest test here (one run of each chapter).
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from book_files import ROOT, toc_notebooks
from mesaopt import grade
from mesaopt.checking import ExerciseFailed
from mesaopt.detection.exercises import check_min_of_k_cdf

sys.path.insert(0, str(ROOT / "tools"))
import make_student_notebooks as tool  # noqa: E402

CH1, CH2, CH3 = "ch1_training_an_optimizer", "ch2_search_as_weights", "ch3_detecting_search"
EXERCISE_TAGS = ("exercise-stub", "solution", "exercise-check")


def chapter(name: str):
    return nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)


def trim(nb):
    """The first two code cells (setup and imports) and every exercise's cells, in order."""
    setup = [c for c in nb.cells if c.cell_type == "code"][:2]
    keep, inside = [], False
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown" and "{exercise}" in cell.source:
            inside = True
        if any(cell is s for s in setup) or inside and (cell.cell_type == "markdown" and "{exercise}" in cell.source
                                        or any(t in tags for t in EXERCISE_TAGS)):
            keep.append(cell)
        if "exercise-check" in tags:
            inside = False
    nb.cells = keep
    return nb


def student(name: str):
    return trim(tool.student_copy(chapter(name), name))


def cells_tagged(nb, tag: str) -> list:
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def define(nb, function: str, source: str):
    """Replace the student's definition of ``function`` (its stub or solution cells) with ``source``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(rf"^def {function}\(", cell.source, re.MULTILINE):
            cell.source = source
    return nb


def insert(nb, index: int, source: str):
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


WRONG_CH3 = {  # answers of the right type and shape that are wrong
    "min_of_k_cdf": "def min_of_k_cdf(base_cdf, k, x):\n    return base_cdf(x)  # forgets k\n",
    "known_base_p_value": "def known_base_p_value(losses, base_sf):\n    return 0.5\n",
    "alpha_from_budget": "def alpha_from_budget(budgets, mean_losses):\n    return 1.0\n",
}


def wrong_ch3(nb):
    for function, source in WRONG_CH3.items():
        define(nb, function, source)
    return nb


def claim_all(labels) -> str:
    return "\n".join(f'print("{label}: correct.")' for label in labels)


CH3_LABELS = [ex.label for ex in grade.EXERCISES if ex.chapter == CH3]


def printer():
    """The student copy, unsolved, printing every success line."""
    return insert(student(CH3), 2, claim_all(CH3_LABELS))


def redefiner():
    """Wrong answers, and every check cell calls its own always-passing checker of the same name."""
    nb = wrong_ch3(student(CH3))
    for cell, ex in zip(cells_tagged(nb, "exercise-check"), [e for e in grade.EXERCISES if e.chapter == CH3]):
        cell.source = (f"def {ex.checker_name}(fn):\n    print('{ex.label}: correct.')\n    return '{ex.label}: correct.'\n\n"
                       f"{ex.checker_name}({ex.function})")
    return nb


def patcher():
    """Wrong answers; the package's checkers patched three ways so that the notebook's checks all pass."""
    return insert(wrong_ch3(student(CH3)), 2, "\n".join([
        "import mesaopt.detection.exercises as ex",
        "ex.check_min_of_k_cdf = lambda fn: print('ch3-min-cdf: correct.')          # replace the function",
        "ex.check_known_base_p_value.__code__ = (lambda fn: print('ch3-known-base: correct.')).__code__",
        "ex.expect = lambda *args, **kwargs: None                                    # no comparison can fail",
    ]))


FAKE_PACKAGE = '''
import os, sys, importlib
for folder in ("mesaopt", "mesaopt/detection"):
    os.makedirs(folder, exist_ok=True)
    open(f"{folder}/__init__.py", "w").close()
with open("mesaopt/detection/exercises.py", "w") as f:
    for name, label in [("check_min_of_k_cdf", "ch3-min-cdf"), ("check_known_base_p_value", "ch3-known-base"),
                        ("check_alpha_from_budget", "ch3-budget-alpha")]:
        f.write(f"def {name}(fn):\\n    print('{label}: correct.')\\n")
sys.path.insert(0, os.getcwd())
for name in [n for n in sys.modules if n.startswith("mesaopt")]:
    del sys.modules[name]
importlib.invalidate_caches()
'''


def shadower():
    """Wrong answers, and a fake mesaopt package written next to the notebook, first on sys.path."""
    return insert(wrong_ch3(student(CH3)), 2, FAKE_PACKAGE)


HELPERS_CH2 = {
    # correct, built on the package's own const and Value arithmetic: needs the student's names pointed at
    # the fresh import, or the old Value class meets the new one and fails
    "greater_than": ("from mesaopt.circuits import const\n\n\ndef greater_than(c, a, b):\n    total = const(0)\n"
                     "    for j, (x, y) in enumerate(zip(a, b)):\n        total = total + 2 ** j * (x - y)\n"
                     "    return c.step(total, 1)\n"),
    # the package's own reference, imported instead of written
    "max_node": "from mesaopt.loopnets.nets import max_node\n",
}


def helpers():
    nb = trim(chapter(CH2))
    for function, source in HELPERS_CH2.items():
        define(nb, function, source)
    return nb


def numpy_patcher():
    """Wrong answers and a patched numpy: the limit the instructors' page states (checks run in the student's process)."""
    return insert(wrong_ch3(student(CH3)), 2, "import numpy as np\nnp.allclose = lambda *args, **kwargs: True\n")


def wrong_min_cdf():
    """The full solutions except one wrong answer."""
    return define(trim(chapter(CH3)), "min_of_k_cdf", WRONG_CH3["min_of_k_cdf"])


def looper():
    """One check loops forever (inside the student's function), then a cell loops forever before the third exercise."""
    nb = define(trim(chapter(CH3)), "known_base_p_value",
                "def known_base_p_value(losses, base_sf):\n    while True:\n        pass\n")
    third = next(i for i, c in enumerate(nb.cells) if ":label: ch3-budget-alpha" in c.source)
    return insert(nb, third, "while True:\n    pass\n")


def run_grader(*args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mesaopt.grade", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1800)


def read_rows(path: Path) -> dict[tuple[str, str], dict]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == grade.HEADER
    return {(Path(r["notebook"]).name, r["exercise"]): r for r in rows}


# --- the registry ---------------------------------------------------------------------------------

def test_registry_lists_every_exercise_of_the_chapters_with_its_function_and_checker():
    book = [(p.stem, e.label, e.function, e.checker)
            for p in toc_notebooks() for e in tool.find_exercises(nbformat.read(p, as_version=4), p.stem)]
    registry = [(e.chapter, e.label, e.function, e.checker_name) for e in grade.EXERCISES]
    assert registry == book, "mesaopt/grade.py: EXERCISES must list the chapters' exercises (one line each)"


@pytest.mark.parametrize("ex", grade.EXERCISES, ids=lambda e: e.label)
def test_registered_checker_is_the_one_the_chapter_imports(ex):
    import importlib

    code = "\n".join(c.source for c in chapter(ex.chapter).cells if c.cell_type == "code")
    imported_from = re.findall(rf"^from (\S+) import [^\n]*\b{ex.checker_name}\b", code, re.MULTILINE)
    assert imported_from == [ex.checker_module]
    assert callable(getattr(importlib.import_module(ex.checker_module), ex.checker_name))


@pytest.mark.parametrize("name", [CH1, CH2, CH3])
def test_chapter_is_told_by_the_exercises_not_the_file_name(name):
    copy = tool.student_copy(chapter(name), name)
    assert grade.identify_chapter(copy, Path("homework 3 (final).ipynb")) == name
    misleading = CH1 if name != CH1 else CH2
    assert grade.identify_chapter(copy, Path(f"{misleading}.ipynb")) == name
    # with the exercises' cells deleted, the name decides; with neither, nobody can tell
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert grade.identify_chapter(bare, Path(f"alice_{name.split('_')[0]}.ipynb")) == name
    assert grade.identify_chapter(bare, Path("alice.ipynb")) is None


# --- the command line -----------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ([], "the following arguments are required: submissions"),
    (["missing.ipynb"], "no such file: missing.ipynb"),
    (["{nb}", "--timeout", "0"], "--timeout: must be a number of seconds > 0"),
    (["{nb}", "--chapter", "ch9"], "--chapter: invalid choice"),
    (["{nb}", "--out", "nowhere/grades.csv"], "--out: no such folder"),
    (["{nb}", "--out", "{nb}"], "would overwrite a notebook"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    result = run_grader(*[a.format(nb=nb) for a in args], cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


# --- submissions that try to fool it --------------------------------------------------------------

BATCH = {"not_json.ipynb": None, "empty.ipynb": None, "printer.ipynb": printer, "redefiner.ipynb": redefiner,
         "patcher.ipynb": patcher, "shadower.ipynb": shadower, "homework.ipynb": wrong_min_cdf,
         "helpers.ipynb": helpers, "numpy_patcher.ipynb": numpy_patcher}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every submission of BATCH graded in one run; the two unreadable ones first."""
    folder = tmp_path_factory.mktemp("submissions")
    for name, make in BATCH.items():
        if make is not None:
            nbformat.write(make(), folder / name)
    (folder / "not_json.ipynb").write_text('{"cells": [ this is not JSON')
    (folder / "empty.ipynb").write_text("{}")
    result = run_grader(*BATCH, "--out", "grades.csv", cwd=folder)
    return result, read_rows(folder / "grades.csv")


def exercise_rows(rows, notebook):
    return {ex: r for (nb, ex), r in rows.items() if nb == notebook and ex != grade.NOTEBOOK_ROW}


def test_batch_exits_0_and_grades_every_submission(batch):
    result, rows = batch
    assert result.returncode == 0, result.stderr
    assert {nb for nb, _ in rows} == set(BATCH)
    assert result.stderr.count("passed") == len(BATCH)


@pytest.mark.parametrize("name", ["not_json.ipynb", "empty.ipynb"])
def test_a_file_that_is_not_a_notebook_gets_a_row_that_says_so(batch, name):
    _, rows = batch
    mine = {ex: r for (nb, ex), r in rows.items() if nb == name}
    assert list(mine) == [grade.NOTEBOOK_ROW]
    assert mine[grade.NOTEBOOK_ROW]["passed"] == "no"
    assert mine[grade.NOTEBOOK_ROW]["message"].startswith("not a valid notebook (nothing graded)")


@pytest.mark.parametrize("name", ["printer.ipynb", "redefiner.ipynb", "patcher.ipynb", "shadower.ipynb"])
def test_printing_redefining_patching_or_shadowing_the_checkers_passes_nothing(batch, name):
    _, rows = batch
    mine = exercise_rows(rows, name)
    assert list(mine) == CH3_LABELS
    for label, row in mine.items():
        assert row["chapter"] == CH3 and row["passed"] == "no", row
        # the package's checker spoke (the stub or the wrong answer), and the notebook had claimed a pass:
        # the attack did fool the notebook's own check cells
        assert row["message"].startswith(f"{label}: ") and "correct." not in row["message"].split("[")[0], row
        assert row["message"].endswith(f'[the notebook\'s own output claims "{label}: correct."]'), row
    if name == "printer.ipynb":
        assert all("not implemented yet" in r["message"] for r in mine.values())
    else:
        assert "wrong for base Exp(1), k=2" in mine["ch3-min-cdf"]["message"]


def test_a_wrong_answer_fails_with_the_checkers_own_message_and_the_rest_pass(batch):
    _, rows = batch
    mine = exercise_rows(rows, "homework.ipynb")  # a name that is no chapter's: told by its exercises
    namespace = {}
    exec("import numpy as np\n" + WRONG_CH3["min_of_k_cdf"], namespace)
    with pytest.raises(ExerciseFailed) as failure:
        check_min_of_k_cdf(namespace["min_of_k_cdf"])
    assert mine["ch3-min-cdf"]["passed"] == "no" and mine["ch3-min-cdf"]["message"] == str(failure.value)
    assert [r["passed"] for r in mine.values()] == ["no", "yes", "yes"]
    assert all(r["message"].startswith(f"{label}: correct.") for label, r in mine.items() if r["passed"] == "yes")
    assert ("homework.ipynb", grade.NOTEBOOK_ROW) not in rows


def test_answers_built_on_the_package_pass_and_the_packages_own_function_does_not(batch):
    _, rows = batch
    mine = exercise_rows(rows, "helpers.ipynb")
    assert mine["ch2-comparator"]["passed"] == "yes", mine["ch2-comparator"]
    assert mine["ch2-max-node"]["passed"] == "no"
    assert "is the package's own mesaopt.loopnets.nets.max_node" in mine["ch2-max-node"]["message"]


def test_known_limit_a_notebook_that_patches_numpy_forges_the_checks_that_use_it(batch):
    """Stated on the instructors' page: if this starts failing, the grader defends better; update the page."""
    _, rows = batch
    mine = exercise_rows(rows, "numpy_patcher.ipynb")
    assert mine["ch3-min-cdf"]["passed"] == "yes"  # its checker compares with np.allclose: forged
    assert [mine[label]["passed"] for label in CH3_LABELS[1:]] == ["no", "no"]  # plain comparisons: not forged


def test_an_infinite_loop_times_out_is_reported_and_what_ran_is_graded(tmp_path):
    nbformat.write(looper(), tmp_path / "looper.ipynb")
    result = run_grader("looper.ipynb", "--timeout", "15", "--check-timeout", "5", "--out", "grades.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_rows(tmp_path / "grades.csv")
    notebook = rows[("looper.ipynb", grade.NOTEBOOK_ROW)]
    assert notebook["passed"] == "no" and notebook["message"].startswith("timed out after 15 s in cell ")
    assert rows[("looper.ipynb", "ch3-min-cdf")]["passed"] == "yes"
    assert rows[("looper.ipynb", "ch3-known-base")]["message"] == "ch3-known-base: the check did not finish within 5 s"
    assert "no function named `alpha_from_budget`" in rows[("looper.ipynb", "ch3-budget-alpha")]["message"]


def test_a_notebook_that_edits_the_package_stops_the_grading(tmp_path):
    """Graded against a copy of the package (PYTHONPATH), which the first submission edits."""
    shutil.copytree(ROOT / "mesaopt", tmp_path / "pkg" / "mesaopt", ignore=shutil.ignore_patterns("__pycache__"))
    editor = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import mesaopt, pathlib\np = pathlib.Path(mesaopt.__file__).parent / 'checking.py'\n"
        "p.write_text(p.read_text() + '\\n# edited by a submission\\n')")])
    nbformat.write(editor, tmp_path / "editor.ipynb")
    nbformat.write(printer(), tmp_path / "next.ipynb")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "pkg")}
    result = run_grader("editor.ipynb", "next.ipynb", "--chapter", CH3, "--out", "grades.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "changed the files of" in result.stderr
    rows = read_rows(tmp_path / "grades.csv")
    assert {r["passed"] for r in rows.values()} == {"no"}
    assert all("changed the files of" in r["message"] for (nb, _), r in rows.items() if nb == "editor.ipynb")
    assert rows[("next.ipynb", grade.NOTEBOOK_ROW)]["message"].startswith("not graded: an earlier submission")


def test_the_full_chapters_pass_every_exercise(tmp_path):
    paths = toc_notebooks()
    result = run_grader(*paths, "--out", tmp_path / "grades.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_rows(tmp_path / "grades.csv")
    assert [(Path(nb).stem, ex) for nb, ex in rows] == [(e.chapter, e.label) for e in grade.EXERCISES]
    failed = {key: r["message"] for key, r in rows.items() if r["passed"] != "yes"}
    assert failed == {}


def test_the_instructors_example_is_the_commands_output_for_chapter_3s_exercises():
    import grading_example

    with open(ROOT / "book" / "grading_example.csv", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header == grade.HEADER
    for student in ("alice", "bob", "carol"):
        mine = [r for r in rows if r[0] == f"{student}.ipynb"]
        assert [r[1:3] for r in mine] == [[CH3, label] for label in CH3_LABELS], "rerun tools/grading_example.py"
    assert {r[3] for r in rows if r[0] == "alice.ipynb"} == {"yes"}
    assert [r[2:4] for r in rows if r[0] == "dave.ipynb"] == [[grade.NOTEBOOK_ROW, "no"]]
    page = (ROOT / "book" / "instructors.md").read_text()
    assert ":file: grading_example.csv" in page and "python -m mesaopt.grade " + " ".join(grading_example.COMMAND) in page
