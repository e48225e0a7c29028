"""The minimum of k iid draws: its law, which families keep their shape, and how the scale moves with k.

If X_1, ..., X_k are iid with survival function S = 1 - F, their minimum has survival S^k, i.e.
CDF 1 - (1 - F)^k. Two consequences the book uses:

* **Min-stability.** Exp(scale s) -> Exp(scale s / k); Weibull(alpha, s) -> Weibull(alpha, s k^(-1/alpha)).
  The minimum of a Weibull sample is again Weibull with the same shape: a fitted shape cannot tell
  whether a search happened.
* **Extreme value limit** (Fisher-Tippett-Gnedenko, for minima). If F(x) ~ c x^alpha as x -> 0
  (a loss bounded below by 0 with a power-law lower tail), then k^(1/alpha) min(X_1..X_k) converges in
  law to Weibull(alpha, c^(-1/alpha)). So the minimum of many draws looks Weibull whatever F was,
  and its scale falls like k^(-1/alpha) as the budget k grows.

Every family here is a scale family with a fixed shape: ``ScaleFamily(name, shape)`` at scale 1,
with fast vectorised numpy/scipy.special code (no scipy.stats overhead in inner loops).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from mesaopt.validation import require_choice, require_float, require_int

__all__ = [
    "FAMILIES", "MIN_STABLE", "ScaleFamily", "family", "sample", "sample_min_of_k", "brute_force_min_of_k",
    "min_of_k_cdf", "min_of_k_logpdf", "min_stable_scale", "weibull_limit", "weibull_fit",
    "gamma_fit", "ks_distance",
]

FAMILIES = ("exponential", "weibull", "gamma", "lognormal")
MIN_STABLE = ("exponential", "weibull")
_DEFAULT_SHAPE = {"exponential": 1.0, "weibull": 1.0, "gamma": 2.0, "lognormal": 1.0}
MAX_K = 10_000


@dataclass(frozen=True)
class ScaleFamily:
    """A loss distribution at scale 1: ``name`` in FAMILIES and its ``shape`` (alpha, a or sigma).

    exponential: S(z) = exp(-z).            weibull:   S(z) = exp(-z^alpha).
    gamma:       density z^(a-1) e^-z / Gamma(a).  lognormal: log z ~ N(0, sigma^2).
    """

    name: str
    shape: float = 1.0

    @property
    def min_stable(self) -> bool:
        """True when the minimum of k draws stays in the family with the same shape."""
        return self.name in MIN_STABLE or (self.name == "gamma" and self.shape == 1.0)

    def logsf(self, z):
        """log P(Z > z) at scale 1."""
        z = np.asarray(z, dtype=np.float64)
        if self.name == "exponential":
            return -z
        if self.name == "weibull":
            return -np.power(z, self.shape)
        if self.name == "gamma":
            with np.errstate(divide="ignore"):
                return np.log(special.gammaincc(self.shape, z))
        with np.errstate(divide="ignore"):
            return special.log_ndtr(-np.log(z) / self.shape)

    def logcdf(self, z):
        """log P(Z <= z) at scale 1."""
        z = np.asarray(z, dtype=np.float64)
        if self.name == "exponential":
            return np.log(-np.expm1(-z))
        if self.name == "weibull":
            return np.log(-np.expm1(-np.power(z, self.shape)))
        if self.name == "gamma":
            return np.log(special.gammainc(self.shape, z))
        with np.errstate(divide="ignore"):
            return special.log_ndtr(np.log(z) / self.shape)

    def logpdf(self, z):
        """log density at scale 1 (z > 0)."""
        z = np.asarray(z, dtype=np.float64)
        with np.errstate(divide="ignore"):
            if self.name == "exponential":
                return -z
            if self.name == "weibull":
                a = self.shape
                return np.log(a) + (a - 1) * np.log(z) - np.power(z, a)
            if self.name == "gamma":
                a = self.shape
                return (a - 1) * np.log(z) - z - special.gammaln(a)
            s = self.shape
            return -np.log(z) - np.log(s) - 0.5 * np.log(2 * np.pi) - 0.5 * (np.log(z) / s) ** 2

    def ppf(self, p):
        """Quantile at scale 1 (accurate for small p, which is where minima live)."""
        p = np.asarray(p, dtype=np.float64)
        if self.name == "exponential":
            return -np.log1p(-p)
        if self.name == "weibull":
            return np.power(-np.log1p(-p), 1.0 / self.shape)
        if self.name == "gamma":
            return special.gammaincinv(self.shape, p)
        return np.exp(self.shape * special.ndtri(p))

    def scale_mle(self, losses, axis=-1):
        """Maximum-likelihood scale when the shape is known (closed form for every family here)."""
        x = np.asarray(losses, dtype=np.float64)
        if self.name == "exponential":
            return x.mean(axis=axis)
        if self.name == "weibull":
            return np.power(np.power(x, self.shape).mean(axis=axis), 1.0 / self.shape)
        if self.name == "gamma":
            return x.mean(axis=axis) / self.shape
        return np.exp(np.log(x).mean(axis=axis))

    def log_scale_information(self) -> float:
        """Fisher information for log(scale) per observation."""
        if self.name == "exponential":
            return 1.0
        if self.name == "weibull":
            return self.shape ** 2
        if self.name == "gamma":
            return self.shape
        return 1.0 / self.shape ** 2


def family(name: str, shape: float | None = None) -> ScaleFamily:
    """Validated :class:`ScaleFamily`; ``shape`` defaults per family (gamma 2, others 1)."""
    require_choice("family", name, FAMILIES)
    shape = _DEFAULT_SHAPE[name] if shape is None else require_float("shape", shape, 0.05, 20.0)
    if name == "exponential" and shape != 1.0:
        raise ValueError("the exponential family has no shape parameter; leave shape=None (or 1)")
    return ScaleFamily(name, float(shape))


def _rng(seed_or_rng):
    return seed_or_rng if isinstance(seed_or_rng, np.random.Generator) else np.random.default_rng(seed_or_rng)


def sample(fam: ScaleFamily, size, scale: float = 1.0, rng=0) -> np.ndarray:
    """iid draws from ``fam`` at ``scale``."""
    return sample_min_of_k(fam, 1, size, scale=scale, rng=rng)


def sample_min_of_k(fam: ScaleFamily, k: float, size, scale: float = 1.0, rng=0) -> np.ndarray:
    """Draws of min(X_1..X_k), X_i iid from ``fam`` at ``scale``, by inverting 1 - (1 - F)^k.

    Exact for integer k and also defines the law for real k >= 1 (a "Lehmann alternative").
    Cost does not grow with k. For k = 1 (no search) numpy's own sampler of the family is used instead
    of the inversion: the same law, several times faster for the gamma, whose quantile function is slow.
    """
    k = require_float("k", k, 1.0, MAX_K)
    if k == 1.0:
        return scale * _native_sample(fam, size, _rng(rng))
    u = _rng(rng).random(size)
    p = -np.expm1(np.log1p(-u) / k)  # 1 - (1 - u)^(1/k), accurate when small
    return scale * fam.ppf(p)


def _native_sample(fam: ScaleFamily, size, rng: np.random.Generator) -> np.ndarray:
    """iid draws at scale 1 from numpy's sampler of the family."""
    if fam.name == "exponential":
        return rng.exponential(1.0, size)
    if fam.name == "weibull":
        return rng.weibull(fam.shape, size)
    if fam.name == "gamma":
        return rng.gamma(fam.shape, 1.0, size)
    return rng.lognormal(0.0, fam.shape, size)


