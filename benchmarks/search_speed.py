"""Time each network form of chapter 2 against the pure-Python loop, in the same run, as ratios.

Run from the repository root:  .venv/bin/python benchmarks/search_speed.py
Targets (issue 3, item 8): the shortcut form answers any single n <= 2^30 in under 1 s; the recurrent
form covers all n in 1..4096 (one batch) in under 30 s. Also shows why the naive dense nn.Linear
evaluation is slow. Nothing is asserted: this script measures; it is not a test.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mesaopt.loopnets.loop import loop_bound, search_loop  # noqa: E402
from mesaopt.loopnets.nets import (PositionalSearch, RecurrentSearch, ShortcutSearch, build_cell,  # noqa: E402
                                 run_unrolled_torch, unrolled_torch)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def python_loop(ns):
    return np.array([search_loop(int(n)) for n in ns])


def row(task, seconds, python_seconds, exact):
    ratio = seconds / python_seconds
    print(f"{task:<70} {seconds:9.3f} {python_seconds:9.3f} {ratio:9.1f}x  {'exact' if exact else 'WRONG'}",
          flush=True)


def main():
    torch.set_num_threads(1)
    print(f"{'task':<70} {'net s':>9} {'python s':>9} {'net/py':>10}")
    small = np.arange(1, 4097)
    ref_small, py_small = timed(python_loop, small)

    rec, build_s = timed(RecurrentSearch, 4096)
    ks, s = timed(rec.run, small)
    row("recurrent, all n in 1..4096, one batch", s, py_small, np.array_equal(ks, ref_small))
    ks, s = timed(lambda ns: rec.run(ns, skip_done=False), small)
    row("recurrent, same, finished rows kept in the batch", s, py_small, np.array_equal(ks, ref_small))

    pos = PositionalSearch(4096)
    ks, s = timed(pos.run, small)
    row("positional, all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))

    sc = ShortcutSearch(4096)
    ks, s = timed(sc.run, small)
    row("shortcut, all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))

    big = ShortcutSearch()                      # full width: every n <= 2^30
    rng = np.random.default_rng(0)
    worst = 0.0
    for n in [2 ** 30, 2 ** 30 - 1, 1_000_000_007 - 7, *rng.integers(2 ** 29, 2 ** 30, 3)]:
        n = int(n)
        ref, py = timed(search_loop, n)
        k, s = timed(big.run, [n])
        worst = max(worst, s)
        row(f"shortcut (full width), single n = {n}", s, py, int(k[0]) == ref)
    print(f"shortcut, slowest single n <= 2^30: {worst:.3f} s (target < 1 s)")

    # The naive path: the same recurrent cell as a dense nn.Linear stack, on a small batch.
    ns = np.arange(1, 257)
    ref, py = timed(python_loop, ns)
    rec256 = RecurrentSearch(256)
    ks, fast = timed(rec256.run, ns)
    row("recurrent fast path (sparse, residual), n in 1..256", fast, py, np.array_equal(ks, ref))
    dense = rec256.cell.to_torch()
    ks, s = timed(rec256.run_dense, ns, dense)
    row("recurrent as dense nn.Linear stack, n in 1..256", s, py, np.array_equal(ks, ref))
    full = RecurrentSearch()                    # the full-width cell (every n <= 2^30), one small n
    ref, py = timed(search_loop, 1000)
    k, s = timed(full.run, [1000])
    row("recurrent, full-width cell, n = 1000, sparse residual path", s, py, int(k[0]) == ref)
    k, s = timed(full.run_dense, [1000], full.cell.to_torch())
    row(f"recurrent, full-width cell as dense nn.Linear ({full.cell.sizes()['dense_params']:,} params)", s, py,
        int(k[0]) == ref)
    cell = build_cell(64)
    net = unrolled_torch(cell, loop_bound(64))
    ns = np.arange(1, 65)
    ref, py = timed(python_loop, ns)
    ks, s = timed(run_unrolled_torch, cell, net, ns)
    row(f"unrolled dense nn.Linear net ({loop_bound(64)} cell copies), n in 1..64", s, py, np.array_equal(ks, ref))


if __name__ == "__main__":
    main()
