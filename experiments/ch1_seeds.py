"""Chapter 1's standard models and every statistic the chapter states about them, for several seeds.

The chapter trains its models once, live, with seed 0; this script trains them (and the refiner with
the loss on its last step only) for seeds 0 to 4 and stores each seed's statistics
(mesaopt.maximize.chapter_statistics.standard_statistics), so the chapter can give every trained-model
number with its interval over seeds and check that its live seed-0 numbers are among the stored ones.

    nice -n 10 .venv/bin/python experiments/ch1_seeds.py --workers 2     # writes results/ch1_seeds.json
    .venv/bin/python experiments/ch1_seeds.py --seeds 0 1 --out /tmp/seeds.json

Resumable: seeds already in the results file are skipped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mesaopt.maximize.chapter_statistics import standard_statistics
from mesaopt.maximize.training import STANDARD_SETTINGS
from mesaopt.results import ResultsFile, run_all

RESULTS = Path(__file__).resolve().parent / "results" / "ch1_seeds.json"
SEEDS = (0, 1, 2, 3, 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="training seeds (default 0 to 4)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (this machine: 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1 or min(args.seeds) < 0:
        parser.error("--workers and --threads must be at least 1 and seeds at least 0")
    specs = {f"seed-{seed}": {"seed": seed} for seed in sorted(set(args.seeds))}
    design = {"name": "ch1_seeds", "standard_settings": STANDARD_SETTINGS, "seeds": sorted(set(args.seeds)),
              "test_set": "sample_polynomials(4096, 6, seed=1), Legendre basis"}
    results = ResultsFile(args.out, design, identity=("name", "standard_settings"))
    run_all(specs, standard_statistics, results, workers=args.workers, threads=args.threads,
            description="ch1 standard models, one seed per run")
    print(f"{len(results.runs)} seeds in {results.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
