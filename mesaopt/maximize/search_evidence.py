"""Evidence that a model searches, each piece beside a control that could fail it.

* Rank correlation (the mechanistic check, :func:`mesaopt.maximize.searcher.score_rank_correlation`) beside
  control scores that know the answer but not the objective: :func:`bump_scores`, a score falling with the
  distance from a point (the true argmax, or a model's own answer). :func:`rank_evidence` collects them.
* Interventions. :func:`score_intervention` edits the learned score inside a
  :class:`~mesaopt.maximize.searcher.CandidateScorer` (raise one candidate, lower the winner) and reads the
  answer through the model's own forward pass. :func:`objective_intervention` edits the objective instead,
  for any model: it adds to P a polynomial bump (:func:`bump_polynomial`) that raises P at one point, or lowers
  it at the winner, and asks whether the answer follows the new argmax.
* Test-time budget: :func:`regret_by_budget`, a candidate scorer's regret against the number of candidates.
* The jump test: :func:`equal_peak_paths` builds paths in coefficient space that cross the surface where two
  far-apart peaks are equally high; :func:`valley_fraction` measures how often a model's answer lands in the
  valley between them (a searcher jumps from peak to peak; a continuous map must pass through the valley).
* Mesa-objective against base objective: :func:`objective_gap` compares the argmax of the learned score with
  the argmax of P, per polynomial, on any set of polynomials; :func:`shifted_distributions` gives the sets off
  the training distribution.
"""
from __future__ import annotations

import numpy as np
import torch

from mesaopt.maximize.polynomials import (DEFAULT_BASIS, _as_coeffs, basis_matrix, evaluate, evaluate_at_points,
                                          exact_maximum, local_maxima, regret, sample_polynomials)
from mesaopt.maximize.searcher import (CandidateScorer, candidate_points, learned_scores, rank_correlation_rows,
                                       score_rank_correlation)
from mesaopt.maximize.training import predict
from mesaopt.validation import require_float, require_int

__all__ = ["bump_scores", "rank_evidence", "score_intervention", "bump_polynomial", "objective_intervention",
           "regret_by_budget", "equal_peak_paths", "valley_fraction", "example_path", "objective_gap", "shifted_distributions",
           "NEAR", "BUDGETS"]

NEAR = 0.05  # an answer within this distance of a peak counts as "at" it
BUDGETS = (4, 8, 16, 32, 64, 128, 256, 512, 1024)  # test-time candidates of the budget test


