"""Compile the post's loop with Tracr, for n fixed, and measure the transformer it gives.

The loop (the reference, in plain Python below, since this venv has no torch and so no mesaopt;
tests/test_tracr_results.py checks the stored answers against mesaopt.loopnets.loop):

    k = 0
    for i = 1 to L:  if i*i mod n > k*k mod n: k = i        (L = floor(n^0.7), exactly)
    return k

Tracr compiles RASP programs, and a RASP program has no loop over a number it reads: its
"loop" is over positions. So n is a constant of the program (one compiled model per n), the
input sequence holds the candidates i = 0, 1, ..., L (one per position; i = 0 with value 0
stands for the loop's start k = 0), and the program is an argmax over positions:

    key    = Map(i -> (n - 1 - i*i mod n) * (L + 1) + i, tokens)   # categorical lookup table
    better = Select(key, key, LT)            # keys that beat the query: larger i*i mod n,
                                             # or equal value and smaller i (the loop's tie rule)
    rank   = SelectorWidth(better)           # how many candidates beat this one (0 for the winner)
    zero   = Map(i -> 0, tokens)             # the constant 0, as an SOp a Select can compare with
    k      = Aggregate(Select(rank, zero, EQ), tokens)   # every position reads the candidate of rank 0

Why this program: every step is a stock Tracr construction (categorical MLP, categorical attention,
selector width, categorical aggregate), the first three exactly as in Tracr's own
``lib.make_sort_unique``, so the sizes measure Tracr, not a trick of ours. ``key`` folds the value
i*i mod n and the tie rule into one integer, distinct for distinct i, so that a single Select
carries the loop's comparison (Tracr's Select compares one key with one query; a SequenceMap of
(value, i) would need an MLP with |values| * (L + 1) hidden units). The last step moves the winner
to every position instead of sorting (``make_sort_unique`` would put it at position 0 only): the
answer then depends on rank 0 alone, the most robust rank (BOS weight 1 against 1/2 for rank 1),
whereas Tracr's selector-width MLP rounds large ranks wrongly at the default ``mlp_exactness`` (a
known Tracr limitation; the other ranks are not part of the answer).

For each n the script compiles the program, runs the compiled model on [BOS, 0, 1, ..., L] and
checks that every output position equals the loop's k; for a model that passes, it also checks a
shuffled input (same answer) and the shuffled input without the winner (the answer moves to the
runner-up), so the model is seen to search its input rather than recall an answer. It records the
parameter count (the sum of the sizes of all haiku parameters, as Tracr emits them, and how many
are nonzero), the layers, heads, key size, residual width, MLP hidden width, vocabulary size,
max_seq_len, the compile and run wall times and the process's peak memory.

Where it stops being right: Tracr's assembled attention divides the logits by sqrt(key_size), and
Tracr's construction does not compensate, so its softmax coldness of 100 acts as 100/sqrt(key_size)
(key_size ~ L here). When the winner's selector-width query puts too little weight on BOS, rank 0 is
lost and the model answers wrongly. Such n go to 'unverified_runs' with the reason and a diagnostic:
the same model with its query weights multiplied by sqrt(key_size) (``verified_with_rescaled_queries``).
The script then bisects on n between the largest right and the smallest wrong n until their loop
bounds L are adjacent. Failures to compile would go to 'failures' with the error text.

Run it in the separate venv (see experiments/requirements-tracr.txt):

    nice -n 10 .venv-tracr/bin/python experiments/tracr_loop_sizes.py [--n 16 32 ...] [--force]

Resumable: values of n already in experiments/results/tracr_loop_sizes.json are skipped
unless --force. Writes the file after every n.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "tracr_loop_sizes.json"
DEFAULT_NS = [2 ** e for e in range(4, 15)]  # 16 ... 16384
BOS = "BOS"
MLP_EXACTNESS = 100  # Tracr's default
# Tracr lays the program out as: layer 0 MLP (key, zero), layer 1 attention + MLP (SelectorWidth), layer 2
# attention (Aggregate). The winner's attention on BOS in layer 1 decides whether rank 0 is read.
SELECTOR_WIDTH_LAYER = 1
# The selector-width MLP reads rank 0 from BOS weight 1 (rank 1 gives 1/2); its rank-0 output ramps up from
# 0 at a BOS weight of 0.75 - 1/mlp_exactness to 1 at 0.75 (tracr/craft/chamber/numerical_mlp.py).
RANK0_FLOOR = 0.75 - 1 / MLP_EXACTNESS
N_MAX = 2 ** 30


def loop_bound(n: int) -> int:
    """L = floor(n^0.7), exactly: the largest integer L with L**10 <= n**7."""
    big_l = int(n ** 0.7)
    while (big_l + 1) ** 10 <= n ** 7:
        big_l += 1
    while big_l ** 10 > n ** 7:
        big_l -= 1
    return big_l


def search_loop(n: int) -> int:
    """The post's loop, literally."""
    k = 0
    for i in range(1, loop_bound(n) + 1):
        if i * i % n > k * k % n:
            k = i
    return k


