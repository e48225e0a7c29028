"""Sizes of the forms: the strength-reduced and band-grid rows, and the fixed-n (constant-folded) builds."""
from __future__ import annotations

import json

import numpy as np

from mesaopt.loopnets.loop import band_grid, loop_bound, search_loop
from mesaopt.loopnets.nets import build_candidate_circuit, build_position_circuit, tree_argmax, build_max_node
from mesaopt.loopnets.reduced import build_reduced_cell
from mesaopt.loopnets.sizes import FORMS, fixed_n_sizes, load_tracr_sizes, part_sizes, size_rows


def test_rows_of_the_reduced_cell_and_of_the_band_grid():
    rows = {r["form"]: r for r in size_rows(2 ** 30)}
    assert set(rows) == set(FORMS)
    assert rows["reduced"]["steps"] == rows["recurrent"]["steps"] + 1 == 2 ** 21 + 1
    assert rows["reduced"]["work"] < rows["recurrent"]["work"] / 4
    assert rows["shortcut"]["positions"] == band_grid(2 ** 30) + 1 == 4097
    p = part_sizes(2 ** 30)
    assert rows["reduced"]["dense_params"] == p["reduced"]["dense_params"]
    assert rows["shortcut"]["nonzero"] == sum(p[k]["nonzero_weights"] for k in ("candidate", "position", "node"))


def test_fixed_n_builds_are_smaller_and_still_compute_the_loop():
    for n in (16, 100, 2048):
        fixed, general = fixed_n_sizes(n), {r["form"]: r for r in size_rows(n)}
        for form in ("recurrent", "reduced", "positional", "shortcut"):
            assert fixed[form]["dense_params"] < general[form]["dense_params"], (n, form)
            assert fixed[form]["nonzero"] < general[form]["nonzero"], (n, form)
    n = 100
    big_l = loop_bound(n)
    position = build_position_circuit(n, fold_n=True)
    assert set(position.input_slices) == {"i"}                       # n and L are no longer inputs
    i = np.arange(big_l + 4)
    values = position.run(i=i)["v"]
    assert np.array_equal(values, np.where(i <= big_l, i * i % n, 0))
    node = build_max_node(position.input_slices["i"].stop, 7)
    assert tree_argmax(node, i[None, :big_l + 1], values[None, :big_l + 1])[0][0] == search_loop(n)
    cell = build_reduced_cell(n, fold_n=True)
    state = {"i": [0], "k": [0], "best": [0], "v": [0], "d": [1], "done": [0]}
    for _ in range(big_l + 1):
        state = cell.run(**state)
    assert state["k"][0] == search_loop(n) and state["done"][0] == 1
    cand = build_candidate_circuit(n, fold_n=True).run(m=np.arange(band_grid(n)))
    top = np.concatenate([cand["k"], [big_l]])
    vals = np.concatenate([cand["v"], [big_l * big_l % n]])
    assert tree_argmax(build_max_node(7, 7), top[None], vals[None])[0][0] == search_loop(n)


def test_tracr_results_are_read_when_present(tmp_path):
    assert load_tracr_sizes(tmp_path / "absent.json") is None
    path = tmp_path / "tracr.json"
    path.write_text(json.dumps({"status": "ok", "versions": {"tracr-pypi": "1.0.0"},
                                "runs": {"16": {"params": 9436, "verified": True},
                                         "32": {"params": 1, "verified": False}},
                                "unverified_runs": {"4096": {"params": 7}}}))
    got = load_tracr_sizes(path)
    assert got["status"] == "ok" and list(got["verified"]) == [16] and list(got["unverified"]) == [4096]
    from mesaopt.loopnets.sizes import tracr_summary

    fixed = {16: fixed_n_sizes(16), 32: fixed_n_sizes(32)}
    got["verified"][16]["nonzero_params"] = 165
    rows, text, short = tracr_summary(got, fixed)
    ours = fixed[16]["positional"]["dense_params"]
    assert rows[0][2] == "9,436" and rows[1][2] == "not measured"
    assert "9,436 parameters" in text and f"{ours:,}" in text and "n = 4096" in text and "9,436" in short
    rows, text, short = tracr_summary(None, fixed)
    assert "no Tracr measurement" in text and "not measured" in short and rows[0][2] == "not measured"
