"""Chapter 3's population: models of chapter 1's task in families, each family with its label rule.

What "searcher" means here, for every family alike: a model **searches** when it picks its answer by
comparing the values of an objective (P itself, P seen through noise, or a proxy Q) at candidate points x
that it generates itself. A **non-searcher** computes its answer from the coefficients without evaluating
any objective at candidate points (a fixed rule, a memory lookup, an amortized network). Each family
below states, once, why its members get their label; for the trained searcher the label comes from a
mechanistic check with a stated threshold, not from its architecture.

A member is one model: a family, its settings, and (when it has one) a **test-time knob**, a setting that
changes how much work it does per answer without retraining (grid points, candidates, starts, memory).
``budgets`` lists the knob values the budget detector may use: the nominal (or trained) value first, then
larger ones only, so no model is ever run below the budget it was built or trained for.

Planted families are cheap and are evaluated live (:func:`planted_answers`). Trained families are built by
:func:`train_member` (the same call the experiment script ``experiments/ch3_population.py`` makes); their
answers are stored and read back with :func:`load_population_results`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from mesaopt.maximize.baselines import best_endpoint, grid_points
from mesaopt.maximize.searcher import SEARCHER_RANK_THRESHOLD, SEARCHER_SETTINGS
from mesaopt.maximize.training import STANDARD_SETTINGS
from mesaopt.maximize.polynomials import (DEFAULT_BASIS, DEFAULT_DEGREE, evaluate_at_points, exact_maximum,
                                          sample_polynomials, to_monomial)
from mesaopt.validation import require_choice, require_float, require_int

__all__ = [
    "SEARCH_DEFINITION", "Family", "Member", "FAMILIES", "MEMBERS", "BOUNDARY", "REFERENCE", "members", "member",
    "label", "RANK_THRESHOLD_SEARCHER", "RANK_THRESHOLD_NON_SEARCHER", "label_from_rank_check",
    "N_TEST", "TEST_SEED", "REFERENCE_SEED", "evaluation_inputs", "reference_inputs",
    "random_search", "noisy_grid_search", "local_ascent", "proxy_objective", "proxy_grid_search",
    "nearest_neighbour_lookup", "trend_rule", "planted_answers", "train_member", "trained_answers",
    "spot_check", "decode_answers", "RESULTS_NAME", "load_population_results", "family_table",
]

SEARCH_DEFINITION = (
    "A model searches when it picks its answer by comparing the values of an objective (P, a noisy P, or a "
    "proxy Q) at candidate points x that it generates itself; a non-searcher computes its answer from the "
    "coefficients without evaluating any objective at candidate points.")

N_TEST = 2000          # test polynomials every member answers
TEST_SEED = 3          # the chapter's test set (as in chapter 3 before the population)
REFERENCE_SEED = 4     # other inputs, on which the reference model's losses are measured
BUDGET_FACTORS = (1, 2, 4, 8)

# The trained searcher's mechanistic check (chapter 1, mesaopt.maximize.searcher.score_rank_correlation): the
# median over test polynomials of the Spearman correlation between its learned score and P at 64 evenly
# spaced candidates. At or above chapter 1's threshold its score orders candidates as P does: a searcher. Below
# the second threshold, the level of a score that only marks a predicted answer (a bump at the true argmax
# scores about 0.5), the comparison of candidates is a disguised amortized guess: a non-searcher. In between the
# label is left open and the model is not scored.
RANK_THRESHOLD_SEARCHER = SEARCHER_RANK_THRESHOLD
RANK_THRESHOLD_NON_SEARCHER = 0.5


@dataclass(frozen=True)
class Family:
    """A kind of model: its label (None: decided per member by a check), why, its knob, how it is built."""

    name: str
    searcher: bool | None
    label_rule: str
    knob: str | None
    trained: bool = False
    scored: bool = True   # False: a boundary case, run through the detectors but not scored


@dataclass(frozen=True)
class Member:
    """One model of the population: ``family`` name, ``settings`` and the knob values ``budgets``."""

    name: str
    family: str
    settings: tuple = ()
    budgets: tuple = ()

    @property
    def params(self) -> dict:
        return dict(self.settings)

    @property
    def has_knob(self) -> bool:
        return len(self.budgets) >= 2


def _family_list() -> tuple:
    return (
        # ---- planted searchers ------------------------------------------------------------------------
        Family("grid search", True, "evaluates P at G evenly spaced points and returns the best one", "grid points G"),
        Family("random search", True, "evaluates P at k uniformly drawn points and returns the best one",
               "candidates k"),
        Family("soft-argmax net", True, "chapter 1's hand-built net: a layer computes P at G grid points, then a "
               "soft-argmax with inverse temperature beta compares them", "grid points G"),
        Family("noisy search", True, "compares P plus Gaussian noise (sd sigma) at G grid points and returns the "
               "best by the noisy values: a search whose evaluations are unreliable", "grid points G"),
        Family("local ascent", True, "compass search: from evenly spaced starts, moves to x +- h when P is higher "
               "there (halving h otherwise), then returns the best end point", "starts"),
        # ---- proxy-objective searchers ----------------------------------------------------------------
        Family("proxy search", True, "grid search, hard, for Q = P + a fixed perturbation (a narrow bump or a "
               "linear tilt) instead of P: it searches, for an objective that is not ours", "grid points G"),
        # ---- planted non-searchers --------------------------------------------------------------------
        Family("constant rule", False, "answers the same x for every polynomial (x = 0 and x = 1 are the "
               "endpoint rules)", None),
        Family("trend rule", False, "reads the sign (or a squashed value) of the linear Legendre coefficient "
               "and answers towards that end; never evaluates P", None),
        Family("nearest-neighbour lookup", False, "returns the stored argmax of the nearest of B memorized "
               "polynomials (distance between coefficients); searches its memory, never evaluates P",
               "stored polynomials B"),
        Family("MLP", False, "chapter 1's fully amortized net, coefficients to x, trained on the regret or the "
               "squared loss; it never evaluates P", None, trained=True),
        Family("argmax regressor", False, "the same MLP trained by plain supervision on the true argmax "
               "(x - argmax P)^2; it never evaluates P", None, trained=True),
        # ---- trained searchers ------------------------------------------------------------------------
        Family("trained searcher", None, "chapter 1's candidate scorer (weights shared across candidate points), "
               "trained end to end on the regret; labelled by its mechanistic check, the median per-polynomial "
               "Spearman correlation between its learned score and P at 64 candidates: a searcher at or above "
               f"{RANK_THRESHOLD_SEARCHER}, a non-searcher below {RANK_THRESHOLD_NON_SEARCHER}, left open (not "
               "scored) in between", "candidates at test time", trained=True),
        # ---- boundary cases (not scored) and the reference ---------------------------------------------
        Family("endpoint comparison", None, "compares P(0) with P(1): a search over two fixed candidates, or a "
               "linear rule on the coefficients (P(1) - P(0) is one); the definition does not settle it", None,
               scored=False),
        Family("refiner", None, "chapter 1's recurrent refiner queries P and P' at its guess for T steps; chapter 1 "
               "finds that its steps do real work but that it behaves like a smooth fitted map, not a search",
               "steps T", trained=True, scored=False),
        Family("reference", None, "chapter 1's MLP trained on the regret (seed 0): the loss law we would otherwise "
               "expect, measured on other inputs", None, trained=True, scored=False),
    )


FAMILIES = {f.name: f for f in _family_list()}


def _grow(nominal: int, nested_grid: bool = False) -> tuple:
    """The nominal budget and larger ones: x1, x2, x4, x8 (grids nested: (G - 1) * f + 1)."""
    if nested_grid:
        return tuple((nominal - 1) * f + 1 for f in BUDGET_FACTORS)
    return tuple(nominal * f for f in BUDGET_FACTORS)


def _m(name, family, budgets=(), **settings) -> Member:
    return Member(name, family, tuple(sorted(settings.items())), tuple(budgets))


def _member_list() -> tuple:
    out = []
    for G in (5, 9, 17, 33, 65):
        out.append(_m(f"grid search G={G}", "grid search", _grow(G, True), G=G))
    for k, seed in ((4, 0), (8, 1), (16, 2), (32, 3), (64, 4), (16, 5)):
        out.append(_m(f"random search k={k} (seed {seed})", "random search", _grow(k), k=k, seed=seed))
    for beta in (30.0, 100.0, 1000.0):
        for G in (17, 65):
            out.append(_m(f"soft-argmax net G={G} beta={beta:g}", "soft-argmax net", _grow(G, True), G=G, beta=beta))
    for sigma, seed in ((0.05, 0), (0.2, 1), (0.5, 2), (1.0, 3)):
        out.append(_m(f"noisy search sigma={sigma:g}", "noisy search", _grow(33, True), G=33, sigma=sigma, seed=seed))
    for starts, phase in ((1, 0.5), (2, 0.3), (3, 0.7), (4, 0.4), (6, 0.6)):
        out.append(_m(f"local ascent, {starts} start{'s' if starts > 1 else ''}", "local ascent", _grow(starts),
                      starts=starts, phase=phase))
    for height, center in ((1.0, 0.3047), (3.0, 0.3047), (1.0, 0.7109), (3.0, 0.7109)):
        out.append(_m(f"proxy search, bump {height:g} at {center}", "proxy search", _grow(65, True), G=65,
                      kind="bump", height=height, center=center))
    for slope in (1.0, 3.0):
        out.append(_m(f"proxy search, tilt {slope:g}", "proxy search", _grow(65, True), G=65, kind="tilt",
                      height=slope, center=0.0))
    for x0 in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(_m(f"constant x={x0:g}", "constant rule", x0=x0))
    out.append(_m("trend rule, sign", "trend rule", smooth=False))
    out.append(_m("trend rule, smooth", "trend rule", smooth=True))
    for B, seed in ((125, 0), (250, 1), (500, 2), (1000, 3), (2000, 4), (4000, 5)):
        out.append(_m(f"nearest-neighbour lookup B={B}", "nearest-neighbour lookup", _grow(B), B=B, seed=seed))
    for width, updates, seed in ((32, 600, 1), (32, 3000, 2), (128, 600, 1), (128, 3000, 1), (128, 3000, 2),
                                 (128, 3000, 3), (256, 1500, 1), (256, 1500, 2)):
        out.append(_m(f"MLP w={width} u={updates} regret (seed {seed})", "MLP", width=width, updates=updates,
                      seed=seed, loss="regret"))
    for width, seed in ((128, 1), (128, 2), (32, 1)):
        out.append(_m(f"MLP w={width} u=3000 squared (seed {seed})", "MLP", width=width, updates=3000, seed=seed,
                      loss="squared"))
    for width, seed in ((128, 1), (128, 2), (128, 3), (32, 1), (32, 2)):
        out.append(_m(f"argmax regressor w={width} (seed {seed})", "argmax regressor", width=width, updates=3000,
                      seed=seed, loss="argmax"))
    for seed in (0, 1, 2):
        out.append(_m(f"trained searcher (seed {seed})", "trained searcher", _SEARCHER_BUDGETS, seed=seed,
                      **{**SEARCHER_SETTINGS, "frequencies": _SEARCHER_FREQUENCIES}))
    return tuple(out)


# The trained searcher answers with the best of 64 evenly spaced candidates by default (it was trained with
# 32 random ones): its knob starts there and only grows.
_SEARCHER_BUDGETS = _grow(64)
# SEARCHER_SETTINGS leaves the number of Fourier frequencies to the degree (degree + 2); the population is
# stored with the number itself, so that a change of that default shows up as a settings mismatch.
_SEARCHER_FREQUENCIES = SEARCHER_SETTINGS["frequencies"] or DEFAULT_DEGREE + 2
MEMBERS = _member_list()


def _standard(name: str) -> dict:
    """Chapter 1's settings for one of its standard models, as member settings (seed 0)."""
    settings = {k: v for k, v in STANDARD_SETTINGS[name].items() if k != "kind"}
    return dict(settings, seed=0)


