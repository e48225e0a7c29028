"""The protocol that scores the detectors: a split by family, thresholds fitted on one half, ROC-AUC and
accuracy on the other with bootstrap intervals over models, and the same within strata of similar mean loss.

* :func:`stratified_split`: each family's members are shuffled (seeded) and dealt alternately into a
  development half and a held-out half, so every family with two or more members is in both.
* :func:`fit_threshold`: the threshold of the rule "search when score >= t" with the best balanced accuracy on
  the development models (the middle one of the best, when several tie).
* :func:`roc_auc`: the probability that a searcher scores above a non-searcher (ties count one half); with
  ``strata`` only pairs in the same stratum count (searchers compared with non-searchers of similar mean loss).
  :func:`accuracy` and :func:`balanced_accuracy` (also within strata) score the fitted rule's verdicts.
* :func:`bootstrap_weights` and :func:`bootstrap_interval`: percentile intervals, resampling models with
  replacement within each label (or whole families, ``clusters``), so both labels are always present;
  every statistic is computed for all resamples at once from per-model counts.
* :func:`evaluate_detector`: all of it for one detector's scores.

NaN scores mean "does not apply": those models are left out of that detector's numbers (its coverage says how
many remain).
"""
from __future__ import annotations

import numpy as np

from mesaopt.validation import require_float, require_int

