"""Checkers for chapter 1's exercises: grid search written as a linear layer, and the regret loss."""
from __future__ import annotations

import numpy as np
import torch

from mesaopt.checking import call_student, expect, passed
from mesaopt.maximize.models import torch_evaluate
from mesaopt.maximize.polynomials import basis_matrix, evaluate_at_points, sample_polynomials

__all__ = ["check_grid_weights", "check_regret_loss", "reference_grid_weights", "reference_regret_loss"]


def reference_grid_weights(G: int, degree: int) -> np.ndarray:
    """Row j: the shifted Legendre basis at x_j = j / (G - 1); shape (G, degree + 1)."""
    return basis_matrix(np.linspace(0.0, 1.0, G), degree, "legendre")


def reference_regret_loss(coeffs: torch.Tensor, x: torch.Tensor, max_value: torch.Tensor) -> torch.Tensor:
    """Mean of max P - P(x) over the batch (Legendre basis), differentiable in x."""
    return (max_value - torch_evaluate(coeffs, x, "legendre")).mean()


def check_grid_weights(grid_weights) -> str:
    """``grid_weights(G, degree)`` must return W with ``coeffs @ W.T`` = P at the G grid points."""
    name = "ch1-grid-layer"
    for G, degree in [(2, 1), (5, 3), (16, 6), (33, 8)]:
        W = np.asarray(call_student(grid_weights, G, degree, exercise=name), dtype=np.float64)
        expect(W.shape == (G, degree + 1), name,
               f"for G={G}, degree={degree} the weights must have shape ({G}, {degree + 1}); got {W.shape}.")
        coeffs = sample_polynomials(20, degree, "legendre", seed=G)
        truth = evaluate_at_points(coeffs, np.linspace(0, 1, G), "legendre")
        got = coeffs @ W.T
        worst = float(np.max(np.abs(got - truth)))
        expect(worst < 1e-8, name,
               f"for G={G}, degree={degree}, coeffs @ W.T misses P at the grid by up to {worst:.3g}. Row j "
               f"should be the shifted Legendre basis L_k(2 x_j - 1) at x_j = j/(G-1).")
    return passed(name, "The layer computes P at every grid point; an argmax over its outputs is grid search.")


def check_regret_loss(regret_loss) -> str:
    """``regret_loss(coeffs, x, max_value)`` must be the mean regret, with the right gradient in x."""
    name = "ch1-regret-loss"
    for seed, count in [(0, 5), (1, 64)]:
        coeffs = torch.tensor(sample_polynomials(count, 6, "legendre", seed=seed))
        generator = torch.Generator().manual_seed(seed)
        x_student = torch.rand(count, generator=generator, dtype=torch.float64)
        x_truth = x_student.clone().requires_grad_(True)
        x_student.requires_grad_(True)
        max_value = torch_evaluate(coeffs, x_student.detach(), "legendre") + torch.rand(
            count, generator=generator, dtype=torch.float64)
        value = call_student(regret_loss, coeffs, x_student, max_value, exercise=name)
        expect(isinstance(value, torch.Tensor) and value.numel() == 1, name,
               "return one number as a torch tensor (the mean over the batch), not a numpy value or a vector.")
        truth = reference_regret_loss(coeffs, x_truth, max_value)
        expect(abs(float(value.detach()) - float(truth.detach())) < 1e-8, name,
               f"on a batch of {count} the loss is {float(value.detach()):.6f}, expected {float(truth.detach()):.6f} "
               f"(the mean of max_value - P(x)).")
        expect(value.requires_grad, name, "the loss must stay differentiable in x (use torch operations).")
        value.backward()
        truth.backward()
        expect(x_student.grad is not None and torch.allclose(x_student.grad, x_truth.grad, atol=1e-8), name,
               "the gradient with respect to x is wrong: it should be -P'(x) / batch size.")
    return passed(name, "Its gradient pushes each x uphill on its own P, in proportion to the slope there.")
