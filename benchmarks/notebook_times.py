"""Execute each chapter notebook (in _toc.yml order) and print its wall time beside the 120 s budget.

Run from the repository root:  .venv/bin/python benchmarks/notebook_times.py [NOTEBOOK ...]
Times include kernel start-up, as a reader pressing "Run all" would see. Nothing is asserted:
this script measures; it is not a test.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 120.0
sys.path.insert(0, str(ROOT / "tests"))
from book_files import toc_notebooks  # noqa: E402


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    paths = [Path(a).resolve() for a in argv] or toc_notebooks()
    total = 0.0
    print(f"{'notebook':<40} {'seconds':>8} {'budget':>7} {'of budget':>10}")
    for path in paths:
        seconds = run(path)
        total += seconds
        flag = "" if seconds <= BUDGET_S else "  OVER BUDGET"
        print(f"{path.name:<40} {seconds:8.1f} {BUDGET_S:7.0f} {seconds / BUDGET_S:9.0%}{flag}", flush=True)
    print(f"{'total':<40} {total:8.1f} {BUDGET_S * len(paths):7.0f} {total / (BUDGET_S * len(paths)):9.0%}")


if __name__ == "__main__":
    main(sys.argv[1:])