def loop_key(i: int, n: int, big_l: int) -> int:
    """Smaller key = better candidate: larger i*i mod n first, then smaller i (strict > in the loop)."""
    return (n - 1 - i * i % n) * (big_l + 1) + i


def argmax_program(n: int):
    """The RASP program for fixed n (see the module docstring)."""
    from tracr.rasp import rasp

    big_l = loop_bound(n)
    key = rasp.categorical(rasp.Map(lambda i: loop_key(i, n, big_l), rasp.tokens)).named("key")
    better = rasp.Select(key, key, rasp.Comparison.LT).named("better")
    rank = rasp.categorical(rasp.SelectorWidth(better)).named("rank")
    zero = rasp.categorical(rasp.Map(lambda i: 0, rasp.tokens)).named("zero")
    winner = rasp.Select(rank, zero, rasp.Comparison.EQ).named("winner")
    return rasp.categorical(rasp.Aggregate(winner, rasp.tokens)).named("k")


def param_stats(params) -> dict:
    import numpy as np

    per_module = {}
    total = nonzero = 0
    for module, tensors in params.items():
        size = sum(int(np.size(t)) for t in tensors.values())
        nz = sum(int(np.count_nonzero(np.asarray(t))) for t in tensors.values())
        per_module[module] = {"params": size, "nonzero": nz,
                              "shapes": {name: list(np.shape(t)) for name, t in tensors.items()}}
        total += size
        nonzero += nz
    return {"params": total, "nonzero_params": nonzero, "modules": per_module}


def with_rescaled_queries(model):
    """The same model with every query projection multiplied by sqrt(key_size).

    Tracr builds its attention heads assuming logits of softmax_coldness (100) times the match, but the
    assembled haiku model divides the logits by sqrt(key_size) (tracr/transformer/attention.py), which
    Tracr does not compensate; this undoes that division. A diagnostic only: the stored sizes and the
    ``verified`` flag are those of the model exactly as Tracr emits it.
    """
    import dataclasses

    import numpy as np

    scale = np.sqrt(model.model_config.key_size).astype(np.float32)
    params = {module: ({name: t * scale for name, t in tensors.items()} if module.endswith("/attn/query")
                       else tensors)
              for module, tensors in model.params.items()}
    return dataclasses.replace(model, params=params)


def bos_weights(output, position: int) -> list:
    """Per layer, the attention weight the query at `position` puts on BOS (position 0)."""
    import numpy as np

    weights = []
    for logits in output.attn_logits:
        row = np.asarray(logits[0, 0, position], dtype=np.float64)
        row = np.exp(row - row.max())
        weights.append(round(float(row[0] / row.sum()), 6))
    return weights


