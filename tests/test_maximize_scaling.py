"""The scaling study's building blocks: run specs and keys, seed intervals, the frontier and the power-law fit."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import scaling as SC


def run(spec_kw, seed, **result):
    spec = SC.make_spec("mlp", seed=seed, **spec_kw)
    return SC.run_key(spec), {"spec": dict(spec, groups=["main"]), "result": result}


def test_keys_separate_configurations_and_seeds():
    a, b = SC.make_spec("mlp", width=64, seed=0), SC.make_spec("mlp", width=64, seed=1)
    assert SC.config_key(a) == SC.config_key(b) and SC.run_key(a) != SC.run_key(b)
    assert SC.config_key(SC.make_spec("refiner", width=48)).startswith("refiner-w48-T6")
    with pytest.raises(ValueError, match="kind must be one of"):
        SC.make_spec("transformer")


def test_mean_interval_is_a_student_t_interval():
    mean, low, high = SC.mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-5)
    with pytest.raises(ValueError, match="at least two"):
        SC.mean_interval([1.0])


def test_config_table_and_frontier():
    runs = dict(run(dict(width=w, updates=u), s, regret_mean=r * (1 + 0.01 * s), train_flops=f)
                for (w, u, r, f) in ((64, 100, 0.5, 1e9), (64, 400, 0.3, 4e9), (128, 100, 0.4, 3e9), (128, 400, 0.35, 1.2e10))
                for s in range(3))
    rows = SC.config_table(runs, "regret_mean")
    assert [r["train_flops"] for r in rows] == [1e9, 3e9, 4e9, 1.2e10]
    assert all(len(r["values"]) == 3 and r["min"] <= r["mean"] <= r["max"] for r in rows)
    front = SC.frontier(rows)
    assert [r["train_flops"] for r in front] == [1e9, 3e9, 4e9]   # the last one is beaten by a cheaper one


def test_power_law_fit_recovers_a_known_slope_and_crossing():
    compute = np.array([1e9, 1e10, 1e11, 1e12])
    rng = np.random.default_rng(0)
    values = 10.0 * compute[:, None] ** -0.25 * np.exp(0.01 * rng.standard_normal((4, 3)))
    fit = SC.fit_power_law(compute, values, target=10.0 * 1e14 ** -0.25, at=[1e9, 1e14], draws=500)
    assert fit["slope"] == pytest.approx(-0.25, abs=0.01)
    assert fit["slope_low"] < fit["slope"] < fit["slope_high"] < 0
    assert fit["log10_compute_at_target"] == pytest.approx(14, abs=0.2)
    assert fit["crossing_fraction"] == 1.0
    assert np.all(fit["line_at"]["low"] <= fit["line_at"]["mean"])
    flat = SC.fit_power_law(compute, np.ones((4, 3)) + 0.01 * rng.standard_normal((4, 3)), target=0.1, draws=200)
    assert flat["crossing_fraction"] < 1.0 and abs(flat["slope"]) < 0.01


def test_config_row_finds_one_configuration():
    runs = dict(run(dict(width=w, updates=100), s, G_mean=float(w + s), train_flops=1e9 * w) for w in (64, 128) for s in range(2))
    assert SC.config_row(runs, "G_mean", width=128)["mean"] == 128.5
    with pytest.raises(ValueError, match="2 configurations match"):
        SC.config_row(runs, "G_mean", updates=100)


def test_prediction_interval_holds_a_new_draw_as_often_as_it_says():
    rng = np.random.default_rng(0)
    hits = []
    for _ in range(4000):
        seeds, new = rng.normal(size=5), rng.normal()
        low, high = SC.prediction_interval(seeds, 0.99)
        hits.append(low <= new <= high)
        if len(hits) <= 200:   # the bare range of 5 seeds holds a new draw only 4/6 of the time
            assert SC.rerun_agreement(new, seeds) == ("new draw" if low <= new <= high else None)
    assert 0.985 < np.mean(hits) < 0.995
    assert SC.rerun_agreement(0.123456, [0.1, 0.123456, 0.2]) == "reproduced"
    with pytest.raises(ValueError, match="at least two"):
        SC.prediction_interval([1.0])


def test_the_least_squares_band_counts_the_scatter_of_configurations_that_seeds_do_not_see():
    # configurations scattered around a line of slope -1, seeds nearly identical: the bootstrap over seeds is
    # narrow, the least-squares interval is not, and it holds the true slope and brackets the crossing
    compute = np.logspace(9, 11, 6)
    offsets = np.array([0.08, -0.1, 0.05, -0.07, 0.1, -0.06])
    values = 10 ** (-np.log10(compute)[:, None] + 9 + offsets[:, None]) * (1 + 1e-4 * np.arange(3))[None, :]
    fit = SC.fit_power_law(compute, values, target=1e-3, at=compute, draws=200)
    assert fit["slope_high"] - fit["slope_low"] < 0.01 < fit["slope_fit_high"] - fit["slope_fit_low"]
    assert fit["slope_fit_low"] < -1 < fit["slope_fit_high"]
    assert fit["log10_compute_at_target_fit_low"] < fit["log10_compute_at_target"] < fit["log10_compute_at_target_fit_high"]
    assert np.all(fit["line_at"]["low"] < fit["line_at"]["mean"]) and np.all(fit["line_at"]["mean"] < fit["line_at"]["high"])