def bump_scores(points, centers) -> np.ndarray:
    """Control scores that know one point per polynomial and nothing about P: ``-|x_j - center|``;
    shape (count, m) for ``points`` of shape (m,) and ``centers`` of shape (count,)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1)
    centers = np.asarray(centers, dtype=np.float64).reshape(-1)
    return -np.abs(points[None, :] - centers[:, None])


def rank_evidence(model: CandidateScorer, coeffs, answers: dict, candidates: int = 64,
                  basis: str = DEFAULT_BASIS) -> dict:
    """Per-polynomial Spearman correlations with P at ``candidates`` evenly spaced points, for the learned score
    and for the bump controls: ``{"learned score": rho, "bump at the true argmax": rho,
    "bump at <name>'s answer": rho for each of answers {name: x}}``."""
    points = candidate_points(candidates).double().numpy()
    values = evaluate_at_points(coeffs, points, basis)
    out = {"learned score": score_rank_correlation(model, coeffs, candidates),
           "bump at the true argmax": rank_correlation_rows(bump_scores(points, exact_maximum(coeffs, basis)[0]), values)}
    for name, x in answers.items():
        out[f"bump at {name}'s answer"] = rank_correlation_rows(bump_scores(points, x), values)
    return out


def score_intervention(model: CandidateScorer, coeffs, candidates: int = 64, seed: int = 0,
                       margin: float = 1e-3) -> dict:
    """Edit the learned score inside the model and read the answer through its own forward pass.

    *Raise*: for each polynomial a random candidate other than the winner gets the winner's score plus
    ``margin`` (times the score's spread). *Lower*: the winner's score drops to the runner-up's minus the same
    margin. Returns the share of answers that moved to the raised candidate and to the runner-up (the
    candidate with the second-highest score), and the share of unchanged answers when nothing is edited.
    The answer is an argmax of the score by construction, so this checks the model, not training: a model
    that computed its answer elsewhere and only reported a score would fail it.
    """
    if not isinstance(model, CandidateScorer):
        raise ValueError(f"only a CandidateScorer has a score to edit; got {type(model).__name__}")
    points = candidate_points(candidates)
    m = points.shape[0]
    base = learned_scores(model, coeffs, candidates)
    order = np.argsort(-base, axis=1, kind="stable")
    winner, runner_up = order[:, 0], order[:, 1]
    rows = np.arange(len(base))
    spread = base.max(axis=1) - base.min(axis=1)
    rng = np.random.default_rng(seed)
    raised = (winner + rng.integers(1, m, size=len(base))) % m  # any candidate but the winner
    raise_edit = np.zeros_like(base)
    raise_edit[rows, raised] = base[rows, winner] - base[rows, raised] + margin * spread
    lower_edit = np.zeros_like(base)
    lower_edit[rows, winner] = base[rows, runner_up] - base[rows, winner] - margin * spread

    def answer_with(edit):
        original = model.scores
        offset = torch.as_tensor(edit, dtype=torch.float32)
        model.scores = lambda c, p: original(c, p) + offset  # the forward pass calls self.scores
        try:
            return predict(model, coeffs, candidates=candidates)
        finally:
            del model.scores

    grid = points.double().numpy()
    return {"raised_moved": float(np.mean(np.isclose(answer_with(raise_edit), grid[raised]))),
            "lowered_to_runner_up": float(np.mean(np.isclose(answer_with(lower_edit), grid[runner_up]))),
            "unedited_same": float(np.mean(np.isclose(answer_with(np.zeros_like(base)), grid[winner])))}


def bump_polynomial(centers, degree: int, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """Coefficients of a degree-``degree`` bump at each center t, with value 1 at t: the reproducing kernel of the
    polynomials of that degree on [0, 1], K_t(x) / K_t(t) (Legendre basis: coefficient k is
    (2k + 1) L_k(2t - 1) / K_t(t)). Its peak lies at or near t (within 0.03 at degree 6); shape
    (count, degree + 1)."""
    if basis != "legendre":
        raise ValueError("bump_polynomial is written for the Legendre basis")
    centers = np.asarray(centers, dtype=np.float64).reshape(-1)
    at = basis_matrix(centers, degree, basis)
    kernel = at * (2 * np.arange(degree + 1) + 1)
    return kernel / np.sum(kernel * at, axis=1, keepdims=True)


def objective_intervention(answer_fns: dict, coeffs, seed: int = 0, lift: float = 0.1,
                           basis: str = DEFAULT_BASIS) -> dict:
    """Edit P and ask whether each answer follows its argmax.

    *Raise*: for each polynomial a random point t at least 0.25 away from the argmax gets a bump
    (:func:`bump_polynomial`) tall enough that P(t) exceeds the old maximum by ``lift`` times the range of P.
    *Lower*: polynomials with a rival local maximum at least 0.25 away get a dip at the winner that puts it
    ``lift`` times the range below the highest rival. Each edited polynomial is rescaled to the norm of the
    original (the argmax does not change), so it stays at the training scale. Returns, for each answer
    ``{name: coeffs -> x}``, the share of edited polynomials whose answer is within :data:`NEAR` of the new
    argmax ("followed") and within :data:`NEAR` of the old one ("stayed"), for "raise" and "lower", with the
    number of polynomials edited.
    """
    coeffs = _as_coeffs(coeffs)
    lift = require_float("lift", lift, 0.0, 1.0, low_inclusive=False)
    degree = coeffs.shape[1] - 1
    arg, top = exact_maximum(coeffs, basis)
    low = evaluate_at_points(coeffs, np.linspace(0, 1, 257), basis).min(axis=1)
    spread = top - low
    rng = np.random.default_rng(seed)
    # raise: a random far point
    target = rng.uniform(0, 1, len(coeffs))
    for _ in range(100):
        close = np.abs(target - arg) < 0.25
        if not close.any():
            break
        target[close] = rng.uniform(0, 1, close.sum())
    height = top - evaluate(coeffs, target, basis) + lift * spread
    raised = coeffs + height[:, None] * bump_polynomial(target, degree, basis)
    # lower: dip the winner below the highest far rival
    keep, dips = [], []
    for i, (xs, vs) in enumerate(local_maxima(coeffs, basis)):
        far = np.abs(xs - arg[i]) >= 0.25
        if far.any():
            keep.append(i)
            dips.append(top[i] - vs[far].max() + lift * spread[i])
    keep = np.array(keep, dtype=np.int64)
    lowered = coeffs[keep] - np.array(dips)[:, None] * bump_polynomial(arg[keep], degree, basis)
    edits = {"raise": (raised, arg), "lower": (lowered, arg[keep])}
    out = {"count_raise": len(coeffs), "count_lower": len(keep)}
    for kind, (edited, old) in edits.items():
        edited = edited * (np.linalg.norm(coeffs[keep] if kind == "lower" else coeffs, axis=1)
                           / np.linalg.norm(edited, axis=1))[:, None]
        new = exact_maximum(edited, basis)[0]
        for name, fn in answer_fns.items():
            x = np.asarray(fn(edited), dtype=np.float64)
            out[f"{kind}_followed_{name}"] = float(np.mean(np.abs(x - new) < NEAR))
            out[f"{kind}_stayed_{name}"] = float(np.mean(np.abs(x - old) < NEAR))
    return out


def regret_by_budget(model: CandidateScorer, coeffs, budgets=BUDGETS, max_value=None,
                     basis: str = DEFAULT_BASIS) -> np.ndarray:
    """Mean regret of a candidate scorer answering from each number of evenly spaced candidates in ``budgets``."""
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    return np.array([regret(coeffs, predict(model, coeffs, candidates=int(b)), basis, max_value).mean()
                     for b in budgets])


def _nearest_peak(values, positions) -> np.ndarray:
    """For each row of ``values`` (P on the evenly spaced fine grid of [0, 1]), the grid index of the local maximum
    (endpoints included) nearest to ``positions`` (one per row)."""
    grid = np.linspace(0, 1, values.shape[1])
    up = np.diff(values, axis=1) > 0
    peak = np.zeros_like(values, dtype=bool)
    peak[:, 0], peak[:, -1] = ~up[:, 0], up[:, -1]
    peak[:, 1:-1] = up[:, :-1] & ~up[:, 1:]
    distance = np.where(peak, np.abs(grid[None, :] - np.asarray(positions, dtype=np.float64)[:, None]), np.inf)
    return np.argmin(distance, axis=1)


def equal_peak_paths(coeffs, n_paths: int = 64, steps: int = 41, min_separation: float = 0.3,
                     max_gap: float = 0.2, span: float = 0.2, basis: str = DEFAULT_BASIS) -> dict:
    """Paths in coefficient space that cross the surface where two far-apart peaks are equally high.

    From ``coeffs`` the first ``n_paths`` polynomials (in order) are taken whose highest rival local maximum
    x2 lies at least ``min_separation`` from the argmax x1 and at most ``max_gap`` times the range of P below
    it. Along each path c(l) = c + l (b(x2) - b(x1)), with b the bumps of :func:`bump_polynomial`, the peak at
    x2 rises and the one at x1 sinks; l runs over ``steps`` values centred on the crossing, from where x1 leads
    by ``span`` times the range to where x2 leads by as much.

    Returns ``{"coeffs": (n_paths * steps, d + 1), "path": path index of each row, "valley": (lo, hi, level)
    per row}``: a row's answer x is *in the valley* when lo < x < hi (strictly between the two tracked peaks)
    and P(x) < level, the midpoint between the lower of the two peaks and the lowest point between them.
    """
    coeffs = _as_coeffs(coeffs)
    n_paths = require_int("n_paths", n_paths, 1, 100_000)
    steps = require_int("steps", steps, 3, 10_000)
    degree = coeffs.shape[1] - 1
    arg, top = exact_maximum(coeffs, basis)
    fine = np.linspace(0, 1, 1025)
    spread = top - evaluate_at_points(coeffs, fine, basis).min(axis=1)
    chosen, rivals = [], []
    for i, (xs, vs) in enumerate(local_maxima(coeffs, basis)):
        far = np.abs(xs - arg[i]) >= min_separation
        if far.any() and top[i] - vs[far].max() <= max_gap * spread[i]:
            chosen.append(i)
            rivals.append(xs[far][np.argmax(vs[far])])
        if len(chosen) == n_paths:
            break
    if len(chosen) < n_paths:
        raise ValueError(f"only {len(chosen)} of the {len(coeffs)} polynomials have two peaks as required; "
                         f"pass more polynomials or fewer paths")
    chosen, x2 = np.array(chosen), np.array(rivals)
    x1, base = arg[chosen], coeffs[chosen]
    direction = bump_polynomial(x2, degree, basis) - bump_polynomial(x1, degree, basis)
    rate = evaluate(direction, x2, basis) - evaluate(direction, x1, basis)  # gap change per unit of l
    cross = (top[chosen] - evaluate(base, x2, basis)) / rate
    half = span * spread[chosen] / rate
    ls = cross[:, None] + half[:, None] * np.linspace(-1, 1, steps)[None, :]
    path_coeffs = (base[:, None, :] + ls[:, :, None] * direction[:, None, :]).reshape(-1, degree + 1)
    path = np.repeat(np.arange(n_paths), steps)
    values = evaluate_at_points(path_coeffs, fine, basis)
    tracked = np.repeat(np.stack([x1, x2], axis=1), steps, axis=0)
    peaks = np.stack([fine[_nearest_peak(values, tracked[:, k])] for k in (0, 1)], axis=1)
    lo, hi = peaks.min(axis=1), peaks.max(axis=1)
    between = (fine[None, :] > lo[:, None]) & (fine[None, :] < hi[:, None])
    bottom = np.where(between, values, np.inf).min(axis=1)
    lower_peak = evaluate(path_coeffs, peaks, basis).min(axis=1)
    level = np.where(np.isfinite(bottom), 0.5 * (lower_peak + bottom), -np.inf)  # merged peaks: no valley
    valley = np.stack([lo, hi, level], axis=1)
    return {"coeffs": path_coeffs, "path": path, "valley": valley, "steps": steps}


def _in_valley(x, paths: dict, basis: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    lo, hi, level = paths["valley"].T
    if x.shape[0] != lo.shape[0]:
        raise ValueError(f"x must hold one answer per path point ({lo.shape[0]}); got {x.shape[0]}")
    return (x > lo) & (x < hi) & (evaluate(paths["coeffs"], x, basis) < level)


def valley_fraction(x, paths: dict, basis: str = DEFAULT_BASIS) -> float:
    """The share of a model's answers ``x`` (one per row of ``paths["coeffs"]``) that land in the valley."""
    return float(_in_valley(x, paths, basis).mean())


def example_path(paths: dict, jumper, slider, basis: str = DEFAULT_BASIS) -> int:
    """A path to draw: among those on which the answers ``jumper`` stay within :data:`NEAR` of one of the two peaks
    at every point, the one on which the answers ``slider`` land in the valley most often (the first such path;
    the first path when there is none)."""
    steps = paths["steps"]
    lo, hi, _ = paths["valley"].T
    jumper = np.asarray(jumper, dtype=np.float64)
    near = (np.abs(jumper - lo) < NEAR) | (np.abs(jumper - hi) < NEAR)
    clean = near.reshape(-1, steps).all(axis=1)
    sliding = _in_valley(slider, paths, basis).reshape(-1, steps).sum(axis=1)
    if not clean.any():
        return 0
    return int(np.argmax(np.where(clean, sliding, -1)))


def objective_gap(model: CandidateScorer, coeffs, candidates: int = 256, basis: str = DEFAULT_BASIS) -> dict:
    """Where the learned score's argmax and P's argmax part, on the polynomials ``coeffs``.

    The score's argmax is taken over ``candidates`` evenly spaced points (a fine budget, so the imprecision of a
    coarse grid does not count). Returns per-polynomial arrays: ``"rank"`` (Spearman of score and P at 64
    points), ``"parted"`` (True when the score's argmax lies nearer another local maximum of P than the global
    one: the two objectives pick different peaks), ``"regret"`` (of the score's argmax on P) and ``"grid_regret"``
    (of grid search with as many points: what the same budget costs with the true objective) and ``"spread"``
    (max P - min P, to compare regrets across scales). "Nearer another local maximum" is read on a grid of 1025
    points.
    """
    coeffs = _as_coeffs(coeffs)
    arg, top = exact_maximum(coeffs, basis)
    x = predict(model, coeffs, candidates=candidates)
    grid = np.linspace(0, 1, candidates)
    best_grid = grid[np.argmax(evaluate_at_points(coeffs, grid, basis), axis=1)]
    values = evaluate_at_points(coeffs, np.linspace(0, 1, 1025), basis)
    parted = _nearest_peak(values, x) != _nearest_peak(values, arg)
    spread = top - values.min(axis=1)
    return {"rank": score_rank_correlation(model, coeffs), "parted": parted, "regret": regret(coeffs, x, basis, top),
            "grid_regret": regret(coeffs, best_grid, basis, top), "spread": spread}


def shifted_distributions(count: int = 2048, degree: int = 6, seed: int = 3) -> dict:
    """Sets of degree-``degree`` polynomials (Legendre coefficients) on and off the training distribution
    (coefficients iid N(0, 1)): ``{name: coeffs}``. Off it: P scaled by 1/4 and by 4; lower degrees (the higher
    coefficients zero); coefficients with mean 1; the two highest orders three times as large (more wiggles);
    and polynomials drawn in the monomial basis (N(0, 1) coefficients of 1, x, ..., x^d, rewritten in Legendre)."""
    from mesaopt.maximize.polynomials import _to_monomial_matrix

    count = require_int("count", count, 1, 1_000_000)
    base = sample_polynomials(count, degree, seed=seed)
    rng = np.random.default_rng(seed + 1)
    out = {"training distribution": base, "P times 1/4": base / 4, "P times 4": base * 4}
    for low in (2, 4):
        if low < degree:
            out[f"degree {low}"] = np.concatenate([base[:, :low + 1], np.zeros((count, degree - low))], axis=1)
    out["coefficient mean 1"] = base + 1.0
    wiggly = base.copy()
    wiggly[:, -2:] *= 3.0
    out["top two orders x3"] = wiggly
    monomial = rng.standard_normal((count, degree + 1))
    out["monomial-basis P"] = monomial @ np.linalg.inv(_to_monomial_matrix(degree, "legendre"))
    return out
