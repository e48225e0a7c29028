"""Figures of chapter 1: test polynomials with answers, training curves, grid-search regret, the soft-argmax
net, alignment probes, hardness, refiner steps.

Each function draws data the chapter has already computed (nothing is computed here beyond sorting,
indexing and evaluating P for the drawing) and returns the matplotlib Figure. The ``*_figure`` functions
close it, so that it is shown once: a notebook cell shows it with ``display(fig)``. ``plot_answers`` and
``plot_training_curves`` leave it open (the widget redraws them; show them with ``plt.show()``).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mesaopt.maximize.baselines import grid_points
from mesaopt.maximize.polynomials import DEFAULT_BASIS, evaluate_at_points, exact_maximum, regret
from mesaopt.validation import require_int

__all__ = ["plot_answers", "plot_training_curves", "grid_regret_figure", "soft_argmax_figure", "probe_survival_figure",
           "regret_by_hardness_figure", "regret_vs_steps_figure", "scaling_figure", "control_figure"]


def grid_regret_figure(curve: dict, constant_regret: float) -> Figure:
    """Mean regret of grid search against the number of grid points G (log-log), with the
    constant guess x = 1/2 as a dotted line. ``curve`` has arrays ``"G"`` and ``"regret"``."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.loglog(curve["G"], curve["regret"], "o-", label="grid search")
    ax.axhline(constant_regret, color="gray", ls=":", label="constant x = 1/2")
    ax.set_xlabel("grid points G")
    ax.set_ylabel("mean regret on the test set")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    plt.close(fig)
    return fig


