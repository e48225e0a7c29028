"""How big must a network that runs the loop be? Sizes of the network forms and of a lookup table.

For a network that answers every n <= n_max, each row gives

* ``dense_params``: weights + biases it stores as dense ``nn.Linear`` layers (pass-through channels included);
* ``nonzero``: of those, the nonzero ones (what a sparse or residual implementation stores);
* ``work``: nonzero weights used to answer the largest n (= n_max), the cost of one forward pass;
* ``depth``: ``nn.Linear`` layers traversed one after another; ``steps``: applications of the same weights.

The sizes come from the compiled circuits themselves (``CompiledCircuit.sizes``); only the unrolled form
(L copies of the cell) and the lookup table are computed by formula (checked against built cases in tests).
:func:`fixed_n_sizes` gives the same forms compiled for one fixed n (n constant-folded into the weights),
the like-for-like comparison with a compiler that takes n as a constant of the program.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from .loop import band_grid, loop_bound, widths_for
from .nets import build_candidate_circuit, build_cell, build_max_node, build_position_circuit
from .reduced import build_reduced_cell
from ..validation import require_int

__all__ = ["FORMS", "part_sizes", "size_rows", "size_table", "plot_sizes", "table_text", "crossover",
           "size_column", "loglog_slope", "fixed_n_sizes", "load_tracr_sizes", "tracr_summary"]

FORMS = ("lookup", "recurrent", "reduced", "unrolled", "positional", "shortcut")


@lru_cache(maxsize=None)
def part_sizes(n_max: int, fold_n: bool = False) -> dict:
    """Sizes of the compiled building circuits for networks that handle every n <= n_max (``fold_n``:
    n = n_max only, n and L folded into the weights as constants)."""
    w = widths_for(n_max)
    return {"cell": build_cell(n_max, fold_n).sizes(), "reduced": build_reduced_cell(n_max, fold_n).sizes(),
            "position": build_position_circuit(n_max, fold_n).sizes(),
            "candidate": build_candidate_circuit(n_max, fold_n).sizes(),
            "node": build_max_node(w["i"], w["n"]).sizes()}


def _levels(leaves: int) -> int:
    return max(leaves - 1, 0).bit_length()


def _nodes(leaves: int) -> int:
    """Max nodes the tree evaluates: leaves are padded to a power of two."""
    return (1 << _levels(leaves)) - 1


def _search_rows(p: dict, big_l: int, grid: int) -> list[dict]:
    """The rows of the four search forms that share weights, from their parts' sizes (``p``), the loop
    bound L of the n answered and the shortcut's band grid."""
    cell, red, pos, cand, node = p["cell"], p["reduced"], p["position"], p["candidate"], p["node"]
    return [
        {"form": "recurrent", "dense_params": cell["dense_params"], "nonzero": cell["nonzero_weights"],
         "work": big_l * cell["nonzero_weights"], "depth": cell["depth"], "steps": big_l, "positions": 1},
        {"form": "reduced", "dense_params": red["dense_params"], "nonzero": red["nonzero_weights"],
         "work": (big_l + 1) * red["nonzero_weights"], "depth": red["depth"], "steps": big_l + 1, "positions": 1},
        {"form": "positional", "dense_params": pos["dense_params"] + node["dense_params"],
         "nonzero": pos["nonzero_weights"] + node["nonzero_weights"],
         "work": (big_l + 1) * pos["nonzero_weights"] + _nodes(big_l + 1) * node["nonzero_weights"],
         "depth": pos["depth"] + _levels(big_l + 1) * node["depth"], "steps": 1, "positions": big_l + 1},
        # the band-top circuit at grid positions, the position circuit once (at i = L), the tree
        {"form": "shortcut", "dense_params": cand["dense_params"] + pos["dense_params"] + node["dense_params"],
         "nonzero": cand["nonzero_weights"] + pos["nonzero_weights"] + node["nonzero_weights"],
         "work": grid * cand["nonzero_weights"] + pos["nonzero_weights"] + _nodes(grid + 1) * node["nonzero_weights"],
         "depth": max(cand["depth"], pos["depth"]) + _levels(grid + 1) * node["depth"], "steps": 1,
         "positions": grid + 1},
    ]


def size_rows(n_max: int) -> list[dict]:
    """One row per form for networks that answer every n <= n_max."""
    n_max = require_int("n_max", n_max, 2, 2 ** 30)
    w = widths_for(n_max)
    big_l = loop_bound(n_max)
    p = part_sizes(n_max)
    cell = p["cell"]
    lookup_dense = n_max * (w["n"] + 1) + (n_max + 1) * w["i"]   # one unit per n, then k's bits
    rows = [{"form": "lookup", "dense_params": lookup_dense, "nonzero": lookup_dense, "work": lookup_dense,
             "depth": 2, "steps": 1, "positions": 1},
            {"form": "unrolled", "dense_params": big_l * cell["dense_params"],
             "nonzero": big_l * cell["nonzero_weights"], "work": big_l * cell["nonzero_weights"],
             "depth": big_l * cell["depth"], "steps": 1, "positions": 1}]
    rows += _search_rows(p, big_l, band_grid(n_max))
    rows.sort(key=lambda r: FORMS.index(r["form"]))
    for row in rows:
        row["n_max"] = n_max
    return rows


