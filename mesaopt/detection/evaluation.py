"""The protocol that scores the detectors: a split by family, thresholds fitted on one half, ROC-AUC and
accuracy on the other with bootstrap intervals over models, and the same within strata of similar mean loss.

* :func:`stratified_split`: each family's members are shuffled (seeded) and dealt alternately into a
  development half and a held-out half, so every family with two or more members is in both.
* :func:`fit_threshold`: the threshold of the rule "search when score >= t" with the best accuracy on the
  development models (the middle one of the best, when several tie).
* :func:`roc_auc`: the probability that a searcher scores above a non-searcher (ties count one half); with
  ``strata`` only pairs in the same stratum count (searchers compared with non-searchers of similar mean loss).
* :func:`bootstrap_interval`: a percentile interval, resampling models with replacement within each label
  (or whole families, ``clusters``), so both labels are always present.
* :func:`evaluate_detector`: all of it for one detector's scores.

NaN scores mean "does not apply": those models are left out of that detector's numbers (its coverage says how
many remain).
"""
from __future__ import annotations

import numpy as np

from mesaopt.validation import require_float, require_int

__all__ = ["stratified_split", "fit_threshold", "decide", "roc_curve", "roc_auc", "accuracy", "matched_accuracy",
           "loss_strata", "bootstrap_interval", "evaluate_detector"]


def stratified_split(groups, seed: int = 0) -> np.ndarray:
    """Boolean mask, True = development: each group's members shuffled and dealt alternately, the first to
    development; groups of odd size alternate which half gets the extra member (in order of appearance)."""
    groups = list(groups)
    rng = np.random.default_rng(require_int("seed", seed, 0, None))
    dev = np.zeros(len(groups), dtype=bool)
    extra_to_dev = True
    seen = []
    for g in groups:
        if g not in seen:
            seen.append(g)
    for g in seen:
        idx = np.array([i for i, h in enumerate(groups) if h == g])
        idx = idx[rng.permutation(idx.size)]
        first = extra_to_dev or idx.size % 2 == 0
        dev[idx[0 if first else 1::2]] = True
        if idx.size % 2 == 1:
            extra_to_dev = not extra_to_dev
    return dev


def _clean(scores, labels):
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(f"scores and labels must be 1-d of the same length; got {s.shape} and {y.shape}")
    keep = ~np.isnan(s)
    return s[keep], y[keep], keep


