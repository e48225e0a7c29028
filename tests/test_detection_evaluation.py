"""mesaopt/detection/evaluation.py: the split, the thresholds, AUC within strata, and bootstrap intervals that
cover the truth."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mesaopt.detection import evaluation as ev


def test_split_puts_every_family_in_both_halves_evenly_and_is_seeded():
    groups = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 1 + ["e"] * 2
    dev = ev.stratified_split(groups, seed=0)
    g = np.array(groups)
    for name in set(groups):
        n_dev, n_held = dev[g == name].sum(), (~dev[g == name]).sum()
        assert abs(n_dev - n_held) <= 1
        if (g == name).sum() >= 2:
            assert n_dev >= 1 and n_held >= 1
    assert abs(dev.sum() - (~dev).sum()) <= 1
    assert np.array_equal(dev, ev.stratified_split(groups, seed=0))
    assert any(not np.array_equal(dev, ev.stratified_split(groups, seed=s)) for s in range(1, 6))


def test_threshold_separates_separable_scores_and_ignores_what_it_cannot_use():
    s = np.array([0.1, 0.2, 0.3, 0.9, 1.0, 1.1])
    y = np.array([False, False, False, True, True, True])
    t = ev.fit_threshold(s, y)
    assert 0.3 < t < 0.9 and ev.accuracy(s, y, t) == 1.0
    assert ev.fit_threshold(s, np.ones(6, bool)) == -np.inf
    with_nan = np.append(s, np.nan)
    assert ev.fit_threshold(with_nan, np.append(y, False)) == t
    # balanced, not plain accuracy: "always search" has the best plain accuracy (9/11) here, but balanced 1/2
    s2 = np.array([1.0] * 6 + [0.0] * 3 + [0.0, 1.0])
    y2 = np.array([True] * 9 + [False, False])
    assert ev.accuracy(s2, y2, -np.inf) > ev.accuracy(s2, y2, 0.5)
    assert ev.fit_threshold(s2, y2) == 0.5


def test_auc_matches_mann_whitney_and_strata_compare_only_within():
    rng = np.random.default_rng(0)
    s, y = rng.normal(size=40), rng.random(40) < 0.5
    s[y] += 1.0
    u = stats.mannwhitneyu(s[y], s[~y]).statistic
    assert ev.roc_auc(s, y) == pytest.approx(u / (y.sum() * (~y).sum()))
    assert ev.roc_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    # searchers better overall but not within either stratum: within-strata AUC is 1/2
    s3 = np.array([1.0, 1.0, 2.0, 2.0])
    y3 = np.array([True, False, True, False])
    assert ev.roc_auc(s3, y3, strata=[0, 0, 1, 1]) == 0.5
    s4, y4 = np.array([0.0, 1.0, 2.0, 3.0]), np.array([False, False, True, True])
    assert ev.roc_auc(s4, y4) == 1.0 and np.isnan(ev.roc_auc(s4, y4, strata=[0, 0, 1, 1]))
    fpr, tpr = ev.roc_curve(s4, y4)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1 and np.all(np.diff(fpr) >= 0)


def test_always_search_has_balanced_accuracy_one_half_everywhere():
    y = np.array([True, True, False, True, False, False, True])
    s = np.ones(7)
    assert ev.balanced_accuracy(s, y, -np.inf) == 0.5
    assert ev.balanced_accuracy(s, y, -np.inf, strata=[0, 0, 0, 1, 1, 1, 1]) == 0.5
    assert ev.accuracy(s, y, -np.inf) == pytest.approx(4 / 7)


def test_bootstrap_weights_keep_the_label_counts_and_whole_clusters():
    y = np.array([True] * 6 + [False] * 4)
    w = ev.bootstrap_weights(y, n_boot=200, seed=1)
    assert np.all(w[:, y].sum(axis=1) == 6) and np.all(w[:, ~y].sum(axis=1) == 4)
    clusters = ["a", "a", "a", "b", "b", "c", "d", "d", "e", "e"]
    wc = ev.bootstrap_weights(y, n_boot=200, seed=1, clusters=clusters)
    assert np.all(wc[:, 0] == wc[:, 1]) and np.all(wc[:, 3] == wc[:, 4]) and np.all(wc[:, 8] == wc[:, 9])
    assert np.all(wc[:, y].sum(axis=1) % 1 == 0)
    with pytest.raises(ValueError, match="one label"):
        ev.bootstrap_weights(y, clusters=["a"] * 10)


def test_bootstrap_auc_interval_covers_the_true_auc_about_as_often_as_it_says():
    rng = np.random.default_rng(2)
    shift = 1.0
    truth = stats.norm.cdf(shift / np.sqrt(2))  # AUC of N(shift, 1) against N(0, 1)
    covered = 0
    trials = 200
    for t in range(trials):
        y = np.array([True] * 20 + [False] * 15)
        s = rng.normal(size=35) + shift * y
        lo, hi = ev.bootstrap_interval(ev.roc_auc(s, y, weights=ev.bootstrap_weights(y, 500, seed=t)))
        covered += lo <= truth <= hi
    assert 0.86 <= covered / trials <= 0.995  # nominal 95%; percentile intervals undercover a little


def test_evaluate_detector_fits_on_development_only():
    rng = np.random.default_rng(3)
    y = np.array([True, False] * 20)
    s = rng.normal(size=40) + 2.0 * y
    dev = np.arange(40) < 20
    strata = np.where(dev, -1, np.arange(40) % 2)
    out = ev.evaluate_detector(s, y, dev, strata, n_boot=200)
    moved = s.copy()
    moved[~dev] += 100.0  # change only held-out scores: the threshold must not move
    assert ev.evaluate_detector(moved, y, dev, strata, n_boot=200)["threshold"] == out["threshold"]
    assert out["threshold"] == ev.fit_threshold(s[dev], y[dev])
    lo, hi = out["auc_interval"]
    assert lo <= out["auc"] <= hi and out["n_held_out"] == 20 and out["n_dev"] == 20
    assert out["matched_pairs"] == 0 and np.isnan(out["matched_auc"])  # strata here split labels apart
    fixed = ev.evaluate_detector(s, y, dev, strata, threshold=-np.inf, n_boot=200)
    assert fixed["threshold"] == -np.inf and fixed["balanced_accuracy"] == 0.5


def test_paired_auc_difference_is_zero_for_the_same_scores_and_sees_a_better_detector():
    rng = np.random.default_rng(4)
    y = np.array([True] * 15 + [False] * 15)
    weak = rng.normal(size=30) + 0.3 * y
    strong = rng.normal(size=30) + 3.0 * y
    same = ev.paired_auc_difference(weak, weak, y, n_boot=300)
    assert same[0] == 0 and same[1] == (0.0, 0.0) and same[2] == 30
    diff, (lo, hi), _ = ev.paired_auc_difference(strong, weak, y, n_boot=300)
    assert diff > 0 and 0 < lo <= diff <= hi
    with_nan = strong.copy()
    with_nan[:3] = np.nan
    assert ev.paired_auc_difference(with_nan, weak, y, n_boot=100)[2] == 27
