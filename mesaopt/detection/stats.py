"""Behavioural tests for "did the model search?": min-of-k tests with known error rates.

Model: a searching model's loss is the minimum of k draws from a base law F, ordinary models have k = 1.

* **Known base** (F fully known). E = -log S(L) is Exp(k) exactly, so sum(E) ~ Gamma(n, rate k):
  the one-sided test "small sum(E)" is exact and uniformly most powerful for k > 1, with
  power in closed form (:func:`known_base_test`, :func:`known_base_power`).
* **Known family, unknown scale** (the realistic case: we do not know how good the model "would
  have been"). Rao's score test for k at k = 1 with the scale estimated (:func:`scale_free_test`),
  asymptotically equivalent to the likelihood-ratio test. Its information per observation
  (:func:`efficient_information`) is exactly zero for min-stable families (exponential, Weibull):
  there, min-of-k is the same family with a smaller scale and no test can beat its level.
* **Budget scaling** (family unknown): vary the search budget B and see whether the loss scale
  falls like B^(-1/alpha) (:func:`budget_scaling_test`).

Also here: exponential / gamma / Weibull fits of a loss sample, and how many simulated runs a
calibration check needs to see a twofold error (:func:`runs_to_resolve`). The detectors that turn
these statistics into verdicts on models are in :mod:`mesaopt.detection.detectors`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import integrate, special, stats

from mesaopt.detection.extremes import ScaleFamily, gamma_fit, ks_distance, sample_min_of_k, weibull_fit
from mesaopt.validation import require_float, require_int

__all__ = [
    "TestResult", "known_base_test", "known_base_power", "reference_test", "efficient_information", "scale_free_test",
    "rejection_rate", "power_grid", "calibration", "binomial_band", "runs_to_resolve", "invariant_two_sample_rate",
    "fit_loss_families", "budget_scaling_test", "ZERO_FLOOR",
]

ZERO_FLOOR = 1e-12  # losses at or below this count as exact zeros (floating-point noise)


@dataclass(frozen=True)
class TestResult:
    """A test's statistic, one-sided p-value (small = evidence of k > 1) and estimate of k."""

    statistic: np.ndarray
    p_value: np.ndarray
    k_hat: np.ndarray | None = None
    identifiable: bool = True


def _losses(losses, min_n: int = 2) -> np.ndarray:
    x = np.asarray(losses, dtype=np.float64)
    if x.ndim == 0 or x.shape[-1] < min_n:
        raise ValueError(f"need at least {min_n} losses along the last axis, got shape {x.shape}")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("losses must be positive and finite (drop exact zeros first)")
    return x


def known_base_test(losses, fam: ScaleFamily, scale: float = 1.0) -> TestResult:
    """Exact UMP test of k = 1 against k > 1 when the base law (family, shape, scale) is known.

    Works along the last axis, so a (reps, n) array gives reps independent tests.
    """
    x = _losses(losses, 1)
    n = x.shape[-1]
    total = -fam.logsf(x / scale).sum(axis=-1)  # sum of Exp(k) variables
    return TestResult(statistic=total, p_value=special.gammainc(n, total), k_hat=n / total)


def reference_test(losses, reference_losses, seed: int = 0) -> TestResult:
    """Savage's rank test: are the losses the min of k > 1 draws from a reference model's loss law?

    The two-sample version of :func:`known_base_test` when the base law is known only through a
    sample (``reference_losses``, on other inputs): exponential (Savage) scores of the pooled ranks,
    the locally most powerful rank test against the min-of-k ("Lehmann") alternative. Distribution-
    free; ties (such as exact zeros) are broken at random (seeded); normal approximation for p.
    A small p-value says "stochastically smaller losses than the reference": min-of-k, but
    equally any other improvement. ``k_hat`` is a rough estimate of k: the ratio of the mean
    uncentred exponential score of the reference to that of the model.
    """
    x = np.asarray(losses, dtype=np.float64).ravel()
    ref = np.asarray(reference_losses, dtype=np.float64).ravel()
    if x.size < 5 or ref.size < 5:
        raise ValueError("need at least five losses and five reference losses")
    n, m = x.size, ref.size
    total = n + m
    pooled = np.concatenate([x, ref])
    jitter = np.random.default_rng(seed).random(total)
    order = np.lexsort((jitter, pooled))  # ascending, ties in random order
    ranks = np.empty(total, dtype=np.int64)
    ranks[order] = np.arange(1, total + 1)
    # expected Exp(1) order statistics: a_i = sum_{j = N - i + 1}^{N} 1/j, centred
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, total + 1))])
    scores = harmonic[total] - harmonic[total - ranks] - 1.0
    stat = scores[:n].sum()
    sd = np.sqrt(n * m / (total * (total - 1.0)) * np.sum(scores ** 2))
    z = stat / sd
    k_hat = (1.0 + scores[n:].mean()) / max(1.0 + scores[:n].mean(), 1e-12)
    return TestResult(statistic=float(z), p_value=float(special.ndtr(z)), k_hat=float(k_hat))


