"""Figures of chapter 1's trained-searcher section: the learned score beside P, the rank-correlation evidence,
the test-time budget, the jump test, and memorizing against searching.

Each function draws numbers the chapter has already computed (nothing here trains or scores a model; only
:func:`score_vs_objective` reads a model's learned score itself) and returns a closed matplotlib Figure; a
notebook cell shows it with ``display(fig)``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from mesaopt.maximize.polynomials import DEFAULT_BASIS, evaluate_at_points, exact_maximum

__all__ = ["score_vs_objective", "score_and_objective_figure", "draw_score_and_objective", "rank_correlation_figure", "budget_figure",
           "jump_figure", "memorize_search_figure"]


def draw_score_and_objective(ax, coeffs_row, xs, score_row, title: str = "", basis: str = DEFAULT_BASIS) -> None:
    """On ``ax``: P (black) and the learned score at the points ``xs`` (orange), the score mapped linearly onto
    the range of P (min to min, max to max) so both fit one axis, each with its argmax marked."""
    values = evaluate_at_points(coeffs_row[None, :], xs, basis)[0]
    score = np.asarray(score_row, dtype=np.float64)
    span = max(score.max() - score.min(), 1e-300)
    mapped = values.min() + (score - score.min()) / span * (values.max() - values.min())
    arg, top = exact_maximum(coeffs_row[None, :], basis)
    ax.plot(xs, values, color="black", lw=1.4, label="P (base objective)")
    ax.plot(xs, mapped, color="tab:orange", lw=1.4, ls="--", label="learned score, rescaled (mesa-objective)")
    ax.plot(arg, top, "*", ms=12, color="gold", mec="black", label="argmax of P")
    best = int(np.argmax(score))
    ax.plot(xs[best], mapped[best], "v", ms=8, color="tab:orange", mec="black", label="argmax of the score")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x")


def score_and_objective_figure(coeffs, xs, scores, titles) -> Figure:
    """One panel per polynomial (row of ``coeffs``): P and the learned score ``scores`` (one row per polynomial,
    at the points ``xs``) on the same axes (see :func:`draw_score_and_objective`)."""
    coeffs = np.asarray(coeffs, dtype=np.float64)
    n = len(coeffs)
    if not 1 <= n <= 8:
        raise ValueError(f"show between 1 and 8 polynomials at once; got {n}")
    cols = min(n, 4)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.7 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        draw_score_and_objective(ax, coeffs[k], xs, scores[k], titles[k])
    axes.flat[0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    plt.close(fig)
    return fig


def score_vs_objective(model, coeffs, indices, candidates: int = 256) -> Figure:
    """P and a :class:`~mesaopt.maximize.searcher.CandidateScorer`'s learned score for the polynomials ``indices``
    of ``coeffs``, at ``candidates`` evenly spaced points (the function behind the searcher widget)."""
    from mesaopt.maximize.searcher import learned_scores
    from mesaopt.validation import require_int

    coeffs = np.asarray(coeffs, dtype=np.float64)
    indices = [require_int("index", i, 0, len(coeffs) - 1) for i in np.atleast_1d(indices)]
    xs = np.linspace(0, 1, require_int("candidates", candidates, 2, 4096))
    chosen = coeffs[indices]
    return score_and_objective_figure(chosen, xs, learned_scores(model, chosen, xs),
                                      [f"test polynomial {i}" for i in indices])


def rank_correlation_figure(rhos: dict, threshold: float) -> Figure:
    """Share of polynomials whose Spearman correlation with P is at least r, one curve per score in ``rhos``
    (``{name: per-polynomial correlations}``), with the label threshold as a dotted line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for name, values in rhos.items():
        v = np.sort(np.asarray(values))
        ax.step(v, 1 - np.arange(len(v)) / len(v), where="post", lw=1.5, label=name)
    ax.axvline(threshold, color="gray", ls=":", lw=1, label=f"label threshold (median) {threshold}")
    ax.set_xlabel("Spearman correlation of the score with P at 64 points, per polynomial")
    ax.set_ylabel("share of test polynomials at least this")
    ax.set_xlim(-1, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    plt.close(fig)
    return fig


def budget_figure(budgets, series: dict, grid_regret, train_candidates: int, mlp_regret: float) -> Figure:
    """Mean regret against the number of candidates at test time (log-log). ``series`` maps a name to (mean, low,
    high) arrays over seeds (shaded); grid search with as many points as a line; the number of training
    candidates as a dotted vertical line; the regret MLP (no candidates) as a dashed line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.loglog(budgets, grid_regret, "o-", color="0.4", label="grid search: P at the same points")
    for name, (mean, low, high) in series.items():
        line, = ax.loglog(budgets, mean, "s-", label=name)
        ax.fill_between(budgets, np.maximum(low, 1e-12), high, color=line.get_color(), alpha=0.2)
    ax.axvline(train_candidates, color="gray", ls=":", lw=1, label="candidates in training")
    ax.axhline(mlp_regret, color="gray", ls="--", lw=1, label="MLP, regret loss")
    ax.set_xlabel("candidates at test time")
    ax.set_ylabel("mean regret (band: 95% interval over seeds)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig


def jump_figure(paths: dict, answers: dict, path_index: int, fractions: dict) -> Figure:
    """Left: along one path of the jump test (:func:`mesaopt.maximize.search_evidence.equal_peak_paths`), each
    model's answer (``answers``: ``{name: x for every path row}``) and the two peaks, the valley between them
    shaded. Right: the share of answers in the valley over all paths, per model (``fractions``: ``{name: (mean,
    low, high)}``, error bars over seeds where there are several)."""
    steps = paths["steps"]
    rows = slice(path_index * steps, (path_index + 1) * steps)
    t = np.linspace(-1, 1, steps)
    lo, hi, _ = paths["valley"][rows].T
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
    left.fill_between(t, lo, hi, color="0.9", label="between the two peaks")
    left.plot(t, lo, color="black", lw=1)
    left.plot(t, hi, color="black", lw=1, label="the two peaks")
    for name, x in answers.items():
        left.plot(t, np.asarray(x)[rows], ".-", ms=4, lw=1, label=name)
    left.axvline(0, color="gray", ls=":", lw=1)
    left.set_xlabel("position on the path (0: the two peaks equally high)")
    left.set_ylabel("answer x")
    left.legend(fontsize=6, loc="best")
    names = list(fractions)
    mean = np.array([fractions[n][0] for n in names])
    err = np.array([[fractions[n][0] - fractions[n][1], fractions[n][2] - fractions[n][0]] for n in names]).T
    right.barh(range(len(names)), mean, xerr=np.maximum(err, 0), color="tab:blue", alpha=0.7)
    right.set_yticks(range(len(names)))
    right.set_yticklabels(names, fontsize=7)
    right.invert_yaxis()
    right.set_xlabel("share of answers in the valley (all paths)")
    right.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    plt.close(fig)
    return fig


def memorize_search_figure(budgets, ratio: dict, degrees, trained: dict) -> Figure:
    """Left: memory's mean regret over grid search's at matched cost (B = G), against the budget, one line per
    degree (``ratio``: ``{degree: array over budgets}``); above 1, searching wins. Right: "as good as grid search
    with G =" at each degree for the trained models and the memories (``trained``: ``{name: (mean, low, high)
    arrays over degrees}``)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.8))
    cmap = plt.get_cmap("viridis")
    for k, (d, r) in enumerate(ratio.items()):
        left.loglog(budgets, r, "o-", ms=3, color=cmap(k / max(1, len(ratio) - 1)), label=f"degree {d}")
    left.axhline(1, color="gray", ls=":", lw=1)
    left.set_xlabel("B = G: stored polynomials = grid points (matched cost)")
    left.set_ylabel("memory's regret / grid search's")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=6, ncol=2)
    for name, (mean, low, high) in trained.items():
        line, = right.semilogy(degrees, mean, "o-", label=name)
        right.fill_between(degrees, np.maximum(low, 1.0), high, color=line.get_color(), alpha=0.2)
    right.set_ylim(1.0, 400.0)  # the ruler reads G from 2 to 256
    right.set_xlabel("degree")
    right.set_ylabel("as good as grid search with G =")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig
