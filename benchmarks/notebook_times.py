"""Time each chapter alone and in the book build, side by side: a stall in the build shows as a ratio.

Run from the repository root, after a book build:

    .venv/bin/python benchmarks/notebook_times.py [--build-only] [NOTEBOOK ...]

"alone" executes the notebook with nbclient here, including kernel start-up, as a reader pressing
"Run all" would see. "in build" is the build's own report: the execution time myst-nb stored with
the notebook in the execution cache (_build/.jupyter_cache; the same number as the build log's
"Executed notebook in X seconds"), for the notebook as it is now ("-" when the last build did not
execute this version of it). A ratio well above 1 means the build spent time beyond running the
cells (ipykernel 7 idled about 300 s after the last cell: see requirements.txt). Nothing is asserted:
this script measures; it is not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 120.0
CACHE = ROOT / "_build" / ".jupyter_cache"
sys.path.insert(0, str(ROOT / "tests"))
from book_files import toc_notebooks  # noqa: E402


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def build_seconds(path: Path, cache_dir: Path = CACHE) -> float | None:
    """The execution time the book build recorded for this version of the notebook, or None."""
    if not cache_dir.is_dir():
        return None
    from jupyter_cache import get_cache

    try:
        record = get_cache(str(cache_dir)).match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:  # no cached execution of the notebook's current code
        return None
    return record.data.get("execution_seconds")


def cell(value: float | None, fmt: str, width: int) -> str:
    return f"{value:{width}{fmt}}" if value is not None else f"{'-':>{width}}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    parser.add_argument("--build-only", action="store_true", help="print the build's times without running anything")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    print(f"{'notebook':<34} {'alone s':>8} {'in build s':>11} {'build/alone':>12} {'alone/budget':>13}")
    totals = [0.0, 0.0]
    for path in paths:
        built = build_seconds(path)
        alone = None if args.build_only else run(path)
        ratio = built / alone if built is not None and alone else None
        totals = [totals[0] + (alone or 0.0), totals[1] + (built or 0.0)]
        flag = "  OVER BUDGET" if alone is not None and alone > BUDGET_S else ""
        share = cell(alone / BUDGET_S * 100 if alone is not None else None, '.0f', 11) + ("%" if alone is not None else " ")
        print(f"{path.name:<34} {cell(alone, '.1f', 8)} {cell(built, '.1f', 11)} {cell(ratio, '.2f', 12)} {share}{flag}",
              flush=True)
    print(f"{'total':<34} {cell(None if args.build_only else totals[0], '.1f', 8)} {totals[1]:11.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