def measure(n: int) -> dict:
    from tracr.compiler import compiling

    big_l = loop_bound(n)
    candidates = list(range(big_l + 1))
    expected_k = search_loop(n)
    program = argmax_program(n)

    start = time.perf_counter()
    model = compiling.compile_rasp_to_model(program, vocab=set(candidates), max_seq_len=len(candidates),
                                            compiler_bos=BOS, mlp_exactness=MLP_EXACTNESS)
    compile_seconds = time.perf_counter() - start

    start = time.perf_counter()
    output = model.apply([BOS] + candidates)
    run_seconds = time.perf_counter() - start
    decoded = output.decoded
    verified = all(out == expected_k for out in decoded[1:])
    rescaled = with_rescaled_queries(model).apply([BOS] + candidates).decoded
    # The model searches its input, it does not recall an answer: shuffle the candidates (same answer), then
    # drop the winner (the answer moves to the runner-up). Only for models that pass the main check.
    other_inputs = None
    if verified:
        shuffled = candidates[:]
        random.Random(n).shuffle(shuffled)
        without_winner = [i for i in shuffled if i != expected_k]
        other_inputs = {}
        for name, tokens in (("shuffled", shuffled), ("shuffled_without_winner", without_winner)):
            want = min(tokens, key=lambda i: loop_key(i, n, big_l))
            got = model.apply([BOS] + tokens).decoded[1:]
            other_inputs[name] = {"expected": want, "verified": all(out == want for out in got)}

    config = model.model_config
    stats = param_stats(model.params)
    return {
        "n": n,
        "L": big_l,
        "positions": len(candidates),
        "max_seq_len": len(candidates),
        "model_seq_len": len(candidates) + 1,
        "vocab_size": len(candidates),
        "distinct_values": len({i * i % n for i in candidates}),
        "k_loop": expected_k,
        "k_model": decoded[1],
        "verified": verified,
        "positions_wrong": sum(out != expected_k for out in decoded[1:]),
        "mlp_exactness": MLP_EXACTNESS,
        "params": stats["params"],
        "nonzero_params": stats["nonzero_params"],
        "layers": config.num_layers,
        "heads_per_layer": config.num_heads,
        "key_size": config.key_size,
        "mlp_hidden_size": config.mlp_hidden_size,
        "residual_width": len(model.residual_labels),
        "layer_norm": config.layer_norm,
        "effective_softmax_coldness": round(100 / config.key_size ** 0.5, 4),
        "winner_bos_attention_per_layer": bos_weights(output, position=expected_k + 1),
        "verified_with_rescaled_queries": all(out == expected_k for out in rescaled[1:]),
        "other_inputs": other_inputs,
        "modules": stats["modules"],
        "compile_seconds": round(compile_seconds, 3),
        "run_seconds": round(run_seconds, 3),
    }


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ["tracr-pypi", "jax", "jaxlib", "dm-haiku", "chex", "einops", "numpy", "networkx"]:
        out[dist] = metadata.version(dist)
    return out


def machine() -> dict:
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}


def load(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {}


def save(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=DEFAULT_NS,
                        help=f"values of n to compile (1 <= n <= 2^30); default {DEFAULT_NS}")
    parser.add_argument("--no-bisect", action="store_true",
                        help="do not bisect between the largest n whose compiled model is right and the smallest "
                             "n whose compiled model is wrong")
    parser.add_argument("--force", action="store_true", help="recompile n already in the results file")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default: %(default)s)")
    args = parser.parse_args(argv)
    bad = [n for n in args.n if not 1 <= n <= N_MAX]
    if bad:
        parser.error(f"--n takes integers 1 <= n <= 2^30 = {N_MAX}; got {bad}")
    return args


SECTIONS = ("runs", "unverified_runs", "failures")


def stored(data: dict) -> dict:
    """n -> (section, entry) for every n already in the results file."""
    return {int(n): (section, entry) for section in SECTIONS for n, entry in data.get(section, {}).items()}


def record(data: dict, section: str, entry: dict) -> None:
    for other in SECTIONS:
        data.setdefault(other, {}).pop(str(entry["n"]), None)
    data[section][str(entry["n"])] = entry
    for other in SECTIONS:
        data[other] = {str(n): data[other][str(n)] for n in sorted(map(int, data[other]))}


