"""Chapter 1's widget layer: plain functions give figures and clear errors; the widget builds."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mesaopt.maximize import baselines as B  # noqa: E402
from mesaopt.maximize import polynomials as P  # noqa: E402
from mesaopt.maximize import figures as F  # noqa: E402
from mesaopt.maximize import widget as W  # noqa: E402


def test_plot_answers_draws_one_panel_per_polynomial_and_checks_input():
    coeffs = P.sample_polynomials(10, seed=0)
    fig = F.plot_answers(coeffs, {"grid 8": B.grid_search(coeffs, 8)}, indices=[0, 3, 5], G=8)
    assert sum(ax.has_data() for ax in fig.axes) == 3
    with pytest.raises(ValueError, match="index must be an integer"):
        F.plot_answers(coeffs, {}, indices=[12])
    with pytest.raises(ValueError, match="G must be an integer"):
        F.plot_answers(coeffs, {}, indices=[0], G=1)


def test_train_model_trains_each_architecture_briefly_and_reports_progress():
    seen = []
    for arch in W.ARCHITECTURES:
        model = W.train_model(arch, degree=4, width=8, updates=50, callback=lambda s, t, h: seen.append(s))
        x = W.model_answers(model, P.sample_polynomials(6, 4, seed=0))
        assert x.shape == (6,) and np.all((x >= 0) & (x <= 1))
    assert seen and max(seen) == 50
    fig = F.plot_training_curves({"m": model.history})
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="architecture must be one of"):
        W.train_model("transformer")
    with pytest.raises(ValueError, match="updates must be an integer"):
        W.train_model(updates=10)


def test_widget_builds_without_training():
    box = W.training_widget(test_count=16)
    assert len(box.children) == 4


def test_widget_train_button_trains_and_reports_the_test_regret():
    box = W.training_widget(test_count=16)
    controls = box.children[0]
    architecture, degree = controls.children[0].children
    width, updates = controls.children[1].children
    train, bar = controls.children[2].children
    status = controls.children[3]
    architecture.value, degree.value, width.value, updates.value = W.ARCHITECTURES[0], 3, 4, 100
    train.click()
    assert status.value.startswith("trained in") and "mean regret on 16 test polynomials" in status.value
    assert bar.value == 100 and not train.disabled
    index = box.children[2].children[0]
    index.value = 5  # browsing redraws without error
