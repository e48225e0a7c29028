"""Detection tests: exact calibration, the closed-form power, the zero information of min-stable
families, family fits, the runs a calibration check needs, and the budget-scaling fit."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detection.stats import (
    binomial_band, budget_scaling_test, calibration, efficient_information, fit_loss_families,
    invariant_two_sample_rate, known_base_power, known_base_test, rejection_rate, runs_to_resolve,
    scale_free_test,
)
from mesaopt.detection.extremes import family, sample, sample_min_of_k


def test_known_base_statistic_estimates_k_and_p_values_are_uniform_under_the_null():
    fam = family("gamma", 2.0)
    x = sample_min_of_k(fam, 4.0, 20_000, scale=1.0, rng=0)
    result = known_base_test(x, fam)
    assert result.k_hat == pytest.approx(4.0, rel=0.03) and result.p_value < 1e-10
    p = known_base_test(sample(fam, (4000, 50), rng=1), fam).p_value
    assert np.histogram(p, bins=4, range=(0, 1))[0] == pytest.approx([1000] * 4, abs=110)


def test_known_base_power_formula_matches_simulation():
    fam = family("lognormal", 1.0)
    simulated = rejection_rate("known base", fam, 1.2, 100, 2000, seed=3)
    exact = known_base_power(100, 1.2)
    assert abs(simulated - exact) < 4 * np.sqrt(exact * (1 - exact) / 2000)
    assert known_base_power(100, 1.0) == pytest.approx(0.05)


def test_min_stable_families_carry_no_information_about_k():
    assert efficient_information(family("exponential")) == 0.0
    assert efficient_information(family("weibull", 0.5)) == 0.0
    assert 0.0 < efficient_information(family("gamma", 2.0)) < 0.05
    assert efficient_information(family("lognormal", 1.0)) == pytest.approx(0.184, abs=0.002)
    res = scale_free_test(sample(family("exponential"), (3, 100), rng=0), family("exponential"))
    assert not res.identifiable and np.all(np.isnan(res.p_value))
    # scale-normalised exponential losses look the same at k = 1 and k = 8; gamma(2) ones do not
    assert invariant_two_sample_rate(family("exponential"), 8, 500, 200) <= 0.08
    assert invariant_two_sample_rate(family("gamma", 2.0), 8, 1000, 200) > 0.5


def test_unknown_scale_test_is_calibrated_and_gains_power_with_n():
    fam = family("gamma", 2.0)
    check = calibration("unknown scale", fam, 200, 2000, seed=5)
    assert check["calibrated"], check
    assert rejection_rate("unknown scale", fam, 2.0, 2000, 200, seed=6) > 0.8
    assert rejection_rate("unknown scale", fam, 2.0, 100, 400, seed=7) < 0.4
    lo, hi = binomial_band(0.05, 1000)
    assert lo < 0.05 < hi


def test_family_fits_recover_parameters_and_count_zeros():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.weibull(0.5, 5000) * 2.0, np.zeros(500)])
    fits = fit_loss_families(x)
    assert fits["zero_fraction"] == pytest.approx(500 / 5500)
    w = fits["fits"]["weibull"]
    assert w["shape"] == pytest.approx(0.5, rel=0.05) and w["scale"] == pytest.approx(2.0, rel=0.1)
    assert w["aic"] < fits["fits"]["exponential"]["aic"]
    assert fit_loss_families(np.zeros(100))["fits"] == {}
    with pytest.raises(ValueError):
        fit_loss_families([-1.0, 2.0])


def test_runs_to_resolve_gives_a_band_that_excludes_twice_the_level_and_no_fewer_runs_do():
    runs = runs_to_resolve(0.05, factor=2.0, coverage=0.999)
    assert binomial_band(0.05, runs)[1] < 0.10 <= binomial_band(0.05, runs - 1)[1]
    assert all(binomial_band(0.05, r)[1] >= 0.10 for r in range(2, runs))
    assert runs_to_resolve(0.05, coverage=0.95) < runs < runs_to_resolve(0.01)
    # the old calibration at n = 10^4 used 100 runs: its band could not see a twofold error
    assert binomial_band(0.05, 100)[1] >= 0.10
    with pytest.raises(ValueError):
        runs_to_resolve(0.05, factor=1.0)


def test_budget_scaling_finds_the_min_of_k_slope_and_ignores_a_flat_model():
    fam = family("weibull", 0.5)
    u = np.random.default_rng(2).random(4000)  # the same inputs at every budget (paired)
    searched = {b: fam.ppf(-np.expm1(np.log1p(-u) / b)) for b in (2, 4, 8, 16)}
    res = budget_scaling_test(searched)
    assert res["slope"] == pytest.approx(-2.0, abs=0.05) and res["interval"][0] <= res["slope"] <= res["interval"][1]
    assert res["min_of_k_slope"] == pytest.approx(-2.0, abs=0.1)
    flat = budget_scaling_test({b: fam.ppf(u) for b in (2, 4, 8, 16)})
    assert flat["slope"] == pytest.approx(0.0, abs=1e-9) and flat["interval"] == pytest.approx((0.0, 0.0), abs=1e-9)
    with pytest.raises(ValueError):
        budget_scaling_test({4: u})


# --- the widget's plain function and the exercise checkers ---------------------------------------

def test_detection_demo_reports_p_value_and_power_and_rejects_bad_settings():
    from mesaopt.detection.widget import detection_demo, detection_widget, plot_detection_demo

    demo = detection_demo("lognormal", 1.0, 4.0, 500, "known base")
    assert demo["p_value"] < 1e-6 and demo["power"] == pytest.approx(known_base_power(500, 4.0))
    flat = detection_demo("exponential", 1.0, 4.0, 500, "unknown scale")
    assert flat["p_value"] is None and flat["power"] is None
    weak = detection_demo("gamma", 2.0, 1.0, 200, "unknown scale")
    assert weak["power"] < 0.2 and 0 <= weak["p_value"] <= 1
    assert len(plot_detection_demo("weibull", 0.7, 8, 300).axes) == 1
    for bad in (dict(k=0.5), dict(n=5), dict(family_name="cauchy"), dict(test="magic")):
        with pytest.raises(ValueError):
            detection_demo(**bad)
    assert detection_widget() is not None


def test_reference_test_is_calibrated_with_ties_and_sees_a_min_of_k():
    from mesaopt.detection.stats import reference_test

    rng = np.random.default_rng(0)

    def zero_inflated(size, scale=1.0):
        return np.where(rng.random(size) < 0.4, 0.0, rng.exponential(scale, size))

    p = np.array([reference_test(zero_inflated(100), zero_inflated(400), seed=r).p_value for r in range(1000)])
    lo, hi = binomial_band(0.05, 1000)
    assert lo <= np.mean(p < 0.05) <= hi
    better = rng.exponential(1.0, (3000, 4)).min(axis=1)
    assert reference_test(better, rng.exponential(1.0, 3000)).p_value < 1e-20


def _ex_min_cdf(base_cdf, k, x):
    return 1.0 - (1.0 - base_cdf(x)) ** k


def _ex_p_value(losses, base_sf):
    from scipy import special
    return special.gammainc(len(losses), -np.log(base_sf(losses)).sum())


def _ex_alpha(budgets, mean_losses):
    return -1.0 / np.polyfit(np.log(budgets), np.log(mean_losses), 1)[0]


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("checker, right, wrong", [
    ("check_min_of_k_cdf", _ex_min_cdf, lambda cdf, k, x: cdf(x) ** k),
    ("check_known_base_p_value", _ex_p_value, lambda losses, sf: 1 - _ex_p_value(losses, sf)),
    ("check_alpha_from_budget", _ex_alpha, lambda b, m: np.polyfit(np.log(b), np.log(m), 1)[0]),
])
def test_exercise_checkers_pass_the_solution_fail_a_wrong_one_and_flag_a_stub(checker, right, wrong):
    from mesaopt.detection import exercises as ch3
    from mesaopt.checking import ExerciseFailed, NotImplementedYet

    check = getattr(ch3, checker)
    assert "correct" in check(right)
    with pytest.raises(ExerciseFailed):
        check(wrong)
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check(_stub)


# --- the fit table ------------------------------------------------------------------------------

def test_fit_table_lists_every_model_and_the_best_family():
    from mesaopt.detection.verdicts import best_family, fit_table_html

    rng = np.random.default_rng(3)
    fits = {"weibull-ish": fit_loss_families(rng.weibull(0.4, 3000)), "all zero": fit_loss_families(np.zeros(50))}
    assert best_family(fits["weibull-ish"]) == "weibull" and best_family(fits["all zero"]) is None
    table = fit_table_html(fits)
    assert table.count("<tr>") == 3 and "all losses are zero" in table and "100%" in table
