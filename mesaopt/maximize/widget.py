"""Chapter 1's widgets: train a model on the polynomial task, watch its loss, then browse its answers; and train the
searcher and browse P beside its learned score.

The plain functions (:func:`train_model` here, and :func:`mesaopt.maximize.figures.plot_training_curves` and
:func:`mesaopt.maximize.figures.plot_answers`) are what the book calls in ordinary cells; :func:`training_widget` is a thin ipywidgets layer over them
(ipywidgets 7.7.1 and 8.x: dropdowns, sliders, a button, a progress bar and Output areas only).
"""
from __future__ import annotations

import numpy as np

from mesaopt.maximize.figures import plot_answers, plot_training_curves
from mesaopt.maximize.polynomials import BASES, DEFAULT_BASIS, regret, sample_polynomials
from mesaopt.validation import require_choice, require_int

__all__ = ["ARCHITECTURES", "train_model", "model_answers", "training_widget", "searcher_widget"]

ARCHITECTURES = ("MLP, regret loss", "MLP, squared loss", "recurrent refiner")



def _draw(out, state: dict, missing: str, make_figure) -> None:
    """Replace ``out``'s content with the figure ``make_figure()`` draws, or say what is missing (no model
    trained yet) or why the widget's values cannot be shown (a ValueError from the plain function)."""
    import matplotlib.pyplot as plt
    from IPython.display import clear_output, display

    with out:
        clear_output(wait=True)
        if "model" not in state:
            print(missing)
            return
        try:
            fig = make_figure()
            display(fig)
            plt.close(fig)
        except ValueError as err:
            print(f"Cannot show that: {err}")

def train_model(architecture: str = "MLP, regret loss", degree: int = 6, width: int = 64, updates: int = 1000,
                basis: str = DEFAULT_BASIS, seed: int = 0, callback=None):
    """Train one model of the chapter; ``callback(step, total, history)`` reports progress."""
    from mesaopt.maximize.training import train_mlp, train_refiner

    require_choice("architecture", architecture, ARCHITECTURES)
    degree = require_int("degree", degree, 2, 10)
    width = require_int("width", width, 4, 512)
    updates = require_int("updates", updates, 50, 20_000)
    require_choice("basis", basis, BASES)
    if architecture == "recurrent refiner":
        return train_refiner(degree=degree, basis=basis, width=width, updates=updates, seed=seed,
                             callback=callback)
    loss = "regret" if "regret" in architecture else "squared"
    return train_mlp(degree=degree, basis=basis, width=width, loss=loss, updates=updates, seed=seed,
                     callback=callback)


def model_answers(model, coeffs) -> np.ndarray:
    """The model's x for each polynomial (a refiner runs the number of steps it was trained with)."""
    from mesaopt.maximize.training import predict

    return predict(model, coeffs)