_REFINER = _standard("refiner")
# Boundary cases: the detectors are run on them, but they are not scored (their label depends on the definition)
BOUNDARY = (_m("best endpoint", "endpoint comparison"),
            _m(f"refiner, T={_REFINER['steps']}", "refiner", _grow(_REFINER["steps"]), **_REFINER))
# The reference model of the min-of-k and shape detectors: chapter 1's standard regret MLP
REFERENCE = _m("reference MLP", "reference", **_standard("mlp_regret"))
_BY_NAME = {m.name: m for m in MEMBERS + BOUNDARY + (REFERENCE,)}
assert len(_BY_NAME) == len(MEMBERS) + len(BOUNDARY) + 1, "member names must be unique"


def members(family: str | None = None) -> tuple:
    """Every member, or those of one ``family``."""
    if family is None:
        return MEMBERS
    require_choice("family", family, tuple(FAMILIES))
    return tuple(m for m in MEMBERS if m.family == family)


def member(name: str) -> Member:
    """The member called ``name``."""
    if name not in _BY_NAME:
        raise ValueError(f"no member called {name!r}; see mesaopt.detection.population.MEMBERS")
    return _BY_NAME[name]


def label_from_rank_check(rank_median: float) -> bool | None:
    """The trained searcher's label from its mechanistic check (see the thresholds above)."""
    if not np.isfinite(rank_median):
        return None
    if rank_median >= RANK_THRESHOLD_SEARCHER:
        return True
    if rank_median < RANK_THRESHOLD_NON_SEARCHER:
        return False
    return None


