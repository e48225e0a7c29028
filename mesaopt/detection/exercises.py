"""Checkers for chapter 3's exercises: the law of a minimum, the known-base test, budget scaling."""
from __future__ import annotations

import numpy as np
from scipy import special

from mesaopt.checking import call_student, expect, passed

__all__ = ["check_min_of_k_cdf", "check_known_base_p_value", "check_alpha_from_budget"]


def check_min_of_k_cdf(min_of_k_cdf) -> str:
    """``min_of_k_cdf(base_cdf, k, x)``: CDF of the minimum of k iid draws with CDF ``base_cdf``."""
    name = "ch3-min-cdf"
    x = np.linspace(0.0, 3.0, 13)
    cases = [("Exp(1)", lambda t: -np.expm1(-np.asarray(t, float))),
             ("Uniform(0, 3)", lambda t: np.clip(np.asarray(t, float) / 3.0, 0, 1)),
             ("Weibull(0.5)", lambda t: -np.expm1(-np.sqrt(np.asarray(t, float))))]
    for label, cdf in cases:
        for k in (1, 2, 7):
            got = np.asarray(call_student(min_of_k_cdf, cdf, k, x, exercise=name), dtype=float)
            want = 1.0 - (1.0 - cdf(x)) ** k
            expect(got.shape == want.shape, name, f"return one value per x (shape {want.shape}), got {got.shape}")
            expect(np.allclose(got, want, atol=1e-9), name,
                   f"wrong for base {label}, k={k}: at x={x[3]:.2f} expected {want[3]:.4f}, got {got[3]:.4f}. "
                   "Hint: the minimum exceeds x only if all k draws do.")
    return passed(name, "The minimum of k draws has survival function S(x)^k.")


def _reference_p_value(losses, base_sf):
    e = -np.log(base_sf(losses))
    return special.gammainc(len(losses), e.sum())


def check_known_base_p_value(known_base_p_value) -> str:
    """``known_base_p_value(losses, base_sf)``: exact one-sided p-value for k > 1 with the base known."""
    name = "ch3-known-base"
    rng = np.random.default_rng(11)
    sf = lambda t: np.exp(-np.asarray(t, float) ** 0.5)  # Weibull(0.5) base  # noqa: E731
    for k, n in ((1, 50), (1, 400), (3, 50), (1.5, 400)):
        losses = (-np.log1p(-rng.random(n)) / k) ** 2.0  # min of k Weibull(0.5) draws
        got = float(call_student(known_base_p_value, losses, sf, exercise=name))
        want = float(_reference_p_value(losses, sf))
        expect(np.isfinite(got) and 0.0 <= got <= 1.0, name, f"a p-value is a number in [0, 1], got {got}")
        expect(abs(got - want) < 1e-8 + 1e-6 * want, name,
               f"for n={n} losses drawn with k={k} expected p = {want:.4g}, got {got:.4g}. Hint: E = -log S(loss) "
               "is Exp(1) under k = 1; small sums of E are evidence for k > 1; sum of n Exp(1) is Gamma(n, 1).")
    return passed(name, "With the base law known, the test is exact and its power has a closed form.")


def check_alpha_from_budget(alpha_from_budget) -> str:
    """``alpha_from_budget(budgets, mean_losses)``: the Weibull shape implied by how losses fall with budget."""
    name = "ch3-budget-alpha"
    rng = np.random.default_rng(5)
    for alpha in (0.5, 1.0, 2.0):
        budgets = np.array([2, 4, 8, 16, 32, 64])
        means = 3.0 * budgets ** (-1.0 / alpha) * np.exp(rng.normal(0, 0.01, budgets.size))
        got = float(call_student(alpha_from_budget, budgets, means, exercise=name))
        expect(abs(got - alpha) < 0.05 * alpha, name,
               f"for losses falling like budget^(-1/{alpha}) expected alpha close to {alpha}, got {got:.3f}. "
               "Hint: fit a straight line to log(mean loss) against log(budget); its slope is -1/alpha.")
    return passed(name, "A search budget B moves the loss scale like B^(-1/alpha).")
