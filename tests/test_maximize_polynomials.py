"""The task: sampling, evaluation in both bases, the exact maximum, losses and hardness."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import polynomials as P


@pytest.mark.parametrize("basis", P.BASES)
def test_exact_maximum_matches_a_dense_grid(basis):
    coeffs = P.sample_polynomials(300, degree=7, basis=basis, seed=4)
    arg, top = P.exact_maximum(coeffs, basis)
    grid = np.linspace(0, 1, 20001)
    values = P.evaluate(coeffs, grid, basis)
    # the exact maximum is never below the grid's, and the grid gets within its resolution
    assert np.all(top >= values.max(axis=1) - 1e-9)
    assert np.all(top - values.max(axis=1) < 1e-5)
    assert np.allclose(P.evaluate(coeffs, arg, basis), top)
    assert np.all((arg >= 0) & (arg <= 1))


def test_legendre_basis_is_the_shifted_legendre_family():
    x = np.array([0.0, 0.25, 1.0])
    B = P.basis_matrix(x, 2, "legendre")
    t = 2 * x - 1
    assert np.allclose(B, np.stack([np.ones(3), t, (3 * t ** 2 - 1) / 2], axis=1))
    assert np.allclose(P.basis_matrix(x, 2, "monomial"), np.stack([np.ones(3), x, x ** 2], axis=1))


@pytest.mark.parametrize("basis", P.BASES)
def test_to_monomial_and_derivative_agree_with_direct_evaluation(basis):
    coeffs = P.sample_polynomials(5, degree=6, basis=basis, seed=1)
    x = np.linspace(0, 1, 11)
    mono = P.to_monomial(coeffs, basis)
    assert np.allclose(P.evaluate(mono, x, "monomial"), P.evaluate(coeffs, x, basis))
    slope = coeffs @ P.basis_derivative_matrix(x, 6, basis).T
    numeric = (P.evaluate(coeffs, x + 1e-6, basis) - P.evaluate(coeffs, x - 1e-6, basis)) / 2e-6
    assert np.allclose(slope, numeric, atol=1e-5)


def test_evaluate_shapes_per_row_common_points_and_matrix():
    coeffs = P.sample_polynomials(3, degree=4, seed=0)
    per_row = P.evaluate(coeffs, np.array([0.1, 0.2, 0.3]))
    common = P.evaluate(coeffs, np.array([0.1, 0.2, 0.3, 0.4]))
    matrix = P.evaluate(coeffs, np.tile([0.1, 0.2], (3, 1)))
    assert per_row.shape == (3,) and common.shape == (3, 4) and matrix.shape == (3, 2)
    assert np.allclose(per_row, np.diag(common[:, :3]))
    assert np.allclose(matrix[:, 1], common[:, 1])


def test_losses_are_zero_at_the_argmax_and_follow_their_definitions():
    coeffs = P.sample_polynomials(50, seed=2)
    arg, top = P.exact_maximum(coeffs)
    assert np.allclose(P.regret(coeffs, arg), 0, atol=1e-12)
    x = np.full(50, 0.3)
    r = P.regret(coeffs, x)
    assert np.all(r >= 0)
    assert np.allclose(r, top - P.evaluate(coeffs, x))
    assert np.allclose(P.squared_loss(coeffs, x), r ** 2)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        P.regret(coeffs, np.full(50, 1.5))


def test_degenerate_leading_coefficient_and_low_degree():
    flat = np.array([[0.0, 1.0, -1.0, 0.0]])  # monomial x - x^2: max 1/4 at 1/2, P' has degree 1
    arg, top = P.exact_maximum(flat, "monomial")
    assert np.isclose(arg[0], 0.5) and np.isclose(top[0], 0.25)
    line = np.array([[1.0, -2.0]])
    assert P.exact_maximum(line, "monomial")[0][0] == 0.0


def test_local_maxima_and_hardness_distinguish_one_peak_from_two_far_equal_peaks():
    # -(x - 1/2)^2: one interior peak; (x - 1/2)^2: two equal peaks at 0 and 1
    one_peak = np.array([[-0.25, 1.0, -1.0]])
    two_peaks = np.array([[0.25, -1.0, 1.0]])
    xs, _ = P.local_maxima(one_peak, "monomial")[0]
    assert np.allclose(xs, [0.5])
    xs, _ = P.local_maxima(two_peaks, "monomial")[0]
    assert np.allclose(xs, [0.0, 1.0])
    assert P.hardness(one_peak, "monomial")[0] == 0.0
    assert np.isclose(P.hardness(two_peaks, "monomial")[0], 1.0)


def test_hardness_is_invariant_to_positive_scaling_and_shifts():
    coeffs = P.sample_polynomials(200, seed=3)
    h = P.hardness(coeffs)
    moved = 3.7 * coeffs
    moved[:, 0] += 5.0  # the constant Legendre term
    assert np.allclose(P.hardness(moved), h)
    assert np.all((h >= 0) & (h <= 1))


def test_hardness_bins_have_equal_counts_in_score_order():
    score = np.array([0, 0, 0, 0.5, 0.2, 0.9, 0.1, 0.0])
    bins = P.hardness_bins(score, 4)
    assert np.bincount(bins).tolist() == [2, 2, 2, 2]
    assert bins[5] == 3 and bins[3] == 3
    with pytest.raises(ValueError, match="n_bins"):
        P.hardness_bins(score, 0)


def test_the_two_bases_give_different_landscapes():
    leg = P.landscape_statistics(P.sample_polynomials(2000, 6, "legendre", seed=0), "legendre")
    mono = P.landscape_statistics(P.sample_polynomials(2000, 6, "monomial", seed=0), "monomial")
    assert mono["endpoint_fraction"] > 0.65 > leg["endpoint_fraction"]
    assert leg["mean_local_maxima"] > 2 > mono["mean_local_maxima"]


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="basis must be one of"):
        P.sample_polynomials(3, basis="chebyshev")
    with pytest.raises(ValueError, match="degree must be an integer"):
        P.sample_polynomials(3, degree=0)
    with pytest.raises(ValueError, match="coeffs must have shape"):
        P.exact_maximum(np.zeros((3, 1)))
    assert np.array_equal(P.sample_polynomials(4, seed=9), P.sample_polynomials(4, seed=9))


def test_hardness_matches_its_definition_through_local_maxima():
    for degree, seed in ((3, 1), (6, 2), (10, 3)):
        coeffs = P.sample_polynomials(300, degree, seed=seed)
        arg, top = P.exact_maximum(coeffs)
        grid = np.linspace(0, 1, 257)
        low = np.minimum(P.evaluate_at_points(coeffs, grid).min(axis=1),
                         P.evaluate(coeffs, P.critical_points(coeffs)).min(axis=1))
        expected = np.zeros(len(coeffs))
        for i, (xs, vs) in enumerate(P.local_maxima(coeffs)):
            rival = np.abs(xs - arg[i]) > 1e-6
            if rival.any():
                gap = (top[i] - vs[rival]) / (top[i] - low[i])
                expected[i] = np.max(np.abs(xs[rival] - arg[i]) * np.clip(1 - gap, 0, 1))
        assert np.array_equal(P.hardness(coeffs), expected)
