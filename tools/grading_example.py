"""Write book/grading_example.csv: the grading command run on four made-up submissions of chapter 3.

    .venv/bin/python tools/grading_example.py        # runs chapter 3 three times: a few minutes

The instructors' page (book/instructors.md) shows the CSV as the command wrote it. The submissions,
made from the chapter in a temporary folder:

- ``alice.ipynb``: the chapter with the book's solutions;
- ``bob.ipynb``: the student copy with the first exercise solved, the second answered wrongly and the
  third left as the stub;
- ``carol.ipynb``: the student copy, unsolved, with a cell that prints every exercise's success line;
- ``dave.ipynb``: the first 300 bytes of a notebook (an upload cut short).

Rerun it when chapter 3's exercises or the command's messages change (tests/test_grade.py checks that the
example still lists chapter 3's exercises).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_student_notebooks as tool  # noqa: E402

CHAPTER = "ch3_detecting_search"
OUT = ROOT / "book" / "grading_example.csv"
COMMAND = ["alice.ipynb", "bob.ipynb", "carol.ipynb", "dave.ipynb", "--out", "grades.csv"]
WRONG_P_VALUE = '''def known_base_p_value(losses, base_sf):
    e = -np.log(base_sf(np.asarray(losses, dtype=float)))
    return float(np.exp(-e.sum()))  # the chance that one Exp(1) draw exceeds the sum: the wrong law
'''
CLAIMS = 'print("ch3-min-cdf: correct.")\nprint("ch3-known-base: correct.")\nprint("ch3-budget-alpha: correct.")\n'


def _stub(nb, function: str):
    return next(c for c in nb.cells if "exercise-stub" in c.metadata.get("tags", []) and f"def {function}(" in c.source)


def submissions(folder: Path) -> None:
    path = ROOT / "book" / f"{CHAPTER}.ipynb"
    full = nbformat.read(path, as_version=4)
    nbformat.write(full, folder / "alice.ipynb")
    bob = tool.student_copy(full, CHAPTER)
    _stub(bob, "min_of_k_cdf").source = next(c.source for c in full.cells if "solution" in c.metadata.get("tags", [])
                                             and c.source.startswith("def min_of_k_cdf("))
    _stub(bob, "known_base_p_value").source = WRONG_P_VALUE
    nbformat.write(bob, folder / "bob.ipynb")
    carol = tool.student_copy(full, CHAPTER)
    carol.cells.insert(3, nbformat.v4.new_code_cell(CLAIMS))
    nbformat.write(carol, folder / "carol.ipynb")
    (folder / "dave.ipynb").write_text((folder / "bob.ipynb").read_text()[:300])


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        submissions(folder)
        print("+ python -m mesaopt.grade " + " ".join(COMMAND), flush=True)
        result = subprocess.run([sys.executable, "-m", "mesaopt.grade", *COMMAND], cwd=folder)
        if result.returncode != 0:
            return result.returncode
        shutil.copyfile(folder / "grades.csv", OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
