"""Student copies: solutions removed, stubs and checkers kept, and every copy runs under nbval.

`tools/make_student_notebooks.py` writes the copies. The fast tests check the tool on the fixture
notebook (tests/fixtures/fixture_chapter.ipynb); the slow ones run each chapter's student copy under
nbval and read, through a small nbval plugin (tests/fixtures/nbval_record.py), what each cell raised:
every exercise check must stop on the stub with "not implemented yet" and nothing else may fail.
The full notebooks must pass every checker: the book build's executed notebooks (its execution
cache) are read for each check cell's "correct." line.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from book_files import ROOT, toc_notebooks
from conftest import executed_notebook

sys.path.insert(0, str(ROOT / "tools"))
import make_student_notebooks as tool  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "fixture_chapter.ipynb"


def read(path: Path):
    return nbformat.read(path, as_version=4)


def test_student_copy_drops_solutions_and_keeps_stubs_and_checks():
    full = read(FIXTURE)
    student = tool.student_copy(full, "fixture")
    kept_ids = [c.id for c in student.cells]
    solutions = [c for c in full.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) == 6 and not any(c.id in kept_ids for c in solutions)
    assert not any("solution-start" in c.source or "return x * x" in c.source for c in student.cells)
    stubs = [c for c in student.cells if "exercise-stub" in c.metadata.get("tags", [])]
    checks = [c for c in student.cells if "exercise-check" in c.metadata.get("tags", [])]
    assert [c.source for c in stubs] == [c.source for c in full.cells if "exercise-stub" in c.metadata.get("tags", [])]
    assert len(checks) == 2 and all("raises-exception" in c.metadata["tags"] for c in checks)
    # every other cell is kept, in order, plus the note that this is a student copy
    others = [c.id for c in full.cells if c not in solutions]
    assert [i for i in kept_ids if i != "student-copy-note"] == others
    assert "Student copy" in student.cells[1].source
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    nbformat.validate(student)
    # the original is untouched
    assert [c.id for c in full.cells] == [c.id for c in read(FIXTURE).cells]


def test_exercise_list_names_label_function_and_checker():
    exercises = tool.find_exercises(read(FIXTURE), "fixture_chapter")
    assert [(e.label, e.function, e.checker) for e in exercises] == [
        ("fixture-square", "square", "check_square"), ("fixture-double", "double", "check_double")]
    table = tool.exercise_table([FIXTURE])
    assert "| `fixture_chapter` | `fixture-square` | `square` | `check_square` | Write `square(x)` returning `x * x`. |" in table


def _broken(edit) -> nbformat.NotebookNode:
    nb = read(FIXTURE)
    edit(nb.cells)
    return nb


@pytest.mark.parametrize("edit, message", [
    (lambda cells: cells.pop(10), "must be followed by a code cell tagged exercise-check"),  # a check cell removed
    (lambda cells: cells[8].metadata.update(tags=[]), "solution cells of fixture-square must open"),  # untagged solution
    (lambda cells: cells.pop(6), "must be followed by a code cell tagged exercise-stub"),  # no stub
    (lambda cells: cells.__setitem__(5, nbformat.v4.new_markdown_cell("```{exercise}\nno label\n```")), "no :label:"),
])
def test_a_notebook_that_breaks_the_exercise_pattern_is_refused(edit, message):
    with pytest.raises(tool.PatternError, match=re.escape(message)):
        tool.student_copy(_broken(edit), "fixture")


def test_the_command_writes_one_copy_per_notebook_and_refuses_broken_ones(tmp_path):
    out = tmp_path / "student"
    run = lambda *args: subprocess.run([sys.executable, str(ROOT / "tools" / "make_student_notebooks.py"), *args],
                                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    result = run("--out", str(out), str(FIXTURE))
    assert result.returncode == 0 and "2 exercise(s)" in result.stdout, result.stderr
    assert [p.name for p in out.iterdir()] == ["fixture_chapter.ipynb"]
    broken = tmp_path / "broken.ipynb"
    nbformat.write(_broken(lambda cells: cells.pop(10)), broken)
    result = run("--out", str(tmp_path / "none"), str(broken))
    assert result.returncode == 1 and "exercise-check" in result.stderr and not (tmp_path / "none").exists()


def run_nbval_recording(notebook: Path, record: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """nbval over ``notebook`` in this environment; returns the run and what each cell raised."""
    env = dict(os.environ, NBVAL_RECORD=str(record),
               PYTHONPATH=os.pathsep.join(filter(None, [str(FIXTURES), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "nbval_record",
                             "--nbval-lax", "--rootdir", str(notebook.parent), str(notebook)],
                            cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=1800)
    cells = json.loads(record.read_text()) if record.exists() else []
    return result, cells


def check_student_run(result, cells, expected_checks: int) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    checks = [c for c in cells if "exercise-check" in c["tags"]]
    assert len(checks) == expected_checks
    for cell in checks:
        assert [e["ename"] for e in cell["errors"]] == ["NotImplementedYet"], cell
        assert "not implemented yet" in cell["errors"][0]["evalue"], cell
    others = [c for c in cells if c["errors"] and "exercise-check" not in c["tags"]]
    assert others == [], "cells other than the exercise checks raised"


def test_student_copy_of_the_fixture_runs_under_nbval_with_checks_saying_not_implemented_yet(tmp_path):
    tool.write_student_copies([FIXTURE], tmp_path)
    (tmp_path / "fixture_checkers.py").write_text((FIXTURES / "fixture_checkers.py").read_text())
    result, cells = run_nbval_recording(tmp_path / FIXTURE.name, tmp_path / "record.json")
    check_student_run(result, cells, expected_checks=2)


def student_copy_jobs(notebooks: list[Path], workdir: Path) -> dict:
    """{key: run} for conftest.BackgroundRuns: each chapter's student copy under nbval, in a folder of its own."""
    def run(path: Path):
        folder = workdir / path.stem
        tool.write_student_copies([path], folder)
        return run_nbval_recording(folder / path.name, folder / "record.json")

    return {f"student:{path.name}": (lambda path=path: run(path)) for path in notebooks}


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_chapter_student_copy_runs_under_nbval_with_checks_saying_not_implemented_yet(background_runs, path):
    exercises = tool.find_exercises(read(path), path.stem)
    result, cells = background_runs.wait(f"student:{path.name}")  # run in the background (conftest.py)
    check_student_run(result, cells, expected_checks=len(exercises))


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_full_chapter_passes_every_checker_in_the_book_build(built_book, path):
    full = read(path)
    exercises = tool.find_exercises(full, path.stem)
    executed_nb = executed_notebook(path)
    assert executed_nb is not None, f"the book build has no executed copy of {path.name} (see its log)"
    executed = {c.id: c for c in executed_nb.cells}
    for exercise in exercises:
        check = next(c for c in full.cells if "exercise-check" in c.metadata.get("tags", [])
                     and c.source == exercise.check_source)
        outputs = executed[check.id].outputs
        assert not [o for o in outputs if o.output_type == "error"], exercise.label
        text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        assert f"{exercise.label}: correct." in text, f"{exercise.label}: {text!r}"


