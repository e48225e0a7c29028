"""Helpers every chapter notebook calls: deterministic setup and `glue` that also works in Colab.

In the built book, ``glue`` is myst-nb's: the value is stored with the notebook and prose
refers to it with ``{glue:text}`name```. In Colab (no myst-nb) the same call simply shows the
value, so a notebook never needs two code paths.
"""
from __future__ import annotations

import random

import numpy as np

__all__ = ["glue", "glue_all", "setup", "show_table", "DEFAULT_SEED"]

DEFAULT_SEED = 0


def setup(seed: int = DEFAULT_SEED, threads: int = 1) -> None:
    """Seed every random generator the book uses and pin torch to ``threads`` CPU threads.

    One thread is the fastest choice for the book's tiny models on a 2-core machine
    (measured by ``benchmarks/notebook_times.py``); it also makes results repeatable.
    """
    import torch

    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def glue(name: str, value, display: bool = True):
    """Store ``value`` under ``name`` for the book's prose (myst-nb), or show it when myst-nb is absent.

    NumPy scalars are stored as plain Python numbers, so a format spec in the prose
    ({glue:text}`name:.2f`) works: with NumPy 2 their text form is ``np.float64(...)``.
    """
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # Colab, plain Jupyter: just show the value
        if display:
            from IPython.display import display as _show

            print(f"{name} =")
            _show(value)
        return value
    _myst_glue(name, value, display=display)
    return value


def glue_all(values: dict, display: bool = False) -> dict:
    """Glue every ``name: value`` of ``values`` (see :func:`glue`; not displayed by default); return them as stored.

    One call per cell keeps the bookkeeping out of the way: ``glue_all({"regret": r, "G": g})``.
    """
    if not isinstance(values, dict) or not all(isinstance(k, str) and k for k in values):
        raise ValueError("glue_all takes a dict of {name: value} with non-empty string names")
    return {name: glue(name, value, display=display) for name, value in values.items()}


def show_table(headers, rows) -> str:
    """Show a small table as HTML (renders alike in Jupyter, Colab and the built book); return the HTML."""
    from html import escape

    from IPython.display import HTML, display

    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    display(HTML(html))
    return html