def fit_threshold(scores, labels) -> float:
    """Threshold t of "search when score >= t" with the highest accuracy on these models (NaN scores ignored).

    Candidates: -inf, +inf and the midpoints between consecutive distinct scores; among the best, the middle
    one (by position). With no usable scores, -inf ("always search").
    """
    s, y, _ = _clean(scores, labels)
    if s.size == 0:
        return -np.inf
    distinct = np.unique(s[np.isfinite(s)])
    candidates = np.concatenate([[-np.inf], (distinct[:-1] + distinct[1:]) / 2, [np.inf]])
    acc = np.array([np.mean((s >= t) == y) for t in candidates])
    best = np.flatnonzero(acc == acc.max())
    return float(candidates[best[(best.size - 1) // 2]])


def decide(scores, threshold: float) -> np.ndarray:
    """The rule: True (search) where score >= threshold; NaN scores give False but are best left out."""
    s = np.asarray(scores, dtype=np.float64)
    return np.where(np.isnan(s), False, s >= threshold)


def accuracy(scores, labels, threshold: float) -> float:
    """Fraction of models (NaN scores left out) where the rule's verdict equals the label."""
    s, y, _ = _clean(scores, labels)
    return float(np.mean(decide(s, threshold) == y)) if s.size else float("nan")


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rates, true-positive rates) of "search when score >= t" as t falls from +inf."""
    s, y, _ = _clean(scores, labels)
    if y.all() or not y.any():
        raise ValueError("a ROC curve needs at least one searcher and one non-searcher")
    thresholds = np.concatenate([[np.inf], np.unique(s)[::-1]])
    tpr = np.array([np.mean(s[y] >= t) for t in thresholds])
    fpr = np.array([np.mean(s[~y] >= t) for t in thresholds])
    return fpr, tpr


def roc_auc(scores, labels, strata=None) -> float:
    """P(a searcher scores above a non-searcher), ties one half; NaN when there is no pair.

    With ``strata`` (one integer per model) only pairs within the same stratum are compared.
    """
    s, y, keep = _clean(scores, labels)
    z = np.zeros(s.size, dtype=int) if strata is None else np.asarray(strata)[keep]
    wins = pairs = 0.0
    for g in np.unique(z):
        pos, neg = s[(z == g) & y], s[(z == g) & ~y]
        if pos.size and neg.size:
            diff = pos[:, None] - neg[None, :]
            wins += np.sum(diff > 0) + 0.5 * np.sum(diff == 0)
            pairs += pos.size * neg.size
    return float(wins / pairs) if pairs else float("nan")


def matched_accuracy(scores, labels, threshold: float, strata) -> float:
    """Balanced accuracy within each stratum that holds both labels, averaged with weights = stratum size.

    "Always say search" gets exactly 1/2; so does any rule that cannot tell the labels apart within strata.
    """
    s, y, keep = _clean(scores, labels)
    z = np.asarray(strata)[keep]
    verdict = decide(s, threshold)
    total = weight = 0.0
    for g in np.unique(z):
        m = z == g
        if y[m].any() and (~y[m]).any():
            balanced = 0.5 * (np.mean(verdict[m & y]) + np.mean(~verdict[m & ~y]))
            total += m.sum() * balanced
            weight += m.sum()
    return float(total / weight) if weight else float("nan")


def loss_strata(mean_loss, n_strata: int = 4) -> np.ndarray:
    """Equal-count strata of mean loss (0 = the best models): models in one stratum have similar accuracy."""
    x = np.asarray(mean_loss, dtype=np.float64)
    n_strata = require_int("n_strata", n_strata, 1, max(1, x.size))
    ranks = np.empty(x.size, dtype=int)
    ranks[np.argsort(x, kind="stable")] = np.arange(x.size)
    return ranks * n_strata // x.size


def bootstrap_interval(statistic, labels, n_boot: int = 2000, seed: int = 0, coverage: float = 0.95,
                       clusters=None) -> tuple[float, float]:
    """Percentile interval of ``statistic(indices)`` over resamples of the models.

    Models are resampled with replacement within each label, so every resample has the same numbers of
    searchers and non-searchers. With ``clusters`` (one key per model, such as its family; each cluster must
    hold one label) whole clusters are resampled within each label instead. Resamples where the statistic
    is NaN are dropped.
    """
    y = np.asarray(labels, dtype=bool)
    n_boot = require_int("n_boot", n_boot, 10, 1_000_000)
    coverage = require_float("coverage", coverage, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    rng = np.random.default_rng(require_int("seed", seed, 0, None))
    if clusters is None:
        units = [[np.array([i]) for i in np.flatnonzero(y == v)] for v in (True, False)]
    else:
        keys = np.asarray(clusters)
        units = []
        for v in (True, False):
            found = {}
            for i in np.flatnonzero(y == v):
                found.setdefault(keys[i], []).append(i)
            units.append([np.array(ix) for ix in found.values()])
        mixed = set(keys[y]) & set(keys[~y])
        if mixed:
            raise ValueError(f"clusters must hold one label each; mixed: {sorted(mixed)}")
    values = []
    for _ in range(n_boot):
        pick = [np.concatenate([u[j] for j in rng.integers(0, len(u), len(u))]) for u in units if u]
        values.append(statistic(np.concatenate(pick)))
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - coverage) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def evaluate_detector(scores, labels, dev, strata, threshold: float | None = None, n_boot: int = 2000,
                      seed: int = 0, clusters=None) -> dict:
    """One detector under the protocol: threshold from the development models (or the fixed ``threshold``),
    then on the held-out models its AUC, accuracy, AUC within ``strata`` and matched accuracy, each with a
    bootstrap interval over held-out models (and, with ``clusters``, an interval resampling whole clusters).
    ``strata`` has one entry per model (only the held-out ones are used).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    dev = np.asarray(dev, dtype=bool)
    z = np.asarray(strata)
    t = fit_threshold(s[dev], y[dev]) if threshold is None else float(threshold)
    held = ~dev & ~np.isnan(s)
    hs, hy, hz = s[held], y[held], z[held]
    hc = None if clusters is None else np.asarray(clusters)[held]
    stats_of = {
        "auc": lambda i: roc_auc(hs[i], hy[i]),
        "accuracy": lambda i: accuracy(hs[i], hy[i], t),
        "matched_auc": lambda i: roc_auc(hs[i], hy[i], hz[i]),
        "matched_accuracy": lambda i: matched_accuracy(hs[i], hy[i], t, hz[i]),
    }
    everything = np.arange(hs.size)
    out = {"threshold": t, "n_dev": int(np.sum(dev & ~np.isnan(s))), "n_held_out": int(hs.size),
           "n_held_out_searchers": int(hy.sum()), "coverage": float(held.sum() / max(1, (~dev).sum())),
           "dev_accuracy": accuracy(s[dev], y[dev], t)}
    for k, (name, fn) in enumerate(stats_of.items()):
        out[name] = fn(everything)
        if hy.all() or not hy.any():
            out[name + "_interval"] = (float("nan"), float("nan"))
            continue
        out[name + "_interval"] = bootstrap_interval(fn, hy, n_boot, seed + k)
        if hc is not None and name == "auc":
            out["auc_interval_families"] = bootstrap_interval(fn, hy, n_boot, seed + 10 + k, clusters=hc)
    return out
