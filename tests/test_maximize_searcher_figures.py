"""The searcher section's figures and widget: plain functions draw what they are given, check their input, and
the widget trains a searcher and redraws P beside its learned score."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mesaopt.maximize import polynomials as P  # noqa: E402
from mesaopt.maximize import search_evidence as E  # noqa: E402
from mesaopt.maximize import searcher as S  # noqa: E402
from mesaopt.maximize import searcher_figures as SF  # noqa: E402
from mesaopt.maximize import widget as W  # noqa: E402


@pytest.fixture(scope="module")
def tiny_searcher():
    return S.train_searcher(seed=0, updates=30, batch_size=32)


def test_score_vs_objective_draws_p_and_the_score_on_one_axis_per_polynomial(tiny_searcher):
    coeffs = P.sample_polynomials(10, seed=0)
    fig = SF.score_vs_objective(tiny_searcher, coeffs, [0, 4, 7], candidates=50)
    drawn = [ax for ax in fig.axes if ax.has_data()]
    assert len(drawn) == 3
    p_line, score_line = drawn[0].get_lines()[:2]
    # the rescaled score spans exactly the range of P on the same points
    assert np.isclose(score_line.get_ydata().min(), p_line.get_ydata().min())
    assert np.isclose(score_line.get_ydata().max(), p_line.get_ydata().max())
    with pytest.raises(ValueError, match="index must be an integer"):
        SF.score_vs_objective(tiny_searcher, coeffs, [10])
    with pytest.raises(ValueError, match="between 1 and 8"):
        SF.score_and_objective_figure(np.zeros((9, 7)), np.linspace(0, 1, 5), np.zeros((9, 5)), [""] * 9)


def test_summary_figures_draw_one_line_or_bar_per_model():
    fig = SF.rank_correlation_figure({"a": np.linspace(-1, 1, 20), "b": np.zeros(20)}, 0.8)
    assert len(fig.axes[0].get_lines()) == 3  # two curves and the threshold
    mean = np.array([0.1, 0.05, 0.04])
    fig = SF.budget_figure([8, 16, 32], {"s": (mean, mean * 0.9, mean * 1.1)}, mean / 2, 16, 0.2)
    assert fig.axes[0].get_xscale() == "log"
    paths = E.equal_peak_paths(P.sample_polynomials(300, seed=1), n_paths=2, steps=5)
    fig = SF.jump_figure(paths, {"m": np.full(10, 0.5)}, 1, {"m": (0.1, 0.05, 0.2), "g": (0.0, 0.0, 0.0)})
    assert len(fig.axes[1].patches) == 2
    fig = SF.memorize_search_figure([4, 8], {2: np.array([2.0, 3.0])}, [2, 3],
                                    {"x": (np.array([4.0, 5.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0]))})
    assert len(fig.axes) == 2


def test_searcher_widget_trains_and_redraws():
    box = W.searcher_widget(test_count=8)
    loss, updates = box.children[0].children
    train, bar = box.children[1].children
    status = box.children[2]
    index, candidates = box.children[3].children
    updates.value = 100
    train.click()
    assert status.value.startswith("trained in") and "mean regret on 8 test polynomials" in status.value
    assert bar.value == 100 and not train.disabled
    index.value, candidates.value = 3, 64  # browsing redraws without error
    loss.value = S.SEARCHER_LOSSES[1]
    train.click()
    assert status.value.startswith("trained in")
