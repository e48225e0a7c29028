"""Chapter 3's trained models: train every trained member of the population and store its answers.

The population (mesaopt.detection.population) has planted families, which the chapter evaluates live, and
trained ones (MLPs, argmax regressors, chapter 1's trained searcher), plus the refiner (a boundary case)
and the reference MLP. Training them all takes minutes, so this script trains each once, deterministically,
and stores its answers x on the chapter's test polynomials (the reference: on the reference polynomials),
at every budget of its test-time knob, as exact float32 values. The chapter loads this file, retrains a
random few live and asserts that they agree.

    nice -n 10 .venv/bin/python experiments/ch3_population.py            # all (results/ch3_population.json)
    .venv/bin/python experiments/ch3_population.py --only "MLP w=32 u=600 regret (seed 1)" --out /tmp/x.json
    .venv/bin/python experiments/ch3_population.py --list

Resumable: members already in the results file with the same settings are skipped, and the file is
rewritten after every member, so a killed run continues where it stopped. One torch thread.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from mesaopt.results import git_commit as shared_git_commit
from mesaopt.results import machine_facts, package_versions

RESULTS = Path(__file__).resolve().parent / "results" / "ch3_population.json"


def encode(x) -> str:
    """float32 little-endian bytes, base64: exact for a network's float32 answers."""
    return base64.b64encode(np.asarray(x, dtype="<f4").tobytes()).decode("ascii")


def versions() -> dict:
    return {"python": platform.python_version(), **package_versions(("torch", "numpy", "scipy", "mesaopt"))}


def machine() -> dict:
    """The shared machine facts (mesaopt.results), with ``cores`` (the chapter reads it) and the load average."""
    facts = {"cores": os.cpu_count(), **machine_facts()}
    if hasattr(os, "getloadavg"):
        facts["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
    return facts


def git_commit() -> str | None:
    found = shared_git_commit(Path(__file__).resolve().parent)
    return found["commit"] if found else None


def trained_members():
    from mesaopt.detection.population import BOUNDARY, FAMILIES, MEMBERS, REFERENCE
    return [m for m in MEMBERS + BOUNDARY if FAMILIES[m.family].trained] + [REFERENCE]


def searcher_available() -> bool:
    try:
        import mesaopt.maximize.searcher  # noqa: F401
    except ImportError:
        return False
    return True


def run_member(m) -> dict:
    """Train one member and return its stored entry."""
    from mesaopt.detection.population import evaluation_inputs, reference_inputs, train_member, trained_answers
    from mesaopt.maximize.polynomials import exact_maximum, regret

    start = time.perf_counter()
    model = train_member(m)
    seconds = time.perf_counter() - start
    on_reference = m.family == "reference"
    coeffs = reference_inputs() if on_reference else evaluation_inputs()
    answers = trained_answers(m, model, coeffs)
    top = exact_maximum(coeffs)[1]
    entry = {"family": m.family, "settings": dict(m.settings), "inputs": "reference" if on_reference else "test",
             "train_seconds": round(seconds, 2),
             "answers": {("nominal" if b is None else str(b)): encode(x) for b, x in answers.items()},
             "mean_regret": {("nominal" if b is None else str(b)): float(regret(coeffs, x, max_value=top).mean())
                             for b, x in answers.items()}}
    if m.family == "trained searcher":
        from mesaopt.maximize.searcher import score_rank_correlation
        rho = np.asarray(score_rank_correlation(model, coeffs), dtype=np.float64)
        entry["rank_check"] = {"median": float(np.median(rho)), "p10": float(np.percentile(rho, 10))}
    entry["wall_seconds"] = round(time.perf_counter() - start, 2)
    return entry


def write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", action="append", help="train only this member (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the trained members and exit")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import torch

    from mesaopt.detection.population import N_TEST, REFERENCE_SEED, TEST_SEED
    torch.set_num_threads(args.threads)
    todo = trained_members()
    if args.list:
        for m in todo:
            print(m.name)
        return 0
    if args.only:
        names = {m.name for m in todo}
        unknown = sorted(set(args.only) - names)
        if unknown:
            parser.error(f"unknown member(s) {unknown}; see --list")
        todo = [m for m in todo if m.name in args.only]
    if not searcher_available():
        skipped = [m.name for m in todo if m.family == "trained searcher"]
        if skipped:
            print(f"mesaopt.maximize.searcher is not available: skipping {', '.join(skipped)}", flush=True)
        todo = [m for m in todo if m.family != "trained searcher"]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(args.out.read_text()) if args.out.exists() else {"members": {}}
    data["provenance"] = {
        "test_inputs": {"seed": TEST_SEED, "count": N_TEST}, "reference_inputs": {"seed": REFERENCE_SEED, "count": N_TEST},
        "seeds": "each member's training seed is in its settings",
        "answers_format": "float32 little-endian, base64, one per input in order; key = knob value or 'nominal'",
        "invocations": data.get("provenance", {}).get("invocations", []),
    }
    run = {"command": shlex.join(["python", *sys.argv]), "torch_threads": args.threads,
           "versions": versions(), "machine": machine(), "git_commit": git_commit(), "trained": []}
    data["provenance"]["invocations"].append(run)
    started = time.perf_counter()
    for i, m in enumerate(todo, 1):
        old = data["members"].get(m.name)
        if old is not None and old.get("settings") == dict(m.settings) and old.get("family") == m.family:
            print(f"[{i}/{len(todo)}] {m.name}: stored, skipped", flush=True)
            continue
        entry = run_member(m)
        entry["invocation"] = len(data["provenance"]["invocations"]) - 1
        data["members"][m.name] = entry
        run["trained"].append(m.name)
        run["wall_seconds"] = round(time.perf_counter() - started, 1)
        write(args.out, data)
        regret_text = ", ".join(f"{b}: {v:.4f}" for b, v in entry["mean_regret"].items())
        print(f"[{i}/{len(todo)}] {m.name}: trained in {entry['train_seconds']:.1f} s; mean regret {regret_text}",
              flush=True)
    if hasattr(os, "getloadavg"):
        run["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    run["wall_seconds"] = round(time.perf_counter() - started, 1)
    write(args.out, data)
    print(f"done: {len(data['members'])} members in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
