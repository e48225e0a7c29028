"""The strength-reduced recurrent cell: exact on every n <= 4096, on random full-width states, and small."""
from __future__ import annotations

import numpy as np

from mesaopt.loopnets.loop import N_MAX, loop_bound, search_loop
from mesaopt.loopnets.nets import build_cell
from mesaopt.loopnets.reduced import ReducedSearch, build_reduced_cell, random_states, reference_reduced_step

RNG = np.random.default_rng(11)


def test_exact_for_every_n_up_to_4096_in_one_batch():
    net = ReducedSearch(4096)
    ns = np.arange(1, 4097)
    assert np.array_equal(net.run(ns), [search_loop(int(n)) for n in ns])
    assert net.last_steps == loop_bound(4096) + 1                 # i = 0, 1, ..., L


def test_full_width_cell_on_20000_random_states():
    cell = build_reduced_cell(N_MAX)
    state = random_states(20_000, RNG)
    assert list(state["n"][:7]) == [1, 2, 3, 4, 5, N_MAX - 1, N_MAX] and (state["v"] < state["n"]).all()
    out = cell.run(**state)
    want = reference_reduced_step(state)
    for name in ("i", "k", "best", "v", "d", "done"):
        assert np.array_equal(out[name], want[name]), name
    assert np.array_equal(out["n"], state["n"]) and np.array_equal(out["L"], state["L"])


def test_the_reference_step_is_the_loop_itself():
    """Stepping the reference from the start state reproduces the loop (so the random-state test tests
    the right thing), and a finished state keeps i, k, best and done."""
    for n in [1, 2, 3, 4, 10, 12, 97, 1000, 4096]:
        state = {"i": [0], "k": [0], "best": [0], "v": [0], "d": [1], "n": [n], "L": [loop_bound(n)], "done": [0]}
        for i in range(loop_bound(n) + 1):
            assert state["v"][0] == i * i % n and state["d"][0] == (2 * i + 1) % max(n, 2)
            state = reference_reduced_step(state)
        assert state["k"][0] == search_loop(n) and state["done"][0] == 1
        after = reference_reduced_step(reference_reduced_step(state))
        assert all(after[x][0] == state[x][0] for x in ("i", "k", "best", "done"))


def test_larger_n_and_finished_rows():
    ns = np.concatenate([RNG.integers(4097, 2 ** 16, 16), [2 ** 16, 3 ** 10]])
    net = ReducedSearch(2 ** 16)
    assert np.array_equal(net.run(ns), [search_loop(int(n)) for n in ns])
    assert np.array_equal(net.run(ns, skip_done=False), net.run(ns))
    rows = ReducedSearch(100).trace(50)
    assert [r["i"] for r in rows] == list(range(0, loop_bound(50) + 2))
    assert rows[1]["k"] == 0 and rows[-1]["k"] == search_loop(50) and rows[-1]["done"] == 1


def test_smaller_and_shallower_than_the_literal_cell_and_exact_in_float32():
    reduced, literal = build_reduced_cell(N_MAX).sizes(), build_cell(N_MAX).sizes()
    assert reduced["units"] <= 1000 and reduced["depth"] <= 8          # the aim
    assert reduced["units"] * 4 < literal["units"] and reduced["depth"] * 8 < literal["depth"]
    assert reduced["inputs"] == literal["inputs"] + 2 * 30 - 1         # v and d, 30 bits each; best 30 not 31
    assert build_reduced_cell(N_MAX).exact_in_float32()


def test_literal_cell_on_5000_random_full_width_states():
    cell = build_cell(N_MAX)
    state = random_states(5_000, RNG)
    state = {k: v for k, v in state.items() if k not in ("v", "d")}
    state["i"] = np.maximum(state["i"], 1)
    out = cell.run(**state)
    i, k, best, n, big_l, done = (state[x] for x in ("i", "k", "best", "n", "L", "done"))
    better = (done == 0) & (i * i % n > best)
    assert np.array_equal(out["k"], np.where(better, i, k))
    assert np.array_equal(out["best"], np.where(better, i * i % n, best))
    assert np.array_equal(out["i"], i + (done == 0)) and np.array_equal(out["done"], (done == 1) | (i >= big_l))
