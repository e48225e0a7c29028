"""Time chapter 2's networks against the pure-Python loop, in the same run, as ratios.

Run from the repository root:  .venv/bin/python benchmarks/search_speed.py [--quick] [--repeats R]

Part 1, the command line (issue 11, item 6). For N near 2^30 it times, hyperfine-style (one warm-up,
then R runs of each command, interleaved, medians reported):

    python -m mesaopt.search N --form shortcut                     (loads the shipped weights, runs them)
    python -c "...search_loop(N)..."                              (the pure-Python loop)

both with interpreter start-up, and prints ``command / loop``. It then times, inside one process, the
loaded shortcut weights against the loop on the same N (medians of R interleaved runs) and prints
``weights / loop``. Targets: the first ratio below 1, the second at most 0.5.

Part 2 (skipped with --quick): every network form against the loop, and why dense nn.Linear
evaluation is slow. Nothing is asserted: this script measures; it is not a test. Timings taken while
other processes run are inflated, for the loop and the networks alike; the ratios move less.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mesaopt.loopnets.loop import N_MAX, loop_bound, search_loop  # noqa: E402

LOOP_COMMAND = "import sys; from mesaopt.loopnets.loop import search_loop; print(search_loop(int(sys.argv[1])))"
CLI_NS = [N_MAX - 1, N_MAX, 1_000_000_007, 999_999_937, 805_306_457, 2 ** 29 + 11, 2 ** 28 + 3]


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run_command(args) -> list[str]:
    """The words a command prints (it must succeed)."""
    return subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()


def _cpu_seconds() -> float:
    """CPU time (user + system) used so far by this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def interleaved(commands: dict, repeats: int) -> dict:
    """{name: (outputs of the last run, median wall seconds, median CPU seconds)}: one warm-up each,
    then ``repeats`` rounds. CPU time counts the command's own work and is less inflated than wall time
    when other processes share the cores."""
    for fn in commands.values():
        fn()
    wall = {name: [] for name in commands}
    cpu = {name: [] for name in commands}
    outputs = {}
    for _ in range(repeats):
        for name, fn in commands.items():
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            outputs[name] = fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(_cpu_seconds() - start_cpu)
    return {name: (outputs[name], statistics.median(wall[name]), statistics.median(cpu[name])) for name in commands}


def command_line_part(repeats: int) -> None:
    from mesaopt.loopnets.shipped import load_shortcut

    py = sys.executable
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start "
          f"(ratios are medians of {repeats} interleaved runs)")
    print(f"{'N':>12} | {'command':>8} {'loop':>6} {'cmd/loop':>8} | {'weights':>8} {'loop':>6} {'w/loop':>6} "
          f"| CPU: {'cmd/loop':>8} {'w/loop':>6} | agree      (seconds: wall-clock medians)")
    net, load_seconds = timed(load_shortcut)
    worst = {"cmd": 0.0, "weights": 0.0, "cmd_cpu": 0.0, "weights_cpu": 0.0}
    for n in CLI_NS:
        cli = interleaved({
            "command": lambda: run_command([py, "-m", "mesaopt.search", str(n), "--form", "shortcut"]),
            "loop": lambda: run_command([py, "-c", LOOP_COMMAND, str(n)]),
        }, repeats)
        inside = interleaved({"weights": lambda: int(net.run([n])[0]), "loop": lambda: search_loop(n)}, repeats)
        (cmd_out, cmd_s, cmd_c), (loop_out, loop_s, loop_c) = cli["command"], cli["loop"]
        (k_net, w_s, w_c), (k_loop, l_s, l_c) = inside["weights"], inside["loop"]
        agree = cmd_out[-1] == loop_out[-1] == str(k_net) == str(k_loop)
        ratios = {"cmd": cmd_s / loop_s, "weights": w_s / l_s, "cmd_cpu": cmd_c / loop_c, "weights_cpu": w_c / l_c}
        worst = {k: max(worst[k], v) for k, v in ratios.items()}
        print(f"{n:>12} | {cmd_s:>8.3f} {loop_s:>6.3f} {ratios['cmd']:>8.2f} | {w_s:>8.3f} {l_s:>6.3f} "
              f"{ratios['weights']:>6.2f} | CPU: {ratios['cmd_cpu']:>8.2f} {ratios['weights_cpu']:>6.2f} | "
              f"{'yes' if agree else 'NO'}", flush=True)
    print(f"loading the shipped weights took {load_seconds:.3f} s (inside the command's time above)")
    print(f"largest ratios over these N, wall clock: command/loop {worst['cmd']:.2f} (target < 1), weights/loop "
          f"{worst['weights']:.2f} (target <= 0.5); CPU time: {worst['cmd_cpu']:.2f} and {worst['weights_cpu']:.2f}; "
          f"load average now {os.getloadavg()[0]:.1f}")


