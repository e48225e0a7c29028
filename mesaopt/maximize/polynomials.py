"""The post's task: random polynomials P on [0, 1], their exact maximum, and the losses of a guess x.

A polynomial of degree d is a row of d + 1 coefficients in a stated basis:

* ``"legendre"`` (the default): shifted Legendre polynomials L_k(2x - 1), orthogonal on [0, 1].
  With N(0, 1) coefficients the maxima are mostly interior and often several local maxima compete.
* ``"monomial"``: 1, x, x^2, ... With N(0, 1) coefficients most maxima sit at an endpoint,
  so "compare P(0) with P(1)" is already nearly right (chapter 1 measures this).

Arrays are numpy float64; ``coeffs`` has shape (count, degree + 1).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial import legendre as _leg
from numpy.polynomial import polynomial as _poly

from mesaopt.validation import require_choice, require_int

__all__ = [
    "BASES", "DEFAULT_BASIS", "DEFAULT_DEGREE", "MAX_DEGREE",
    "sample_polynomials", "basis_matrix", "evaluate_at_points", "basis_derivative_matrix", "evaluate", "to_monomial",
    "critical_points", "exact_maximum", "local_maxima", "regret", "squared_loss",
    "hardness", "hardness_bins", "landscape_statistics",
]

BASES = ("legendre", "monomial")
DEFAULT_BASIS = "legendre"
DEFAULT_DEGREE = 6
MAX_DEGREE = 16


def _check(degree=None, basis=None):
    if degree is not None:
        degree = require_int("degree", degree, 1, MAX_DEGREE)
    if basis is not None:
        require_choice("basis", basis, BASES)
    return degree


def _as_coeffs(coeffs) -> np.ndarray:
    coeffs = np.asarray(coeffs, dtype=np.float64)
    if coeffs.ndim == 1:
        coeffs = coeffs[None, :]
    if coeffs.ndim != 2 or coeffs.shape[1] < 2 or coeffs.shape[1] > MAX_DEGREE + 1:
        raise ValueError(f"coeffs must have shape (count, degree + 1) with degree in [1, {MAX_DEGREE}], "
                         f"got shape {coeffs.shape}")
    if not np.all(np.isfinite(coeffs)):
        raise ValueError("coeffs must be finite numbers")
    return coeffs


def sample_polynomials(count: int, degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS,
                       seed: int = 0) -> np.ndarray:
    """``count`` random polynomials: coefficients iid N(0, 1) in ``basis``; shape (count, degree + 1)."""
    count = require_int("count", count, 1, 10_000_000)
    degree = _check(degree, basis)
    seed = require_int("seed", seed, 0, None)
    return np.random.default_rng(seed).standard_normal((count, degree + 1))


def basis_matrix(x, degree: int, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The basis evaluated at points ``x``: shape x.shape + (degree + 1,), so ``coeffs @ B.T`` is P at x."""
    degree = _check(degree, basis)
    x = np.asarray(x, dtype=np.float64)
    if basis == "legendre":
        return _leg.legvander(2.0 * x - 1.0, degree)
    return _poly.polyvander(x, degree)