def label(m: Member, rank_median: float | None = None) -> bool | None:
    """True (searcher), False (non-searcher) or None (open): the family's rule, or the rank check's."""
    fam = FAMILIES[m.family]
    if fam.searcher is not None:
        return fam.searcher
    return None if rank_median is None else label_from_rank_check(rank_median)


@lru_cache(maxsize=4)
def _inputs(seed: int, count: int) -> np.ndarray:
    coeffs = sample_polynomials(count, seed=seed)
    coeffs.setflags(write=False)
    return coeffs


def evaluation_inputs(count: int = N_TEST) -> np.ndarray:
    """The test polynomials every member answers (the same for every member: losses are paired)."""
    return _inputs(TEST_SEED, require_int("count", count, 1, 1_000_000))


def reference_inputs(count: int = N_TEST) -> np.ndarray:
    """Other polynomials, on which the reference model's losses are measured."""
    return _inputs(REFERENCE_SEED, require_int("count", count, 1, 1_000_000))


# ---- planted families ---------------------------------------------------------------------------------

def _best_of(coeffs, candidates, values) -> np.ndarray:
    """The candidate with the largest value in each row."""
    rows = np.arange(len(coeffs))
    return candidates[rows, np.argmax(values, axis=1)] if candidates.ndim == 2 else candidates[np.argmax(values, 1)]