def loglog_fit(entries: list) -> dict:
    """Least-squares slopes of log(params) and log(nonzero params) against log(n) and log(L)."""
    import numpy as np

    log = lambda field: np.log(np.array([e[field] for e in entries], dtype=float))  # noqa: E731
    slope = lambda x, y: round(float(np.polyfit(x, y, 1)[0]), 4)  # noqa: E731
    return {"n_values": sorted(e["n"] for e in entries),
            "params_vs_n": slope(log("n"), log("params")), "params_vs_L": slope(log("L"), log("params")),
            "nonzero_vs_n": slope(log("n"), log("nonzero_params")),
            "nonzero_vs_L": slope(log("L"), log("nonzero_params"))}


def summarize(data: dict) -> None:
    ok, wrong = data["runs"], data["unverified_runs"]
    everything = {**ok, **wrong, **data["failures"]}
    data["total_seconds"] = round(sum(e.get("wall_seconds", 0.0) for e in everything.values()), 3)
    data["largest_verified_n"] = max(map(int, ok), default=None)
    data["smallest_unverified_n"] = min(map(int, wrong), default=None)
    grid = [e for e in ok.values() if e["n"] in DEFAULT_NS]
    compiled = [e for e in list(ok.values()) + list(wrong.values()) if e["n"] in DEFAULT_NS]
    data["loglog_slopes"] = {
        "note": "fits over the default grid of n (powers of two); the bisection's n are left out so they do "
                "not weigh one region. 'verified' fits the models that are right; 'all_compiled' also those "
                "that compile but answer wrongly (their sizes are what Tracr emits all the same).",
        "verified": loglog_fit(grid) if len(grid) >= 2 else None,
        "all_compiled": loglog_fit(compiled) if len(compiled) >= 2 else None,
    }
    if compiled:
        largest = max(compiled, key=lambda e: e["n"])
        data["largest_compiled"] = {key: largest[key] for key in ("n", "L", "params", "wall_seconds",
                                                                  "peak_rss_mb_of_process")}


