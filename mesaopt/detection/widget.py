"""Chapter 3's widget: pick a base loss law, a search budget k and a sample size; see the losses,
the fitted curves, the test's p-value and its power.

:func:`plot_detection_demo` is the plain function (the book shows its figure); :func:`detection_widget`
only wires sliders and dropdowns to it (ipywidgets 7.7.1 and 8.x).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mesaopt.detection.stats import known_base_power, known_base_test, rejection_rate, scale_free_test
from mesaopt.detection.extremes import FAMILIES, family, min_of_k_logpdf, sample_min_of_k
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["TESTS", "detection_demo", "plot_detection_demo", "detection_widget"]

TESTS = ("known base", "unknown scale")
MAX_N = 20_000
MAX_K = 1000.0
POWER_REPS = 200  # at n = 1000; fewer runs for larger n keep a redraw near a second


def _power_reps(n: int) -> int:
    return int(max(50, min(POWER_REPS, 200 * 1000 // n)))


def detection_demo(family_name: str = "gamma", shape: float = 2.0, k: float = 4.0, n: int = 1000,
                   test: str = "unknown scale", level: float = 0.05, seed: int = 0) -> dict:
    """Draw n losses, each the min of k draws from the base law at scale 1, and test k = 1.

    Returns the sample, the test's p-value and its power at this (k, n): exact for the known
    base, simulated (up to ``POWER_REPS`` runs) for the unknown scale, and None where no test can have
    power (min-stable family with unknown scale).
    """
    require_choice("family", family_name, FAMILIES)
    fam = family(family_name, None if family_name == "exponential" else shape)
    k = require_float("k", k, 1.0, MAX_K)
    n = require_int("n", n, 10, MAX_N)
    test = require_choice("test", test, TESTS)
    level = require_float("level", level, 0.0, 0.5, low_inclusive=False)
    x = sample_min_of_k(fam, k, n, rng=seed)
    if test == "known base":
        result = known_base_test(x, fam)
        power = known_base_power(n, k, level)
    else:
        result = scale_free_test(x, fam)
        power = rejection_rate(test, fam, k, n, _power_reps(n), level, seed=seed + 1) if result.identifiable else None
    p = float(result.p_value) if result.identifiable else None
    return {"family": fam, "k": k, "n": n, "test": test, "level": level, "losses": x, "p_value": p,
            "power": power, "scale_hat": float(fam.scale_mle(x))}


def plot_detection_demo(family_name: str = "gamma", shape: float = 2.0, k: float = 4.0, n: int = 1000,
                        test: str = "unknown scale", level: float = 0.05, seed: int = 0) -> Figure:
    """Histograms of the losses and of a sample without search, with three curves: the base law
    (k = 1), the truth (min of k), and the best k = 1 fit with the scale re-estimated; the title
    gives the p-value and the power."""
    demo = detection_demo(family_name, shape, k, n, test, level, seed)
    fam, x = demo["family"], demo["losses"]
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    top = float(np.quantile(x, 0.99))
    ax.hist(x, bins=60, range=(0, top), density=True, color="lightgrey", label=f"{n:,} losses (min of k)")
    base = sample_min_of_k(fam, 1.0, n, rng=seed + 2)  # what the losses would be without search
    ax.hist(base, bins=60, range=(0, top), density=True, histtype="step", color="grey",
            label=f"{n:,} losses without search (k = 1)")
    t = np.linspace(top / 600, top, 400)
    ax.plot(t, np.exp(min_of_k_logpdf(fam, 1.0, t)), ":", label="base law, k = 1 (scale 1)")
    ax.plot(t, np.exp(min_of_k_logpdf(fam, k, t)), "-", label=f"truth: min of k = {k:g} draws")
    ax.plot(t, np.exp(min_of_k_logpdf(fam, 1.0, t, scale=demo["scale_hat"])), "--",
            label="best k = 1 fit, scale re-estimated")
    if demo["p_value"] is None:
        verdict = "no test possible: this family is min-stable (power = level at best)"
    else:
        power = f"{demo['power']:.2f}"
        verdict = (f"p = {demo['p_value']:.2g} ({'reject' if demo['p_value'] < level else 'keep'} k = 1 "
                   f"at level {level:g});  power at this k, n: {power}")
    ax.set_title(f"{fam.name}(shape {fam.shape:g}), test: {test}\n{verdict}", fontsize=10)
    ax.set(xlabel="loss", ylabel="density", xlim=(0, top))
    ax.legend(fontsize=8)
    return fig


def detection_widget():
    """Dropdowns and sliders over :func:`plot_detection_demo`; bad values show a message."""
    import ipywidgets as w
    from IPython.display import display

    controls = {
        "family_name": w.Dropdown(options=list(FAMILIES), value="gamma", description="base"),
        "shape": w.FloatSlider(value=2.0, min=0.2, max=5.0, step=0.1, description="shape"),
        "k": w.FloatLogSlider(value=4.0, base=10, min=0, max=3, step=0.05, description="k"),
        "n": w.Dropdown(options=[100, 300, 1000, 3000, 10000], value=1000, description="n"),
        "test": w.Dropdown(options=list(TESTS), value="unknown scale", description="test"),
        "seed": w.IntSlider(value=0, min=0, max=20, description="seed"),
    }
    out = w.Output()

    def redraw(**kw):
        with out:
            out.clear_output(wait=True)
            try:
                display(plot_detection_demo(**kw))
            except ValueError as err:
                print(f"Cannot show this setting: {err}")

    w.interactive_output(redraw, controls)
    box = w.VBox([w.HBox([controls["family_name"], controls["shape"], controls["k"]]),
                  w.HBox([controls["n"], controls["test"], controls["seed"]]), out])
    return box
