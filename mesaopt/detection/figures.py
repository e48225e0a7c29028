"""Figures of chapter 3: min-of-k theory, power curves, information per loss, the population's losses,
the budget curves and the detectors' held-out ROC curves.

Each function computes nothing expensive beyond what it plots and returns a matplotlib Figure.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mesaopt.detection.stats import efficient_information
from mesaopt.detection.extremes import ScaleFamily, family, ks_distance, sample_min_of_k, weibull_fit, weibull_limit


def min_of_k_theory(ks=(1, 4, 16, 64, 256, 1024), n: int = 20_000, seed: int = 0) -> tuple[Figure, dict]:
    """Three panels: Exp minima are Exp(k lambda); Weibull minima keep their shape and scale like
    k^(-1/alpha); gamma minima approach their Weibull limit, lognormal minima do not.
    Returns the figure and the numbers it shows."""
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    ax = fig.subplots(1, 3)
    expo = family("exponential")
    grid = np.linspace(0, 5, 200)
    for k in (1, 4, 16):
        x = sample_min_of_k(expo, k, n, rng=rng) * k  # rescaled by k: should be Exp(1) again
        ax[0].hist(x, bins=60, range=(0, 5), density=True, histtype="step", label=f"k={k}, times k")
    ax[0].plot(grid, np.exp(-grid), "k--", label="Exp(1) density")
    ax[0].set(title="min of k Exp(1) draws, times k", xlabel="loss x k", ylabel="density")
    ax[0].legend(fontsize=8)

    weib = family("weibull", 0.5)
    shapes, scales = [], []
    for k in ks:
        a, s = weibull_fit(sample_min_of_k(weib, k, n, rng=rng))
        shapes.append(float(a))
        scales.append(float(s))
    ax[1].loglog(ks, scales, "o", label="fitted scale")
    ax[1].loglog(ks, np.asarray(ks, float) ** -2.0, "k--", label="k^(-1/alpha), alpha = 0.5")
    ax1b = ax[1].twinx()
    ax1b.semilogx(ks, shapes, "s-", color="tab:orange", label="fitted shape")
    ax1b.set_ylim(0, 1)
    ax1b.set_ylabel("fitted Weibull shape", color="tab:orange")
    ax[1].set(title="min of k Weibull(0.5) draws", xlabel="k", ylabel="fitted scale")
    ax[1].legend(fontsize=8, loc="lower left")

    gam = family("gamma", 2.0)
    logn = family("lognormal", 1.0)
    ks_gamma, shape_logn = [], []
    for k in ks:
        alpha, scale = weibull_limit(gam, k)
        x = sample_min_of_k(gam, k, n, rng=rng)
        ks_gamma.append(ks_distance(x, lambda t: -np.expm1(-(t / scale) ** alpha)))
        shape_logn.append(float(weibull_fit(sample_min_of_k(logn, k, n, rng=rng))[0]))
    ax[2].loglog(ks, ks_gamma, "o-", label="gamma(2): KS distance to Weibull(2) limit")
    ax2b = ax[2].twinx()
    ax2b.semilogx(ks, shape_logn, "s-", color="tab:red", label="lognormal: fitted Weibull shape")
    ax2b.set_ylabel("lognormal minima: fitted shape", color="tab:red")
    ax[2].set(title="extreme-value limit", xlabel="k", ylabel="KS distance (gamma)")
    ax[2].legend(fontsize=8, loc="lower left")
    numbers = {"ks": list(ks), "weibull_shapes": shapes, "weibull_scales": scales,
               "gamma_ks_to_limit": ks_gamma, "lognormal_shapes": shape_logn}
    return fig, numbers


def power_curves(ks, ns, known_exact: np.ndarray, known_sim: np.ndarray, unknown_sim: np.ndarray,
                 level: float, base_label: str) -> Figure:
    """Power against k for each n: the known-base test (closed form, simulated dots) and the
    unknown-scale score test (simulated)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.subplots(1, 2, sharey=True)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]
    for i, n in enumerate(ns):
        ax[0].plot(ks, known_exact[i], "-", color=colors[i], label=f"n = {n:,} (exact)")
        ax[0].plot(ks, known_sim[i], "o", color=colors[i], ms=4)
        ax[1].plot(ks, unknown_sim[i], "o-", color=colors[i], label=f"n = {n:,}")
    for a, title in zip(ax, [f"base known: {base_label}", f"scale unknown: {base_label}"]):
        a.axhline(level, color="grey", ls=":", label="level")
        a.set_xscale("log")
        _plain_ticks(a, ks)
        a.set(title=title, xlabel="k (search budget)", ylim=(0, 1.02))
        a.legend(fontsize=8)
    ax[0].set_ylabel("power (rejection rate)")
    return fig


