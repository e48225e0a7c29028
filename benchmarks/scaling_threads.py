"""Time training runs of the chapter 1 scaling study with 1 and 2 torch threads.

Run from the repository root:  .venv/bin/python benchmarks/scaling_threads.py [UPDATES]
For each model size it prints the seconds per update with 1 and with 2 threads and their ratio.
Two single-thread worker processes beat one two-thread process when the ratio is above 0.5 (two
threads would have to halve the time to match two workers). Nothing is asserted: it measures.
Other processes on the machine inflate the times (the CPU seconds less so); compare ratios.
"""
from __future__ import annotations

import sys
import time

import torch

from mesaopt.maximize.training import train_mlp, train_refiner, training_pool

SIZES = (("MLP width 128, depth 2", dict(width=128, depth=2)), ("MLP width 1024, depth 2", dict(width=1024, depth=2)),
         ("MLP width 1024, depth 4", dict(width=1024, depth=4)), ("refiner width 48, T = 6", dict(width=48)))


def seconds_per_update(threads: int, settings: dict, updates: int) -> tuple[float, float]:
    torch.set_num_threads(threads)
    trainer = train_refiner if "depth" not in settings else train_mlp
    wall, cpu = time.perf_counter(), time.process_time()
    trainer(updates=updates, seed=0, **settings)
    return (time.perf_counter() - wall) / updates, (time.process_time() - cpu) / updates


def main(argv) -> None:
    updates = int(argv[0]) if argv else 100
    training_pool()  # built once and cached; not part of the timings
    print(f"{'model':<26} {'1 thread ms':>12} {'2 threads ms':>13} {'ratio':>6}   (wall; cpu ms in brackets)")
    for name, settings in SIZES:
        one, two = seconds_per_update(1, settings, updates), seconds_per_update(2, settings, updates)
        print(f"{name:<26} {1000 * one[0]:12.2f} {1000 * two[0]:13.2f} {two[0] / one[0]:6.2f}"
              f"   ({1000 * one[1]:.2f} / {1000 * two[1]:.2f})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