def test_instructor_page_lists_every_exercise_of_the_chapters():
    page = (ROOT / "book" / "instructors.md").read_text()
    listed = re.findall(r"^\| \{ref\}`([\w-]+) <\1>` \|", page, re.MULTILINE)
    exercises = [e.label for p in toc_notebooks() for e in tool.find_exercises(read(p), p.stem)]
    assert listed == exercises, "book/instructors.md: update the exercise table (tools/make_student_notebooks.py --list)"
    assert all(re.search(rf"^\| \{{ref\}}`{label} <{label}>` \|.*\| \d+ min \|$", page, re.MULTILINE) for label in listed)
    assert "book/instructors" in (ROOT / "_toc.yml").read_text()


# --- publishing the copies: the page "Student copies", the built book, the branch for Colab ---------

PAGE = ROOT / "book" / "student_copies.md"
PUSH = ROOT / "tools" / "push_student_copies.sh"


def copies_branch() -> str:
    match = re.search(r"^branch=(\S+)$", PUSH.read_text(), re.MULTILINE)
    assert match, "tools/push_student_copies.sh must set branch=..."
    return match.group(1)


def test_student_copies_page_links_every_chapter_for_download_and_colab():
    from book_files import repository_url

    page = PAGE.read_text()
    owner_repo = repository_url().removeprefix("https://github.com/")
    chapters = [p.stem for p in toc_notebooks() if tool.find_exercises(read(p), p.stem)]
    downloads = re.findall(r'<a href="\.\./student/(\w+)\.ipynb" download>', page)
    colab = re.findall(r'<a href="https://colab\.research\.google\.com/github/([^"]+)">', page)
    assert downloads == chapters
    assert colab == [f"{owner_repo}/blob/{copies_branch()}/{stem}.ipynb" for stem in chapters]
    assert "book/student_copies" in (ROOT / "_toc.yml").read_text()
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    assert "tools/push_student_copies.sh" in workflow and "contents: write" in workflow


def test_the_built_book_serves_the_student_copies_the_page_links(built_book):
    html = ROOT / "_build" / "html"
    page = (html / "book" / "student_copies.html").read_text()
    for path in toc_notebooks():
        served = html / "student" / path.name
        assert f'href="../student/{path.name}"' in page
        assert served.exists(), f"the build wrote no {served.relative_to(ROOT)}"
        copy = tool.student_copy(read(path), path.stem)
        assert [c.source for c in read(served).cells] == [c.source for c in copy.cells]


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository")
def test_push_script_commits_the_copies_to_their_branch_and_only_when_they_change(tmp_path):
    clone, origin = tmp_path / "clone", tmp_path / "origin.git"
    git = lambda *args, cwd=tmp_path: subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,  # noqa: E731
                                                     text=True, timeout=120).stdout
    git("clone", "-q", str(ROOT), str(clone))
    git("init", "-q", "--bare", str(origin))
    git("remote", "set-url", "origin", str(origin), cwd=clone)
    env = dict(os.environ, PYTHON=sys.executable)
    push = lambda: subprocess.run(["bash", "tools/push_student_copies.sh"], cwd=clone, env=env,  # noqa: E731
                                  capture_output=True, text=True, timeout=300)
    first, second = push(), push()
    assert first.returncode == 0 and "pushed the student copies" in first.stdout, first.stderr
    assert second.returncode == 0 and "unchanged; nothing to push" in second.stdout, second.stderr
    branch = copies_branch()
    head = git("rev-parse", "HEAD", cwd=clone).strip()
    assert git("log", "--format=%s", branch, cwd=origin).splitlines() == [f"Student copies of {head}"]
    files = sorted(git("ls-tree", "--name-only", branch, cwd=origin).split())
    chapters = [p.name for p in toc_notebooks()]
    assert files == sorted(["README.md", *chapters])
    shown = nbformat.reads(git("show", f"{branch}:{chapters[0]}", cwd=origin), as_version=4)
    assert not [c for c in shown.cells if "solution" in c.metadata.get("tags", [])]
    assert "worktree" not in git("worktree", "list", cwd=clone).split("\n", 1)[-1]  # its worktree is gone
