"""mesaopt/detection/detectors.py: each detector on losses whose answer is known, under both losses."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detection import detectors as det
from mesaopt.detection.extremes import family, sample_min_of_k

RNG = np.random.default_rng(0)
HARD = RNG.random(3000)
REF = sample_min_of_k(family("gamma", 2.0), 1.0, 3000, rng=1)  # the reference model's law: gamma, shape 2


def ev(losses, budgets=None, loss="regret"):
    return det.evidence(losses, HARD, REF, budgets, loss)


def test_hardness_score_sees_a_loss_that_grows_with_hardness_and_not_one_that_does_not():
    grows = RNG.exponential(1 + 10 * HARD)
    flat = RNG.exponential(1.0, HARD.size)
    assert det.hardness_score(ev(grows)) < -1.0
    assert abs(det.hardness_score(ev(flat))) < 0.2
    means = det.hardness_bin_means(grows, HARD)
    assert means.shape == (det.HARDNESS_BINS,) and np.all(np.diff(means) > 0)
    # a ratio of means: squaring moves it
    assert det.hardness_score(ev(grows, loss="squared")) < det.hardness_score(ev(grows)) - 0.5


def test_min_of_k_score_flags_a_min_of_k_of_the_reference_law_and_not_the_law_itself():
    searched = sample_min_of_k(family("gamma", 2.0), 4.0, 3000, rng=2)
    same = sample_min_of_k(family("gamma", 2.0), 1.0, 3000, rng=3)
    assert det.min_of_k_score(ev(searched)) > 10
    assert abs(det.min_of_k_score(ev(same))) < 3.5


def test_budget_score_reads_the_slope_and_needs_a_knob():
    fam = family("weibull", 0.5)
    u = np.random.default_rng(4).random(3000)
    searched = {b: fam.ppf(-np.expm1(np.log1p(-u) / b)) for b in (2, 4, 8, 16)}
    assert det.budget_score(ev(searched[2], searched)) == pytest.approx(2.0, abs=0.1)
    flat = {b: fam.ppf(u) for b in (2, 4, 8, 16)}
    assert det.budget_score(ev(flat[2], flat)) == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(det.budget_score(ev(flat[2])))
    worse = {b: fam.ppf(u) * b for b in (2, 4, 8, 16)}  # more budget, more loss: a proxy searcher's signature
    assert det.budget_score(ev(worse[2], worse)) == pytest.approx(-1.0, abs=1e-9)
    assert det.budget_slope({1: [1.0], 10: [0.1]}) == pytest.approx(-1.0)


def test_shape_score_sees_a_min_of_k_from_the_reference_family_at_an_unknown_scale():
    searched = 5.0 * sample_min_of_k(family("gamma", 2.0), 8.0, 3000, rng=5)  # other scale: only the shape tells
    unsearched = 5.0 * sample_min_of_k(family("gamma", 2.0), 1.0, 3000, rng=6)
    assert det.shape_score(ev(searched)) > 4
    assert abs(det.shape_score(ev(unsearched))) < 3.5
    few = np.zeros(3000)
    few[:5] = 1.0
    assert np.isnan(det.shape_score(ev(few)))


def test_weibull_limit_score_is_zero_at_the_limit_shape_of_each_loss():
    w = np.random.default_rng(7).weibull(0.5, 3000)
    assert det.weibull_limit_score(ev(w)) == pytest.approx(0.0, abs=0.06)
    assert det.weibull_limit_score(ev(w, loss="squared")) == pytest.approx(0.0, abs=0.06)  # squared: shape 1/4
    assert det.weibull_limit_score(ev(np.random.default_rng(8).weibull(2.0, 3000))) == pytest.approx(-np.log(4), abs=0.1)


def test_baselines_and_the_rank_based_flag():
    small, large = RNG.exponential(0.1, 3000), RNG.exponential(1.0, 3000)
    assert det.mean_loss_score(ev(small)) > det.mean_loss_score(ev(large))
    assert det.always_search_score(ev(small)) == det.always_search_score(ev(large))
    x = sample_min_of_k(family("gamma", 2.0), 2.0, 3000, rng=9)
    for name, d in det.DETECTORS.items():
        a, b = d.score(ev(x)), d.score(ev(x, loss="squared"))
        if d.rank_based:
            assert a == pytest.approx(b, abs=1e-12), name
    assert det.DETECTORS["min_of_k"].rank_based and not det.DETECTORS["hardness"].rank_based
    assert set(det.DETECTOR_NAMES) | set(det.BASELINE_NAMES) == set(det.DETECTORS)
    assert len(det.DETECTOR_NAMES) >= 4 and set(det.BASELINE_NAMES) == {"mean_loss", "always_search"}


def test_evidence_squares_regrets_treats_rounding_noise_as_zero_and_rejects_bad_input():
    e = det.evidence(np.array([0.0, 1e-15, 0.5, 2.0]), np.arange(4.0), np.ones(4), {2: np.ones(4), 4: np.ones(4)},
                     loss="squared")
    assert np.array_equal(e.losses, [0.0, 0.0, 0.25, 4.0]) and e.floor == pytest.approx(1e-24)
    assert set(e.budget_losses) == {2, 4}
    with pytest.raises(ValueError):
        det.evidence([-1.0, 1.0], [0, 1], [1, 1])
    with pytest.raises(ValueError):
        det.evidence([1.0, 1.0], [0, 1, 2], [1, 1])
    with pytest.raises(ValueError):
        det.evidence([1.0, 1.0], [0, 1], [1, 1], loss="absolute")
    with pytest.raises(ValueError):
        det.scores({"m": e}, ["magic"])


def test_detectors_on_planted_models_whose_answer_is_known():
    from mesaopt.detection.population import member, planted_answers
    from mesaopt.maximize.polynomials import exact_maximum, hardness, regret, sample_polynomials

    coeffs = sample_polynomials(1500, seed=51)
    top = exact_maximum(coeffs)[1]
    hard = hardness(coeffs)
    ref = regret(coeffs, np.full(1500, 0.5), max_value=top)  # a poor reference: the constant 1/2 (other inputs unneeded)

    def evidence_of(name):
        m = member(name)
        r = {b: regret(coeffs, planted_answers(m, coeffs, b), max_value=top) for b in (m.budgets or (None,))}
        nominal = r[m.budgets[0]] if m.budgets else r[None]
        return det.evidence(nominal, hard, ref, r if m.budgets else None)

    grid, const = evidence_of("grid search G=17"), evidence_of("constant x=0.5")
    assert det.budget_score(grid) == pytest.approx(2.0, abs=0.15)  # grid regret falls like G^-2
    assert np.isnan(det.budget_score(const))
    assert det.min_of_k_score(grid) > 10 and abs(det.min_of_k_score(const)) < 1e-9 + 4
    bump = evidence_of("proxy search, bump 3 at 0.3047")
    assert det.budget_score(bump) < -1  # more search for the proxy, more loss on P
