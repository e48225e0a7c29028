"""How big must a network that runs the loop be? Sizes of the four forms and of a lookup table.

For a network that answers every n <= n_max, each row gives

* ``dense_params``: weights + biases it stores as dense ``nn.Linear`` layers (pass-through channels included);
* ``nonzero``: of those, the nonzero ones (what a sparse or residual implementation stores);
* ``work``: nonzero weights used to answer the largest n (= n_max), the cost of one forward pass;
* ``depth``: ``nn.Linear`` layers traversed one after another; ``steps``: applications of the same weights.

The sizes come from the compiled circuits themselves (``CompiledCircuit.sizes``); only the unrolled form
(L copies of the cell) and the lookup table are computed by formula (checked against built cases in tests).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .loop import loop_bound, widths_for
from .nets import build_candidate_circuit, build_cell, build_max_node, build_position_circuit
from ..validation import require_int

__all__ = ["TRACR_ANCHORS", "FORMS", "part_sizes", "size_rows", "size_table", "plot_sizes", "table_text",
           "crossover", "size_column", "loglog_slope"]

# Compiled-transformer anchor (Lindner et al. 2023, Tracr; numbers as given in the book's REFERENCES):
# the loop compiled with n fixed, one position per candidate, parameters grow about as m^2 (m = n^0.7).
TRACR_ANCHORS = {64: 65_000, 1024: 2_800_000, 2048: 7_400_000}

FORMS = ("lookup", "recurrent", "unrolled", "positional", "shortcut")


@lru_cache(maxsize=None)
def part_sizes(n_max: int) -> dict:
    """Sizes of the compiled building circuits for networks that handle every n <= n_max."""
    w = widths_for(n_max)
    return {"cell": build_cell(n_max).sizes(), "position": build_position_circuit(n_max).sizes(),
            "candidate": build_candidate_circuit(n_max).sizes(),
            "node": build_max_node(w["i"], w["n"]).sizes()}


def _levels(leaves: int) -> int:
    return max(leaves - 1, 0).bit_length()


def _nodes(leaves: int) -> int:
    """Max nodes the tree evaluates: leaves are padded to a power of two."""
    return (1 << _levels(leaves)) - 1


def size_rows(n_max: int) -> list[dict]:
    """One row per form for networks that answer every n <= n_max."""
    n_max = require_int("n_max", n_max, 2, 2 ** 30)
    w = widths_for(n_max)
    big_l = loop_bound(n_max)
    bands = big_l * big_l // n_max + 1
    p = part_sizes(n_max)
    cell, pos, cand, node = p["cell"], p["position"], p["candidate"], p["node"]
    lookup_dense = n_max * (w["n"] + 1) + (n_max + 1) * w["i"]   # one unit per n, then k's bits
    rows = [
        {"form": "lookup", "dense_params": lookup_dense, "nonzero": lookup_dense, "work": lookup_dense,
         "depth": 2, "steps": 1},
        {"form": "recurrent", "dense_params": cell["dense_params"], "nonzero": cell["nonzero_weights"],
         "work": big_l * cell["nonzero_weights"], "depth": cell["depth"], "steps": big_l},
        {"form": "unrolled", "dense_params": big_l * cell["dense_params"],
         "nonzero": big_l * cell["nonzero_weights"], "work": big_l * cell["nonzero_weights"],
         "depth": big_l * cell["depth"], "steps": 1},
        {"form": "positional", "dense_params": pos["dense_params"] + node["dense_params"],
         "nonzero": pos["nonzero_weights"] + node["nonzero_weights"],
         "work": (big_l + 1) * pos["nonzero_weights"] + _nodes(big_l + 1) * node["nonzero_weights"],
         "depth": pos["depth"] + _levels(big_l + 1) * node["depth"], "steps": 1},
        {"form": "shortcut", "dense_params": cand["dense_params"] + node["dense_params"],
         "nonzero": cand["nonzero_weights"] + node["nonzero_weights"],
         "work": bands * cand["nonzero_weights"] + _nodes(bands + 1) * node["nonzero_weights"],
         "depth": cand["depth"] + _levels(bands + 1) * node["depth"], "steps": 1},
    ]
    for row in rows:
        row["n_max"] = n_max
        row["positions"] = {"positional": big_l + 1, "shortcut": bands + 1}.get(row["form"], 1)
    return rows


def size_table(n_values, progress=None) -> list[dict]:
    """Rows for every n_max in ``n_values``; ``progress`` (a ``tqdm`` bar) advances by one per n_max."""
    rows = []
    for n in n_values:
        rows += size_rows(int(n))
        if progress is not None:
            progress.update(1)
    return rows


def size_column(rows: list[dict], form: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(n_max values, ``column`` values) of ``form`` in the table, in table order."""
    picked = [r for r in rows if r["form"] == form]
    return (np.array([r["n_max"] for r in picked], dtype=float),
            np.array([r[column] for r in picked], dtype=float))