__all__ = ["stratified_split", "fit_threshold", "decide", "roc_curve", "roc_auc", "accuracy", "balanced_accuracy",
           "loss_strata", "bootstrap_weights", "bootstrap_interval", "paired_auc_difference", "evaluate_detector"]


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
    """Threshold t of "search when score >= t" with the highest balanced accuracy on these models (the mean of
    the rates of right verdicts on searchers and on non-searchers; NaN scores ignored).

    Balanced, so that a rule is not rewarded for saying "search" to everything when searchers are the
    majority. Candidates: -inf, +inf and the midpoints between consecutive distinct scores; among the best,
    the middle one (by position). With no usable scores, or only one label, -inf ("always search").
    """
    s, y, _ = _clean(scores, labels)
    if s.size == 0 or y.all() or not y.any():
        return -np.inf
    distinct = np.unique(s[np.isfinite(s)])
    candidates = np.concatenate([[-np.inf], (distinct[:-1] + distinct[1:]) / 2, [np.inf]])
    said = s[None, :] >= candidates[:, None]
    balanced = 0.5 * (said[:, y].mean(axis=1) + (~said[:, ~y]).mean(axis=1))
    best = np.flatnonzero(balanced >= balanced.max() - 1e-12)
    return float(candidates[best[(best.size - 1) // 2]])


def decide(scores, threshold: float) -> np.ndarray:
    """The rule: True (search) where score >= threshold; NaN scores give False but are best left out."""
    s = np.asarray(scores, dtype=np.float64)
    return np.where(np.isnan(s), False, s >= threshold)


# Every statistic below is computed for a weight per model (how often a bootstrap resample holds it), for
# many resamples at once: ``weights`` has shape (resamples, models); plain numbers use weights of one.

def _weights(weights, n) -> np.ndarray:
    w = np.ones((1, n)) if weights is None else np.asarray(weights, dtype=np.float64)
    return w[None, :] if w.ndim == 1 else w


def _auc_weighted(s, y, z, w) -> np.ndarray:
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    wins = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
    same = z[pos][:, None] == z[neg][None, :]
    wp, wn = w[:, pos], w[:, neg]
    pairs = np.einsum("bi,ij,bj->b", wp, same.astype(float), wn)
    won = np.einsum("bi,ij,bj->b", wp, wins * same, wn)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, won / np.where(pairs > 0, pairs, 1), np.nan)


def _accuracy_weighted(right, w) -> np.ndarray:
    return (w @ right.astype(float)) / w.sum(axis=1)


def _balanced_weighted(verdict, y, z, w) -> np.ndarray:
    total = np.zeros(w.shape[0])
    weight = np.zeros(w.shape[0])
    for g in np.unique(z):
        pos, neg = (z == g) & y, (z == g) & ~y
        npos, nneg = w[:, pos].sum(axis=1), w[:, neg].sum(axis=1)
        ok = (npos > 0) & (nneg > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = 0.5 * (w[:, pos] @ verdict[pos].astype(float) / npos + w[:, neg] @ (~verdict[neg]).astype(float) / nneg)
        size = npos + nneg
        total += np.where(ok, size * np.nan_to_num(rate), 0.0)
        weight += np.where(ok, size, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / np.where(weight > 0, weight, 1), np.nan)


def accuracy(scores, labels, threshold: float, weights=None):
    """Fraction of models (NaN scores left out) where the rule's verdict equals the label."""
    s, y, keep = _clean(scores, labels)
    if s.size == 0:
        return float("nan")
    out = _accuracy_weighted(decide(s, threshold) == y, _weights(weights, keep.size)[:, keep])
    return float(out[0]) if weights is None else out


def balanced_accuracy(scores, labels, threshold: float, strata=None, weights=None):
    """Mean of the right-verdict rates on searchers and on non-searchers ("always say search": exactly 1/2).

    With ``strata`` it is computed within each stratum holding both labels and averaged with weights =
    stratum size: a rule that cannot tell the labels apart among models of similar accuracy gets 1/2.
    """
    s, y, keep = _clean(scores, labels)
    z = np.zeros(s.size, dtype=int) if strata is None else np.asarray(strata)[keep]
    out = _balanced_weighted(decide(s, threshold), y, z, _weights(weights, keep.size)[:, keep])
    return float(out[0]) if weights is None else out


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rates, true-positive rates) of "search when score >= t" as t falls from +inf."""
    s, y, _ = _clean(scores, labels)
    if y.all() or not y.any():
        raise ValueError("a ROC curve needs at least one searcher and one non-searcher")
    thresholds = np.concatenate([[np.inf], np.unique(s)[::-1]])
    tpr = np.array([np.mean(s[y] >= t) for t in thresholds])
    fpr = np.array([np.mean(s[~y] >= t) for t in thresholds])
    return fpr, tpr


def roc_auc(scores, labels, strata=None, weights=None):
    """P(a searcher scores above a non-searcher), ties one half; NaN when there is no pair.

    With ``strata`` (one key per model) only pairs within the same stratum are compared. With ``weights``
    (shape (resamples, models)) one AUC per row, each model counted as often as its weight.
    """
    s, y, keep = _clean(scores, labels)
    z = np.zeros(s.size, dtype=int) if strata is None else np.asarray(strata)[keep]
    out = _auc_weighted(s, y, z, _weights(weights, keep.size)[:, keep])
    return float(out[0]) if weights is None else out


def loss_strata(mean_loss, n_strata: int = 4) -> np.ndarray:
    """Equal-count strata of mean loss (0 = the best models): models in one stratum have similar accuracy."""
    x = np.asarray(mean_loss, dtype=np.float64)
    n_strata = require_int("n_strata", n_strata, 1, max(1, x.size))
    ranks = np.empty(x.size, dtype=int)
    ranks[np.argsort(x, kind="stable")] = np.arange(x.size)
    return ranks * n_strata // x.size


def bootstrap_weights(labels, n_boot: int = 2000, seed: int = 0, clusters=None) -> np.ndarray:
    """Resample counts, shape (n_boot, models): models drawn with replacement within each label, so every
    resample has as many searchers and non-searchers as the data. With ``clusters`` (one key per model, each
    cluster of one label, such as its family) whole clusters are drawn within each label instead."""
    y = np.asarray(labels, dtype=bool)
    n_boot = require_int("n_boot", n_boot, 10, 1_000_000)
    rng = np.random.default_rng(require_int("seed", seed, 0, None))
    keys = np.arange(y.size) if clusters is None else np.asarray(clusters)
    mixed = set(keys[y].tolist()) & set(keys[~y].tolist())
    if mixed:
        raise ValueError(f"clusters must hold one label each; mixed: {sorted(mixed)}")
    w = np.zeros((n_boot, y.size))
    for value in (True, False):
        groups = [np.flatnonzero((keys == k) & (y == value)) for k in dict.fromkeys(keys[y == value].tolist())]
        if not groups:
            continue
        counts = rng.multinomial(len(groups), np.full(len(groups), 1.0 / len(groups)), size=n_boot)
        for j, members in enumerate(groups):
            w[:, members] += counts[:, j:j + 1]
    return w


COVERAGE = 0.95  # the coverage of every interval chapter 3 states


def bootstrap_interval(values, coverage: float = COVERAGE) -> tuple[float, float]:
    """Percentile interval of bootstrap ``values`` (NaN resamples dropped)."""
    coverage = require_float("coverage", coverage, 0.0, 0.9999, low_inclusive=False)
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - coverage) / 2
    lo, hi = np.percentile(v, [tail, 100 - tail])
    return float(lo), float(hi)


def paired_auc_difference(scores_a, scores_b, labels, n_boot: int = 2000, seed: int = 0) -> tuple:
    """AUC of ``scores_a`` minus AUC of ``scores_b`` on the models where both apply, with a 95% bootstrap interval
    from the same resamples for both (paired): (difference, (low, high), models used)."""
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    keep = ~np.isnan(a) & ~np.isnan(b)
    a, b, y = a[keep], b[keep], y[keep]
    if y.all() or not y.any():
        return float("nan"), (float("nan"), float("nan")), int(keep.sum())
    w = bootstrap_weights(y, n_boot, seed)
    diff = roc_auc(a, y, weights=w) - roc_auc(b, y, weights=w)
    return roc_auc(a, y) - roc_auc(b, y), bootstrap_interval(diff), int(keep.sum())


def evaluate_detector(scores, labels, dev, strata, threshold: float | None = None, n_boot: int = 2000,
                      seed: int = 0, clusters=None) -> dict:
    """One detector under the protocol: threshold from the development models (or the fixed ``threshold``),
    then on the held-out models its AUC, accuracy and balanced accuracy, and its AUC and balanced accuracy
    within ``strata``, each with a 95% bootstrap interval over held-out models (and, with ``clusters``, the
    AUC's interval when whole clusters are resampled). ``strata`` has one entry per model (only the held-out
    ones are used). Also the number of within-stratum pairs behind the matched AUC.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    dev = np.asarray(dev, dtype=bool)
    z = np.asarray(strata)
    t = fit_threshold(s[dev], y[dev]) if threshold is None else float(threshold)
    held = ~dev & ~np.isnan(s)
    hs, hy, hz = s[held], y[held], z[held]
    stats_of = {
        "auc": lambda w: roc_auc(hs, hy, weights=w),
        "accuracy": lambda w: accuracy(hs, hy, t, weights=w),
        "balanced_accuracy": lambda w: balanced_accuracy(hs, hy, t, weights=w),
        "matched_auc": lambda w: roc_auc(hs, hy, hz, weights=w),
        "matched_balanced_accuracy": lambda w: balanced_accuracy(hs, hy, t, hz, weights=w),
    }
    same = hz[hy][:, None] == hz[~hy][None, :]
    out = {"threshold": t, "n_dev": int(np.sum(dev & ~np.isnan(s))), "n_held_out": int(hs.size),
           "n_held_out_searchers": int(hy.sum()), "matched_pairs": int(same.sum()),
           "dev_balanced_accuracy": balanced_accuracy(s[dev], y[dev], t)}
    both = hy.any() and (~hy).any()
    w = bootstrap_weights(hy, n_boot, seed) if both else None
    for name, fn in stats_of.items():
        out[name] = float(fn(np.ones((1, hs.size)))[0]) if hs.size else float("nan")
        out[name + "_interval"] = bootstrap_interval(fn(w)) if both else (float("nan"), float("nan"))
    if clusters is not None and both:
        wc = bootstrap_weights(hy, n_boot, seed + 1, clusters=np.asarray(clusters)[held])
        out["auc_interval_clusters"] = bootstrap_interval(stats_of["auc"](wc))
    return out