def _plain_ticks(ax, values) -> None:
    """Log-scaled x axis labelled at ``values`` in plain numbers."""
    ax.set_xticks(list(values), labels=[f"{v:g}" for v in values])
    ax.minorticks_off()


def information_per_loss(shapes=None) -> tuple[Figure, dict]:
    """Information about k per loss, scale unknown: gamma(a) against a (zero at a = 1, the
    exponential), lognormal, Weibull (zero for every shape)."""
    shapes = np.geomspace(0.2, 8, 41) if shapes is None else np.asarray(shapes, float)
    gamma_info = [efficient_information(ScaleFamily("gamma", float(a))) for a in shapes]
    logn = efficient_information(ScaleFamily("lognormal", 1.0))
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.semilogx(shapes, gamma_info, label="gamma(a), against its shape a")
    ax.axhline(logn, color="tab:red", ls="--", label="lognormal (any sigma)")
    ax.axhline(0, color="k", lw=2, label="exponential and Weibull (any shape)")
    ax.axvline(1, color="grey", ls=":")
    ax.set_xticks([0.2, 0.5, 1, 2, 5], labels=["0.2", "0.5", "1", "2", "5"])
    ax.minorticks_off()
    ax.set(xlabel="base shape", ylabel="information about k per loss",
           title="how much one loss tells about k (scale unknown)")
    ax.legend(fontsize=8)
    return fig, {"shapes": shapes, "gamma": np.asarray(gamma_info), "lognormal": logn}


