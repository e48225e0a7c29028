"""Models: the torch basis matches numpy, the hand-built grid net is grid search, shapes and checks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P
from mesaopt.maximize.models import MLP, RecurrentRefiner, SoftArgmaxGrid, torch_basis, torch_value_and_slope
from mesaopt.maximize.training import predict


@pytest.mark.parametrize("basis", P.BASES)
def test_torch_basis_and_slope_match_numpy(basis):
    x = np.linspace(0, 1, 9)
    values = torch_basis(torch.tensor(x), 6, basis).numpy()
    slopes = torch_basis(torch.tensor(x), 6, basis, derivative=True).numpy()
    assert np.allclose(values, P.basis_matrix(x, 6, basis))
    assert np.allclose(slopes, P.basis_derivative_matrix(x, 6, basis))
    coeffs = P.sample_polynomials(9, 6, basis, seed=0)
    v, s = torch_value_and_slope(torch.tensor(coeffs), torch.tensor(x), basis)
    assert np.allclose(v.numpy(), P.evaluate(coeffs, x, basis))


def test_soft_argmax_grid_computes_P_on_the_grid_and_becomes_grid_search():
    coeffs = P.sample_polynomials(400, seed=1)
    net = SoftArgmaxGrid(G=32, beta=1e4, degree=6)
    values = net.evaluate_grid(torch.tensor(coeffs, dtype=torch.float32)).numpy()
    assert np.allclose(values, P.evaluate_at_points(coeffs, B.grid_points(32)), atol=1e-4)
    x = predict(net, coeffs)
    assert np.mean(np.isclose(x, B.grid_search(coeffs, 32), atol=1e-3)) > 0.98
    # a cold soft-argmax (small beta) averages the grid: close to 1/2
    assert np.abs(predict(SoftArgmaxGrid(32, 1e-6), coeffs) - 0.5).max() < 1e-3


def test_mlp_and_refiner_outputs_are_guesses_in_the_unit_interval():
    coeffs = torch.tensor(P.sample_polynomials(7, seed=2), dtype=torch.float32)
    x = MLP(6, width=8)(coeffs)
    assert x.shape == (7,) and torch.all((x > 0) & (x < 1))
    refiner = RecurrentRefiner(6, width=8)
    path = refiner.trajectory(coeffs, steps=5)
    assert path.shape == (6, 7)
    assert torch.allclose(refiner(coeffs, steps=5), path[-1])
    assert torch.all(RecurrentRefiner(6, 8, start="half").trajectory(coeffs, 0) == 0.5)


def test_bad_arguments_fail_early_with_a_clear_message():
    with pytest.raises(ValueError, match="beta must be a number > 0"):
        SoftArgmaxGrid(8, 0.0)
    with pytest.raises(ValueError, match="basis must be one of"):
        MLP(6, basis="fourier")
    with pytest.raises(ValueError, match=r"coeffs must have shape \(count, 7\)"):
        predict(MLP(6, width=4), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="steps must be an integer"):
        RecurrentRefiner(6, 4)(torch.zeros(2, 7), steps=-1)
