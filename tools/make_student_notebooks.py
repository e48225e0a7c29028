"""Write student copies of the chapter notebooks: exercise solutions removed, stubs and checkers kept.

    .venv/bin/python tools/make_student_notebooks.py            # every chapter in _toc.yml -> student/
    .venv/bin/python tools/make_student_notebooks.py --out DIR book/ch1_training_an_optimizer.ipynb
    .venv/bin/python tools/make_student_notebooks.py --list     # the exercises, as a markdown table

The chapters mark each exercise with cells in this order: a markdown ``{exercise}`` directive (with a
``:label:``), a code cell tagged ``exercise-stub``, markdown/code cells tagged ``solution`` (the
``{solution-start}`` ... ``{solution-end}`` block) and a code cell tagged ``exercise-check`` that calls a
checker. A student copy drops every ``solution`` cell, tags each ``exercise-check`` cell
``raises-exception`` (the stub makes its checker raise "not implemented yet", and "Run all" and nbval go
on past it) and clears outputs. The tool refuses a notebook that breaks the pattern, so a student never
gets a copy with a solution left in it or an exercise without its checker.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
STUB, SOLUTION, CHECK = "exercise-stub", "solution", "exercise-check"
RAISES = "raises-exception"
NOTE = ("**Student copy.** The exercise solutions are removed. In each exercise, replace the "
        "`raise NotImplementedError` line with your code, run that cell, then run the check cell below it: "
        "until then the check says *not implemented yet*.")

_EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(?P<body>.*?)^\1\s*$", re.MULTILINE | re.DOTALL)
_LABEL = re.compile(r"^:label:\s*(\S+)\s*$", re.MULTILINE)
_CHECKER_CALL = re.compile(r"\b(check_\w+)\s*\(")


class PatternError(ValueError):
    """A notebook's exercise cells do not follow the stub / solution / check pattern."""


@dataclass
class Exercise:
    chapter: str  # notebook file stem
    label: str
    statement: str  # the directive's text, options removed
    stub: str  # source of the exercise-stub cell
    checker: str  # name of the checker the check cell calls
    check_source: str

    @property
    def function(self) -> str:
        match = re.search(r"^def\s+(\w+)", self.stub, re.MULTILINE)
        return match.group(1) if match else ""

    @property
    def summary(self) -> str:
        text = " ".join(line for line in self.statement.splitlines() if not line.startswith(":")).strip()
        sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
        return sentence


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _exercise_directive(cell):
    if cell.cell_type != "markdown":
        return None
    return _EXERCISE.search(cell.source)


def find_exercises(nb, chapter: str = "") -> list[Exercise]:
    """The exercises of ``nb`` in order; raises :class:`PatternError` when the cell pattern is broken."""
    found: list[Exercise] = []
    cells = nb.cells
    i = 0
    while i < len(cells):
        cell = cells[i]
        directive = _exercise_directive(cell)
        tags = _tags(cell)
        if directive is None:
            if STUB in tags or CHECK in tags or SOLUTION in tags:
                raise PatternError(f"{chapter}: cell {i} is tagged {tags} but follows no {{exercise}} directive")
            i += 1
            continue
        body = directive.group("body")
        label_match = _LABEL.search(body)
        if not label_match:
            raise PatternError(f"{chapter}: the exercise in cell {i} has no :label:")
        label = label_match.group(1)
        j = i + 1
        if j >= len(cells) or cells[j].cell_type != "code" or STUB not in _tags(cells[j]):
            raise PatternError(f"{chapter}: exercise {label} (cell {i}) must be followed by a code cell tagged {STUB}")
        stub = cells[j].source
        j += 1
        solution_cells = 0
        while j < len(cells) and SOLUTION in _tags(cells[j]):
            solution_cells += 1
            j += 1
        if solution_cells == 0:
            raise PatternError(f"{chapter}: exercise {label} has no cells tagged {SOLUTION} after its stub")
        block = "".join(c.source for c in cells[j - solution_cells:j] if c.cell_type == "markdown")
        if f"solution-start}} {label}" not in block or "solution-end}" not in block:
            raise PatternError(f"{chapter}: the solution cells of {label} must open with "
                               f"{{solution-start}} {label} and close with {{solution-end}}")
        if j >= len(cells) or cells[j].cell_type != "code" or CHECK not in _tags(cells[j]):
            raise PatternError(f"{chapter}: the solution of {label} must be followed by a code cell tagged {CHECK}")
        call = _CHECKER_CALL.search(cells[j].source)
        if not call:
            raise PatternError(f"{chapter}: the check cell of {label} calls no check_...() function")
        statement = body[label_match.end():].strip()
        found.append(Exercise(chapter, label, statement, stub, call.group(1), cells[j].source))
        i = j + 1
    return found


def student_copy(nb, chapter: str = ""):
    """A new notebook: ``nb`` without solution cells, check cells tagged raises-exception, no outputs."""
    exercises = find_exercises(nb, chapter)
    student = copy.deepcopy(nb)
    student.cells = []
    for cell in copy.deepcopy(nb.cells):
        tags = _tags(cell)
        if SOLUTION in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if CHECK in tags and RAISES not in tags:
            cell.metadata["tags"] = tags + [RAISES]
        student.cells.append(cell)
    if exercises:
        first_markdown = next((k for k, c in enumerate(student.cells) if c.cell_type == "markdown"), -1)
        note = nbformat.v4.new_markdown_cell(NOTE)
        note.id = "student-copy-note"
        student.cells.insert(first_markdown + 1, note)
    leftover = [c for c in student.cells if "solution-start}" in c.source or "solution-end}" in c.source]
    if leftover:
        raise PatternError(f"{chapter}: solution markup outside cells tagged {SOLUTION}; not writing a student copy")
    nbformat.validate(student)
    return student


def chapter_notebooks() -> list[Path]:
    """The notebooks listed in _toc.yml, in order."""
    sys.path.insert(0, str(ROOT / "tests"))
    from book_files import toc_notebooks

    return toc_notebooks()


def write_student_copies(notebooks: list[Path], out: Path) -> dict[Path, int]:
    """Write one student copy per notebook into ``out``; return {copy: number of exercises}."""
    copies = {path: student_copy(nbformat.read(path, as_version=4), path.stem) for path in notebooks}
    out.mkdir(parents=True, exist_ok=True)  # only after every notebook passed the pattern check
    written = {}
    for path, student in copies.items():
        target = out / path.name
        nbformat.write(student, target)
        written[target] = len(find_exercises(nbformat.read(path, as_version=4), path.stem))
    return written


def exercise_table(notebooks: list[Path]) -> str:
    """A markdown table of every exercise: chapter, label, function to write, checker, statement."""
    rows = ["| chapter | exercise | the student writes | checked by | task |", "| --- | --- | --- | --- | --- |"]
    for path in notebooks:
        for ex in find_exercises(nbformat.read(path, as_version=4), path.stem):
            rows.append(f"| `{ex.chapter}` | `{ex.label}` | `{ex.function}` | `{ex.checker}` | {ex.summary} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="folder for the copies (default: student/)")
    parser.add_argument("--list", action="store_true", help="print the exercises as a markdown table and write nothing")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or chapter_notebooks()
    if args.list:
        print(exercise_table(notebooks))
        return 0
    try:
        written = write_student_copies(notebooks, args.out)
    except PatternError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for target, count in written.items():
        shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
        print(f"{shown}: {count} exercise(s), solutions removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
