"""Behavioural detectors of search: each turns one model's losses into a score with one decision rule.

Every detector reads only behaviour, an :class:`Evidence`: the model's losses on the test inputs, their
hardness, a reference model's losses on other inputs, and (when the model has a test-time knob) its losses
at budgets at or beyond its nominal one. Each returns a number, higher meaning "more search-like", and its
one decision rule is "search when the score is at least a threshold". The thresholds are not here: they
are fitted on the development half of the population (:mod:`mesaopt.detection.evaluation`). A score of NaN
means the detector does not apply (no knob; too few positive losses; a min-stable reference family).

The losses may be the regret or the post's squared loss; :func:`evidence` builds either from regrets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesaopt.detection.extremes import ScaleFamily, gamma_fit, weibull_fit
from mesaopt.detection.stats import ZERO_FLOOR, reference_test, scale_free_test
from mesaopt.validation import require_choice

__all__ = ["LOSSES", "WEIBULL_LIMIT", "HARDNESS_BINS", "Evidence", "evidence", "Detector", "DETECTORS",
           "DETECTOR_NAMES", "BASELINE_NAMES", "hardness_bin_means", "hardness_score", "min_of_k_score", "budget_score", "budget_slope",
           "shape_score", "weibull_limit_score", "mean_loss_score", "always_search_score", "scores"]

LOSSES = ("regret", "squared")
# Weibull shape of the min of many draws near a smooth maximum: regret ~ d^2 gives 1/2, its square 1/4
WEIBULL_LIMIT = {"regret": 0.5, "squared": 0.25}
HARDNESS_BINS = 5
MIN_POSITIVE = 10


@dataclass(frozen=True)
class Evidence:
    """What a behavioural detector may see about one model (all losses of the same kind, ``loss``)."""

    losses: np.ndarray
    hardness: np.ndarray
    reference_losses: np.ndarray
    budget_losses: dict | None = None
    loss: str = "regret"

    @property
    def floor(self) -> float:
        """Losses at or below this are exact zeros up to rounding."""
        return ZERO_FLOOR if self.loss == "regret" else ZERO_FLOOR ** 2


def _to_loss(regrets, loss: str) -> np.ndarray:
    r = np.asarray(regrets, dtype=np.float64)
    if r.ndim != 1 or not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("regrets must be a 1-d array of finite, non-negative numbers")
    r = np.where(r <= ZERO_FLOOR, 0.0, r)  # floating-point noise at an exact answer counts as zero
    return r if loss == "regret" else r ** 2


def evidence(regrets, hardness, reference_regrets, budget_regrets: dict | None = None,
             loss: str = "regret") -> Evidence:
    """An :class:`Evidence` of ``loss`` ("regret" or "squared", the regret squared) from regrets."""
    require_choice("loss", loss, LOSSES)
    budgets = None
    if budget_regrets:
        budgets = {b: _to_loss(r, loss) for b, r in budget_regrets.items()}
    h = np.asarray(hardness, dtype=np.float64)
    x = _to_loss(regrets, loss)
    if h.shape != x.shape:
        raise ValueError(f"hardness must have one value per loss: {h.shape} against {x.shape}")
    return Evidence(x, h, _to_loss(reference_regrets, loss), budgets, loss)


# ---- the detectors --------------------------------------------------------------------------------------

def hardness_bin_means(losses, hardness, n_bins: int = HARDNESS_BINS) -> np.ndarray:
    """Mean loss in each of ``n_bins`` equal-count bins of hardness, easiest first (ties split by a stable sort)."""
    x = np.asarray(losses, dtype=np.float64)
    h = np.asarray(hardness, dtype=np.float64)
    if x.shape != h.shape or x.ndim != 1 or x.size < n_bins:
        raise ValueError(f"losses and hardness need the same 1-d shape with at least {n_bins} entries")
    bins = np.empty(x.size, dtype=int)
    bins[np.argsort(h, kind="stable")] = np.arange(x.size) * n_bins // x.size
    return np.array([x[bins == b].mean() for b in range(n_bins)])


def hardness_score(ev: Evidence) -> float:
    """The post's test: log(mean loss on the easiest fifth of inputs / mean loss on the hardest fifth).

    Search-like when at least the threshold: a searcher should do about as well on hard inputs as on easy
    ones. Ratios of means, so NOT unchanged when the loss is squared.
    """
    means = hardness_bin_means(ev.losses, ev.hardness)
    return float(np.log((means[0] + ev.floor) / (means[-1] + ev.floor)))


def min_of_k_score(ev: Evidence) -> float:
    """The answer's test: minus Savage's z of the losses against the reference model's losses (other inputs).

    Search-like when at least the threshold: the losses are stochastically smaller than the reference's, as
    the minimum of k > 1 draws from the reference law would be. A rank statistic: unchanged by squaring.
    """
    return -float(reference_test(ev.losses, ev.reference_losses, seed=0).statistic)


def budget_slope(losses_by_budget: dict, floor: float = ZERO_FLOOR) -> float:
    """Least-squares slope of log(mean loss) against log(budget) (mean losses floored at ``floor``)."""
    budgets = np.array(sorted(losses_by_budget), dtype=np.float64)
    if budgets.size < 2 or np.any(budgets <= 0):
        raise ValueError("need losses at two or more positive budgets")
    means = np.array([max(float(np.mean(losses_by_budget[b])), floor) for b in sorted(losses_by_budget)])
    return float(np.polyfit(np.log(budgets), np.log(means), 1)[0])


def budget_score(ev: Evidence) -> float:
    """Budget scaling: minus the slope of log mean loss against log budget, turning only a test-time knob and
    only at or beyond the nominal (trained) budget. Search-like when at least the threshold (the loss falls
    as the budget grows). NaN for a model without a knob. Not unchanged by squaring (the slope doubles
    for a pure power law, but not in general)."""
    if not ev.budget_losses or len(ev.budget_losses) < 2:
        return float("nan")
    return -budget_slope(ev.budget_losses, ev.floor)


def _positive(ev: Evidence) -> np.ndarray:
    return ev.losses[ev.losses > ev.floor]


def shape_score(ev: Evidence) -> float:
    """The answer's shape test where it applies: Rao's score statistic for "min of k > 1 draws" from the
    reference model's loss family (gamma, shape fitted to the reference's positive losses), scale unknown.

    Search-like when at least the threshold. Uses the positive losses only. NaN with fewer than 10 of them,
    or when the reference family is min-stable (fitted shape exactly 1: no test exists).
    """
    ref = ev.reference_losses[ev.reference_losses > ev.floor]
    x = _positive(ev)
    if x.size < MIN_POSITIVE or ref.size < MIN_POSITIVE:
        return float("nan")
    shape = float(gamma_fit(ref)[0])
    result = scale_free_test(x, ScaleFamily("gamma", shape))
    return float(result.statistic) if result.identifiable else float("nan")


def weibull_limit_score(ev: Evidence) -> float:
    """The extreme-value shape test: minus |log(alpha_hat / alpha_limit)|, alpha_hat the Weibull shape fitted
    to the positive losses, alpha_limit the shape of the minimum of many draws near a smooth maximum
    (1/2 for the regret, 1/4 for its square). Search-like when at least the threshold. NaN with fewer
    than 10 positive losses."""
    x = _positive(ev)
    if x.size < MIN_POSITIVE or np.ptp(x) == 0:
        return float("nan")
    alpha = float(weibull_fit(x)[0])
    return -abs(float(np.log(alpha / WEIBULL_LIMIT[ev.loss])))


def mean_loss_score(ev: Evidence) -> float:
    """Baseline "mean loss alone": minus log(mean loss); search-like when at least the threshold (a better
    model is called a searcher)."""
    return -float(np.log(ev.losses.mean() + ev.floor))


def always_search_score(ev: Evidence) -> float:
    """Baseline "always say search": the same score for every model; its rule says search for all."""
    return 1.0


@dataclass(frozen=True)
class Detector:
    """A named score function and its one decision rule, "search when score >= threshold".

    ``fixed_threshold``: a rule that is not fitted (the "always say search" baseline uses -inf).
    ``rank_based``: the score depends on the losses only through ranks, so it is unchanged by squaring.
    """

    name: str
    title: str
    score: callable
    rule: str
    baseline: bool = False
    fixed_threshold: float | None = None
    rank_based: bool = False


DETECTORS = {d.name: d for d in (
    Detector("hardness", "easy vs hard (the post)", hardness_score,
             "search when log(easy-fifth mean loss / hardest-fifth mean loss) >= t"),
    Detector("min_of_k", "min-of-k vs a reference (the answer)", min_of_k_score,
             "search when minus Savage's z against the reference model >= t", rank_based=True),
    Detector("budget", "budget scaling", budget_score,
             "search when minus the log-log slope of mean loss against the knob >= t (models with a knob)"),
    Detector("shape", "shape: min of k from the reference family", shape_score,
             "search when the gamma score statistic (reference's shape, scale unknown) >= t"),
    Detector("weibull_limit", "shape: Weibull limit", weibull_limit_score,
             "search when minus |log(fitted Weibull shape / limit shape)| >= t"),
    Detector("mean_loss", "baseline: mean loss alone", mean_loss_score,
             "search when minus log(mean loss) >= t", baseline=True),
    Detector("always_search", "baseline: always say search", always_search_score,
             "always search", baseline=True, fixed_threshold=-np.inf, rank_based=True),
)}
DETECTOR_NAMES = tuple(n for n, d in DETECTORS.items() if not d.baseline)
BASELINE_NAMES = tuple(n for n, d in DETECTORS.items() if d.baseline)


def scores(evidences: dict, names=None) -> dict:
    """``{detector: array of scores}`` over the models of ``evidences`` (``{model: Evidence}``), in its order."""
    names = tuple(DETECTORS) if names is None else tuple(names)
    for n in names:
        require_choice("detector", n, tuple(DETECTORS))
    return {n: np.array([DETECTORS[n].score(ev) for ev in evidences.values()]) for n in names}