def compile_one(n: int, data: dict, out: Path) -> None:
    big_l = loop_bound(n)
    print(f"  n = {n}: L = {big_l}, compiling ...", flush=True)
    start = time.perf_counter()
    try:
        entry = measure(n)
    except Exception as err:  # recorded, not hidden: the chapter must know where Tracr stops
        entry = {"n": n, "L": big_l, "positions": big_l + 1, "verified": False,
                 "error": f"{type(err).__name__}: {err}"}
        section = "failures"
    else:
        if entry["other_inputs"] and not all(v["verified"] for v in entry["other_inputs"].values()):
            entry["verified"] = False
            entry["reason"] = f"right on the candidates 0..L but wrong on other inputs: {entry['other_inputs']}"
        section = "runs" if entry["verified"] else "unverified_runs"
        if entry["k_model"] != entry["k_loop"] or entry["positions_wrong"]:
            entry["reason"] = (
                f"the compiled model outputs {entry['k_model']} where the loop gives {entry['k_loop']} "
                f"({entry['positions_wrong']} of {entry['positions']} positions wrong). Tracr's assembled "
                f"attention divides logits by sqrt(key_size) = sqrt({entry['key_size']}), so its softmax coldness "
                f"100 acts as {entry['effective_softmax_coldness']}: the winner's selector-width query puts only "
                f"{entry['winner_bos_attention_per_layer'][SELECTOR_WIDTH_LAYER]:.3f} of its attention on BOS, where the "
                f"selector-width MLP gives rank 0 no weight below {RANK0_FLOOR:.2f} (halfway between 1 and 1/2, minus "
                f"1/mlp_exactness), and rank 0 is lost. With the query weights multiplied by sqrt(key_size) the "
                f"same weights give verified={entry['verified_with_rescaled_queries']}.")
    entry["command"] = command_line()
    entry["wall_seconds"] = round(time.perf_counter() - start, 3)
    entry["peak_rss_mb_of_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    record(data, section, entry)
    summarize(data)
    save(out, data)
    if section == "failures":
        print(f"  n = {n}: FAILED {entry['error']}", flush=True)
        return
    print(f"  n = {n}: params {entry['params']:,} ({entry['nonzero_params']:,} nonzero), "
          f"layers {entry['layers']}, residual {entry['residual_width']}, k = {entry['k_model']} "
          f"(loop {entry['k_loop']}) verified={entry['verified']} "
          f"(rescaled queries: {entry['verified_with_rescaled_queries']}), "
          f"compile {entry['compile_seconds']:.1f} s, total {entry['wall_seconds']:.1f} s", flush=True)


def bisect_boundary(data: dict, out: Path) -> None:
    """Bisect on n between the largest n whose model is right and the smallest larger n whose model is wrong,
    until their loop bounds L are adjacent (the failure depends on L; see the reason strings)."""
    while True:
        ok = [int(n) for n in data["runs"]]
        if not ok or not data["unverified_runs"]:
            return
        lo = max(ok)
        above = [int(n) for n in data["unverified_runs"] if int(n) > lo]
        if not above:
            return
        hi = min(above)
        if loop_bound(hi) - loop_bound(lo) <= 1 or hi - lo <= 1:
            data["boundary"] = {"largest_verified_n": lo, "L": loop_bound(lo),
                                "smallest_unverified_n_above_it": hi, "L_unverified": loop_bound(hi)}
            save(out, data)
            return
        compile_one((lo + hi) // 2, data, out)


def command_line() -> str:
    executable = Path(sys.executable)
    try:
        executable = executable.relative_to(Path.cwd())
    except ValueError:
        pass
    prefix = f"nice -n {os.nice(0)} " if os.nice(0) else ""
    return prefix + shlex.join([str(executable), *sys.argv])


def main(argv=None) -> int:
    args = parse_args(argv)
    data = load(args.out)
    if data.get("versions") and data["versions"] != versions():
        sys.exit(f"{args.out} was made with {data['versions']}, this environment has {versions()}: "
                 f"write to another --out (or delete the file) rather than mix versions in one results file")
    for section in SECTIONS:
        data.setdefault(section, {})
    data.update({
        "name": "tracr_loop_sizes",
        "description": "Tracr (tracr-pypi) compiles the post's loop with n fixed: the RASP program "
                       "rank = SelectorWidth(Select(key, key, LT)) with key(i) = (n-1 - i*i mod n)*(L+1) + i over the "
                       "candidates i = 0..L, then Aggregate(Select(rank, 0, EQ), tokens): every output position is k. "
                       "One compiled model per n. 'runs' holds the n whose compiled model gives the loop's k at every "
                       "position; 'unverified_runs' the n Tracr compiled into a model that gives a wrong answer; "
                       "'failures' the n Tracr could not compile.",
        "status": "ok",
        "seeds": "none (compilation and evaluation are deterministic)",
        "versions": versions(),
        "machine": machine(),
        "params_definition": "sum of the sizes of all haiku parameters of the assembled model "
                             "(token and position embeddings, attention, MLP; Tracr's unembedding is a fixed "
                             "projection, not a parameter), as Tracr emits them: every layer padded to the largest "
                             "head and MLP; nonzero_params counts the nonzero entries",
    })
    done = stored(data)
    todo = [n for n in args.n if args.force or n not in done]
    if todo or not args.no_bisect:
        data.setdefault("commands", [])
        if command_line() not in data["commands"]:
            data["commands"].append(command_line())
    print(f"tracr_loop_sizes: {len(todo)} to compile {todo}; already stored: {sorted(done)}", flush=True)
    for n in todo:
        compile_one(n, data, args.out)
    if not args.no_bisect:
        bisect_boundary(data, args.out)
    summarize(data)
    if not data["runs"]:
        data["status"] = "failed"
    save(args.out, data)
    print(f"tracr_loop_sizes: verified up to n = {data['largest_verified_n']}, first wrong n = "
          f"{data['smallest_unverified_n']}, total {data['total_seconds']:.0f} s -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
