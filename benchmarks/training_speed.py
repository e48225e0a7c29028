"""Time chapter 1's standard models with 1 and 2 torch threads (the book uses 1: see mesaopt.notebook.setup).

Run from the repository root:  .venv/bin/python benchmarks/training_speed.py
Prints seconds per model and the 2-thread / 1-thread ratio. Nothing is asserted: it measures.
Other processes on the machine inflate the times; compare the ratio, not the seconds.
"""
from __future__ import annotations

import time

import torch

from mesaopt.maximize.training import STANDARD_SETTINGS, train_mlp, train_refiner, training_pool


def time_standard_models(threads: int) -> dict:
    torch.set_num_threads(threads)
    seconds = {}
    for name, settings in STANDARD_SETTINGS.items():
        settings = dict(settings)
        trainer = train_mlp if settings.pop("kind") == "mlp" else train_refiner
        start = time.perf_counter()
        trainer(seed=0, **settings)
        seconds[name] = time.perf_counter() - start
    return seconds


def main() -> None:
    start = time.perf_counter()
    training_pool()  # built once and cached; not part of either timing
    print(f"training pool (65536 polynomials with exact maxima): {time.perf_counter() - start:.2f} s", flush=True)
    one, two = time_standard_models(1), time_standard_models(2)
    print(f"{'model':<14} {'1 thread':>9} {'2 threads':>10} {'ratio':>7}")
    for name in one:
        print(f"{name:<14} {one[name]:9.1f} {two[name]:10.1f} {two[name] / one[name]:7.2f}")
    print(f"{'total':<14} {sum(one.values()):9.1f} {sum(two.values()):10.1f} {sum(two.values()) / sum(one.values()):7.2f}")


if __name__ == "__main__":
    main()
