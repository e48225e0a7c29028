"""Chapter 1 at scale: does the answer to (b) survive more compute, bigger models, other data and more seeds?

Every run trains one model on the polynomial task and scores it on the chapter's test set
(mesaopt.maximize.scaling.run_spec). The full design, 3 seeds per configuration:

* main sweep: MLPs trained on the regret, fixed pool, degree 6: width 64, 128, 256, 512, 1024 at
  depth 2 and width 64, 256, 1024 at depth 4, each for 300, 1200 and 4800 updates of batch 256;
* fresh polynomials every batch instead of the fixed pool: the depth-2 MLPs at the same budgets;
* longer: width 128 and 256 (depth 2) for 19200 updates, pool and fresh;
* the frontier's architecture extended: depth 4 at width 64 for 19200 and 76800 updates, and at width 128
  for 4800 and 19200 updates (tests the extrapolation of the compute-efficient frontier);
* the recurrent refiner (T = 6, deep supervision), width 48 and 128, at 300, 1200 and 4800 updates;
* controls: (i) distillation: depth-2 MLPs of width 128 and 512 trained to imitate grid search with
  G = 32 (1200 and 4800 updates); (ii) the training distribution reweighted towards hard polynomials
  (same widths and budgets); (iii) degrees 3 and 10 besides 6 (width 128 and 512, all three budgets);
  and a learning-rate check (lr 1e-3 instead of 3e-3 at width 512 and 1024).

Training compute is counted as 6 x (multiply-adds of one forward pass) x (examples seen); see
mesaopt.maximize.compute for the rule and what it leaves out.

    nice -n 10 .venv/bin/python experiments/ch1_scaling.py --workers 2        # the study (results/ch1_scaling.json)
    .venv/bin/python experiments/ch1_scaling.py --tiny --out /tmp/tiny.json   # a seconds-long check of the format

Resumable: runs already in the results file are skipped, so a killed study continues when the same
command is run again. Each worker process uses one torch thread (--threads; measured faster here, see
benchmarks/scaling_threads.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mesaopt.maximize.scaling import estimated_cost, make_spec, run_key, run_spec
from mesaopt.results import ResultsFile, command_line, run_all

RESULTS = Path(__file__).resolve().parent / "results" / "ch1_scaling.json"
SEEDS = (0, 1, 2)
BUDGETS = (300, 1200, 4800)
LONG = 19200


def full_design(seeds=SEEDS) -> list[dict]:
    specs = []

    def add(kind="mlp", groups=(), **kw):
        for seed in seeds:
            specs.append(dict(make_spec(kind, seed=seed, **kw), groups=list(groups)))

    for updates in BUDGETS:
        for width in (64, 128, 256, 512, 1024):
            add(width=width, depth=2, updates=updates, groups=["main"])
            add(width=width, depth=2, updates=updates, data="fresh", groups=["fresh"])
        for width in (64, 256, 1024):
            add(width=width, depth=4, updates=updates, groups=["main"])
        for width in (48, 128):
            add("refiner", width=width, steps=6, updates=updates, groups=["refiner"])
        for degree in (3, 10):
            for width in (128, 512):
                add(width=width, depth=2, degree=degree, updates=updates, groups=["degree"])
    # the compute-efficient frontier's own architecture (depth 4, narrow), trained longer: the runs that test
    # the frontier's extrapolation (added after the first 216 runs showed where the frontier ends)
    for width, updates in ((64, LONG), (64, 4 * LONG), (128, 4800), (128, LONG)):
        add(width=width, depth=4, updates=updates, groups=["main", "extend"])
    for width in (128, 256):
        add(width=width, depth=2, updates=LONG, groups=["main", "long"])
        add(width=width, depth=2, updates=LONG, data="fresh", groups=["fresh", "long"])
    for updates in (1200, 4800):
        for width in (128, 512):
            add(width=width, depth=2, updates=updates, loss="imitate_grid", groups=["distill"])
            add(width=width, depth=2, updates=updates, data="hard", groups=["hard"])
        add(width=512, depth=2, updates=updates, lr=1e-3, groups=["lr"])
    add(width=1024, depth=2, updates=1200, lr=1e-3, groups=["lr"])
    return specs


def tiny_design(seeds=(0, 1)) -> list[dict]:
    """A few seconds of every kind of run (the unit test of the results format runs this)."""
    specs = []
    for seed in seeds:
        for kw, groups in ((dict(width=8, updates=20), ["main"]), (dict(width=8, updates=40), ["main"]),
                           (dict(width=16, updates=20), ["main"]), (dict(width=8, updates=20, data="fresh"), ["fresh"]),
                           (dict(width=8, updates=20, data="hard"), ["hard"]),
                           (dict(width=8, updates=20, loss="imitate_grid"), ["distill"]),
                           (dict(width=8, updates=20, degree=3), ["degree"])):
            specs.append(dict(make_spec("mlp", seed=seed, depth=2, **kw), groups=groups))
        specs.append(dict(make_spec("refiner", seed=seed, width=8, steps=2, updates=20), groups=["refiner"]))
    return specs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a seconds-long design that checks the machinery")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (this machine: 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--out", type=Path, default=None, help=f"results file (default {RESULTS}; --tiny: required)")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    if args.tiny and args.out is None:
        parser.error("--tiny needs --out (the tiny design never overwrites the study's results)")
    specs = tiny_design() if args.tiny else full_design()
    keyed = {run_key(spec): spec for spec in specs}
    if len(keyed) != len(specs):
        raise SystemExit("two runs of the design share a key")
    design = {"name": "ch1_scaling", "tiny": args.tiny, "seeds": sorted({s["seed"] for s in specs}),
              "runs": sorted(keyed), "groups": {key: spec["groups"] for key, spec in keyed.items()},
              "compute_rule": "train_flops = 6 * forward multiply-adds per polynomial * batch_size * updates "
                              "(mesaopt.maximize.compute)",
              "test_set": "sample_polynomials(4096, degree, seed=1), Legendre basis"}
    results = ResultsFile(args.out or RESULTS, design, identity=("name", "tiny"))
    run_all(keyed, run_spec, results, workers=args.workers, threads=args.threads, cost=estimated_cost,
            description="ch1 scaling runs", command=command_line(None if argv is None else [sys.argv[0], *argv]))
    missing = [key for key in keyed if key not in results.runs]
    print(f"{len(results.runs)} of {len(keyed)} runs in {results.path}" + (f"; {len(missing)} missing" if missing else ""))
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
