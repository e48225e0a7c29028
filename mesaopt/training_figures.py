"""Figures of chapter 1: grid-search regret, the soft-argmax net, alignment probes, hardness, refiner steps.

Each function draws data the chapter has already computed (nothing is computed here beyond
sorting and indexing) and returns the matplotlib Figure, closed so that it is shown once:
a notebook cell shows it with ``display(fig)``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["grid_regret_figure", "soft_argmax_figure", "probe_survival_figure",
           "regret_by_hardness_figure", "regret_vs_steps_figure"]


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


def regret_vs_steps_figure(curve: dict, steps, by_steps, by_steps_last, t_train: int, mlp_regret: float) -> Figure:
    """Mean regret against evaluations of P (log-log): grid search with G evaluations, the refiner
    trained with the loss on every step and on the last step only after T steps (T = 0 drawn at 0.5),
    the training T as a dotted vertical line and the regret MLP (no queries) as a dashed line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.loglog(curve["G"], curve["regret"], "o-", label="grid search: G evaluations")
    ax.loglog(np.maximum(steps, 0.5), by_steps, "s-", label="refiner, loss on every step: T steps")
    ax.loglog(np.maximum(steps, 0.5), by_steps_last, "^-", label="refiner, loss on last step only")
    ax.axvline(t_train, color="gray", ls=":", lw=1)
    ax.axhline(mlp_regret, color="gray", ls="--", lw=1, label="MLP, regret loss (no queries)")
    ax.set_xlabel("evaluations of P (T = 0 drawn at 0.5)")
    ax.set_ylabel("mean regret")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    plt.close(fig)
    return fig
