"""Time chapter 2's networks against the pure-Python loop, in the same run, as ratios.

Run from the repository root:  .venv/bin/python benchmarks/search_speed.py [--quick] [--repeats R] [N ...]

Part 1, the command line (issue 11, item 6). For each N (default: 10, 10^3, 10^5, 10^7, 10^8, 2^28,
2^29, 1073741789 and 2^30) it times, hyperfine-style (one warm-up, then R rounds in which each command runs
once, interleaved; medians reported), with interpreter start-up included for both:

    python -m mesaopt.search N --form shortcut       the shipped weights, loaded and run in plain Python
    python -c "$LOOP" N                              the post's loop as plain Python, printing "N k"

with the same interpreter (this one, ``sys.executable``), where $LOOP is :data:`LOOP` below: L = floor(N^0.7)
computed exactly in integers, then the post's loop, literally. Both run with compiled modules cached, as
Python normally runs (even where PYTHONDONTWRITEBYTECODE is set). It prints ``command / loop``. Then, inside
this process, it times the loaded weights (the network already loaded, as the command runs it: the
narrowest shipped network covering N, one n) against the same loop code run as a function, R rounds
interleaved, and prints ``weights / loop``. Targets: the first ratio below 1, the second at most 0.5.
Wall-clock medians are what the targets are about; CPU-time medians are printed beside them because other
processes on a shared machine inflate wall time more than CPU time. The load average is printed with every
row. Part 2 (skipped with --quick): every network form against the loop, and why dense nn.Linear evaluation
is slow.

Nothing is asserted: this script measures; it is not a test.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mesaopt.loopnets.loop import N_MAX, band_grid, loop_bound, search_loop  # noqa: E402

LOOP = """import sys
n = int(sys.argv[1])
L = int(n ** 0.7)
while (L + 1) ** 10 <= n ** 7:
    L += 1
while L ** 10 > n ** 7:
    L -= 1
k = 0
for i in range(1, L + 1):
    if i * i % n > k * k % n:
        k = i
