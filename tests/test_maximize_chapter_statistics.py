"""Chapter 1's statistics over seeds: summaries, the live-against-stored check and the glue values."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import chapter_statistics as S
from mesaopt.maximize import scaling as SC
from mesaopt.maximize.baselines import grid_search
from mesaopt.maximize.training import train_refiner


def stored(values_by_seed):
    return {f"seed-{i}": {"spec": {"seed": i}, "result": v} for i, v in enumerate(values_by_seed)}


def test_seed_summary_check_and_glue():
    summary = S.seed_summary(stored([{"G": 7.0}, {"G": 8.0}, {"G": 9.0}]))
    assert summary["G"]["mean"] == 8.0 and summary["G"]["min"] == 7.0 and summary["G"]["seeds"] == [0, 1, 2]
    S.check_live({"G": 7.0}, summary)     # reproduces seed 0
    S.check_live({"G": 12.0}, summary)    # a new draw inside the 99 % prediction interval (8 +- 11.5 for 3 seeds)
    with pytest.raises(AssertionError, match="G: live 30"):
        S.check_live({"G": 30.0}, summary)
    glued = S.glue_values({"G": 7.0}, summary)
    assert glued["ch1_G"] == 7.0 and glued["ch1_G_mean"] == 8.0 and glued["ch1_G_low"] < 8.0 < glued["ch1_G_high"]
    assert S.table_cell(7.0, summary["G"], ".1f").startswith("8.0 [") and S.table_cell(7.0, summary["G"], ".1f").endswith("(seed 0: 7.0)")


def test_answer_statistics_on_grid_search_read_its_own_G():
    test = SC.test_set(6)
    stats = S.answer_statistics("grid", grid_search(test["coeffs"], 32), test)
    assert stats["G_grid"] == pytest.approx(32) and stats["Gmed_grid"] == pytest.approx(32)
    assert stats["ratio_grid"] < 2


def test_refiner_and_last_step_statistics_are_consistent():
    test = SC.test_set(6)
    refiner = train_refiner(width=8, steps=2, updates=30, seed=0)
    curve = S.refiner_curve(refiner, test)
    stats = S.refiner_statistics(refiner, test, curve)
    assert stats["refiner_T0"] == curve[0] and stats["curve_every_T64"] == curve[-1]
    assert 0 <= stats["refiner_stationary"] <= 1
    last = S.last_step_statistics(curve * 1.1, curve, refiner.train_steps)
    assert last["last_over_every"] == pytest.approx(1.1)
    assert last["last_worst_T"] in [t for t in S.STEPS if t > 2]
