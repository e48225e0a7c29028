"""Detection tests: exact calibration, the closed-form power, the zero information of min-stable
families, family fits, the hardness test and the budget-scaling test."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detection.stats import (
    binomial_band, budget_scaling_test, calibration, efficient_information, fit_loss_families,
    hardness_test, invariant_two_sample_rate, known_base_power, known_base_test, rejection_rate,
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
    assert invariant_two_sample_rate(family("gamma", 2.0), 8, 500, 200) > 0.3


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


def test_hardness_test_sees_a_planted_dependence_and_not_an_absent_one():
    rng = np.random.default_rng(1)
    h = rng.random(2000)
    dependent = hardness_test(rng.exponential(1 + 10 * h), h)
    independent = hardness_test(rng.exponential(1.0, 2000), h)
    assert dependent["depends_on_hardness"] and not dependent["search_like"]
    assert independent["search_like"] and dependent["hard_easy_ratio"] > 2
    assert hardness_test(np.zeros(2000), h)["search_like"]


def test_budget_scaling_finds_the_min_of_k_slope_and_ignores_a_flat_model():
    fam = family("weibull", 0.5)
    u = np.random.default_rng(2).random(4000)  # the same inputs at every budget (paired)
    searched = {b: fam.ppf(-np.expm1(np.log1p(-u) / b)) for b in (2, 4, 8, 16)}
    res = budget_scaling_test(searched)
    assert res["slope"] == pytest.approx(-2.0, abs=0.05) and res["search_like"]
    assert res["min_of_k_slope"] == pytest.approx(-2.0, abs=0.1)
    flat = {b: fam.ppf(u) for b in (2, 4, 8, 16)}
    assert not budget_scaling_test(flat)["search_like"]
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


# --- the verdict table ---------------------------------------------------------------------------

def test_verdicts_on_known_models_and_the_accuracy_count():
    from mesaopt.maximize.polynomials import exact_maximum, hardness, sample_polynomials
    from mesaopt.detection.verdicts import (BUILT_TO_SEARCH, REFERENCE, accuracy, behavioural_verdicts, budget_answers,
                                  model_answers, regrets, verdict_table_html)

    # stand-ins for the trained models (predict() accepts plain functions): a fixed guess and a refiner
    # that only uses its budget to move from 0.3 towards the better endpoint
    fake = {"mlp_squared": lambda c: np.full(len(c), 0.4), "mlp_regret": lambda c: np.full(len(c), 0.3),
            "refiner": lambda c, steps=8: np.full(len(c), 0.3)}
    coeffs = sample_polynomials(600, seed=21)
    top = exact_maximum(coeffs)[1]
    answers = model_answers(fake)
    assert set(answers) == set(BUILT_TO_SEARCH)
    losses = regrets(answers, coeffs, max_value=top)
    assert np.all(losses["exact (roots of P')"] < 1e-9) and losses["constant 1/2"].mean() > 0.5
    budgets = {name: regrets(funcs, coeffs, max_value=top) for name, (_, funcs) in budget_answers(fake).items()}
    reference = regrets({REFERENCE: answers[REFERENCE]}, sample_polynomials(600, seed=22))[REFERENCE]
    rows, details = behavioural_verdicts(losses, hardness(coeffs), reference, budgets)
    by_name = {r["model"]: r for r in rows}
    assert by_name["grid search, G=17"]["budget"] is True          # grid regret falls like G^-2
    assert by_name["refiner, T=8"]["budget"] is False               # this fake refiner ignores its budget
    assert by_name["constant 1/2"]["budget"] is None
    assert by_name["exact (roots of P')"]["reference"] is True
    acc = accuracy(rows)
    assert acc["all"][1] == sum(r[t] is not None for r in rows for t in ("hardness", "reference", "budget"))
    assert acc["all"][0] == sum(acc[t][0] for t in ("hardness", "reference", "budget"))
    table = verdict_table_html(rows)
    assert table.count("<tr>") == len(rows) + 1 and "n/a" in table and "WRONG" in table


def test_fit_table_lists_every_model_and_the_best_family():
    from mesaopt.detection.verdicts import best_family, fit_table_html

    rng = np.random.default_rng(3)
    fits = {"weibull-ish": fit_loss_families(rng.weibull(0.4, 3000)), "all zero": fit_loss_families(np.zeros(50))}
    assert best_family(fits["weibull-ish"]) == "weibull" and best_family(fits["all zero"]) is None
    table = fit_table_html(fits)
    assert table.count("<tr>") == 3 and "all losses are zero" in table and "100%" in table


def test_lookup_table_recalls_stored_answers_and_improves_with_its_size():
    from mesaopt.maximize.polynomials import exact_maximum, regret, sample_polynomials
    from mesaopt.detection.verdicts import lookup_table

    stored = sample_polynomials(300, seed=3_000_017)  # the table's own polynomials (seed 0)
    assert np.allclose(lookup_table(300)(stored), exact_maximum(stored)[0])
    fresh = sample_polynomials(500, seed=31)
    top = exact_maximum(fresh)[1]
    small, large = (regret(fresh, lookup_table(b)(fresh), max_value=top).mean() for b in (100, 4000))
    assert large < small
    with pytest.raises(ValueError):
        lookup_table(0)
