"""The minimum of k draws: sampling, CDF, min-stability, the Weibull limit and the fast MLE fits."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mesaopt.detection.extremes import (
    FAMILIES, brute_force_min_of_k, family, gamma_fit, ks_distance, min_of_k_cdf, min_of_k_logpdf,
    min_stable_scale, sample, sample_min_of_k, weibull_fit, weibull_limit,
)


@pytest.mark.parametrize("name", FAMILIES)
def test_inverse_cdf_sampler_matches_the_literal_minimum_and_the_cdf(name):
    fam = family(name)
    fast = sample_min_of_k(fam, 5, 20_000, scale=2.0, rng=1)
    slow = brute_force_min_of_k(fam, 5, 20_000, scale=2.0, rng=2)
    assert stats.ks_2samp(fast, slow).pvalue > 0.001
    assert ks_distance(fast, lambda t: min_of_k_cdf(fam, 5, t, scale=2.0)) < 0.015


@pytest.mark.parametrize("name", FAMILIES)
def test_min_of_k_density_integrates_to_one_and_matches_the_cdf(name):
    fam = family(name)
    x = np.linspace(1e-6, 30, 300_001)
    pdf = np.exp(min_of_k_logpdf(fam, 3, x, scale=1.5))
    assert np.trapezoid(pdf, x) == pytest.approx(float(min_of_k_cdf(fam, 3, 30, scale=1.5)), abs=2e-3)


def test_minimum_of_exponentials_is_exponential_with_k_times_the_rate():
    fam = family("exponential")
    x = brute_force_min_of_k(fam, 8, 50_000, scale=3.0, rng=0)
    assert x.mean() == pytest.approx(3.0 / 8, rel=0.02)
    assert min_stable_scale(fam, 3.0, 8) == pytest.approx(3.0 / 8)
    assert ks_distance(x, lambda t: stats.expon(scale=3.0 / 8).cdf(t)) < 0.01


def test_weibull_is_min_stable_with_scale_k_to_minus_one_over_alpha():
    fam = family("weibull", 0.5)
    x = brute_force_min_of_k(fam, 4, 50_000, scale=1.0, rng=3)
    alpha, scale = weibull_fit(x)
    assert alpha == pytest.approx(0.5, rel=0.02)
    assert scale == pytest.approx(4 ** -2, rel=0.05)
    assert min_stable_scale(fam, 1.0, 4) == pytest.approx(4 ** -2)
    with pytest.raises(ValueError, match="not min-stable"):
        min_stable_scale(family("gamma", 2.0), 1.0, 4)


def test_gamma_minima_approach_their_weibull_limit_and_lognormal_has_none():
    fam = family("gamma", 2.0)
    distances = []
    for k in (1, 16, 1024):
        alpha, scale = weibull_limit(fam, k)
        x = sample_min_of_k(fam, k, 20_000, rng=k)
        distances.append(ks_distance(x, lambda t: -np.expm1(-(t / scale) ** alpha)))
    assert distances[0] > distances[1] > distances[2] and distances[2] < 0.03
    with pytest.raises(ValueError, match="no Weibull limit"):
        weibull_limit(family("lognormal"), 10)


def test_fast_fits_agree_with_scipy_and_vectorise():
    x = stats.weibull_min(0.7, scale=3).rvs(3000, random_state=1)
    ref = stats.weibull_min.fit(x, floc=0)
    alpha, scale = weibull_fit(x)
    assert alpha == pytest.approx(ref[0], rel=1e-4) and scale == pytest.approx(ref[2], rel=1e-4)
    g = stats.gamma(2.5, scale=0.3).rvs(3000, random_state=2)
    ref = stats.gamma.fit(g, floc=0)
    a, s = gamma_fit(g)
    assert a == pytest.approx(ref[0], rel=1e-4) and s == pytest.approx(ref[2], rel=1e-4)
    block = sample(family("weibull", 1.5), (7, 500), rng=4)
    alphas, _ = weibull_fit(block)
    assert alphas.shape == (7,) and np.allclose(alphas, [weibull_fit(row)[0] for row in block])


def test_bad_arguments_name_what_is_allowed():
    with pytest.raises(ValueError, match="family must be one of"):
        family("cauchy")
    with pytest.raises(ValueError, match="k must be a number"):
        sample_min_of_k(family("gamma"), 0.5, 10)
    with pytest.raises(ValueError, match="no shape"):
        family("exponential", 2.0)
    with pytest.raises(ValueError, match="positive"):
        weibull_fit([0.0, 1.0, 2.0])


def test_theory_figure_numbers_show_min_stability_and_the_weibull_limit():
    from mesaopt.detection.figures import information_per_loss, min_of_k_theory

    fig, numbers = min_of_k_theory(ks=(1, 16, 256), n=4000, seed=1)
    assert len(fig.axes) >= 3
    assert all(abs(a - 0.5) < 0.05 for a in numbers["weibull_shapes"])
    assert numbers["weibull_scales"][-1] == pytest.approx(256 ** -2.0, rel=0.15)
    assert numbers["gamma_ks_to_limit"][0] > numbers["gamma_ks_to_limit"][-1]
    assert numbers["lognormal_shapes"][-1] > numbers["lognormal_shapes"][0] + 1
    _, info = information_per_loss(shapes=[0.5, 1.0, 2.0])
    assert info["gamma"][1] == 0.0 and info["gamma"][0] > 0 and info["gamma"][2] > 0