def fixed_n_sizes(n: int) -> dict:
    """{form: row} for the four weight-sharing forms compiled for one fixed n (n and L constants folded
    into the weights): what a compiler that takes n as a constant of the program must be compared with."""
    n = require_int("n", n, 2, 2 ** 30)
    rows = _search_rows(part_sizes(n, fold_n=True), loop_bound(n), band_grid(n))
    return {row["form"]: {**row, "n": n} for row in rows}


def load_tracr_sizes(path) -> dict | None:
    """The Tracr measurements of ``experiments/results/tracr_loop_sizes.json`` (written by
    ``experiments/tracr_loop_sizes.py``): {"status", "verified": {n: run}, "unverified": {n: run},
    "versions"}, or None when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return {"status": data.get("status"), "versions": data.get("versions", {}),
            "verified": {int(n): r for n, r in data.get("runs", {}).items() if r.get("verified")},
            "unverified": {int(n): r for n, r in data.get("unverified_runs", {}).items()}}


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
    """Log-log plots against n_max: stored parameters (dense and nonzero), work per answer, and Linear
    layers run one after another (depth x steps). Returns a Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.2))
    axes = fig.subplots(1, 3)
    colors = dict(zip(FORMS, ("tab:gray", "tab:blue", "tab:cyan", "tab:purple", "tab:orange", "tab:green")))
    markers = dict(zip(FORMS, ("s", "o", "P", "D", "^", "v")))      # lines overlap: markers tell them apart
    for form in FORMS:
        sub = sorted((r for r in rows if r["form"] == form), key=lambda r: r["n_max"])
        ns = [r["n_max"] for r in sub]
        style = {"color": colors[form], "marker": markers[form], "ms": 4, "mfc": "none"}
        axes[0].plot(ns, [r["dense_params"] for r in sub], "-", label=f"{form} (dense)", **style)
        if form != "lookup":
            axes[0].plot(ns, [r["nonzero"] for r in sub], "--", label=f"{form} (nonzero)", **style)
        axes[1].plot(ns, [r["work"] for r in sub], "-", label=form, **style)
        axes[2].plot(ns, [r["depth"] * r["steps"] for r in sub], "-", label=form, **style)
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


def _slope(xs, ys) -> float:
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)[0])


def tracr_summary(tracr: dict | None, fixed: dict) -> tuple[list, str, str]:
    """Table rows, a Markdown paragraph and a one-sentence summary comparing Tracr's compiled transformers
    (``tracr`` from :func:`load_tracr_sizes`, or None) with our positional network compiled for the same
    fixed n (``fixed``: {n: :func:`fixed_n_sizes` (n)}). Every number in the text comes from these
    arguments."""
    verified = (tracr or {}).get("verified", {})
    rows = []
    for n in sorted(fixed):
        ours = fixed[n]["positional"]
        run = verified.get(n)
        rows.append([n, loop_bound(n), f"{run['params']:,}" if run else "not measured",
                     f"{run['nonzero_params']:,}" if run else "-", f"{ours['dense_params']:,}", f"{ours['nonzero']:,}"])
    unmeasured = ("How this compares with a general-purpose transformer compiler was not measured in this copy "
                  "of the book (see *Like with like*).")
    if tracr is None:
        return rows, ("This copy of the book has no Tracr measurement: `experiments/results/tracr_loop_sizes.json` "
                      "is missing. The script `experiments/tracr_loop_sizes.py` writes it, in an environment of its "
                      "own, because Tracr needs jax and dm-haiku, which the book does not install. So no Tracr "
                      "number is quoted here."), unmeasured
    common = sorted(n for n in verified if n in fixed)
    if not common:
        return rows, (f"The Tracr run stored with the book (status: {tracr.get('status')}) has no model that gives "
                      "the loop's answer at the n compared here, so no Tracr number is quoted."), unmeasured
    top = common[-1]
    theirs, ours = verified[top], fixed[top]["positional"]
    version = tracr.get("versions", {}).get("tracr-pypi", "?")
    text = (f"Tracr (`tracr-pypi` {version}) compiled the loop, with n fixed, into transformers that give the "
            f"loop's answer for {len(common)} of the n compared (n = {common[0]} to {top}). At n = {top} its model "
            f"has {theirs['params']:,} parameters ({theirs['nonzero_params']:,} nonzero); our positional network "
            f"compiled for that n alone has {ours['dense_params']:,} ({ours['nonzero']:,} nonzero), "
            f"{theirs['params'] / ours['dense_params']:.0f} times fewer parameters and "
            f"{theirs['nonzero_params'] / ours['nonzero']:.0f} times fewer nonzero ones.")
    if len(common) >= 3:
        text += (f" Over these n, Tracr's parameter count grows with log-log slope "
                 f"{_slope(common, [verified[n]['params'] for n in common]):.2f} in n, ours with "
                 f"{_slope(common, [fixed[n]['positional']['dense_params'] for n in common]):.2f}.")
    wrong = sorted(tracr.get("unverified", {}))
    if wrong:
        text += (f" For n = {', '.join(str(n) for n in wrong)} Tracr's models compile but give a wrong answer "
                 "(see the script's notes), so they are not compared.")
    short = (f"For one fixed n = {top}, Tracr's compiled transformer has {theirs['params']:,} parameters against "
             f"{ours['dense_params']:,} for our positional network compiled for that n.")
    return rows, text, short