def known_base_power(n: int, k: float, level: float = 0.05) -> float:
    """Power of :func:`known_base_test` at sample size n against k (closed form)."""
    n = require_int("n", n, 1, 10_000_000)
    k = require_float("k", k, 1.0, None)
    level = require_float("level", level, 0.0, 1.0, low_inclusive=False)
    return float(special.gammainc(n, k * special.gammaincinv(n, level)))


@lru_cache(maxsize=64)
def _efficient_information(name: str, shape: float) -> float:
    fam = ScaleFamily(name, shape)
    # E[z h(z)] with h = f / S the hazard: the k-score's covariance with the log-scale score.
    upper = float(fam.ppf(1.0 - 1e-14))  # beyond this S underflows; the integrand there is negligible
    cross, _ = integrate.quad(lambda z: z * np.exp(2 * fam.logpdf(z) - fam.logsf(z)), 0, upper, limit=200)
    info = 1.0 - cross ** 2 / fam.log_scale_information()
    return max(info, 0.0) if abs(info) > 1e-7 else 0.0


def efficient_information(fam: ScaleFamily) -> float:
    """Information about k (at k = 1) per loss when the scale is unknown: 1 - E[z h(z)]^2 / I_scale.

    Zero exactly for min-stable families (exponential, Weibull): there k cannot be learned at all.
    """
    if fam.min_stable:
        return 0.0
    return _efficient_information(fam.name, float(fam.shape))


def scale_free_test(losses, fam: ScaleFamily) -> TestResult:
    """Score test of k = 1 against k > 1 for a known family and shape with unknown scale.

    U = sum(1 + log S(x_i / scale_hat)) / sqrt(n i*), p = P(N(0,1) >= U). For min-stable families
    i* = 0 and the statistic is identically zero: p-values are NaN and ``identifiable`` is False.
    """
    x = _losses(losses)
    n = x.shape[-1]
    info = efficient_information(fam)
    scale = fam.scale_mle(x)
    score = (1.0 + fam.logsf(x / np.expand_dims(scale, -1))).sum(axis=-1)
    if info == 0.0:
        nan = np.full(np.shape(score), np.nan)
        return TestResult(statistic=nan, p_value=nan, identifiable=False)
    z = score / np.sqrt(n * info)
    return TestResult(statistic=z, p_value=special.ndtr(-z))


_TESTS = {"known base": known_base_test, "unknown scale": scale_free_test}


def rejection_rate(test: str, fam: ScaleFamily, k: float, n: int, reps: int, level: float = 0.05,
                   seed: int = 0, chunk_values: int = 2_000_000) -> float:
    """Fraction of ``reps`` simulated samples (n losses, true k) where ``test`` rejects at ``level``."""
    if test not in _TESTS:
        raise ValueError(f"test must be one of {', '.join(map(repr, _TESTS))}; got {test!r}")
    n = require_int("n", n, 2, 1_000_000)
    reps = require_int("reps", reps, 1, 1_000_000)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, chunk_values // n)
    rejected = 0
    for start in range(0, reps, per_chunk):
        m = min(per_chunk, reps - start)
        x = sample_min_of_k(fam, k, (m, n), rng=rng)
        p = _TESTS[test](x, fam).p_value
        if np.all(np.isnan(p)):
            return float("nan")
        rejected += int(np.sum(p < level))
    return rejected / reps


def power_grid(test: str, fam: ScaleFamily, ns, ks, reps_for_n, level: float = 0.05, seed: int = 0,
               progress=None) -> np.ndarray:
    """Simulated power, shape (len(ns), len(ks)); ``reps_for_n(n)`` gives the replicate count.

    ``progress``: a progress bar (``tqdm``), advanced by one per (n, k) cell.
    """
    out = np.empty((len(ns), len(ks)))
    for i, n in enumerate(ns):
        for j, k in enumerate(ks):
            out[i, j] = rejection_rate(test, fam, k, n, reps_for_n(n), level, seed=seed + 1000 * i + j)
            if progress is not None:
                progress.update(1)
    return out


def binomial_band(level: float, reps: int, coverage: float = 0.999) -> tuple[float, float]:
    """Range of false-positive rates a calibrated test shows over ``reps`` runs (``coverage`` of the time)."""
    lo = stats.binom.ppf((1 - coverage) / 2, reps, level) / reps
    hi = stats.binom.ppf(1 - (1 - coverage) / 2, reps, level) / reps
    return float(lo), float(hi)


def runs_to_resolve(level: float, factor: float = 2.0, coverage: float = 0.999, max_runs: int = 100_000) -> int:
    """The fewest simulated runs whose :func:`binomial_band` around ``level`` excludes ``factor`` x ``level``.

    With fewer runs a test that rejects twice as often as it should can still look calibrated.
    """
    level = require_float("level", level, 0.0, 0.5, low_inclusive=False)
    factor = require_float("factor", factor, 1.0, None, low_inclusive=False)
    for runs in range(2, max_runs + 1):
        if binomial_band(level, runs, coverage)[1] < factor * level:
            return runs
    raise ValueError(f"more than {max_runs} runs would be needed")