def brute_force_min_of_k(fam: ScaleFamily, k: int, size: int, scale: float = 1.0, rng=0) -> np.ndarray:
    """The literal definition: draw k values per sample and keep the smallest (for checks)."""
    k = require_int("k", k, 1, MAX_K)
    size = require_int("size", size, 1, 10_000_000)
    draws = scale * fam.ppf(_rng(rng).random((size, k)))
    return draws.min(axis=1)


def min_of_k_cdf(fam: ScaleFamily, k: float, x, scale: float = 1.0) -> np.ndarray:
    """P(min of k draws <= x) = 1 - S(x)^k."""
    return -np.expm1(k * fam.logsf(np.asarray(x, dtype=np.float64) / scale))


def min_of_k_logpdf(fam: ScaleFamily, k: float, x, scale: float = 1.0) -> np.ndarray:
    """log density of the minimum: log k + log f(x) + (k - 1) log S(x) (at ``scale``)."""
    z = np.asarray(x, dtype=np.float64) / scale
    return np.log(k) + fam.logpdf(z) + (k - 1) * fam.logsf(z) - np.log(scale)


def min_stable_scale(fam: ScaleFamily, scale: float, k: float) -> float:
    """Scale of the minimum of k draws for a min-stable family: s k^(-1/alpha)."""
    if not fam.min_stable:
        raise ValueError(f"{fam.name}(shape={fam.shape}) is not min-stable; use weibull_limit for large k")
    alpha = 1.0 if fam.name != "weibull" else fam.shape
    return scale * k ** (-1.0 / alpha)