def python_loop(ns):
    return np.array([search_loop(int(n)) for n in ns])


def row(task, seconds, python_seconds, exact):
    ratio = seconds / python_seconds
    print(f"{task:<70} {seconds:9.3f} {python_seconds:9.3f} {ratio:9.1f}x  {'exact' if exact else 'WRONG'}",
          flush=True)


def forms_part() -> None:
    import torch

    from mesaopt.loopnets.nets import (PositionalSearch, RecurrentSearch, ShortcutSearch, build_cell,
                                       run_unrolled_torch, unrolled_torch)
    from mesaopt.loopnets.reduced import ReducedSearch

    torch.set_num_threads(1)
    print(f"\n{'task':<70} {'net s':>9} {'python s':>9} {'net/py':>10}")
    small = np.arange(1, 4097)
    ref_small, py_small = timed(python_loop, small)
    for cls in (RecurrentSearch, ReducedSearch):
        net = cls(4096)
        ks, s = timed(net.run, small)
        row(f"{net.name}, all n in 1..4096, one batch", s, py_small, np.array_equal(ks, ref_small))
    ks, s = timed(PositionalSearch(4096).run, small)
    row("positional, all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))
    ks, s = timed(ShortcutSearch(4096).run, small)
    row("shortcut, all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))

    ns = np.arange(1, 257)
    ref, py = timed(python_loop, ns)
    rec256 = RecurrentSearch(256)
    ks, fast = timed(rec256.run, ns)
    row("recurrent fast path (sparse, residual), n in 1..256", fast, py, np.array_equal(ks, ref))
    ks, s = timed(rec256.run_dense, ns, rec256.cell.to_torch())
    row("recurrent as dense nn.Linear stack, n in 1..256", s, py, np.array_equal(ks, ref))
    for cls in (RecurrentSearch, ReducedSearch):
        full = cls()                                # the full-width cell (every n <= 2^30), one small n
        ref, py = timed(search_loop, 1000)
        k, s = timed(full.run, [1000])
        row(f"{full.name}, full-width cell, n = 1000, sparse residual path", s, py, int(k[0]) == ref)
        k, s = timed(full.run_dense, [1000], full.cell.to_torch())
        row(f"{full.name}, full-width cell as dense nn.Linear ({full.cell.sizes()['dense_params']:,} params)",
            s, py, int(k[0]) == ref)
    cell = build_cell(64)
    net = unrolled_torch(cell, loop_bound(64))
    ns = np.arange(1, 65)
    ref, py = timed(python_loop, ns)
    ks, s = timed(run_unrolled_torch, cell, net, ns)
    row(f"unrolled dense nn.Linear net ({loop_bound(64)} cell copies), n in 1..64", s, py, np.array_equal(ks, ref))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the command-line part")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each command (default 7)")
    args = parser.parse_args()
    command_line_part(args.repeats)
    if not args.quick:
        forms_part()


if __name__ == "__main__":
    main()
