"""Memorizing against searching, at matched cost per answer.

* :class:`NearestNeighbourMemory` memorizes: it stores B training polynomials with their exact argmax and
  answers a new P with the stored argmax of the most similar stored polynomial. It uses what it knows
  about the task's symmetries: the argmax does not change when a constant is added to P or P is multiplied
  by a positive number, so it compares the directions of (c_1, ..., c_d) (cosine similarity). Cost per
  answer: B d multiply-adds; memory: B (d + 1) numbers (a direction and an argmax per stored polynomial).
* Grid search searches: it evaluates P at G points and keeps the best. Cost per answer: G (d + 1)
  multiply-adds; memory: G (d + 1) numbers (the basis at the grid).

So B = G is matched cost (the memory's compute is a factor d / (d + 1) smaller). The rates: near a smooth
peak the regret is quadratic in the distance to the argmax, so grid search's regret falls like G^-2 at every
degree; the memory's nearest neighbour among B points on the (d - 1)-dimensional sphere of directions lies at
a distance of order B^(-1/(d - 1)), so its regret falls about like B^(-2/(d - 1)), worse and worse with the
degree (without the symmetries, in all d + 1 coefficients, B^(-2/(d + 1))). :func:`memorize_vs_search` measures
both over degrees and budgets; :func:`fitted_slopes` fits the rates.
"""
from __future__ import annotations

import numpy as np

from mesaopt.maximize.baselines import grid_search
from mesaopt.maximize.polynomials import DEFAULT_BASIS, _as_coeffs, exact_maximum, regret, sample_polynomials
from mesaopt.validation import require_int

__all__ = ["NearestNeighbourMemory", "memory_multiply_adds", "grid_multiply_adds", "memorize_vs_search",
           "fitted_slopes", "MEMORY_SEED_OFFSET"]

MEMORY_SEED_OFFSET = 5_000_011  # stored polynomials: a stream apart from the test sets and training pools
_CHUNK = 1 << 22  # entries of one similarity block (test rows x stored rows)


def _directions(coeffs) -> np.ndarray:
    """Unit vectors along (c_1, ..., c_d): what decides the argmax (c_0 shifts P, the norm scales it)."""
    tail = coeffs[:, 1:]
    return tail / np.maximum(np.linalg.norm(tail, axis=1, keepdims=True), 1e-300)


class NearestNeighbourMemory:
    """B stored polynomials of degree ``degree`` (iid N(0, 1) coefficients, seed ``seed``) and their exact argmax."""

    def __init__(self, size: int, degree: int = 6, seed: int = 0, basis: str = DEFAULT_BASIS):
        self.size = require_int("size", size, 1, 10_000_000)
        self.degree = require_int("degree", degree, 2, 16)
        self.basis = basis
        stored = sample_polynomials(self.size, self.degree, basis, seed=MEMORY_SEED_OFFSET + require_int("seed", seed, 0))
        self.directions = _directions(stored)
        self.answers = exact_maximum(stored, basis)[0]

    def __call__(self, coeffs) -> np.ndarray:
        """The stored argmax of the most similar stored polynomial, for each row of ``coeffs``."""
        coeffs = _as_coeffs(coeffs)
        if coeffs.shape[1] != self.degree + 1:
            raise ValueError(f"this memory holds degree-{self.degree} polynomials; got coefficients of degree "
                             f"{coeffs.shape[1] - 1}")
        query = _directions(coeffs)
        rows = max(1, _CHUNK // self.size)
        best = np.concatenate([np.argmax(query[i:i + rows] @ self.directions.T, axis=1)
                               for i in range(0, len(query), rows)])
        return self.answers[best]


def memory_multiply_adds(size: int, degree: int) -> int:
    """Multiply-adds of one answer of a :class:`NearestNeighbourMemory`: a dot product of length d per stored row."""
    return size * degree


def grid_multiply_adds(G: int, degree: int) -> int:
    """Multiply-adds of one answer of grid search: P at G points, d + 1 products each."""
    return G * (degree + 1)


def memorize_vs_search(degrees, budgets, test_count: int = 2048, test_seed: int = 1, memory_seed: int = 0,
                       basis: str = DEFAULT_BASIS) -> dict:
    """Mean regret of the memory with B = budget stored polynomials and of grid search with G = budget points,
    at each degree, on ``test_count`` test polynomials (seed ``test_seed``; at degree 6 and 4096 the chapter's test
    set). Returns ``{"degrees", "budgets", "memory": (degrees, budgets) array, "grid": same, "spread": mean of
    max P - min P per degree}`` (the spread puts regrets of different degrees on one scale)."""
    degrees = [require_int("degree", d, 2, 16) for d in degrees]
    budgets = [require_int("budget", b, 2, 10_000_000) for b in budgets]
    memory = np.zeros((len(degrees), len(budgets)))
    grid = np.zeros_like(memory)
    spread = np.zeros(len(degrees))
    for i, d in enumerate(degrees):
        test = sample_polynomials(test_count, d, basis, seed=test_seed)
        top = exact_maximum(test, basis)[1]
        low = np.min(test @ np.polynomial.legendre.legvander(np.linspace(-1, 1, 513), d).T, axis=1) \
            if basis == "legendre" else None
        spread[i] = float(np.mean(top - low)) if low is not None else float("nan")
        for j, b in enumerate(budgets):
            memory[i, j] = regret(test, NearestNeighbourMemory(b, d, memory_seed, basis)(test), basis, top).mean()
            grid[i, j] = regret(test, grid_search(test, b, basis), basis, top).mean()
    return {"degrees": np.array(degrees), "budgets": np.array(budgets), "memory": memory, "grid": grid,
            "spread": spread}


def fitted_slopes(budgets, regrets) -> np.ndarray:
    """Least-squares slope of log(regret) against log(budget), one per row of ``regrets`` (degrees)."""
    x = np.log(np.asarray(budgets, dtype=np.float64))
    y = np.log(np.maximum(np.asarray(regrets, dtype=np.float64), 1e-300))
    return np.polyfit(x, y.T, 1)[0]