def soft_argmax_figure(betas, soft: dict, grid_regret: dict) -> Figure:
    """Mean regret of the soft-argmax net against beta (log-log), one curve per grid size G,
    each with grid search on the same G as a dotted line of the same colour.
    ``soft`` maps G to the regrets at ``betas``; ``grid_regret`` maps G to grid search's regret."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for G, regrets in soft.items():
        line, = ax.loglog(betas, regrets, "o-", label=f"soft-argmax, G = {G}")
        ax.axhline(grid_regret[G], color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel(r"inverse temperature $\beta$")
    ax.set_ylabel("mean regret (dotted: grid search)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)
    return fig


def probe_survival_figure(probe: dict, names) -> Figure:
    """Two panels (value, slope): for each of ``names``, the share of neurons whose best |cosine|
    is at least x. ``probe`` maps ``(name, derivative)`` (derivative False: value, True: slope)
    to the best |cosine| of each neuron."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    for ax, d, title in zip(axes, (False, True), ("value: best |cos| with the basis at x", "slope: best |cos| with its derivative")):
        for name in names:
            v = np.sort(probe[(name, d)])
            ax.step(v, 1 - np.arange(len(v)) / len(v), where="post", lw=1.5, label=name)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("best |cosine| per neuron")
        ax.set_xlim(0.4, 1.0)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("share of neurons at least this aligned")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def regret_by_hardness_figure(by_bin: dict) -> Figure:
    """Mean regret per hardness quarter (log scale), one curve per answer.
    ``by_bin`` maps an answer's name to its four mean regrets, easiest quarter first."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for name, v in by_bin.items():
        ax.semilogy(range(1, 5), v, "o-", label=name)
    ax.set_xticks(range(1, 5))
    ax.set_xlabel("hardness quarter (1 = easiest)")
    ax.set_ylabel("mean regret")
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def regret_vs_steps_figure(curve: dict, steps, by_steps, by_steps_last, t_train: int, mlp_regret: float,
                           bands: dict | None = None) -> Figure:
    """Mean regret against evaluations of P (log-log): grid search with G evaluations, the refiner
    trained with the loss on every step and on the last step only after T steps (T = 0 drawn at 0.5),
    the training T as a dotted vertical line and the regret MLP (no queries) as a dashed line.
    ``bands`` (optional): ``{"every": (low, high), "last": (low, high)}`` arrays over ``steps``, shaded (the
    range over seeds)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.loglog(curve["G"], curve["regret"], "o-", label="grid search: G evaluations")
    t = np.maximum(steps, 0.5)
    for name, values, marker, label in (("every", by_steps, "s-", "refiner, loss on every step: T steps"),
                                        ("last", by_steps_last, "^-", "refiner, loss on last step only")):
        line, = ax.loglog(t, values, marker, label=label)
        if bands is not None and name in bands:
            ax.fill_between(t, *bands[name], color=line.get_color(), alpha=0.2, lw=0)
    ax.axvline(t_train, color="gray", ls=":", lw=1)
    ax.axhline(mlp_regret, color="gray", ls="--", lw=1, label="MLP, regret loss (no queries)")
    ax.set_xlabel("evaluations of P (T = 0 drawn at 0.5)")
    ax.set_ylabel("mean regret")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_training_curves(histories: dict, ax=None):
    """Batch regret (max P - P(x), averaged over the minibatch) against update, one line per model."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, history in histories.items():
        ax.plot(history["update"], history["regret"], label=name)
    ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel("mean regret on the batch")
    ax.grid(True, which="both", alpha=0.3)
    if histories:
        ax.legend(fontsize=8)
    if fig is not None:
        fig.tight_layout()
    return ax.figure


def plot_answers(coeffs, answers: dict, indices=(0, 1, 2, 3), G: int | None = 8, basis: str = DEFAULT_BASIS):
    """One panel per test polynomial: P, its true argmax (star), grid points, and each model's x.

    ``answers`` maps a name to guesses x for all of ``coeffs`` (shape (count,)).
    """
    coeffs = np.asarray(coeffs, dtype=np.float64)
    indices = [require_int("index", i, 0, len(coeffs) - 1) for i in np.atleast_1d(indices)]
    if not 1 <= len(indices) <= 8:
        raise ValueError(f"show between 1 and 8 polynomials at once; got {len(indices)}")
    if G is not None:
        G = require_int("G", G, 2, 256)
    chosen = coeffs[indices]
    arg, top = exact_maximum(chosen, basis)
    xs = np.linspace(0, 1, 400)
    curves = evaluate_at_points(chosen, xs, basis)
    cols = min(len(indices), 4)
    rows = (len(indices) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, ax in enumerate(axes.flat):
        if k >= len(indices):
            ax.axis("off")
            continue
        ax.plot(xs, curves[k], color="black", lw=1.2)
        if G is not None:
            grid = grid_points(G)
            ax.plot(grid, evaluate_at_points(chosen[k:k + 1], grid, basis)[0], "o", ms=3, color="0.6",
                    label=f"grid G={G}")
        ax.plot([arg[k]], [top[k]], "*", ms=12, color="gold", mec="black", label="true argmax")
        for j, (name, x) in enumerate(answers.items()):
            guess = float(np.asarray(x)[indices[k]])
            r = regret(chosen[k:k + 1], np.array([guess]), basis, top[k:k + 1])[0]
            ax.axvline(guess, color=colors[j % len(colors)], ls="--", lw=1.2, label=f"{name} (regret {r:.3f})")
        ax.set_title(f"test polynomial {indices[k]}", fontsize=9)
        ax.set_xlabel("x")
        ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    return fig


_WIDTH_COLORS = {48: "0.45", 64: "#1f77b4", 128: "#ff7f0e", 256: "#2ca02c", 512: "#d62728", 1024: "#9467bd"}


def _line_style(spec: dict) -> dict:
    color = _WIDTH_COLORS.get(spec["width"], "0.3")
    if spec["kind"] == "refiner":
        return dict(color="black" if spec["width"] > 64 else "0.5", ls="-.", marker="s")
    return dict(color=color, ls="-" if spec["depth"] == 2 else "--", marker="o" if spec["depth"] == 2 else "^")


def scaling_figure(lines: dict, grid: dict, trend: dict | None = None,
                   panels=(("regret_mean", "mean regret on the test set"),
                           ("G_mean", "as good as grid search with G = (by mean)"),
                           ("G_median", "as good as grid search with G = (by median)"))) -> Figure:
    """One panel per metric against training compute (log-log), one line per architecture and width
    (colour: width; solid: MLP depth 2, dashed: depth 4, dash-dot: refiner), the range over seeds shaded.

    ``lines``: from :func:`mesaopt.maximize.scaling.lines`. ``grid``: ``{G: {metric: value}}`` for the
    dotted reference lines of grid search (G = 8 and 32, say). ``trend``: ``{"flops", "mean", "low",
    "high"}`` arrays for the fitted trend of the first panel (black, its interval grey).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6), squeeze=False)
    for ax, (metric, label) in zip(axes[0], panels):
        for name, line in sorted(lines.items(), key=lambda kv: (kv[1]["spec"]["kind"] == "refiner",
                                                                 kv[1]["spec"]["depth"] or 0, kv[1]["spec"]["width"])):
            style = _line_style(line["spec"])
            ax.plot(line["flops"], line[metric]["mean"], label=name, ms=4, lw=1.3, **style)
            ax.fill_between(line["flops"], line[metric]["min"], line[metric]["max"], color=style["color"],
                            alpha=0.18, lw=0)
        for G, values in grid.items():
            ax.axhline(values[metric], color="0.4", ls=":", lw=1)
            ax.annotate(f"grid G = {G}", (1.0, values[metric]), xycoords=("axes fraction", "data"), ha="right",
                        va="bottom", fontsize=7, color="0.3")
        if trend is not None and metric == panels[0][0]:
            ax.plot(trend["flops"], trend["mean"], color="black", lw=2.2, alpha=0.8, label="fitted trend (frontier)")
            ax.fill_between(trend["flops"], trend["low"], trend["high"], color="0.5", alpha=0.25, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        if metric.startswith("G_"):
            _plain_grid_ticks(ax)
        ax.set_xlabel("training compute (FLOPs)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.25)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    plt.close(fig)
    return fig


def _plain_grid_ticks(ax) -> None:
    """Grid sizes as plain numbers (2, 4, 8, ...) on a log axis."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    low, high = ax.get_ylim()
    ticks = [g for g in (2, 4, 8, 16, 32, 64, 128, 256) if low <= g <= high * 1.01]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def control_figure(panels: dict) -> Figure:
    """Small multiples for the controls of the scaling study, log-log against training compute (FLOPs).

    ``panels`` maps a title to ``{"ylabel": str, "curves": {label: {"x", "mean", "min", "max" arrays, and
    optionally "style": plot keywords}}}``; each curve is drawn with the range over seeds shaded.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(3.9 * len(panels), 3.5), squeeze=False)
    for ax, (title, panel) in zip(axes[0], panels.items()):
        for label, c in panel["curves"].items():
            line, = ax.plot(c["x"], c["mean"], label=label, ms=4, lw=1.3, **dict(c.get("style", {})))
            ax.fill_between(c["x"], c["min"], c["max"], color=line.get_color(), alpha=0.18, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        if "grid search with G" in panel["ylabel"]:
            _plain_grid_ticks(ax)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("training compute (FLOPs)")
        ax.set_ylabel(panel["ylabel"], fontsize=8)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=6.5)
    fig.tight_layout()
    plt.close(fig)
    return fig
