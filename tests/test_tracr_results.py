"""The stored Tracr measurements (experiments/results/tracr_loop_sizes.json) are complete and consistent.

Runs without jax or Tracr: it reads the file that experiments/tracr_loop_sizes.py wrote (in its own venv)
and checks it against facts recomputed here: the loop bound and the loop's answer from the book's own
reference loop (mesaopt.loopnets.loop), the parameter count as the sum of the stored tensor shapes, the
log-log fits, and that every n offered as an anchor was verified.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mesaopt.loopnets.loop import loop_bound, search_loop

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results" / "tracr_loop_sizes.json"
GRID = [2 ** e for e in range(4, 15)]  # the script's default n


@pytest.fixture(scope="module")
def results() -> dict:
    assert RESULTS.exists(), f"{RESULTS} is missing: run experiments/tracr_loop_sizes.py in .venv-tracr"
    return json.loads(RESULTS.read_text())


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def test_provenance(results):
    assert results["name"] == "tracr_loop_sizes"
    assert results["status"] == "ok"
    assert results["commands"] and all("tracr_loop_sizes.py" in c for c in results["commands"])
    versions = results["versions"]
    for package in ("python", "tracr-pypi", "jax", "jaxlib", "dm-haiku", "chex", "einops", "numpy"):
        assert isinstance(versions.get(package), str) and versions[package], package
    machine = results["machine"]
    assert is_positive_int(machine["cpu_count"]) and machine["platform"]
    assert results["total_seconds"] > 0
    assert results["params_definition"] and results["description"]
    assert results["seeds"]


def test_every_anchor_is_verified_and_sized(results):
    runs = results["runs"]
    assert len(runs) >= 3, "too few verified n to speak of a trend"
    for key, run in runs.items():
        n = run["n"]
        assert key == str(n)
        big_l = loop_bound(n)
        assert run["L"] == big_l
        assert run["positions"] == big_l + 1 == run["max_seq_len"] == run["vocab_size"]
        assert run["model_seq_len"] == big_l + 2  # BOS in front
        assert run["k_loop"] == search_loop(n)
        assert run["verified"] is True and run["k_model"] == run["k_loop"] and run["positions_wrong"] == 0
        for field in ("params", "nonzero_params", "layers", "heads_per_layer", "key_size", "mlp_hidden_size",
                      "residual_width"):
            assert is_positive_int(run[field]), (n, field, run[field])
        assert run["nonzero_params"] <= run["params"]
        # the candidates' one-hot code alone takes L + 1 residual dimensions
        assert run["residual_width"] > run["positions"]
        assert run["compile_seconds"] > 0 and run["run_seconds"] > 0
        assert run["wall_seconds"] >= run["compile_seconds"] + run["run_seconds"] - 0.01  # stored rounded
        # it searches its input: a shuffled input keeps the answer, dropping the winner moves it
        others = run["other_inputs"]
        assert set(others) == {"shuffled", "shuffled_without_winner"}
        assert others["shuffled"] == {"expected": run["k_loop"], "verified": True}
        assert others["shuffled_without_winner"]["verified"] is True
        assert others["shuffled_without_winner"]["expected"] != run["k_loop"]


def test_params_are_the_sum_of_the_stored_tensors(results):
    for run in results["runs"].values():
        total = nonzero = 0
        for module in run["modules"].values():
            size = sum(math.prod(shape) for shape in module["shapes"].values())
            assert module["params"] == size
            total += size
            nonzero += module["nonzero"]
        assert (run["params"], run["nonzero_params"]) == (total, nonzero)


def test_sizes_grow_with_n(results):
    runs = sorted(results["runs"].values(), key=lambda r: r["n"])
    params = [r["params"] for r in runs]
    assert params == sorted(params) and len(set(params)) == len(params)


def test_stored_fits_match_the_runs(results):
    slopes = results["loglog_slopes"]
    fits = {"verified": list(results["runs"].values()),
            "all_compiled": list(results["runs"].values()) + list(results.get("unverified_runs", {}).values())}
    for name, entries in fits.items():
        entries = [e for e in entries if e["n"] in GRID]
        assert slopes[name]["n_values"] == sorted(e["n"] for e in entries)
        log_n = np.log([e["n"] for e in entries])
        log_params = np.log([e["params"] for e in entries])
        assert slopes[name]["params_vs_n"] == pytest.approx(np.polyfit(log_n, log_params, 1)[0], abs=1e-3)
    assert len(slopes["verified"]["n_values"]) >= 3


def test_wrong_models_are_reported_with_a_reason_and_lie_beyond_the_anchor(results):
    largest_verified = max(int(n) for n in results["runs"])
    assert results["largest_verified_n"] == largest_verified
    for key, run in results.get("unverified_runs", {}).items():
        n = run["n"]
        assert key == str(n)
        assert run["verified"] is False and run["positions_wrong"] > 0
        assert run["k_loop"] == search_loop(n)
        assert run["reason"]
        # the diagnosis in the reason: undoing the 1/sqrt(key_size) of the logits makes the same weights right
        assert run["verified_with_rescaled_queries"] is True
        # the chapter says "right up to the largest verified n, wrong beyond": no wrong n below it
        assert n > largest_verified
    boundary = results.get("boundary")
    if results.get("unverified_runs"):
        assert results["smallest_unverified_n"] == min(int(n) for n in results["unverified_runs"])
        assert boundary["largest_verified_n"] == largest_verified
        assert boundary["smallest_unverified_n_above_it"] == results["smallest_unverified_n"]
        assert boundary["L_unverified"] - boundary["L"] <= 1
    for key, failure in results.get("failures", {}).items():
        assert key == str(failure["n"]) and failure["error"]
