"""Answers to the task that need no training: a constant, the better endpoint, grid search, exact.

Each returns the guesses x, shape (count,). ``grid_search`` with G points evaluates P at
0, 1/(G-1), ..., 1 and returns the best; G = 2 is the better endpoint, and as G grows it tends to
the exact answer. ``as_good_as_grid`` turns any regret into "as good as grid search with G = ...".

The ruler comes in two readings: by the mean regret (``grid_regret_curve``, ``as_good_as_grid``) and, for
answers whose regret is dominated by a few bad polynomials, by the median regret too
(``grid_regret_curves`` and ``as_good_as_grid_by`` give both at once).
"""
from __future__ import annotations

import numpy as np

from mesaopt.maximize.polynomials import DEFAULT_BASIS, _as_coeffs, evaluate_at_points, exact_maximum, regret
from mesaopt.validation import require_float, require_int

__all__ = ["constant_guess", "best_endpoint", "grid_points", "grid_search", "exact", "grid_regret_curve",
           "as_good_as_grid", "grid_regret_curves", "as_good_as_grid_by", "RULER_STATISTICS", "GRID_SIZES"]

RULER_STATISTICS = ("mean", "median")

GRID_SIZES = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def constant_guess(coeffs, x0: float = 0.5) -> np.ndarray:
    """The same guess ``x0`` for every polynomial."""
    coeffs = _as_coeffs(coeffs)
    return np.full(coeffs.shape[0], require_float("x0", x0, 0.0, 1.0))


def best_endpoint(coeffs, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """1 where P(1) >= P(0), else 0."""
    coeffs = _as_coeffs(coeffs)
    ends = evaluate_at_points(coeffs, [0.0, 1.0], basis)
    return (ends[:, 1] >= ends[:, 0]).astype(np.float64)


def grid_points(G: int) -> np.ndarray:
    """G evenly spaced points from 0 to 1 (G = 1 is the single point 1/2)."""
    G = require_int("G", G, 1, 1_000_000)
    return np.linspace(0.0, 1.0, G) if G > 1 else np.array([0.5])


def grid_search(coeffs, G: int, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The grid point with the largest P (the first one on ties)."""
    coeffs = _as_coeffs(coeffs)
    grid = grid_points(G)
    return grid[np.argmax(evaluate_at_points(coeffs, grid, basis), axis=1)]


def exact(coeffs, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The true argmax, ``exact_maximum(coeffs, basis)[0]``."""
    return exact_maximum(coeffs, basis)[0]


def grid_regret_curve(coeffs, basis: str = DEFAULT_BASIS, sizes=GRID_SIZES, max_value=None) -> dict:
    """Mean regret of grid search for each G in ``sizes``: ``{"G": array, "regret": array}``."""
    coeffs = _as_coeffs(coeffs)
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    sizes = np.array([require_int("G", g, 1, 1_000_000) for g in sizes])
    mean = np.array([regret(coeffs, grid_search(coeffs, int(g), basis), basis, max_value).mean() for g in sizes])
    return {"G": sizes, "regret": mean}


def as_good_as_grid(mean_regret: float, curve: dict) -> float:
    """The (fractional) G at which grid search has this mean regret, by log-log interpolation.

    Regret of grid search falls with G, so a smaller regret means a larger G. Below the smallest G of
    the curve the answer is clipped to it; above the largest, to the largest (an answer equal to the
    curve's last G means "at least that good").
    """
    mean_regret = require_float("mean_regret", mean_regret, 0.0, None)
    sizes, values = np.asarray(curve["G"], float), np.asarray(curve["regret"], float)
    order = np.argsort(values)  # increasing regret = decreasing G
    log_r = np.log(np.maximum(values[order], 1e-300))
    log_g = np.log(sizes[order])
    target = np.log(max(mean_regret, 1e-300))
    return float(np.exp(np.interp(target, log_r, log_g)))


def grid_regret_curves(coeffs, basis: str = DEFAULT_BASIS, sizes=GRID_SIZES, max_value=None) -> dict:
    """Grid search's regret for each G in ``sizes`` by mean and by median over the polynomials:
    ``{"G": array, "mean": array, "median": array}`` (``"mean"`` equals :func:`grid_regret_curve`'s ``"regret"``)."""
    coeffs = _as_coeffs(coeffs)
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    sizes = np.array([require_int("G", g, 1, 1_000_000) for g in sizes])
    regrets = [regret(coeffs, grid_search(coeffs, int(g), basis), basis, max_value) for g in sizes]
    return {"G": sizes, "mean": np.array([r.mean() for r in regrets]),
            "median": np.array([np.median(r) for r in regrets])}


def as_good_as_grid_by(regrets, curves: dict) -> dict:
    """``{"mean": G, "median": G}``: the grid size whose mean (median) regret equals the mean (median) of
    ``regrets`` (one regret per polynomial of the set ``curves`` was made on, from :func:`grid_regret_curves`).
    Each reading is :func:`as_good_as_grid` on the matching curve, clipped to the curve's range of G."""
    regrets = np.asarray(regrets, dtype=np.float64).reshape(-1)
    if regrets.size == 0 or not np.all(np.isfinite(regrets)) or np.any(regrets < 0):
        raise ValueError("regrets must be a non-empty array of finite numbers >= 0, one per polynomial")
    missing = [key for key in ("G", *RULER_STATISTICS) if key not in curves]
    if missing:
        raise ValueError(f"curves must come from grid_regret_curves (keys G, mean, median); missing {missing}")
    summary = {"mean": float(regrets.mean()), "median": float(np.median(regrets))}
    return {stat: as_good_as_grid(summary[stat], {"G": curves["G"], "regret": curves[stat]})
            for stat in RULER_STATISTICS}