def calibration(test: str, fam: ScaleFamily, n: int, reps: int, level: float = 0.05,
                seed: int = 0) -> dict:
    """False-positive rate at k = 1 over ``reps`` runs, with the binomial band it should fall in."""
    rate = rejection_rate(test, fam, 1.0, n, reps, level, seed=seed)
    lo, hi = binomial_band(level, reps)
    return {"test": test, "n": n, "reps": reps, "level": level, "false_positive_rate": rate,
            "band": (lo, hi), "calibrated": bool(lo <= rate <= hi)}


def invariant_two_sample_rate(fam: ScaleFamily, k: float, n: int, reps: int, level: float = 0.05,
                              seed: int = 0) -> float:
    """How often a two-sample KS test tells scale-normalised losses at k = 1 from those at k.

    Dividing by the mean removes the scale; for a min-stable family the normalised laws are
    identical, so the rate is the level whatever k is (any scale-free test is powerless).
    """
    rng = np.random.default_rng(seed)
    base = sample_min_of_k(fam, 1.0, (reps, n), rng=rng)
    searched = sample_min_of_k(fam, k, (reps, n), rng=rng)
    base /= base.mean(axis=1, keepdims=True)
    searched /= searched.mean(axis=1, keepdims=True)
    p = np.array([stats.ks_2samp(a, b).pvalue for a, b in zip(base, searched)])
    return float(np.mean(p < level))


def fit_loss_families(losses, zero_floor: float = ZERO_FLOOR) -> dict:
    """Exponential, gamma and Weibull MLE fits (scale-free, zeros dropped) of one loss sample.

    Returns ``{"zero_fraction", "n_positive", "fits": {family: {"shape", "scale", "loglik", "aic", "ks"}}}``;
    shape is 1 for the exponential, a for gamma, alpha for Weibull. Fits need >= 10 positive losses.
    """
    x = np.asarray(losses, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("losses must be a non-empty array of finite, non-negative numbers")
    positive = x[x > zero_floor]
    result = {"zero_fraction": float(1 - positive.size / x.size), "n_positive": int(positive.size), "fits": {}}
    if positive.size < 10:
        return result
    a, s_g = gamma_fit(positive)
    alpha, s_w = weibull_fit(positive)
    params = {"exponential": (1.0, positive.mean()), "gamma": (float(a), float(s_g)),
              "weibull": (float(alpha), float(s_w))}
    for name, (shape, scale) in params.items():
        fam = ScaleFamily(name, shape)
        loglik = float(np.sum(fam.logpdf(positive / scale)) - positive.size * np.log(scale))
        n_par = 1 if name == "exponential" else 2
        ks = ks_distance(positive, lambda t, f=fam, s=scale: np.exp(f.logcdf(t / s)))
        result["fits"][name] = {"shape": shape, "scale": float(scale), "loglik": loglik,
                                "aic": 2 * n_par - 2 * loglik, "ks": ks}
    return result


def budget_scaling_test(losses_by_budget: dict, n_boot: int = 200, seed: int = 0) -> dict:
    """How does the loss scale fall with the search budget B: like B^(-1/alpha), as for a min of B draws?

    ``losses_by_budget`` maps budget -> losses on the SAME inputs (paired). Fits log(mean loss) =
    c + slope log(B); a bootstrap over inputs gives a 95% interval. Also reports the slope -1/alpha
    that min-of-B draws would give, alpha being the Weibull shape of the losses at the largest budget.
    (The verdict "search or not" is the budget detector's, :func:`mesaopt.detection.detectors.budget_score`,
    with a threshold fitted on the development models.)
    """
    budgets = np.array(sorted(losses_by_budget), dtype=np.float64)
    if budgets.size < 2 or np.any(budgets <= 0):
        raise ValueError("need losses at two or more positive budgets")
    table = np.stack([np.asarray(losses_by_budget[b], dtype=np.float64).ravel() for b in sorted(losses_by_budget)])
    if np.any(table < 0) or not np.all(np.isfinite(table)):
        raise ValueError("losses must be finite and non-negative")
    logb = np.log(budgets)
    design = logb - logb.mean()

    def slope(rows):
        means = np.maximum(rows.mean(axis=-1), 1e-300)
        return (np.log(means) - np.log(means).mean(axis=-1, keepdims=True)) @ design / (design @ design)

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, table.shape[1], size=(n_boot, table.shape[1]))
    boot = slope(np.transpose(table[:, idx], (1, 0, 2)))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    last = table[-1][table[-1] > ZERO_FLOOR]
    alpha = float(weibull_fit(last)[0]) if last.size >= 10 else float("nan")
    return {"budgets": budgets, "mean_loss": table.mean(axis=1), "slope": float(slope(table)),
            "interval": (float(lo), float(hi)), "weibull_alpha": alpha,
            "min_of_k_slope": -1.0 / alpha if alpha == alpha else float("nan")}
