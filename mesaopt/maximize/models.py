"""Torch models that map a polynomial's coefficients to a guess x in [0, 1].

* :class:`MLP`: fully amortized; coefficients in, x out, no access to P at any point.
* :class:`RecurrentRefiner`: weight-tied; starts at x = 1/2 and, for ``steps`` iterations, looks at
  P and P' at its current guess (plus its own hidden state) and moves the guess. It *can* do a local
  search; whether training makes it do one is what chapter 1 measures.
* :class:`SoftArgmaxGrid`: hand-built, not trained: a first linear layer whose rows are the basis
  at G grid points (so it computes P at the grid exactly), then a soft-argmax with inverse
  temperature beta. As beta grows it becomes grid search.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mesaopt.maximize.polynomials import (BASES, DEFAULT_BASIS, DEFAULT_DEGREE, MAX_DEGREE, _derivative_to_monomial,
                                 _to_monomial_matrix, basis_matrix)
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["torch_basis", "torch_evaluate", "torch_value_and_slope", "MLP", "RecurrentRefiner", "SoftArgmaxGrid", "as_coeff_tensor"]


def _check_degree_basis(degree, basis) -> int:
    degree = require_int("degree", degree, 1, MAX_DEGREE)
    require_choice("basis", basis, BASES)
    return degree


def torch_basis(x: torch.Tensor, degree: int, basis: str = DEFAULT_BASIS, derivative: bool = False) -> torch.Tensor:
    """The basis (or its x-derivative) at ``x``: shape x.shape + (degree + 1,). Differentiable in x.

    Legendre uses the three-term recurrence on t = 2x - 1 (stable in float32).
    """
    ones, zeros = torch.ones_like(x), torch.zeros_like(x)
    if basis == "monomial":
        powers = [ones]
        for _ in range(degree):
            powers.append(powers[-1] * x)
        values = torch.stack(powers, dim=-1)
        slopes = torch.stack([zeros] + [k * powers[k - 1] for k in range(1, degree + 1)], dim=-1)
        if derivative is None:
            return values, slopes
        return slopes if derivative else values
    t = 2.0 * x - 1.0
    values, slopes = [ones, t], [zeros, 2.0 * ones]
    for k in range(1, degree):
        values.append(((2 * k + 1) * t * values[k] - k * values[k - 1]) / (k + 1))
        # d/dx L_{k+1} = d/dx L_{k-1} + (2k + 1) L_k * dt/dx
        slopes.append(slopes[k - 1] + 2.0 * (2 * k + 1) * values[k])
    if derivative is None:  # both, for torch_value_and_slope
        return torch.stack(values[: degree + 1], dim=-1), torch.stack(slopes[: degree + 1], dim=-1)
    chosen = slopes if derivative else values
    return torch.stack(chosen[: degree + 1], dim=-1)


def torch_evaluate(coeffs: torch.Tensor, x: torch.Tensor, basis: str = DEFAULT_BASIS,
                   derivative: bool = False) -> torch.Tensor:
    """P(x) (or P'(x)) for each row of ``coeffs`` at its own ``x`` (shape (count,))."""
    degree = coeffs.shape[-1] - 1
    return (coeffs * torch_basis(x, degree, basis, derivative)).sum(-1)


def torch_value_and_slope(coeffs: torch.Tensor, x: torch.Tensor, basis: str = DEFAULT_BASIS):
    """(P(x), P'(x)) for each row of ``coeffs`` at its own ``x``, sharing one basis evaluation."""
    degree = coeffs.shape[-1] - 1
    both = torch_basis(x, degree, basis, derivative=None)
    return (coeffs * both[0]).sum(-1), (coeffs * both[1]).sum(-1)


def as_coeff_tensor(coeffs, degree: int) -> torch.Tensor:
    """Coefficients as a float32 tensor of shape (count, degree + 1), with a clear error otherwise."""
    t = torch.as_tensor(np.asarray(coeffs, dtype=np.float32))
    if t.ndim != 2 or t.shape[1] != degree + 1:
        raise ValueError(f"coeffs must have shape (count, {degree + 1}) for degree {degree}; got {tuple(t.shape)}")
    return t


class MLP(nn.Module):
    """Coefficients -> hidden ReLU layers -> sigmoid -> x in (0, 1)."""

    def __init__(self, degree: int = DEFAULT_DEGREE, width: int = 128, depth: int = 2, basis: str = DEFAULT_BASIS):
        super().__init__()
        self.degree = _check_degree_basis(degree, basis)
        self.basis = basis
        self.width = require_int("width", width, 1, 4096)
        self.depth = require_int("depth", depth, 1, 8)
        layers, size = [], self.degree + 1
        for _ in range(self.depth):
            layers += [nn.Linear(size, self.width), nn.ReLU()]
            size = self.width
        layers.append(nn.Linear(size, 1))
        self.net = nn.Sequential(*layers)

    @property
    def first_layer(self) -> nn.Linear:
        return self.net[0]

    def forward(self, coeffs: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(coeffs)).squeeze(-1)


class RecurrentRefiner(nn.Module):
    """A weight-tied cell applied ``steps`` times; each step sees P and P' at the current guess.

    State: a guess x (kept as a logit z, x = sigmoid(z)) and a hidden vector h. With
    ``start="learned"`` (default) a one-hidden-layer head proposes the first guess from the
    coefficients (an amortized proposal); with ``start="half"`` the first guess is x = 1/2. h starts
    at 0. One step: ``h <- tanh(A [coeffs, x, P(x), P'(x), h])``, ``z <- z + b . h``.
    P and P' at x are computed exactly by a fixed (not learned) layer, like a query to the objective.
    """

    def __init__(self, degree: int = DEFAULT_DEGREE, width: int = 64, basis: str = DEFAULT_BASIS,
                 start: str = "learned"):
        super().__init__()
        self.degree = _check_degree_basis(degree, basis)
        self.basis = basis
        self.width = require_int("width", width, 1, 4096)
        self.start = require_choice("start", start, ("learned", "half"))
        self.train_steps = 6  # the default number of iterations; train_refiner sets it to the trained T
        if self.start == "learned":
            self.propose = nn.Sequential(nn.Linear(self.degree + 1, self.width), nn.ReLU(), nn.Linear(self.width, 1))
        self.cell = nn.Linear(self.degree + 1 + 3 + self.width, self.width)
        self.move = nn.Linear(self.width, 1)
        self.register_buffer("to_monomial", torch.tensor(_to_monomial_matrix(self.degree, basis)), persistent=False)
        self.register_buffer("to_monomial_slope", torch.tensor(_derivative_to_monomial(self.degree, basis)),
                             persistent=False)
        # fixed feature scales so P and P' enter at order one
        self.value_scale = float(np.sqrt(self.degree + 1))
        self.slope_scale = float((self.degree + 1) ** 2)

    def trajectory(self, coeffs: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Guesses after 0, 1, ..., steps iterations: shape (steps + 1, count). None: ``train_steps``."""
        steps = require_int("steps", self.train_steps if steps is None else steps, 0, 10_000)
        count = coeffs.shape[0]
        # P and P' at the guess: a fixed layer, in float64 on monomial coefficients (6 torch ops a step)
        mono = coeffs.double() @ self.to_monomial
        mono_slope = coeffs.double() @ self.to_monomial_slope
        powers = torch.arange(self.degree + 1, dtype=torch.float64)
        if self.start == "learned":
            z = self.propose(coeffs).squeeze(-1)
        else:
            z = torch.zeros(count, dtype=coeffs.dtype)
        h = torch.zeros(count, self.width, dtype=coeffs.dtype)
        xs = [torch.sigmoid(z)]
        for _ in range(steps):
            x = xs[-1]
            x_powers = x.double()[:, None] ** powers
            value = ((x_powers * mono).sum(-1) / self.value_scale).to(coeffs.dtype)
            slope = ((x_powers[:, :-1] * mono_slope).sum(-1) / self.slope_scale).to(coeffs.dtype)
            features = torch.cat([coeffs, x[:, None], value[:, None], slope[:, None], h], dim=1)
            h = torch.tanh(self.cell(features))
            z = z + self.move(h).squeeze(-1)
            xs.append(torch.sigmoid(z))
        return torch.stack(xs)

    def forward(self, coeffs: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """The guess after ``steps`` iterations (default: the number it was trained with)."""
        return self.trajectory(coeffs, steps)[-1]


class SoftArgmaxGrid(nn.Module):
    """Grid search written as weights: ``x = grid . softmax(beta * W c)`` with W = basis at the grid.

    Row j of the first (linear, bias-free) layer is the basis evaluated at grid point j/(G-1), so that
    layer outputs P at the G grid points exactly. The soft-argmax then picks the grid point with the
    largest value (exactly, as beta -> infinity). G = 1 means the single point 1/2.
    """

    def __init__(self, G: int, beta: float, degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS):
        super().__init__()
        self.G = require_int("G", G, 1, 100_000)
        self.beta = require_float("beta", beta, 0.0, None, low_inclusive=False)
        self.degree = _check_degree_basis(degree, basis)
        self.basis = basis
        grid = np.linspace(0.0, 1.0, self.G) if self.G > 1 else np.array([0.5])
        self.evaluate_grid = nn.Linear(self.degree + 1, self.G, bias=False)
        with torch.no_grad():
            self.evaluate_grid.weight.copy_(torch.as_tensor(basis_matrix(grid, self.degree, basis)))
        self.evaluate_grid.weight.requires_grad_(False)
        self.register_buffer("grid", torch.as_tensor(grid, dtype=torch.float32))

    def forward(self, coeffs: torch.Tensor) -> torch.Tensor:
        values = self.evaluate_grid(coeffs.to(self.evaluate_grid.weight.dtype))
        weights = torch.softmax(self.beta * values, dim=-1)
        return (weights * self.grid.to(weights.dtype)).sum(-1)
