"""Chapter 1's widget: train a model on the polynomial task, watch its loss, then browse its answers.

The plain functions (:func:`train_model`, :func:`plot_training_curves`, :func:`plot_answers`) are what
the book calls in ordinary cells; :func:`training_widget` is a thin ipywidgets layer over them
(ipywidgets 7.7.1 and 8.x: dropdowns, sliders, a button, a progress bar and Output areas only).
"""
from __future__ import annotations

import numpy as np

from mesaopt.baselines import grid_points
from mesaopt.polynomials import BASES, DEFAULT_BASIS, evaluate_at_points, exact_maximum, regret, sample_polynomials
from mesaopt.validation import require_choice, require_int

__all__ = ["ARCHITECTURES", "train_model", "model_answers", "plot_training_curves", "plot_answers",
           "training_widget"]

ARCHITECTURES = ("MLP, regret loss", "MLP, squared loss", "recurrent refiner")


def train_model(architecture: str = "MLP, regret loss", degree: int = 6, width: int = 64, updates: int = 1000,
                basis: str = DEFAULT_BASIS, seed: int = 0, callback=None):
    """Train one model of the chapter; ``callback(step, total, history)`` reports progress."""
    from mesaopt.training import train_mlp, train_refiner

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
    from mesaopt.training import predict

    return predict(model, coeffs)


def plot_training_curves(histories: dict, ax=None):
    """Batch regret (max P - P(x), averaged over the minibatch) against update, one line per model."""
    import matplotlib.pyplot as plt

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
    import matplotlib.pyplot as plt

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
        with answer_out:
            clear_output(wait=True)
            if "model" not in state:
                print("Train a model first.")
                return
            try:
                fig = plot_answers(state["coeffs"], {"model": state["x"]}, indices=[index.value], G=grid.value,
                                   basis=DEFAULT_BASIS)
                display(fig)
                plt.close(fig)
            except ValueError as err:
                print(f"Cannot show that: {err}")

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
