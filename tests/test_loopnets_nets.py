"""The four networks run the post's loop exactly: recurrent, unrolled, positional, shortcut."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.loopnets.loop import N_MAX, loop_bound, search_loop
from mesaopt.loopnets.nets import (PositionalSearch, RecurrentSearch, ShortcutSearch, build_candidate_circuit,
                                 build_cell, build_max_node, build_position_circuit, build_unrolled,
                                 run_unrolled, run_unrolled_torch, tree_argmax, unrolled_torch)
from mesaopt.loopnets.sizes import FORMS, crossover, size_rows

RNG = np.random.default_rng(0)
SMALL = np.arange(1, 4097)
REF_SMALL = np.array([search_loop(int(n)) for n in SMALL])


def _ref(ns):
    return np.array([search_loop(int(n)) for n in ns])


def test_recurrent_is_exact_for_every_n_up_to_4096_in_one_batch():
    net = RecurrentSearch(4096)
    assert np.array_equal(net.run(SMALL), REF_SMALL)
    assert net.last_steps == loop_bound(4096)


def test_recurrent_on_a_random_sample_of_larger_n():
    ns = np.concatenate([RNG.integers(4097, 2 ** 16, 24), [2 ** 16, 3 ** 10]])
    net = RecurrentSearch(2 ** 16)
    assert np.array_equal(net.run(ns), _ref(ns))


def test_finished_rows_are_a_fixed_point_so_skipping_them_changes_nothing():
    net = RecurrentSearch(300)
    ns = np.arange(1, 301)
    state = net.initial_state(ns)
    for _ in range(int(state["L"].max())):
        state = net.step(state)
    assert state["done"].all()
    again = net.step(net.step(state))
    assert all(np.array_equal(again[k], state[k]) for k in state)
    assert np.array_equal(net.run(ns, skip_done=False), net.run(ns))


def test_trace_follows_the_loop():
    rows = RecurrentSearch(100).trace(50)
    assert [r["i"] for r in rows] == list(range(1, loop_bound(50) + 2))
    k = 0
    for before, after in zip(rows, rows[1:]):
        i = before["i"]
        if i * i % 50 > k * k % 50:
            k = i
        assert after["k"] == k and after["best"] == k * k % 50
    assert rows[-1]["done"] == 1


def test_cell_fast_path_equals_dense_layers_on_random_states():
    cell = build_cell(64)
    n = RNG.integers(1, 65, 500)
    big_l = np.array([loop_bound(int(v)) for v in n])
    state = {"i": RNG.integers(1, big_l + 2), "k": RNG.integers(0, big_l + 1), "best": RNG.integers(0, n),
             "n": n, "L": big_l, "done": RNG.integers(0, 2, 500)}
    fast, dense = cell.run(**state), cell.run_dense(**state)
    assert all(np.array_equal(fast[k], dense[k]) for k in fast)
    ns = np.arange(1, 41)
    assert np.array_equal(RecurrentSearch(40).run_dense(ns), _ref(ns))


def test_unrolled_dense_net_is_exact_and_its_size_is_L_copies_of_the_cell():
    cell = build_cell(64)
    copies = loop_bound(64)
    net = unrolled_torch(cell, copies)
    ns = np.arange(1, 65)
    assert np.array_equal(run_unrolled_torch(cell, net, ns), _ref(ns))
    params = sum(p.numel() for p in net.parameters())
    assert params == copies * cell.sizes()["dense_params"]
    row = {r["form"]: r for r in size_rows(64)}["unrolled"]
    assert row["dense_params"] == params and row["depth"] == copies * cell.sizes()["depth"]


def test_merged_unrolled_circuit_is_exact_and_its_depth_comes_from_the_running_max():
    net = build_unrolled(40)
    ns = np.arange(1, 41)
    assert np.array_equal(run_unrolled(net, ns), _ref(ns))
    from mesaopt.loopnets.nets import register_layers

    ready = register_layers(64, 8)
    per_copy = {name: np.diff(layers) for name, layers in ready.items()}
    assert (per_copy["best"] > per_copy["i"]).all() and (per_copy["best"] > per_copy["done"]).all()
    assert build_unrolled(64, 8).sizes()["depth"] == ready["best"][-1] + 1      # + the readout


def test_positional_on_a_sample():
    net = PositionalSearch(4096)
    ns = np.concatenate([[1, 2, 3, 4, 1024], RNG.integers(1, 4097, 200)])
    assert np.array_equal(net.run(ns), REF_SMALL[ns - 1])
    ns = np.concatenate([[3 ** 10], RNG.integers(2 ** 16, 2 ** 18, 3)])
    assert np.array_equal(PositionalSearch(2 ** 18).run(ns), _ref(ns))


def test_shortcut_for_every_small_n_and_near_2_to_30():
    assert np.array_equal(ShortcutSearch(4096).run(SMALL), REF_SMALL)
    ns = np.concatenate([[N_MAX, N_MAX - 1, 8 ** 10, 7 ** 10], RNG.integers(2 ** 29, N_MAX, 3)])
    assert np.array_equal(ShortcutSearch().run(ns), _ref(ns))


def test_max_node_keeps_the_left_child_on_ties():
    node = build_max_node(4, 4)
    ks = np.array([[3, 5, 7, 9]])
    assert tree_argmax(node, ks, np.array([[2, 6, 6, 1]]))[0][0] == 5
    assert tree_argmax(node, ks, np.array([[0, 0, 0, 0]]))[0][0] == 3
    assert tree_argmax(node, ks, np.array([[1, 2, 3, 4]]))[0][0] == 9


def test_every_full_width_circuit_is_exact_in_float32():
    for net in [build_cell(), build_position_circuit(), build_candidate_circuit(), build_max_node(22, 31)]:
        bounds = net.preactivation_bound()
        assert max(bounds) < 2 ** 24 and net.exact_in_float32(), net.name
        sizes = net.sizes()
        if sizes["units"] > 1000:
            assert sizes["dense_nonzero"] / sizes["dense_params"] < 0.02    # dense: over 98% zeros


def test_networks_reject_n_outside_their_range():
    with pytest.raises(ValueError, match=r"\[1, 64\]"):
        RecurrentSearch(64).run([65])
    with pytest.raises(ValueError, match=r"\[1, 64\]"):
        ShortcutSearch(64).run([0])
    with pytest.raises(ValueError):
        PositionalSearch(N_MAX + 1)


def test_size_rows_answer_the_size_question():
    small, big = size_rows(2 ** 10), size_rows(2 ** 30)
    rows = small + big
    assert {r["form"] for r in rows} == set(FORMS)
    by = {(r["form"], r["n_max"]): r for r in rows}
    for form in ("recurrent", "positional", "shortcut"):
        # stored weights grow slowly (bit widths), the lookup table linearly in n_max
        assert by[(form, 2 ** 30)]["dense_params"] < 100 * by[(form, 2 ** 10)]["dense_params"]
        assert by[(form, 2 ** 30)]["dense_params"] < by[("lookup", 2 ** 30)]["dense_params"]
    assert by[("lookup", 2 ** 10)]["dense_params"] < by[("recurrent", 2 ** 10)]["dense_params"]
    assert by[("shortcut", 2 ** 30)]["work"] < by[("recurrent", 2 ** 30)]["work"] / 100
    assert crossover(rows, "recurrent") == 2 ** 30


def test_loglog_slope_recovers_the_growth_exponent_of_a_form():
    from mesaopt.loopnets.sizes import loglog_slope, size_column

    rows = [{"form": "f", "n_max": n, "work": 3 * n ** 0.7} for n in (2 ** 10, 2 ** 20, 2 ** 30)]
    rows += [{"form": "g", "n_max": 2 ** 10, "work": 1}]
    assert abs(loglog_slope(rows, "f", "work") - 0.7) < 1e-9
    ns, work = size_column(rows, "f", "work")
    assert list(ns) == [2 ** 10, 2 ** 20, 2 ** 30] and abs(work[0] - 3 * 2 ** 7) < 1e-9