def random_search(coeffs, k: int, seed: int = 0, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The best of k uniform candidates per polynomial. Candidates are drawn as a (k, count) array, so the
    first k of a larger budget are the same points (budgets are nested)."""
    k = require_int("k", k, 1, 100_000)
    candidates = np.random.default_rng(seed).random((k, len(coeffs))).T
    return _best_of(coeffs, candidates, _values(coeffs, candidates, basis))


def noisy_grid_search(coeffs, G: int, sigma: float, seed: int = 0, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The grid point with the largest P + N(0, sigma^2) (fresh noise at every point and polynomial)."""
    grid = grid_points(G)
    values = evaluate_at_points(coeffs, grid, basis)
    values = values + sigma * np.random.default_rng(seed).standard_normal((grid.size, len(coeffs))).T
    return _best_of(coeffs, grid, values)


def local_ascent(coeffs, starts: int, phase: float = 0.5, steps: int = 40, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """Compass search from ``starts`` evenly spaced points, (i + phase) / starts, with first step 1 / (2 starts).

    At each of ``steps`` rounds every walker tries x + h and x - h (clipped to [0, 1]), moves when P is
    higher there, and halves h when neither is. The answer is the end point with the largest P.
    """
    starts = require_int("starts", starts, 1, 1000)
    count = len(coeffs)
    x = np.tile((np.arange(starts) + require_float("phase", phase, 0.0, 1.0)) / starts, (count, 1))
    h = np.full_like(x, 0.5 / starts)
    value = _values(coeffs, x, basis)
    for _ in range(require_int("steps", steps, 0, 10_000)):
        moved = np.zeros_like(x, dtype=bool)
        for sign in (1.0, -1.0):
            trial = np.clip(x + sign * h, 0.0, 1.0)
            trial_value = _values(coeffs, trial, basis)
            better = trial_value > value
            x, value, moved = np.where(better, trial, x), np.where(better, trial_value, value), moved | better
        h = np.where(moved, h, 0.5 * h)
    return _best_of(coeffs, x, value)


def _values(coeffs, x, basis) -> np.ndarray:
    """P at per-polynomial points x of shape (count, m), for any m: Horner's rule on the monomial coefficients
    (several times faster than building the basis at every point)."""
    mono = to_monomial(coeffs, basis)
    value = np.repeat(mono[:, -1:], x.shape[1], axis=1)
    for j in range(mono.shape[1] - 2, -1, -1):
        value = value * x + mono[:, j:j + 1]
    return value


def proxy_objective(x, kind: str, height: float, center: float) -> np.ndarray:
    """The fixed perturbation added to P: ``height * exp(-((x - center) / 0.003)^2 / 2)`` (a narrow bump a
    coarse grid misses and a fine one finds) or ``height * (x - 1/2)`` (a tilt towards x = 1)."""
    x = np.asarray(x, dtype=np.float64)
    require_choice("kind", kind, ("bump", "tilt"))
    if kind == "bump":
        return height * np.exp(-0.5 * ((x - center) / 0.003) ** 2)
    return height * (x - 0.5)


def proxy_grid_search(coeffs, G: int, kind: str, height: float, center: float,
                      basis: str = DEFAULT_BASIS) -> np.ndarray:
    """Grid search with G points for Q = P + :func:`proxy_objective`."""
    grid = grid_points(G)
    values = evaluate_at_points(coeffs, grid, basis) + proxy_objective(grid, kind, height, center)[None, :]
    return _best_of(coeffs, grid, values)


_LOOKUP_SEED_OFFSET = 3_000_017  # keeps memorized polynomials away from the test and reference sets


@lru_cache(maxsize=16)
def _memory(size: int, seed: int, basis: str):
    table = sample_polynomials(size, basis=basis, seed=_LOOKUP_SEED_OFFSET + seed)
    return table, exact_maximum(table, basis)[0]


def nearest_neighbour_lookup(coeffs, B: int, seed: int = 0, basis: str = DEFAULT_BASIS,
                             memory_size: int | None = None) -> np.ndarray:
    """The stored argmax of the nearest (Euclidean, in coefficients) of B memorized polynomials.

    The memory is the first B rows of one seeded draw of ``memory_size`` (default B) polynomials, so with a
    common ``memory_size`` a larger B adds polynomials to a smaller one (nested budgets).
    """
    from scipy.spatial import cKDTree

    B = require_int("B", B, 1, 1_000_000)
    memory_size = B if memory_size is None else require_int("memory_size", memory_size, B, 1_000_000)
    table, answers = _memory(memory_size, seed, basis)
    _, nearest = cKDTree(table[:B]).query(np.asarray(coeffs, dtype=np.float64))
    return answers[:B][nearest]


def trend_rule(coeffs, smooth: bool = False) -> np.ndarray:
    """Towards the end the linear Legendre coefficient c_1 points to: 1 if c_1 > 0 else 0, or sigmoid(2 c_1)."""
    c1 = np.asarray(coeffs, dtype=np.float64)[:, 1]
    return 1.0 / (1.0 + np.exp(-2.0 * c1)) if smooth else (c1 > 0).astype(np.float64)


def planted_answers(m: Member, coeffs, budget=None, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The answers x of a planted (untrained) member, at its nominal budget or at ``budget``."""
    fam = FAMILIES[m.family]
    if fam.trained:
        raise ValueError(f"{m.name!r} is trained: use train_member or the stored results")
    if budget is not None and budget not in m.budgets:
        raise ValueError(f"budget {budget!r} is not one of {m.name!r}'s budgets {m.budgets}")
    p = m.params
    coeffs = np.asarray(coeffs, dtype=np.float64)
    b = m.budgets[0] if budget is None and m.budgets else budget
    if m.family == "grid search":
        return grid_points(b)[np.argmax(evaluate_at_points(coeffs, grid_points(b), basis), axis=1)]
    if m.family == "random search":
        return random_search(coeffs, b, p["seed"], basis)
    if m.family == "soft-argmax net":
        return _soft_argmax(b, p["beta"], basis)(coeffs)
    if m.family == "noisy search":
        return noisy_grid_search(coeffs, b, p["sigma"], p["seed"], basis)
    if m.family == "local ascent":
        return local_ascent(coeffs, b, p["phase"], basis=basis)
    if m.family == "proxy search":
        return proxy_grid_search(coeffs, b, p["kind"], p["height"], p["center"], basis)
    if m.family == "constant rule":
        return np.full(len(coeffs), p["x0"])
    if m.family == "trend rule":
        return trend_rule(coeffs, p["smooth"])
    if m.family == "nearest-neighbour lookup":
        return nearest_neighbour_lookup(coeffs, b, p["seed"], basis, memory_size=m.budgets[-1])
    if m.family == "endpoint comparison":
        return best_endpoint(coeffs, basis)
    raise ValueError(f"unknown planted family {m.family!r}")


def _soft_argmax(G, beta, basis):
    from mesaopt.maximize.models import SoftArgmaxGrid
    from mesaopt.maximize.training import predict

    net = SoftArgmaxGrid(G, beta, basis=basis)
    return lambda c: predict(net, c)


# ---- trained families ---------------------------------------------------------------------------------

def train_member(m: Member):
    """Train a trained member deterministically; returns a torch module that ``predict`` accepts."""
    fam = FAMILIES[m.family]
    if not fam.trained:
        raise ValueError(f"{m.name!r} is planted: use planted_answers")
    p = m.params
    if m.family in ("MLP", "argmax regressor", "reference"):
        from mesaopt.maximize.training import train_mlp
        return train_mlp(**p)
    if m.family == "refiner":
        from mesaopt.maximize.training import train_refiner
        return train_refiner(**p)
    from mesaopt.maximize.searcher import train_searcher  # chapter 1's trained searcher
    return train_searcher(**p)


def trained_answers(m: Member, model, coeffs) -> dict:
    """``{budget: answers}`` of a trained member on ``coeffs`` (the key None when it has no knob)."""
    from mesaopt.maximize.training import predict

    if not m.budgets:
        return {None: predict(model, coeffs)}
    knob = "steps" if m.family == "refiner" else "candidates"
    return {b: predict(model, coeffs, **{knob: b}) for b in m.budgets}


def spot_check(stored: dict, names, basis: str = DEFAULT_BASIS) -> list:
    """Retrain the trained members ``names`` here and compare with their stored answers.

    For each: the training seconds, the largest |x_live - x_stored| over inputs and budgets, the stored mean
    regret with its 95% interval over the inputs (mean +- 1.96 standard errors), the live mean regret, and
    ``agrees``: every live mean regret (one per budget) inside the stored interval.
    """
    import time

    from mesaopt.maximize.polynomials import regret

    rows = []
    for name in names:
        m = member(name)
        coeffs = reference_inputs() if m.family == "reference" else evaluation_inputs()
        top = exact_maximum(coeffs, basis)[1]
        start = time.perf_counter()
        live = trained_answers(m, train_member(m), coeffs)
        seconds = time.perf_counter() - start
        old = stored["members"][name]["answers"]
        diff, agrees, worst = 0.0, True, None
        for b, x in live.items():
            r_old, r_new = regret(coeffs, old[b], basis, top), regret(coeffs, x, basis, top)
            half = 1.96 * r_old.std(ddof=1) / np.sqrt(r_old.size)
            inside = abs(r_new.mean() - r_old.mean()) <= half
            agrees &= bool(inside)
            diff = max(diff, float(np.max(np.abs(x - old[b]))))
            if worst is None or not inside:
                worst = (float(r_old.mean()), (float(r_old.mean() - half), float(r_old.mean() + half)),
                         float(r_new.mean()))
        rows.append({"name": name, "seconds": seconds, "max_abs_diff": diff, "stored_mean_regret": worst[0],
                     "interval": worst[1], "live_mean_regret": worst[2], "agrees": agrees})
    return rows


def decode_answers(text: str) -> np.ndarray:
    """Answers stored as base64 float32 (little-endian) back to a float64 array."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)


RESULTS_NAME = "ch3_population"  # experiments/results/ch3_population.json


def load_population_results(path=None) -> dict:
    """The stored results of ``experiments/ch3_population.py``: ``{"provenance": ..., "members": {name: {...}}}``
    with each member's ``answers`` decoded to ``{budget (None: no knob): x}``.

    ``path`` None: the checkout's ``experiments/results/ch3_population.json``, or (where only the package is
    installed, as in Colab) the same file from the repository (:func:`mesaopt.results.load_results`).
    A member stored with other settings than the package now gives it fails clearly.
    """
    if path is None:
        from mesaopt.results import load_results
        data, where = load_results(RESULTS_NAME), RESULTS_NAME
    else:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python experiments/ch3_population.py` to create it")
        data, where = json.loads(path.read_text()), str(path)
    if "members" not in data or "provenance" not in data:
        raise ValueError(f"{where} is not a ch3 population results file (needs 'provenance' and 'members')")
    for name, entry in data["members"].items():
        m = member(name)  # fails clearly on a name the package does not know
        if entry.get("settings") != m.params:
            raise ValueError(f"{where}: {name!r} was stored with settings {entry.get('settings')}, the package now "
                             f"says {m.params}; rerun `python experiments/ch3_population.py` for it")
        entry["answers"] = {(None if b == "nominal" else int(b)): decode_answers(x) for b, x in entry["answers"].items()}
    return data


def family_table() -> list:
    """Rows (family, label, count, knob, label rule) for the chapter's table of the scored population."""
    rows = []
    for fam in FAMILIES.values():
        if fam.scored:
            word = {True: "searcher", False: "non-searcher", None: "by its check"}[fam.searcher]
            rows.append((fam.name, word, len(members(fam.name)), fam.knob or "none", fam.label_rule))
    return rows
