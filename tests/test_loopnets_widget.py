"""Chapter 2's widgets are thin layers over plain plotting functions that reject bad input clearly."""
from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from mesaopt.loopnets.loop import search_loop
from mesaopt.loopnets.sizes import size_table
from mesaopt.loopnets.widget import (plot_search_step, plot_size_explorer, search_stepper_widget,
                                    size_explorer_widget, stepper_net)


def test_stepper_figure_shows_the_state_computed_by_the_weights():
    fig = plot_search_step(n=50, step=13, layer=2)
    assert isinstance(fig, Figure)
    title = fig.axes[0].get_title()
    trace = stepper_net().trace(50)
    assert trace[-1]["k"] == search_loop(50)
    assert f"after 13 step(s): i = 14, k = {trace[13]['k']}, best = {trace[13]['best']}" in title
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 4096\]"):
        plot_search_step(n=5000)
    with pytest.raises(ValueError, match="step must be an integer"):
        plot_search_step(n=50, step=99)
    with pytest.raises(ValueError, match="layer"):
        plot_search_step(n=50, step=0, layer=0)


def test_size_explorer_and_widgets_build():
    rows = size_table([2 ** 10, 2 ** 12])
    fig = plot_size_explorer(2 ** 11, rows)
    assert isinstance(fig, Figure) and "n <= 2,048" in fig.axes[-1].texts[0].get_text()
    with pytest.raises(ValueError, match="n_max"):
        plot_size_explorer(1, rows)
    assert search_stepper_widget(n=30).children and size_explorer_widget(rows).children