def training_widget(test_count: int = 512, seed: int = 0):
    """Choose degree, architecture, width and budget; train (live progress and loss); browse answers."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import clear_output, display

    architecture = widgets.Dropdown(options=list(ARCHITECTURES), value=ARCHITECTURES[0], description="model")
    degree = widgets.IntSlider(value=6, min=2, max=10, description="degree")
    width = widgets.IntSlider(value=64, min=4, max=256, step=4, description="width")
    updates = widgets.IntSlider(value=1000, min=100, max=4000, step=100, description="updates")
    train = widgets.Button(description="Train")
    bar = widgets.IntProgress(value=0, min=0, max=100)
    status = widgets.Label(value="Press Train (about 2-15 s, depending on the budget).")
    curve_out = widgets.Output()
    index = widgets.IntSlider(value=0, min=0, max=test_count - 1, description="polynomial")
    grid = widgets.IntSlider(value=8, min=2, max=64, description="grid G")
    answer_out = widgets.Output()
    state = {}

    def show_answers(*_):
        _draw(answer_out, state, "Train a model first.",
              lambda: plot_answers(state["coeffs"], {"model": state["x"]}, indices=[index.value], G=grid.value,
                                   basis=DEFAULT_BASIS))

    def on_train(_):
        train.disabled = True
        bar.value = 0
        status.value = "training..."

        def live(step, total, history):
            bar.value = int(100 * step / total)
            if len(history["update"]) % 10 == 0 or step == total:
                with curve_out:
                    clear_output(wait=True)
                    fig = plot_training_curves({architecture.value: history})
                    display(fig)
                    plt.close(fig)

        try:
            model = train_model(architecture.value, degree.value, width.value, updates.value, seed=seed,
                                callback=live)
        except ValueError as err:
            status.value = f"Cannot train that: {err}"
            train.disabled = False
            return
        coeffs = sample_polynomials(test_count, degree.value, DEFAULT_BASIS, seed=1)
        x = model_answers(model, coeffs)
        mean_regret = regret(coeffs, x, DEFAULT_BASIS).mean()
        state.update(model=model, coeffs=coeffs, x=x)
        status.value = (f"trained in {model.train_seconds:.1f} s; mean regret on {test_count} test "
                        f"polynomials: {mean_regret:.4f}")
        train.disabled = False
        show_answers()

    train.on_click(on_train)
    index.observe(show_answers, names="value")
    grid.observe(show_answers, names="value")
    controls = widgets.VBox([widgets.HBox([architecture, degree]), widgets.HBox([width, updates]),
                             widgets.HBox([train, bar]), status])
    return widgets.VBox([controls, curve_out, widgets.HBox([index, grid]), answer_out])


def searcher_widget(test_count: int = 512, seed: int = 0):
    """Train the candidate scorer of :mod:`mesaopt.maximize.searcher` (choose its loss and budget), then browse test
    polynomials with P and the learned score on the same axes
    (:func:`mesaopt.maximize.searcher_figures.score_vs_objective`, the function behind the book's static figure)."""
    import ipywidgets as widgets

    from mesaopt.maximize.searcher import SEARCHER_LOSSES, train_searcher
    from mesaopt.maximize.searcher_figures import score_vs_objective

    loss = widgets.Dropdown(options=[("regret at its answer (main)", SEARCHER_LOSSES[0]),
                                     ("sees P at every candidate", SEARCHER_LOSSES[1])],
                            value=SEARCHER_LOSSES[0], description="loss")
    updates = widgets.IntSlider(value=1000, min=100, max=3000, step=100, description="updates")
    train = widgets.Button(description="Train")
    bar = widgets.IntProgress(value=0, min=0, max=100)
    status = widgets.Label(value="Press Train (a few seconds).")
    index = widgets.IntSlider(value=0, min=0, max=test_count - 1, description="polynomial")
    candidates = widgets.IntSlider(value=256, min=8, max=1024, step=8, description="candidates")
    out = widgets.Output()
    state = {}

    def show(*_):
        _draw(out, state, "Train a searcher first.",
              lambda: score_vs_objective(state["model"], state["coeffs"], [index.value], candidates.value))

    def on_train(_):
        train.disabled = True
        status.value = "training..."
        try:
            model = train_searcher(seed=seed, loss=loss.value, updates=updates.value,
                                   progress=lambda step, total: setattr(bar, "value", int(100 * step / total)))
        except ValueError as err:
            status.value = f"Cannot train that: {err}"
            train.disabled = False
            return
        coeffs = sample_polynomials(test_count, model.degree, DEFAULT_BASIS, seed=1)
        mean_regret = regret(coeffs, model_answers(model, coeffs), DEFAULT_BASIS).mean()
        state.update(model=model, coeffs=coeffs)
        status.value = (f"trained in {model.train_seconds:.1f} s; mean regret on {test_count} test polynomials: "
                        f"{mean_regret:.4f}")
        train.disabled = False
        show()

    train.on_click(on_train)
    index.observe(show, names="value")
    candidates.observe(show, names="value")
    return widgets.VBox([widgets.HBox([loss, updates]), widgets.HBox([train, bar]), status,
                         widgets.HBox([index, candidates]), out])
