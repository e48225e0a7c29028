"""The chapter 1 figures: every series passed is drawn, on the right scales, with its label."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from mesaopt.maximize import figures as F

CURVE = {"G": np.array([2, 4, 8, 16, 32]), "regret": np.array([0.5, 0.2, 0.06, 0.015, 0.004])}


def labels(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def is_closed(fig):
    return fig.number not in plt.get_fignums()


def test_grid_regret_figure_draws_the_curve_and_the_constant_guess_on_log_axes():
    fig = F.grid_regret_figure(CURVE, 0.9)
    assert isinstance(fig, Figure) and is_closed(fig)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert labels(ax) == ["grid search", "constant x = 1/2"]
    assert legend_texts(ax) == labels(ax)
    grid, constant = ax.get_lines()
    assert np.array_equal(grid.get_xdata(), CURVE["G"]) and np.array_equal(grid.get_ydata(), CURVE["regret"])
    assert list(constant.get_ydata()) == [0.9, 0.9]
    assert ax.get_xlabel() == "grid points G" and ax.get_ylabel() == "mean regret on the test set"


@pytest.mark.parametrize("gs", [(8,), (8, 32, 128)])
def test_soft_argmax_figure_draws_one_curve_and_one_matching_grid_line_per_G(gs):
    betas = (1, 10, 100)
    soft = {G: np.array([0.3, 0.1, 0.01]) / G for G in gs}
    grid = {G: 0.02 / G for G in gs}
    fig = F.soft_argmax_figure(betas, soft, grid)
    assert is_closed(fig)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 2 * len(gs)
    curves, dotted = lines[0::2], lines[1::2]
    assert [c.get_label() for c in curves] == [f"soft-argmax, G = {G}" for G in gs]
    assert legend_texts(ax) == [f"soft-argmax, G = {G}" for G in gs]
    for G, c, d in zip(gs, curves, dotted):
        assert np.allclose(c.get_ydata(), soft[G]) and list(c.get_xdata()) == list(betas)
        assert d.get_linestyle() == ":" and d.get_color() == c.get_color()
        assert list(d.get_ydata()) == [grid[G], grid[G]]
    assert "beta" in ax.get_xlabel() and ax.get_ylabel() == "mean regret (dotted: grid search)"


def test_probe_survival_figure_has_two_panels_with_one_step_curve_per_name():
    rng = np.random.default_rng(0)
    names = ["trained", "init", "random directions"]
    probe = {(n, d): rng.uniform(0.3, 1.0, 50) for n in names for d in (False, True)}
    fig = F.probe_survival_figure(probe, names)
    assert is_closed(fig)
    assert len(fig.axes) == 2
    for ax, d in zip(fig.axes, (False, True)):
        assert labels(ax) == names
        assert ax.get_xlim() == (0.4, 1.0)
        for name, line in zip(names, ax.get_lines()):
            assert np.array_equal(line.get_xdata(), np.sort(probe[(name, d)]))
            y = line.get_ydata()
            assert y[0] == 1.0 and np.all(np.diff(y) < 0)   # share of neurons at least this aligned
    assert fig.axes[0].get_title().startswith("value") and fig.axes[1].get_title().startswith("slope")
    assert legend_texts(fig.axes[0]) == names and fig.axes[1].get_legend() is None
    assert fig.axes[0].get_ylabel() == "share of neurons at least this aligned"


def test_regret_by_hardness_figure_draws_one_log_curve_per_answer_over_four_quarters():
    by_bin = {"MLP": np.array([0.01, 0.02, 0.05, 0.2]), "grid": np.array([0.01, 0.01, 0.012, 0.015]),
              "endpoint": np.array([0.0, 0.1, 0.3, 0.9]) + 1e-3}
    fig = F.regret_by_hardness_figure(by_bin)
    assert is_closed(fig)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    assert labels(ax) == list(by_bin) and legend_texts(ax) == list(by_bin)
    for line, v in zip(ax.get_lines(), by_bin.values()):
        assert list(line.get_xdata()) == [1, 2, 3, 4] and np.allclose(line.get_ydata(), v)
    assert list(ax.get_xticks()) == [1, 2, 3, 4]
    assert ax.get_xlabel() == "hardness quarter (1 = easiest)" and ax.get_ylabel() == "mean regret"


def test_regret_vs_steps_figure_draws_grid_both_refiners_and_the_mlp_on_log_axes():
    steps = (0, 1, 2, 6, 64)
    every, last = np.array([0.3, 0.1, 0.05, 0.01, 0.009]), np.array([0.3, 0.2, 0.1, 0.02, 0.08])
    fig = F.regret_vs_steps_figure(CURVE, steps, every, last, 6, 0.04)
    assert is_closed(fig)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert labels(ax) == ["grid search: G evaluations", "refiner, loss on every step: T steps",
                          "refiner, loss on last step only", "MLP, regret loss (no queries)"]
    assert legend_texts(ax) == labels(ax)
    grid, refiner, refiner_last, t_line, mlp = ax.get_lines()
    assert np.array_equal(grid.get_ydata(), CURVE["regret"])
    assert list(refiner.get_xdata()) == [0.5, 1, 2, 6, 64]          # T = 0 drawn at 0.5
    assert np.array_equal(refiner.get_ydata(), every) and np.array_equal(refiner_last.get_ydata(), last)
    assert list(t_line.get_xdata()) == [6, 6] and list(mlp.get_ydata()) == [0.04, 0.04]
    assert ax.get_xlabel() == "evaluations of P (T = 0 drawn at 0.5)"