def basis_derivative_matrix(x, degree: int, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """d/dx of each basis function at ``x`` (same shape as :func:`basis_matrix`)."""
    degree = _check(degree, basis)
    x = np.asarray(x, dtype=np.float64)
    return _poly.polyvander(x, degree - 1) @ _derivative_to_monomial(degree, basis).T


def evaluate(coeffs, x, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """P(x) for each polynomial.

    ``x`` of shape (count,) gives one value per polynomial, shape (count,). ``x`` of shape (m,) with
    m != count is a common set of points, giving (count, m); ``x`` of shape (count, m) gives (count, m).
    (For common points whose number may equal count, use :func:`evaluate_at_points`.)
    """
    coeffs = _as_coeffs(coeffs)
    _check(basis=basis)
    count, degree = coeffs.shape[0], coeffs.shape[1] - 1
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        x = np.full(count, float(x))
    if x.ndim == 1 and x.shape[0] == count:
        return np.einsum("ck,ck->c", coeffs, basis_matrix(x, degree, basis))
    if x.ndim == 1:
        return coeffs @ basis_matrix(x, degree, basis).T
    if x.ndim == 2 and x.shape[0] == count:
        return np.einsum("ck,cmk->cm", coeffs, basis_matrix(x, degree, basis))
    raise ValueError(f"x must have shape (count,), (m,) or (count, m) with count={count}; got {x.shape}")


def evaluate_at_points(coeffs, points, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """P at a common set of points for every polynomial: shape (count, len(points)), never ambiguous."""
    coeffs = _as_coeffs(coeffs)
    _check(basis=basis)
    points = np.asarray(points, dtype=np.float64).reshape(-1)
    return coeffs @ basis_matrix(points, coeffs.shape[1] - 1, basis).T


@lru_cache(maxsize=None)
def _to_monomial_matrix(degree: int, basis: str) -> np.ndarray:
    """M with ``coeffs @ M`` = the same polynomials' monomial coefficients in x."""
    if basis == "monomial":
        return np.eye(degree + 1)
    rows = [np.polynomial.Legendre.basis(k, domain=[0, 1]).convert(kind=np.polynomial.Polynomial).coef
            for k in range(degree + 1)]
    matrix = np.zeros((degree + 1, degree + 1))
    for k, row in enumerate(rows):
        matrix[k, : len(row)] = row
    matrix.setflags(write=False)
    return matrix


@lru_cache(maxsize=None)
def _derivative_to_monomial(degree: int, basis: str) -> np.ndarray:
    """D with ``coeffs @ D`` = monomial coefficients of P' (length degree)."""
    m = _to_monomial_matrix(degree, basis)
    d = m[:, 1:] * np.arange(1, degree + 1)
    d.setflags(write=False)
    return d


def to_monomial(coeffs, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The same polynomials written in the monomial basis 1, x, x^2, ..."""
    coeffs = _as_coeffs(coeffs)
    _check(basis=basis)
    return coeffs @ _to_monomial_matrix(coeffs.shape[1] - 1, basis)


def critical_points(coeffs, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """Candidates for the maximum: real roots of P' clipped into [0, 1], plus 0 and 1.

    Shape (count, degree + 1): column 0 is x = 0, column 1 is x = 1, the rest are roots of P'
    (complex roots with a small imaginary part are kept by their real part: every candidate lies in
    [0, 1], so an extra candidate can never raise the maximum above the true one). Rows whose P' has
    a vanishing leading coefficient are solved one by one.
    """
    coeffs = _as_coeffs(coeffs)
    _check(basis=basis)
    count, degree = coeffs.shape[0], coeffs.shape[1] - 1
    out = np.empty((count, degree + 1))
    out[:, 0], out[:, 1] = 0.0, 1.0
    if degree == 1:
        return out
    deriv = coeffs @ _derivative_to_monomial(degree, basis)  # (count, degree), low to high
    lead = deriv[:, -1]
    scale = np.max(np.abs(deriv), axis=1)
    regular = np.abs(lead) > 1e-12 * np.maximum(scale, 1e-300)
    roots = np.full((count, degree - 1), np.nan, dtype=np.complex128)
    if np.any(regular):
        r = deriv[regular]
        n = degree - 1  # degree of P'
        companion = np.zeros((r.shape[0], n, n))
        companion[:, 1:, :-1] = np.eye(n - 1)
        companion[:, :, -1] = -r[:, :-1] / r[:, -1:]
        roots[regular] = np.linalg.eigvals(companion)
    for i in np.flatnonzero(~regular):
        trimmed = np.trim_zeros(deriv[i], "b")
        if trimmed.size > 1:
            r = _poly.polyroots(trimmed)
            roots[i, : r.size] = r
    real = np.real(roots)
    keep = np.abs(np.imag(roots)) <= 1e-6 * np.maximum(1.0, np.abs(roots))
    keep &= (real >= -1e-9) & (real <= 1 + 1e-9)
    out[:, 2:] = np.where(keep, np.clip(real, 0.0, 1.0), 0.0)
    return out


def exact_maximum(coeffs, basis: str = DEFAULT_BASIS) -> tuple[np.ndarray, np.ndarray]:
    """(argmax_x, max_value) of each P on [0, 1], from the roots of P' and the two endpoints."""
    coeffs = _as_coeffs(coeffs)
    candidates = critical_points(coeffs, basis)
    values = evaluate(coeffs, candidates, basis)
    best = np.argmax(values, axis=1)
    rows = np.arange(coeffs.shape[0])
    return candidates[rows, best], values[rows, best]


def regret(coeffs, x, basis: str = DEFAULT_BASIS, max_value=None) -> np.ndarray:
    """max P - P(x) for each polynomial (>= 0 for x in [0, 1]); shape (count,)."""
    coeffs = _as_coeffs(coeffs)
    x = _check_x(x, coeffs.shape[0])
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    return np.maximum(max_value - evaluate(coeffs, x, basis), 0.0)


def squared_loss(coeffs, x, basis: str = DEFAULT_BASIS, max_value=None) -> np.ndarray:
    """The post's loss (P(x) - max P)^2 for each polynomial; shape (count,)."""
    return regret(coeffs, x, basis, max_value) ** 2


def _check_x(x, count: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (count,):
        raise ValueError(f"x must have shape ({count},), one guess per polynomial; got {x.shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > 1):
        raise ValueError("every guess x must be a number in [0, 1]")
    return x


def local_maxima(coeffs, basis: str = DEFAULT_BASIS) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each polynomial, (positions, values) of its local maxima on [0, 1], endpoints included.

    An interior root of P' is a local maximum when P'' < 0 there; x = 0 is one when P'(0) <= 0 and
    x = 1 when P'(1) >= 0. Positions are sorted.
    """
    coeffs = _as_coeffs(coeffs)
    degree = coeffs.shape[1] - 1
    candidates = critical_points(coeffs, basis)
    here = evaluate(coeffs, candidates, basis)
    mono = to_monomial(coeffs, basis)
    d1 = _poly.polyder(mono.T).T
    d2 = _poly.polyder(mono.T, 2).T if degree >= 2 else np.zeros((len(coeffs), 1))
    slope = np.stack([_poly.polyval(candidates[i], d1[i]) for i in range(len(coeffs))]) if len(coeffs) else here
    curve = np.einsum("ck,cmk->cm", d2, _poly.polyvander(candidates, d2.shape[1] - 1))
    is_max = np.zeros_like(here, dtype=bool)
    is_max[:, 0] = slope[:, 0] <= 0
    is_max[:, 1] = slope[:, 1] >= 0
    inside = (candidates[:, 2:] > 0) & (candidates[:, 2:] < 1)
    is_max[:, 2:] = inside & (curve[:, 2:] < 0)
    result = []
    for i in range(coeffs.shape[0]):
        xs, vs = candidates[i, is_max[i]], here[i, is_max[i]]
        order = np.argsort(xs)
        xs, vs = xs[order], vs[order]
        keep = np.concatenate([[True], np.diff(xs) > 1e-7]) if xs.size else np.zeros(0, bool)
        result.append((xs[keep], vs[keep]))
    return result


def hardness(coeffs, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """How hard each polynomial is for a model that does not search; in [0, 1], higher is harder.

    Hard means a rival local maximum that is nearly as high as the global one and far from it: a
    small change of P then moves the argmax a long way, and a smooth guess between the two peaks
    lands in the valley. For each rival local maximum x_j with value P_j,
    ``score_j = |x_j - x*| * (1 - (max P - P_j) / (max P - min P))``; the hardness is the largest
    score_j, and 0 when P has a single local maximum. Unchanged when P is scaled by a positive
    constant or shifted by a constant. (min P is taken over a 257-point grid plus the candidates.)
    """
    coeffs = _as_coeffs(coeffs)
    arg, top = exact_maximum(coeffs, basis)
    candidates = critical_points(coeffs, basis)
    here = evaluate(coeffs, candidates, basis)
    grid = np.linspace(0.0, 1.0, 257)
    low = np.minimum(evaluate_at_points(coeffs, grid, basis).min(axis=1), here.min(axis=1))
    spread = np.maximum(top - low, 1e-300)
    # the local maxima among the candidates, as in local_maxima but for all polynomials at once (a
    # candidate found twice scores the same twice, so duplicates need no removal for the largest score)
    mono = to_monomial(coeffs, basis)
    d1 = _poly.polyder(mono.T).T
    d2 = _poly.polyder(mono.T, 2).T if coeffs.shape[1] > 2 else np.zeros((len(coeffs), 1))
    slope = np.einsum("ck,cmk->cm", d1, _poly.polyvander(candidates, d1.shape[1] - 1))
    curve = np.einsum("ck,cmk->cm", d2, _poly.polyvander(candidates, d2.shape[1] - 1))
    is_max = np.zeros_like(here, dtype=bool)
    is_max[:, 0] = slope[:, 0] <= 0
    is_max[:, 1] = slope[:, 1] >= 0
    is_max[:, 2:] = (candidates[:, 2:] > 0) & (candidates[:, 2:] < 1) & (curve[:, 2:] < 0)
    distance = np.abs(candidates - arg[:, None])
    gap = (top[:, None] - here) / spread[:, None]
    score = np.where(is_max & (distance > 1e-6), distance * np.clip(1.0 - gap, 0.0, 1.0), 0.0)
    return score.max(axis=1)


def hardness_bins(score, n_bins: int = 4) -> np.ndarray:
    """Equal-count bins of a hardness score: bin 0 holds the easiest 1/n_bins of the set, and so on.

    Bins come from ranks (a stable sort), so ties such as the many single-peak polynomials with
    score 0 are split deterministically and every bin has the same size (within one).
    """
    score = np.asarray(score, dtype=np.float64)
    n_bins = require_int("n_bins", n_bins, 1, max(1, score.size))
    ranks = np.empty(score.size, dtype=np.int64)
    ranks[np.argsort(score, kind="stable")] = np.arange(score.size)
    return ranks * n_bins // score.size


def landscape_statistics(coeffs, basis: str = DEFAULT_BASIS) -> dict:
    """How a set of polynomials looks: fraction of maxima at an endpoint, mean number of local maxima,
    fraction with two or more local maxima, and how often the better endpoint is already optimal."""
    coeffs = _as_coeffs(coeffs)
    arg, top = exact_maximum(coeffs, basis)
    at_end = (arg <= 1e-9) | (arg >= 1 - 1e-9)
    n_max = np.array([xs.size for xs, _ in local_maxima(coeffs, basis)])
    ends = np.maximum(evaluate(coeffs, np.zeros(len(coeffs)), basis), evaluate(coeffs, np.ones(len(coeffs)), basis))
    return {
        "endpoint_fraction": float(at_end.mean()),
        "mean_local_maxima": float(n_max.mean()),
        "multimodal_fraction": float((n_max >= 2).mean()),
        "endpoint_regret_mean": float(np.mean(top - ends)),
        "spread_mean": float(np.mean(top - evaluate_at_points(coeffs, np.linspace(0, 1, 257), basis).min(axis=1))),
    }
