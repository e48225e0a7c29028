"""Baselines: constant, endpoint, grid search, exact, and the "as good as grid search" scale."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P


def test_grid_search_improves_with_G_and_two_points_is_the_best_endpoint():
    coeffs = P.sample_polynomials(500, seed=5)
    assert np.array_equal(B.grid_search(coeffs, 2), B.best_endpoint(coeffs))
    curve = B.grid_regret_curve(coeffs, sizes=(2, 4, 16, 64, 256))
    assert np.all(np.diff(curve["regret"]) < 0)
    assert curve["regret"][-1] < 1e-3
    assert np.allclose(B.exact(coeffs), P.exact_maximum(coeffs)[0])


def test_constant_and_endpoint_guesses():
    coeffs = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])  # increasing, decreasing
    assert B.best_endpoint(coeffs, "monomial").tolist() == [1.0, 0.0]
    assert B.constant_guess(coeffs, 0.25).tolist() == [0.25, 0.25]
    with pytest.raises(ValueError, match="x0"):
        B.constant_guess(coeffs, 2.0)
    assert B.grid_points(1).tolist() == [0.5]
    with pytest.raises(ValueError, match="G must be an integer"):
        B.grid_search(coeffs, 0)


def test_as_good_as_grid_inverts_the_curve():
    curve = {"G": np.array([2, 4, 8, 16]), "regret": np.array([1.0, 0.25, 0.0625, 0.015625])}
    assert np.isclose(B.as_good_as_grid(0.25, curve), 4.0)
    assert np.isclose(B.as_good_as_grid(0.125, curve), np.sqrt(32))  # halfway in log-log
    assert np.isclose(B.as_good_as_grid(10.0, curve), 2.0)
    assert np.isclose(B.as_good_as_grid(1e-9, curve), 16.0)


def test_the_ruler_reads_by_mean_and_by_median():
    coeffs = P.sample_polynomials(2000, seed=7)
    curves = B.grid_regret_curves(coeffs)
    assert np.allclose(curves["mean"], B.grid_regret_curve(coeffs)["regret"])
    assert np.all(curves["median"] <= curves["mean"])
    top = P.exact_maximum(coeffs)[1]
    own = P.regret(coeffs, B.grid_search(coeffs, 32), max_value=top)
    G = B.as_good_as_grid_by(own, curves)
    assert G["mean"] == pytest.approx(32, rel=1e-6) and G["median"] == pytest.approx(32, rel=1e-6)
    # a model exact on every polynomial but a few: good by the median, poor by the mean
    mostly = np.where(np.arange(2000) < 100, 1.0, 0.0)
    G = B.as_good_as_grid_by(mostly, curves)
    assert G["median"] == pytest.approx(256) and G["mean"] < 16   # mean regret 0.05: G about 10
    with pytest.raises(ValueError, match="non-empty array"):
        B.as_good_as_grid_by([-1.0], curves)
    with pytest.raises(ValueError, match="missing"):
        B.as_good_as_grid_by([0.1], {"G": curves["G"], "mean": curves["mean"]})