def weibull_limit(fam: ScaleFamily, k: float, scale: float = 1.0) -> tuple[float, float]:
    """(alpha, scale) of the Weibull law that the minimum of k draws approaches for large k.

    Uses the lower tail F(z) ~ c z^alpha: gamma(a) has c = 1 / Gamma(a + 1), alpha = a; Weibull and
    exponential are exact for every k. The lognormal's lower tail is not a power law, so it has
    no Weibull limit (its minima belong to another extreme-value domain): ValueError.
    """
    if fam.name == "lognormal":
        raise ValueError("the lognormal lower tail is not a power law: its minima have no Weibull limit")
    if fam.name == "gamma":
        alpha, c = fam.shape, 1.0 / special.gamma(fam.shape + 1.0)
    else:
        alpha, c = (1.0 if fam.name == "exponential" else fam.shape), 1.0
    return alpha, scale * (c * k) ** (-1.0 / alpha)


def _newton(fun_and_slope, x0, low, high, iters=60):
    """Vectorised safeguarded Newton for an increasing function, bracketed in [low, high]."""
    x = np.array(x0, dtype=np.float64)
    lo = np.full_like(x, low)
    hi = np.full_like(x, high)
    for _ in range(iters):
        f, df = fun_and_slope(x)
        lo = np.where(f < 0, x, lo)
        hi = np.where(f > 0, x, hi)
        step = x - f / df
        bad = ~np.isfinite(step) | (step <= lo) | (step >= hi)
        x_new = np.where(bad, 0.5 * (lo + hi), step)
        if np.all(np.abs(x_new - x) <= 1e-10 * np.abs(x)):
            return x_new
        x = x_new
    return x


def weibull_fit(losses, axis=-1) -> tuple[np.ndarray, np.ndarray]:
    """Weibull MLE (alpha, scale) of positive ``losses`` along ``axis`` (vectorised over the others)."""
    x = np.moveaxis(np.asarray(losses, dtype=np.float64), axis, -1)
    if np.any(x <= 0) or not np.all(np.isfinite(x)):
        raise ValueError("weibull_fit needs positive finite losses (drop exact zeros first)")
    logx = np.log(x)
    logx = logx - logx.mean(axis=-1, keepdims=True)  # scale-free: fit on x / geometric mean
    mean_log = 0.0

    def score(alpha):  # d/d alpha of the profile log-likelihood, times -1: increasing in alpha
        a = alpha[..., None]
        w = np.exp(a * logx - (a * logx).max(axis=-1, keepdims=True))
        s0 = w.sum(-1)
        s1 = (w * logx).sum(-1)
        s2 = (w * logx ** 2).sum(-1)
        f = s1 / s0 - 1.0 / alpha - mean_log
        df = s2 / s0 - (s1 / s0) ** 2 + 1.0 / alpha ** 2
        return f, df

    alpha = _newton(score, np.full(x.shape[:-1], 1.0), 1e-3, 1e3)
    a = alpha[..., None]
    geo = np.exp(np.log(x).mean(axis=-1))
    scale = geo * np.exp(a * logx).mean(axis=-1) ** (1.0 / alpha)
    return alpha, scale


def gamma_fit(losses, axis=-1) -> tuple[np.ndarray, np.ndarray]:
    """Gamma MLE (shape a, scale) of positive ``losses`` along ``axis``: solves log a - digamma(a) = s."""
    x = np.moveaxis(np.asarray(losses, dtype=np.float64), axis, -1)
    if np.any(x <= 0) or not np.all(np.isfinite(x)):
        raise ValueError("gamma_fit needs positive finite losses (drop exact zeros first)")
    s = np.log(x.mean(-1)) - np.log(x).mean(-1)
    s = np.maximum(s, 1e-12)

    def eq(a):  # s - (log a - digamma a) is increasing in a
        return s - (np.log(a) - special.digamma(a)), -(1.0 / a - special.polygamma(1, a))

    a0 = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)  # Minka's starting point
    a = _newton(eq, a0, 1e-6, 1e8)
    return a, x.mean(-1) / a


def ks_distance(x, cdf) -> float:
    """Kolmogorov-Smirnov distance between the sample ``x`` and a CDF (a callable): scipy's statistic."""
    return float(stats.kstest(np.asarray(x, dtype=np.float64), cdf).statistic)
