"""Chapter 1's trained searcher over seeds, and memorizing against searching over degrees.

Two parts, each a set of independent runs stored in its own results file:

* ``--part seeds`` (results/ch1_searcher.json): for each seed, train the searcher with both losses and the
  chapter's standard models, and compute every statistic of the chapter's searcher section
  (mesaopt.maximize.searcher_statistics.seed_statistics); the chapter gives their intervals over seeds and
  checks its live seed-0 numbers against them.
* ``--part degrees`` (results/ch1_memorize_search.json): for degrees 2 to 12, the regret MLP and the searcher
  trained with the same data, batch size, updates and optimizer (3 seeds), and the nearest-neighbour memory
  against grid search at matched cost (mesaopt.maximize.searcher_statistics.degree_statistics).

    nice -n 10 .venv/bin/python experiments/ch1_searcher.py --part seeds
    nice -n 10 .venv/bin/python experiments/ch1_searcher.py --part degrees --workers 2
    .venv/bin/python experiments/ch1_searcher.py --part seeds --tiny --out /tmp/tiny.json   # a check of the format

Resumable: runs already in the results file are skipped, so a killed run continues when the same command
is run again; the file is rewritten after every run. Each file records the exact command of every session,
the seeds, the package versions, the machine (platform, cores, processor, load average) and the wall and CPU
seconds of every run. One torch thread per worker process (the fastest setting for these small models here).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mesaopt.results import ResultsFile, command_line, run_all

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = (0, 1, 2, 3, 4)
DEGREES = tuple(range(2, 13))
DEGREE_SEEDS = (0, 1, 2)


def run(specs: dict, work, path: Path, design: dict, command: str, workers: int = 1) -> dict:
    """Run every spec ``{key: spec}`` whose key ``path`` does not hold yet, in ``workers`` processes (one torch thread
    each), with :func:`mesaopt.results.run_all`; a file made for another design (any entry differs) is refused."""
    try:
        results = ResultsFile(path, design, identity=tuple(design))
    except ValueError as error:
        sys.exit(str(error))
    done = sum(key in results.runs for key in specs)
    print(f"{done} of {len(specs)} runs already in {path}", flush=True)
    run_all(specs, work, results, workers=workers, threads=1, description=design["name"], command=command)
    return results.data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("seeds", "degrees"), required=True)
    parser.add_argument("--seeds", type=int, nargs="+", help=f"training seeds (default {SEEDS}; degrees: {DEGREE_SEEDS})")
    parser.add_argument("--degrees", type=int, nargs="+", default=list(DEGREES), help="degrees of the degree part")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (this machine has 2 cores)")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long run of tiny models (format check)")
    parser.add_argument("--out", type=Path, help="results file (default results/ch1_searcher.json or "
                        "results/ch1_memorize_search.json)")
    args = parser.parse_args(argv)
    command = command_line(None if argv is None else [sys.argv[0], *argv])
    if args.seeds is not None and min(args.seeds) < 0:
        parser.error("seeds must be at least 0")
    if not all(2 <= d <= 16 for d in args.degrees):
        parser.error("degrees must lie in [2, 16]")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    from mesaopt.maximize import searcher_statistics as S

    tiny = {"updates": 20} if args.tiny else {}
    if args.part == "seeds":
        seeds = sorted(set(args.seeds or SEEDS))
        specs = {f"seed-{s}": {"seed": s, **tiny} for s in seeds}
        out = args.out or RESULTS / "ch1_searcher.json"
        data = run(specs, S.seed_statistics, out, S.design(seeds), command, args.workers)
    else:
        seeds = sorted(set(args.seeds or DEGREE_SEEDS))
        degrees = sorted(set(args.degrees))
        lookup = {"budgets": [2, 4], "index_levels": [4]} if args.tiny else {}
        specs = {f"lookup-d{d}": {"part": "lookup", "degree": d, **lookup} for d in degrees}
        specs.update({f"trained-d{d}-seed-{s}": {"part": "trained", "degree": d, "seed": s, **tiny}
                      for d in degrees for s in seeds})
        out = args.out or RESULTS / "ch1_memorize_search.json"
        data = run(specs, S.degree_statistics, out, S.degree_design(degrees, seeds), command, args.workers)
    print(f"{len(data['runs'])} runs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