def loss_distributions(losses: dict, fits: dict, zero_floor: float) -> Figure:
    """One panel per model: histogram of log10(positive loss) with the three fitted densities."""
    names = [n for n in losses if fits[n]["fits"]]
    cols = 4
    rows = int(np.ceil(len(names) / cols))
    fig = Figure(figsize=(3.2 * cols, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, name in zip(axes, names):
        x = np.asarray(losses[name])
        x = x[x > zero_floor]
        logx = np.log10(x)
        ax.hist(logx, bins=50, density=True, color="lightgrey")
        t = np.linspace(logx.min(), logx.max(), 300)
        for fam_name, style in (("exponential", ":"), ("gamma", "--"), ("weibull", "-")):
            f = fits[name]["fits"][fam_name]
            z = 10 ** t / f["scale"]
            # density of log10(L): f_L(l) * l * ln 10
            dens = np.exp(ScaleFamily(fam_name, f["shape"]).logpdf(z)) * z * np.log(10)
            ax.plot(t, dens, style, label=f"{fam_name} ({f['shape']:.2f})")
        ax.set_title(f"{name} (zeros: {fits[name]['zero_fraction']:.0%})", fontsize=9)
        ax.set_xlabel("log10 regret")
        ax.legend(fontsize=6)
    for ax in axes[len(names):]:
        ax.axis("off")
    return fig


def hardness_panels(bin_means: dict, searchers: dict) -> Figure:
    """Mean loss in each hardness bin (easiest to hardest), one line per model, log scale; solid lines for
    searchers, dashed for non-searchers, dotted for models that are not scored (``searchers``: {name: True,
    False or None}). Models with zero loss everywhere are named in the title instead."""
    fig = Figure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.subplots()
    zero = [name for name, means in bin_means.items() if np.all(np.asarray(means) <= 0)]
    for name, means in bin_means.items():
        if name in zero:
            continue
        style = {True: "-", False: "--", None: ":"}[searchers.get(name)]
        ax.semilogy(np.arange(1, len(means) + 1), np.maximum(means, 1e-12), style, marker="o", ms=3, label=name)
    n_bins = len(next(iter(bin_means.values())))
    ax.set_xticks(np.arange(1, n_bins + 1))
    note = f"\n(not shown, zero loss: {', '.join(zero)})" if zero else ""
    ax.set(xlabel="hardness bin (1 = easiest)", ylabel="mean regret",
           title="loss against hardness (solid: searchers, dashed: non-searchers, dotted: not scored)" + note)
    ax.legend(fontsize=7, ncol=2)
    return fig


def budget_panels(results: dict, budget_names: dict) -> Figure:
    """Mean loss against budget on log-log axes, with the min-of-k slope -1/alpha for reference."""
    fig = Figure(figsize=(4 * len(results), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(results)))
    for ax, (name, res) in zip(axes, results.items()):
        b, m = res["budgets"], np.maximum(res["mean_loss"], 1e-18)
        ax.loglog(b, m, "o-", label=f"measured (slope {res['slope']:.2f})")
        mid = len(b) // 2
        ref = m[mid] * (b / b[mid]) ** res["min_of_k_slope"]
        ax.loglog(b, ref, "k--", label=f"slope -1/alpha = {res['min_of_k_slope']:.2f} (alpha: Weibull fit)")
        ax.set_ylim(m.min() / 3, m.max() * 3)
        _plain_ticks(ax, b)
        ax.set(title=name, xlabel=budget_names[name], ylabel="mean regret")
        ax.legend(fontsize=7)
    return fig


_DETECTOR_STYLE = {"hardness": ("tab:blue", "-"), "min_of_k": ("tab:orange", "-"), "budget": ("tab:green", "-"),
                   "shape": ("tab:red", "-"), "weibull_limit": ("tab:purple", "-"), "mean_loss": ("black", "--"),
                   "always_search": ("grey", ":")}


def roc_panels(protocols: dict, titles: dict) -> Figure:
    """Held-out ROC curves, one panel per loss (``protocols``: {loss: run_protocol result}), one curve per
    detector (``titles``: {detector: legend label}); baselines dashed and dotted, the chance diagonal in grey."""
    fig = Figure(figsize=(5.2 * len(protocols), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(protocols), sharey=True))
    for ax, (loss, protocol) in zip(axes, protocols.items()):
        ax.plot([0, 1], [0, 1], color="lightgrey", lw=1)
        for name, (fpr, tpr) in protocol["roc"].items():
            color, style = _DETECTOR_STYLE.get(name, ("k", "-"))
            auc = protocol["results"][name]["auc"]
            ax.plot(fpr, tpr, style, color=color, drawstyle="steps-post" if name != "always_search" else "default",
                    marker="o" if name == "always_search" else None, label=f"{titles[name]} (AUC {auc:.2f})")
        n = protocol["results"]["hardness"]["n_held_out"]
        ax.set(xlabel="false-positive rate (non-searchers called search)", title=f"{loss}: {n} held-out models",
               xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal")
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("true-positive rate (searchers called search)")
    return fig


def budget_curves(curves: dict, searchers: dict, highlight=(), floor: float = 1e-4) -> Figure:
    """Mean loss against the knob, relative to the nominal budget, for every model with a knob.

    ``curves``: {name: (budgets, mean losses)}, budgets from the nominal one up (x1, about x2, x4, x8: grids
    are nested, (G - 1) f + 1); the x axis shows the step, the y axis mean loss / mean loss at the nominal
    budget (log scale, cut at ``floor``). ``searchers``: {name: True, False or None (not scored)}: solid blue
    for searchers, dashed red for non-searchers, dotted grey for the unscored. ``highlight`` names are drawn
    thick, in their own colours, and labelled.
    """
    fig = Figure(figsize=(7.0, 4.4), layout="constrained")
    ax = fig.subplots()
    style = {True: ("-", "tab:blue"), False: ("--", "tab:red"), None: (":", "grey")}
    colours = iter(["tab:green", "tab:purple", "tab:orange", "tab:brown", "black", "tab:cyan"])
    steps = 0
    for name, (budgets, means) in curves.items():
        m = np.asarray(means, float)
        rel = np.maximum(m / max(m[0], 1e-300), floor)
        x = 2.0 ** np.arange(len(m))
        steps = max(steps, len(m))
        line, colour = style[searchers.get(name)]
        if name in highlight:
            ax.loglog(x, rel, line, color=next(colours), lw=2.4, marker="o", ms=4, label=name)
        else:
            ax.loglog(x, rel, line, color=colour, alpha=0.35, lw=1.0)
    for flag, text in ((True, "searchers"), (False, "non-searchers"), (None, "not scored")):
        if any(searchers.get(n) is flag for n in curves):
            ax.plot([], [], style[flag][0], color=style[flag][1], label=text)
    x = 2.0 ** np.arange(steps)
    ax.set_xticks(x, labels=["nominal"] + [f"x{int(v)}" for v in x[1:]])
    ax.minorticks_off()
    ax.set_ylim(floor / 2, None)
    ax.set(xlabel="test-time budget (nominal, then about twice, four and eight times as large)",
           ylabel="mean regret / mean regret at the nominal budget",
           title=f"turning the test-time knob up (ratios below {floor:g} are drawn at {floor:g})")
    ax.legend(fontsize=7)
    return fig
