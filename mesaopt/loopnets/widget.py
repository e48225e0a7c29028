"""Chapter 2's widgets: step through the recurrent network on your n, and explore sizes over n.

Each widget is a thin layer over a plain function returning a matplotlib Figure
(:func:`plot_search_step`, :func:`plot_size_explorer`), which the book also shows as static figures.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure

from mesaopt.loopnets.loop import loop_bound
from mesaopt.loopnets.nets import RecurrentSearch
from mesaopt.loopnets.sizes import FORMS, plot_sizes, size_rows
from mesaopt.validation import require_int

__all__ = ["WIDGET_N_MAX", "stepper_net", "plot_search_step", "search_stepper_widget", "plot_size_explorer",
           "size_explorer_widget"]

WIDGET_N_MAX = 4096


@lru_cache(maxsize=1)
def stepper_net() -> RecurrentSearch:
    """The recurrent network (for every n <= 4096) the stepper runs."""
    return RecurrentSearch(WIDGET_N_MAX)


@lru_cache(maxsize=1)
def _dense_cell():
    return stepper_net().cell.to_torch()


def _layer_weights(layer: int) -> np.ndarray:
    linears = [m for m in _dense_cell() if hasattr(m, "weight")]
    layer = require_int("layer", layer, 1, len(linears))
    return linears[layer - 1].weight.detach().numpy()


def plot_search_step(n: int = 50, step: int = 10, layer: int = 1) -> Figure:
    """Left: i*i mod n over the loop and the state (i, k, best) after ``step`` applications of the
    recurrent cell (computed by its weights). Right: the weights of one of the cell's Linear layers."""
    n = require_int("n", n, 1, WIDGET_N_MAX)
    big_l = loop_bound(n)
    step = require_int("step", step, 0, big_l)
    trace = stepper_net().trace(n)
    state = trace[step]
    fig = Figure(figsize=(11, 4))
    ax, hx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    i = np.arange(1, big_l + 1)
    values = i * i % n
    seen = i < state["i"]
    ax.bar(i[~seen], values[~seen], color="0.85", width=1.0, label="not yet looked at")
    ax.bar(i[seen], values[seen], color="tab:blue", width=1.0, label="looked at")
    best = [trace[t]["best"] for t in range(1, step + 1)]
    if best:
        ax.step(i[:step], best, where="post", color="tab:orange", label="best so far")
    if state["k"] > 0:
        ax.plot([state["k"]], [state["best"]], "r*", ms=14, label=f"k = {state['k']}")
    ax.set(xlabel="i", ylabel="i*i mod n", xlim=(0.5, big_l + 0.5),
           title=f"n = {n}, L = {big_l}: after {step} step(s): i = {state['i']}, k = {state['k']}, "
                 f"best = {state['best']}, done = {state['done']}")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8, loc="upper left")
    w = _layer_weights(layer)
    im = hx.imshow(w, cmap="RdBu_r", norm=SymLogNorm(1, vmin=-abs(w).max(), vmax=abs(w).max()),
                   aspect="auto", interpolation="nearest")
    hx.set(xlabel="input channel", ylabel="output channel",
           title=f"cell layer {layer}: {w.shape[0]}x{w.shape[1]} weights, {np.count_nonzero(w)} nonzero")
    hx.title.set_fontsize(9)
    fig.colorbar(im, ax=hx, shrink=0.8)
    fig.tight_layout()
    return fig


def search_stepper_widget(n: int = 50):
    """Pick n, then step (or press play) through the recurrent network; pick a layer to see its weights."""
    import ipywidgets as w
    from IPython.display import display

    n = require_int("n", n, 1, WIDGET_N_MAX)
    depth = sum(1 for m in _dense_cell() if hasattr(m, "weight"))
    n_box = w.IntSlider(value=n, min=1, max=WIDGET_N_MAX, description="n", continuous_update=False)
    step = w.IntSlider(value=0, min=0, max=loop_bound(n), description="step", continuous_update=False)
    play = w.Play(value=0, min=0, max=loop_bound(n), interval=400)
    w.jslink((play, "value"), (step, "value"))
    layer = w.IntSlider(value=1, min=1, max=depth, description="layer")
    out = w.Output()

    def new_n(change):
        big_l = loop_bound(int(change["new"]))
        step.value = min(step.value, big_l)
        play.max = big_l
        step.max = big_l

    n_box.observe(new_n, names="value")

    def redraw(n, step, layer):
        with out:
            out.clear_output(wait=True)
            try:
                display(plot_search_step(n, min(step, loop_bound(n)), layer))
            except ValueError as err:
                print(f"Cannot show this setting: {err}")

    w.interactive_output(redraw, {"n": n_box, "step": step, "layer": layer})
    return w.VBox([w.HBox([n_box, play, step]), layer, out])


def plot_size_explorer(n_max: int, rows: list[dict]) -> Figure:
    """The size plot of ``rows`` with n_max marked, and the five forms' sizes at n_max listed."""
    n_max = require_int("n_max", n_max, 2, 2 ** 30)
    here = {r["form"]: r for r in size_rows(n_max)}
    fig = plot_sizes(rows, highlight=n_max)
    lines = [f"n <= {n_max:,}:"] + [f"{form:>10}: {here[form]['dense_params']:.2e} params, "
                                    f"{here[form]['work']:.2e} work" for form in FORMS]
    fig.axes[-1].text(1.04, 0.5, "\n".join(lines), transform=fig.axes[-1].transAxes, fontsize=8,
                      family="monospace", va="center")
    fig.set_size_inches(18, 4.2)
    fig.tight_layout()
    fig.subplots_adjust(right=0.8)
    return fig


def size_explorer_widget(rows: list[dict]):
    """A slider over log2(n_max); sizes at a new n_max are compiled on demand (a second or two)."""
    import ipywidgets as w
    from IPython.display import display

    exponent = w.IntSlider(value=20, min=2, max=30, description="log2 n_max", continuous_update=False)
    out = w.Output()

    def redraw(exponent):
        with out:
            out.clear_output(wait=True)
            print("compiling the circuits for this n_max ...")
            try:
                fig = plot_size_explorer(2 ** exponent, rows)
                out.clear_output(wait=True)
                display(fig)
            except ValueError as err:
                print(f"Cannot show this setting: {err}")

    w.interactive_output(redraw, {"exponent": exponent})
    return w.VBox([exponent, out])
