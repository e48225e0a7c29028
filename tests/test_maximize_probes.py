"""Chapter 1's probes: weight alignment, regret per hardness bin, refiner steps, scaling."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P
from mesaopt.maximize import probes as Q
from mesaopt.maximize.models import SoftArgmaxGrid


def test_hand_built_grid_rows_align_perfectly_and_random_rows_do_not():
    net = SoftArgmaxGrid(16, 10.0, degree=6)
    cos, where = Q.basis_alignment(net.evaluate_grid.weight.numpy(), 6)
    assert np.all(cos > 0.9999)
    assert np.allclose(where, np.linspace(0, 1, 16), atol=1e-3)
    rand = Q.random_alignment(500, 6)
    assert np.median(rand) < 0.9
    slope_rows = P.basis_derivative_matrix(np.array([0.3]), 6)
    assert Q.basis_alignment(slope_rows, 6, derivative=True)[0][0] > 0.9999
    with pytest.raises(ValueError, match="weight must have shape"):
        Q.basis_alignment(np.zeros((3, 4)), 6)


def test_regret_by_bin_averages_within_bins():
    coeffs = P.sample_polynomials(400, seed=0)
    top = P.exact_maximum(coeffs)[1]
    bins = P.hardness_bins(P.hardness(coeffs), 4)
    table = Q.regret_by_bin(coeffs, {"exact": B.exact(coeffs), "end": B.best_endpoint(coeffs)}, bins)
    assert np.allclose(table["exact"], 0, atol=1e-9)
    r = P.regret(coeffs, B.best_endpoint(coeffs), max_value=top)
    assert np.isclose(table["end"].mean(), r.mean())  # equal-count bins


def test_scale_shift_is_zero_for_grid_search_and_positive_for_a_soft_argmax():
    coeffs = P.sample_polynomials(300, seed=2)
    grid = Q.scale_shift(lambda c: B.grid_search(c, 16), coeffs, [0.5, 1, 3])
    assert np.all(grid["moved"] == 0) and np.allclose(grid["regret"], grid["regret"][0])
    net = SoftArgmaxGrid(16, 3.0)
    soft = Q.scale_shift(lambda c: net(__import__("torch").tensor(c, dtype=__import__("torch").float32)).numpy(),
                         coeffs, [0.5, 1, 3])
    assert soft["moved"][1] == 0 and soft["moved"][0] > 0.01 and soft["regret"][2] < soft["regret"][0]
    with pytest.raises(ValueError, match="positive"):
        Q.scale_shift(lambda c: B.grid_search(c, 4), coeffs, [0.0])


def test_silence_neurons_leaves_the_model_alone_and_silencing_everything_gives_a_constant():
    import torch

    from mesaopt.maximize.models import MLP
    from mesaopt.maximize.training import predict

    torch.manual_seed(0)
    mlp = MLP(6, width=8)
    coeffs = P.sample_polynomials(50, seed=0)
    before = predict(mlp, coeffs)
    assert np.array_equal(Q.silence_neurons(mlp, [], coeffs), before)
    constant = Q.silence_neurons(mlp, range(8), coeffs)
    assert np.allclose(constant, constant[0])
    assert np.array_equal(predict(mlp, coeffs), before)  # the original is untouched
    with pytest.raises(ValueError, match="neurons must be indices"):
        Q.silence_neurons(mlp, [8], coeffs)


def test_stationarity_is_zero_at_maxima_and_at_endpoints_only_with_the_right_slope():
    coeffs = P.sample_polynomials(500, seed=4)
    assert np.all(Q.stationarity(coeffs, B.exact(coeffs)) < 1e-8)
    rising = np.array([[0.0, 1.0, 0.0]])   # P(x) = x in the monomial basis: maximum at 1
    assert Q.stationarity(rising, np.array([1.0]), "monomial")[0] == 0
    assert Q.stationarity(rising, np.array([0.0]), "monomial")[0] == pytest.approx(1.0)
    assert Q.stationarity(rising, np.array([0.5]), "monomial")[0] == pytest.approx(1.0)
    # halfway points are rarely stationary
    assert np.mean(Q.stationarity(coeffs, B.constant_guess(coeffs)) < 0.01) < 0.05
