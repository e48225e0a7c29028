"""Looking for search inside chapter 1's models: a weight probe and three behavioural tests.

* :func:`basis_alignment`: for each first-layer neuron, the best |cosine| between its weight vector
  and the basis evaluated at some x in [0, 1] (a neuron of grid search computes P(x_j): cosine 1).
* :func:`regret_by_bin`: mean regret per hardness bin, for several answers on the same set.
* :func:`regret_by_steps`: a refiner's regret against its number of iterations T.
* :func:`scale_shift`: how far each answer moves when P is multiplied by a positive constant
  (the argmax does not move at all).
* :func:`silence_neurons`: an MLP's answers with some first-layer neurons switched off (do the
  neurons the weight probe singles out matter more than others?).
* :func:`stationarity`: how far each answer is from a first-order stationary point of P on [0, 1]
  (where a local ascent that has converged must be).
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from mesaopt.maximize.polynomials import DEFAULT_BASIS, basis_derivative_matrix, basis_matrix, exact_maximum, regret
from mesaopt.validation import require_int

__all__ = ["basis_alignment", "random_alignment", "regret_by_bin", "regret_by_steps", "scale_shift",
           "silence_neurons", "stationarity"]


def basis_alignment(weight, degree: int, basis: str = DEFAULT_BASIS, n_points: int = 1001,
                    derivative: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(best |cosine|, the x achieving it) for each row of ``weight`` (shape (neurons, degree + 1)).

    The curve compared with is the basis at x (the neuron would compute +-P(x)), or with
    ``derivative=True`` its x-derivative (the neuron would compute +-P'(x)), at ``n_points`` x's.
    """
    weight = np.asarray(weight, dtype=np.float64)
    degree = require_int("degree", degree, 1, 16)
    if weight.ndim != 2 or weight.shape[1] != degree + 1:
        raise ValueError(f"weight must have shape (neurons, {degree + 1}); got {weight.shape}")
    xs = np.linspace(0.0, 1.0, require_int("n_points", n_points, 2, 100_000))
    curve = basis_derivative_matrix(xs, degree, basis) if derivative else basis_matrix(xs, degree, basis)
    curve = curve / np.linalg.norm(curve, axis=1, keepdims=True)
    rows = weight / np.maximum(np.linalg.norm(weight, axis=1, keepdims=True), 1e-300)
    cos = np.abs(rows @ curve.T)
    best = np.argmax(cos, axis=1)
    return cos[np.arange(len(rows)), best], xs[best]


def random_alignment(neurons: int, degree: int, basis: str = DEFAULT_BASIS, seed: int = 0,
                     derivative: bool = False) -> np.ndarray:
    """The same statistic for isotropic Gaussian directions: what 'no structure' looks like."""
    rng = np.random.default_rng(seed)
    return basis_alignment(rng.standard_normal((neurons, degree + 1)), degree, basis, derivative=derivative)[0]


def regret_by_bin(coeffs, answers: dict, bins, basis: str = DEFAULT_BASIS, max_value=None) -> dict:
    """``{name: mean regret in each bin}`` (arrays of length n_bins) for answers ``{name: x}``."""
    bins = np.asarray(bins)
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    n_bins = int(bins.max()) + 1
    table = {}
    for name, x in answers.items():
        r = regret(coeffs, x, basis, max_value)
        table[name] = np.array([r[bins == b].mean() for b in range(n_bins)])
    return table


def regret_by_steps(model, coeffs, steps, basis: str = DEFAULT_BASIS, max_value=None) -> np.ndarray:
    """Mean regret of a refiner's guess after each number of iterations in ``steps``."""
    from mesaopt.maximize.training import predict

    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    return np.array([regret(coeffs, predict(model, coeffs, steps=int(t)), basis, max_value).mean()
                     for t in steps])


def scale_shift(answer, coeffs, scales, basis: str = DEFAULT_BASIS) -> dict:
    """How an answer ``coeffs -> x`` reacts when every P is multiplied by s > 0.

    Returns ``{"scale": s, "moved": mean |x(sP) - x(P)|, "regret": mean regret of x(sP) on P}``
    (regret measured on the unscaled P, so the numbers are comparable across s).
    """
    coeffs = np.asarray(coeffs, dtype=np.float64)
    scales = np.asarray(scales, dtype=np.float64)
    if np.any(scales <= 0):
        raise ValueError("scales must be positive numbers")
    top = exact_maximum(coeffs, basis)[1]
    base = np.asarray(answer(coeffs), dtype=np.float64)
    moved, regrets = [], []
    for s in scales:
        x = np.clip(np.asarray(answer(s * coeffs), dtype=np.float64), 0.0, 1.0)
        moved.append(np.mean(np.abs(x - base)))
        regrets.append(regret(coeffs, x, basis, top).mean())
    return {"scale": scales, "moved": np.array(moved), "regret": np.array(regrets)}


def silence_neurons(mlp, neurons, coeffs) -> np.ndarray:
    """Answers of a copy of ``mlp`` whose first-layer ``neurons`` send nothing to the next layer."""
    from mesaopt.maximize.training import predict

    neurons = np.asarray(neurons, dtype=np.int64).reshape(-1)
    if neurons.size and (neurons.min() < 0 or neurons.max() >= mlp.width):
        raise ValueError(f"neurons must be indices in [0, {mlp.width - 1}]")
    silent = copy.deepcopy(mlp)
    next_layer = silent.net[2]  # Linear after the first ReLU
    with torch.no_grad():
        next_layer.weight[:, neurons] = 0.0
    return predict(silent, coeffs)


def stationarity(coeffs, x, basis: str = DEFAULT_BASIS, edge: float = 1e-3) -> np.ndarray:
    """The first-order (KKT) residual of each answer x on [0, 1], relative to the typical slope of P.

    In the interior it is |P'(x)|; within ``edge`` of 0 it is max(P'(x), 0) and within ``edge`` of 1
    max(-P'(x), 0) (at an endpoint a maximum only needs P to fall into the interval). It is divided by
    the mean |P'| over 257 evenly spaced points, so 0 means a stationary point (every local maximum,
    and every converged local ascent, has residual 0) and values near 1 a typical slope.
    """
    coeffs = np.asarray(coeffs, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    degree = coeffs.shape[1] - 1
    slope = np.einsum("ck,ck->c", coeffs, basis_derivative_matrix(x, degree, basis))
    typical = np.abs(coeffs @ basis_derivative_matrix(np.linspace(0.0, 1.0, 257), degree, basis).T).mean(axis=1)
    residual = np.where(x <= edge, np.maximum(slope, 0.0), np.where(x >= 1 - edge, np.maximum(-slope, 0.0), np.abs(slope)))
    return residual / np.maximum(typical, 1e-300)