def loglog_slope(rows: list[dict], form: str, column: str) -> float:
    """Least-squares slope of log(``column``) against log(n_max) for ``form``: the growth exponent."""
    ns, values = size_column(rows, form, column)
    return float(np.polyfit(np.log(ns), np.log(values), 1)[0])


def crossover(rows: list[dict], form: str, column: str = "dense_params"):
    """The smallest n_max in the table from which ``form`` stays smaller than the lookup table."""
    ns = sorted({r["n_max"] for r in rows})
    value = {(r["form"], r["n_max"]): r[column] for r in rows}
    winning = [n for n in ns if value[(form, n)] < value[("lookup", n)]]
    for n in winning:
        if all(value[(form, m)] < value[("lookup", m)] for m in ns if m >= n):
            return n
    return None


def table_text(rows: list[dict], columns=("form", "n_max", "dense_params", "nonzero", "work", "depth",
                                          "steps")) -> str:
    """A plain-text table (one line per row)."""
    lines = ["  ".join(f"{c:>14}" for c in columns)]
    for r in rows:
        lines.append("  ".join(f"{r[c]:>14,}" if isinstance(r[c], int) else f"{r[c]:>14}" for c in columns))
    return "\n".join(lines)


def plot_sizes(rows: list[dict], highlight: int | None = None):
    """Log-log plots against n_max: stored parameters (dense and nonzero), work per answer (with the
    Tracr anchor), and Linear layers run one after another (depth x steps). Returns a Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2))
    axes = fig.subplots(1, 3)
    colors = dict(zip(FORMS, ("tab:gray", "tab:blue", "tab:purple", "tab:orange", "tab:green")))
    markers = dict(zip(FORMS, ("s", "o", "D", "^", "v")))      # lines overlap: markers tell them apart
    for form in FORMS:
        sub = sorted((r for r in rows if r["form"] == form), key=lambda r: r["n_max"])
        ns = [r["n_max"] for r in sub]
        style = {"color": colors[form], "marker": markers[form], "ms": 4, "mfc": "none"}
        axes[0].plot(ns, [r["dense_params"] for r in sub], "-", label=f"{form} (dense)", **style)
        if form != "lookup":
            axes[0].plot(ns, [r["nonzero"] for r in sub], "--", label=f"{form} (nonzero)", **style)
        axes[1].plot(ns, [r["work"] for r in sub], "-", label=form, **style)
        axes[2].plot(ns, [r["depth"] * r["steps"] for r in sub], "-", label=form, **style)
    for ax in axes[:2]:
        ax.plot(list(TRACR_ANCHORS), list(TRACR_ANCHORS.values()), "k*", ms=10,
                label="Tracr, n fixed (Lindner et al.)")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("largest n the network handles")
        ax.grid(alpha=0.3)
        if highlight:
            ax.axvline(highlight, color="k", lw=0.8, alpha=0.5)
    axes[0].set_ylabel("parameters stored")
    axes[0].set_title("How big is the network?")
    axes[1].set_ylabel("nonzero weights used for one answer")
    axes[1].set_title("How much work is one answer?")
    axes[2].set_ylabel("Linear layers run in sequence (depth x steps)")
    axes[2].set_title("How long is the chain of layers?")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    return fig