print(n, k)
"""
DEFAULT_NS = [10, 10 ** 3, 10 ** 5, 10 ** 7, 10 ** 8, 2 ** 28, 2 ** 29, 1_073_741_789, N_MAX]


def post_loop(n: int) -> int:
    """:data:`LOOP` as a function (the same statements; returns k instead of printing it)."""
    big_l = int(n ** 0.7)
    while (big_l + 1) ** 10 <= n ** 7:
        big_l += 1
    while big_l ** 10 > n ** 7:
        big_l -= 1
    k = 0
    for i in range(1, big_l + 1):
        if i * i % n > k * k % n:
            k = i
    return k


# Both commands run as Python normally does, caching compiled modules in __pycache__ (the warm-up run writes
# them), even where PYTHONDONTWRITEBYTECODE is set: else the command would recompile its modules every time.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_command(args) -> list[str]:
    """The words a command prints (it must succeed)."""
    return subprocess.run(args, capture_output=True, text=True, check=True, cwd=ROOT, env=ENV).stdout.split()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interleaved(commands: dict, repeats: int, children: bool) -> dict:
    """{name: (output of the last run, median wall seconds, median CPU seconds)}: one warm-up each, then
    ``repeats`` rounds running each once. CPU time: of the finished children (``children``) or of this
    process."""
    cpu_now = _children_cpu if children else time.process_time
    for fn in commands.values():
        fn()
    wall = {name: [] for name in commands}
    cpu = {name: [] for name in commands}
    outputs = {}
    for _ in range(repeats):
        for name, fn in commands.items():
            start, start_cpu = time.perf_counter(), cpu_now()
            outputs[name] = fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(cpu_now() - start_cpu)
    return {name: (outputs[name], statistics.median(wall[name]), statistics.median(cpu[name])) for name in commands}


def load() -> str:
    return "{:.1f}".format(os.getloadavg()[0])


def command_line_part(ns, repeats: int) -> None:
    from mesaopt.loopnets.cli import choose_form
    from mesaopt.loopnets.shipped import load_shortcut, rung_for

    py = sys.executable
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load average (1 min) {load()} at the "
          f"start; medians of {repeats} interleaved rounds after a warm-up")
    print(f"command:  {py} -m mesaopt.search N --form shortcut")
    print(f"loop:     {py} -c \"$LOOP\" N, with $LOOP =")
    print("".join("    " + line + "\n" for line in LOOP.splitlines()))
    print(f"{'N':>10} {'net':>5} {'grid':>5} | {'command':>8} {'loop':>8} {'cmd/loop':>8} | {'weights':>8} "
          f"{'loop':>8} {'w/loop':>6} | CPU: {'cmd/loop':>8} {'w/loop':>6} | {'load':>4} | agree | default")
    rows = []
    for n in ns:
        k = rung_for(n)
        start = time.perf_counter()
        net = load_shortcut(k)
        load_seconds = time.perf_counter() - start
        cli = interleaved({
            "command": lambda: run_command([py, "-m", "mesaopt.search", str(n), "--form", "shortcut"]),
            "loop": lambda: run_command([py, "-c", LOOP, str(n)]),
        }, repeats, children=True)
        inside = interleaved({"weights": lambda: net.run([n])[0], "loop": lambda: post_loop(n)}, repeats,
                             children=False)
        (cmd_out, cmd_s, cmd_c), (loop_out, loop_s, loop_c) = cli["command"], cli["loop"]
        (k_net, w_s, w_c), (k_loop, l_s, l_c) = inside["weights"], inside["loop"]
        agree = cmd_out == loop_out == [str(n), str(k_net)] and k_net == k_loop == search_loop(n)
        ratio = {"cmd": cmd_s / loop_s, "w": w_s / l_s, "cmd_cpu": cmd_c / loop_c, "w_cpu": w_c / l_c}
        rows.append((n, ratio, load_seconds))
        print(f"{n:>10} {'2^' + str(k):>5} {band_grid(1 << k):>5} | "
              f"{cmd_s:>8.4f} {loop_s:>8.4f} {ratio['cmd']:>8.2f} | "
              f"{w_s:>8.4f} {l_s:>8.4f} {ratio['w']:>6.2f} | CPU: {ratio['cmd_cpu']:>8.2f} {ratio['w_cpu']:>6.2f} | "
              f"{load():>4} | {'yes' if agree else 'NO':>5} | {choose_form(n)}", flush=True)
    print("seconds are wall-clock medians; net: the shipped network run (n <= net), grid: its band positions")
    print("loading the network file, in this process: "
          + ", ".join(f"N={n}: {s * 1e3:.1f} ms" for n, _, s in rows) + " (inside the command's time above)")
    faster = [n for n, r, _ in rows if r["cmd"] < 1]
    half = [n for n, r, _ in rows if r["w"] <= 0.5]
    print(f"command faster than the loop (wall clock) for N in {faster}; weights at most half the loop's time "
          f"for N in {half}; load average now {load()}")


def python_loop(ns):
    import numpy as np

    return np.array([search_loop(int(n)) for n in ns])


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def row(task, seconds, python_seconds, exact):
    ratio = seconds / python_seconds
    print(f"{task:<70} {seconds:9.3f} {python_seconds:9.3f} {ratio:9.1f}x  {'exact' if exact else 'WRONG'}",
          flush=True)


def forms_part() -> None:
    import numpy as np
    import torch

    from mesaopt.loopnets.nets import (PositionalSearch, RecurrentSearch, ShortcutSearch, build_cell,
                                       run_unrolled_torch, unrolled_torch)
    from mesaopt.loopnets.reduced import ReducedSearch
    from mesaopt.loopnets.shipped import load_shortcut, rung_for

    torch.set_num_threads(1)
    print(f"\n{'task':<70} {'net s':>9} {'python s':>9} {'net/py':>10}   (load average {load()})")
    small = np.arange(1, 4097)
    ref_small, py_small = timed(python_loop, small)
    for cls in (RecurrentSearch, ReducedSearch):
        net = cls(4096)
        ks, s = timed(net.run, small)
        row(f"{net.name}, all n in 1..4096, one batch", s, py_small, np.array_equal(ks, ref_small))
    ks, s = timed(PositionalSearch(4096).run, small)
    row("positional, all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))
    ks, s = timed(ShortcutSearch(4096).run, small)
    row("shortcut (numpy/scipy), all n in 1..4096", s, py_small, np.array_equal(ks, ref_small))
    packed = load_shortcut(rung_for(4096))
    ks, s = timed(packed.run, small.tolist())
    row("shortcut (shipped, packed plain Python), all n in 1..4096, one batch", s, py_small,
        np.array_equal(ks, ref_small))

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
    parser.add_argument("N", nargs="*", type=int, help=f"the N to time (default: {DEFAULT_NS})")
    parser.add_argument("--quick", action="store_true", help="only the command-line part")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    args = parser.parse_args()
    command_line_part(args.N or DEFAULT_NS, args.repeats)
    if not args.quick:
        forms_part()


if __name__ == "__main__":
    main()
