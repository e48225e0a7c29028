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
import json
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = (0, 1, 2, 3, 4)
DEGREES = tuple(range(2, 13))
DEGREE_SEEDS = (0, 1, 2)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _load() -> list | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def provenance() -> dict:
    """Machine and package facts, and the git commit of the code that ran."""
    import subprocess

    cpu = None
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in ("mesaopt", "torch", "numpy", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = None, None
    return {"machine": {"platform": platform.platform(), "python": platform.python_version(), "processor": cpu,
                        "logical_cores": os.cpu_count(),
                        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None},
            "packages": versions, "git": {"commit": commit, "dirty": dirty}}


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _timed(work, spec: dict) -> dict:
    load, wall, cpu = _load(), time.perf_counter(), time.process_time()
    result = work(spec)
    return {"spec": spec, "result": result, "wall_seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2), "finished": _now(), "load_average_start": load,
            "load_average_end": _load()}


def run(specs: dict, work, path: Path, design: dict, command: str, workers: int = 1) -> dict:
    """Run every spec ``{key: spec}`` whose key ``path`` does not hold yet, in ``workers`` processes (one torch thread
    each); rewrite the file after each run. ``command`` is recorded as the session's command line."""
    _one_thread()
    data = json.loads(path.read_text()) if path.exists() else {"design": design, "sessions": [], "runs": {}}
    if data["design"] != json.loads(json.dumps(design)):
        sys.exit(f"{path} holds results of another design; move it away or pass --out to start afresh")
    data["provenance"] = provenance()
    session = {"command": command, "workers": workers, "started": _now(),
               "load_average_start": _load(), "runs_before": len(data["runs"])}
    data["sessions"].append(session)
    pending = [key for key in specs if key not in data["runs"]]
    start = time.perf_counter()

    def save():
        session.update(finished=_now(), wall_seconds=round(time.perf_counter() - start, 1), load_average_end=_load(),
                       runs_done=len(data["runs"]) - session["runs_before"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(tmp, path)

    print(f"{len(specs) - len(pending)} of {len(specs)} runs already in {path}", flush=True)

    def finish(n, key, record):
        data["runs"][key] = record
        save()
        print(f"[{n}/{len(pending)}] {key}: {record['wall_seconds']:.0f} s wall, {record['cpu_seconds']:.0f} s cpu",
              flush=True)

    if workers == 1:
        for n, key in enumerate(pending, 1):
            finish(n, key, _timed(work, specs[key]))
    elif pending:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from multiprocessing import get_context

        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_one_thread) as pool:
            futures = {pool.submit(_timed, work, specs[key]): key for key in pending}
            for n, future in enumerate(as_completed(futures), 1):
                finish(n, futures[future], future.result())
    save()
    return data


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
    command = shlex.join([Path(sys.executable).name, *(sys.argv if argv is None else [sys.argv[0], *argv])])
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
