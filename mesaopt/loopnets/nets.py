"""Four networks that run the post's loop, all made only of compiled integer ReLU weights.

* :class:`RecurrentSearch`: one step cell (state i, k, best, n, L, done) applied L times, same weights.
* :func:`unrolled_torch`: the cell's dense layers copied once per iteration, one feedforward net
  (:func:`build_unrolled` also merges the copies into one circuit, where they overlap like a pipeline).
* :class:`PositionalSearch`: one shared per-position circuit computes i*i mod n at position i = 0..L,
  then a pairwise-max tree (shared comparator + multiplexer node) picks k with the loop's tie rule.
* :class:`ShortcutSearch`: the same tree over band tops only, floor(n_max^0.4) + 1 positions instead of n^0.7.

(The strength-reduced recurrent cell is in :mod:`mesaopt.loopnets.reduced`.) The loop header is the only
thing outside the weights: the caller gives n and its loop bound L = floor(n^0.7) (computed exactly by
:func:`mesaopt.loopnets.loop.loop_bound`), as a for loop's range.
"""
from __future__ import annotations

import numpy as np

from ..circuits import (Circuit, CompiledCircuit, add, and_, const, const_bits, from_bits, greater, increment,
                        isqrt_rem, mod_restoring, multiply, mux, not_, or_, to_bits, zeros)
from .loop import N_MAX, band_grid, loop_bound, widths_for
from ..validation import require_int

__all__ = ["n_and_bound", "state_inputs", "cell_step", "build_cell", "build_unrolled", "register_layers", "run_unrolled", "unrolled_torch", "run_unrolled_torch",
           "max_node", "build_max_node", "build_position_circuit", "build_candidate_circuit", "tree_argmax",
           "RecurrentSearch", "PositionalSearch", "ShortcutSearch"]


def _check_ns(ns, n_max: int) -> np.ndarray:
    ns = np.atleast_1d(np.asarray(ns, dtype=np.int64))
    if ns.size == 0 or ns.min() < 1 or ns.max() > n_max:
        raise ValueError(f"every n must be an integer in [1, {n_max}] for this network "
                         f"(built for n <= {n_max}); got range [{ns.min() if ns.size else None}, "
                         f"{ns.max() if ns.size else None}]")
    return ns


def _loop_bounds(ns: np.ndarray) -> np.ndarray:
    return np.array([loop_bound(int(n)) for n in ns], dtype=np.int64)


# --------------------------------------------------------------------------- the recurrent cell
def cell_step(c: Circuit, state: dict, w: dict) -> dict:
    """One iteration of the loop as units: value = i*i mod n; if not done and value > best,
    (k, best) = (i, value); i += 1 unless done; done |= (i >= L)."""
    i, k, best, n, big_l, done = (state[x] for x in ("i", "k", "best", "n", "L", "done"))
    active = not_(done[0])
    value = mod_restoring(c, multiply(c, i, i), n, w["q"])
    better = and_(c, active, greater(c, value, best))
    new_k = mux(c, better, i, k)
    new_best = mux(c, better, value, best)
    new_i = mux(c, active, increment(c, i)[:w["i"]], i)
    new_done = or_(c, done[0], not_(greater(c, big_l, i)))
    return {"i": new_i, "k": new_k, "best": new_best, "n": n, "L": big_l, "done": [new_done]}


def n_and_bound(c: Circuit, w: dict, n_max: int, fold_n: bool) -> tuple[list, list]:
    """The bits of n and L: circuit inputs, or (``fold_n``) the constants n = n_max and L(n_max), which
    the compiler folds into the weights (a network for that one n, like a compiled program with n fixed)."""
    if fold_n:
        return const_bits(n_max, w["n"]), const_bits(loop_bound(n_max), w["i"])
    return c.input("n", w["n"]), c.input("L", w["i"])


def state_inputs(c: Circuit, widths: dict, n_max: int, fold_n: bool = False) -> dict:
    """The state registers (name: width, in order) as inputs; n and L as :func:`n_and_bound` gives them."""
    state = {}
    for name, width in widths.items():
        if name == "n":
            state["n"], state["L"] = n_and_bound(c, widths, n_max, fold_n)
        elif name != "L":
            state[name] = c.input(name, width)
    return state


def _cell_widths(w: dict) -> dict:
    return {"i": w["i"], "k": w["i"], "best": w["n"], "n": w["n"], "L": w["i"], "done": 1}


def build_cell(n_max: int = N_MAX, fold_n: bool = False) -> CompiledCircuit:
    """The recurrent step cell for every n <= n_max (state in, next state out); with ``fold_n``, the
    cell for n = n_max alone (n and L constants, not inputs)."""
    w = widths_for(n_max)
    c = Circuit(f"recurrent cell ({'n = ' if fold_n else 'n <= '}{n_max})")
    new = cell_step(c, state_inputs(c, _cell_widths(w), n_max, fold_n), w)
    for name in c.inputs:                                    # same order as the inputs
        c.output(name, new[name])
    return c.compile()


def unrolled_torch(cell: CompiledCircuit, copies: int):
    """The unrolled feedforward net: the cell's dense nn.Linear stack copied ``copies`` times, a ReLU
    after each copy's readout (its outputs are 0/1 bits, so the ReLU changes nothing), guarded like
    every stack here (:class:`mesaopt.circuits.precision.ExactStack`)."""
    import copy

    from torch import nn

    from ..circuits.precision import ExactStack

    copies = require_int("copies", copies, 1, 1000)
    one = cell.to_torch()
    layers = []
    for _ in range(copies):
        layers += [*copy.deepcopy(one), nn.ReLU()]   # each copy stores its own (equal) weights
    return ExactStack(*layers)


def run_unrolled_torch(cell: CompiledCircuit, net, ns) -> np.ndarray:
    """Run the dense unrolled net on a batch of n (start state i=1, k=0, best=0, done=0); return k."""
    import torch

    ns = np.atleast_1d(np.asarray(ns, dtype=np.int64))
    z = np.zeros_like(ns)
    state = {"i": z + 1, "k": z, "best": z, "n": ns, "L": _loop_bounds(ns), "done": z}
    x = np.concatenate([to_bits(state[name], sl.stop - sl.start) for name, sl in cell.input_slices.items()])
    with torch.no_grad():
        y = net(torch.from_numpy(x.T.copy())).numpy().T
    if not np.all((y == 0) | (y == 1)):
        raise ArithmeticError("unrolled net: an output bit is not exactly 0 or 1")
    sl = cell.input_slices["k"]
    return from_bits(y[sl])


def build_unrolled(n_max: int, copies: int | None = None) -> CompiledCircuit:
    """The cell copied ``copies`` times (default L(n_max), enough for every n <= n_max) in one
    feedforward circuit. Inputs: the initial state (i=1, k=0, best=0, done=0) and n, L; output k."""
    w = widths_for(n_max)
    copies = loop_bound(n_max) if copies is None else require_int("copies", copies, 1, 10_000)
    c = Circuit(f"unrolled ({copies} copies, n <= {n_max})")
    state = state_inputs(c, _cell_widths(w), n_max)
    for _ in range(copies):
        state = cell_step(c, state, w)
    c.output("k", state["k"])
    return c.compile()


def register_layers(n_max: int, copies: int) -> dict:
    """In the merged unrolled circuit, the layer at which each register's new value is ready after each
    copy of the cell: {register: [layer after copy 1, after copy 2, ...]}. The register that gains the
    most layers per copy is the chain that sets the merged net's depth."""
    w = widths_for(n_max)
    copies = require_int("copies", copies, 1, 1000)
    c = Circuit("register layers")
    state = state_inputs(c, _cell_widths(w), n_max)
    ready = {name: [] for name in ("i", "done", "k", "best")}
    for _ in range(copies):
        state = cell_step(c, state, w)
        for name in ready:
            ready[name].append(max((c.layer[u] for v in state[name] for u in v.terms), default=0))
    return ready


def run_unrolled(net: CompiledCircuit, ns) -> np.ndarray:
    ns = np.atleast_1d(np.asarray(ns, dtype=np.int64))
    out = net.run(i=[1], k=[0], best=[0], done=[0], n=ns, L=_loop_bounds(ns))
    return out["k"]


class RecurrentSearch:
    """The cell applied L times with the same weights; a batch runs until every row is done."""

    name = "recurrent"
    carried = ("i", "k", "best", "done")          # the registers a step changes

    def __init__(self, n_max: int = N_MAX):
        self.n_max = require_int("n_max", n_max, 1, N_MAX)
        self.cell = build_cell(self.n_max)

    def _check(self, ns) -> np.ndarray:
        return _check_ns(ns, self.n_max)

    def initial_state(self, ns) -> dict:
        ns = self._check(ns)
        z = np.zeros_like(ns)
        return {"i": z + 1, "k": z.copy(), "best": z.copy(), "n": ns, "L": _loop_bounds(ns), "done": z.copy()}

    def steps(self, state: dict) -> int:
        """Applications of the cell that finish every row of ``state`` (i = 1..L: L of them)."""
        return int(state["L"].max())

    def step(self, state: dict) -> dict:
        out = self.cell.run(**state)
        return {**state, **out}

    def run(self, ns, skip_done: bool = True, progress=None) -> np.ndarray:
        """k for every n. ``skip_done`` leaves finished rows out of later steps (their k, best, i and
        done never change again, which the tests check), which only saves time. ``progress``: a
        progress bar (``tqdm``), advanced by one per step."""
        state = self.initial_state(ns)
        steps = self.steps(state)
        for t in range(steps):
            rows = np.flatnonzero(state["done"] == 0) if skip_done else slice(None)
            sub = {k: v[rows] for k, v in state.items()}
            new = self.step(sub)
            for k in self.carried:
                state[k][rows] = new[k]
            if progress is not None:
                progress.update(1)
        self.last_steps = steps
        return state["k"]

    def run_dense(self, ns, net=None) -> np.ndarray:
        """Same as :meth:`run`, through the cell's dense ``nn.Linear`` stack (slow; for checking)."""
        net = net if net is not None else self.cell.to_torch()
        state = self.initial_state(ns)
        for _ in range(self.steps(state)):
            state = {**state, **self.cell.run_dense(net, **state)}
        return state["k"]

    def trace(self, n: int) -> list[dict]:
        """The state before each step and after the last, for one n."""
        state = self.initial_state([n])
        rows = [{k: int(v[0]) for k, v in state.items()}]
        for _ in range(self.steps(state)):
            state = self.step(state)
            rows.append({k: int(v[0]) for k, v in state.items()})
        return rows


# --------------------------------------------------------------------------- max over positions
def max_node(c: Circuit, kl, vl, kr, vr):
    """The tree node: (k, v) of the left child unless the right child's v is strictly larger.
    Left holds smaller indices, so ties keep the smaller index, as the loop's strict '>' does."""
    right = greater(c, vr, vl)
    return mux(c, right, kr, kl), mux(c, right, vr, vl)


def build_max_node(k_width: int, v_width: int) -> CompiledCircuit:
    """:func:`max_node` compiled for the given index and value widths."""
    c = Circuit(f"max node (k {k_width} bits, v {v_width} bits)")
    k, v = max_node(c, c.input("kl", k_width), c.input("vl", v_width), c.input("kr", k_width),
                    c.input("vr", v_width))
    c.output("k", k)
    c.output("v", v)
    return c.compile()


def tree_argmax(node: CompiledCircuit, ks: np.ndarray, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduce rows of (k, v) pairs, shape (batch, positions), with the shared max node: pad with
    (0, 0) on the right to a power of two, then halve the positions level by level."""
    ks, vs = np.asarray(ks, dtype=np.int64), np.asarray(vs, dtype=np.int64)
    b, p = ks.shape
    size = 1 << max(p - 1, 0).bit_length()
    ks = np.pad(ks, ((0, 0), (0, size - p)))
    vs = np.pad(vs, ((0, 0), (0, size - p)))
    while ks.shape[1] > 1:
        out = node.run(kl=ks[:, 0::2].ravel(), vl=vs[:, 0::2].ravel(), kr=ks[:, 1::2].ravel(),
                       vr=vs[:, 1::2].ravel())
        ks, vs = out["k"].reshape(b, -1), out["v"].reshape(b, -1)
    return ks[:, 0], vs[:, 0]


def _ragged(lengths: np.ndarray):
    """(row, column) indices of a batch of sequences with the given lengths."""
    rows = np.repeat(np.arange(len(lengths)), lengths)
    cols = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return rows, cols


def build_position_circuit(n_max: int = N_MAX, fold_n: bool = False) -> CompiledCircuit:
    """At position i (0..L): value = (i*i mod n) if i <= L else 0 (``fold_n``: for n = n_max alone)."""
    w = widths_for(n_max)
    c = Circuit(f"position circuit ({'n = ' if fold_n else 'n <= '}{n_max})")
    i = c.input("i", w["i"])
    n, big_l = n_and_bound(c, w, n_max, fold_n)
    valid = not_(greater(c, i, big_l))
    value = mod_restoring(c, multiply(c, i, i), n, w["q"])
    c.output("v", [and_(c, valid, b) for b in value])
    return c.compile()


class PositionalSearch:
    """Across sequence positions: the shared position circuit at i = 0..L, then the max tree."""

    name = "positional"

    def __init__(self, n_max: int = N_MAX):
        self.n_max = require_int("n_max", n_max, 1, N_MAX)
        w = widths_for(self.n_max)
        self.position = build_position_circuit(self.n_max)
        self.node = build_max_node(w["i"], w["n"])

    def run(self, ns, chunk_positions: int = 1 << 11) -> np.ndarray:
        ns = _check_ns(ns, self.n_max)
        big_l = _loop_bounds(ns)
        rows, cols = _ragged(big_l + 1)
        out = _run_in_chunks(self.position, chunk_positions, i=cols, n=ns[rows], L=big_l[rows])
        return _tree_over_positions(self.node, (len(ns), int(big_l.max()) + 1), rows, cols, cols, out["v"])


def build_candidate_circuit(n_max: int = N_MAX, fold_n: bool = False) -> CompiledCircuit:
    """At band position m: x = (m+1) n - 1, (r, rem) = isqrt with remainder of x; the candidate is
    (r, n - 1 - rem) if rem < n (band m is not empty) and r < L (the band lies below L's), else (0, 0).
    No square and no mod: r*r mod n = n - 1 - rem follows from x = r*r + rem. (``fold_n``: for
    n = n_max alone.)"""
    w = widths_for(n_max)
    c = Circuit(f"band-top circuit ({'n = ' if fold_n else 'n <= '}{n_max})")
    m = c.input("m", w["m"])
    n, big_l = n_and_bound(c, w, n_max, fold_n)
    product = multiply(c, increment(c, m)[:w["m"]], n)                 # (m + 1) n  >= 1
    minus_one = add(c, product, [const(1) for _ in product])[0]       # + (2^w - 1) = -1 mod 2^w
    root, rem = isqrt_rem(c, minus_one)
    root = root[:w["i"]]
    valid = and_(c, greater(c, n, rem), greater(c, big_l, root))
    value = add(c, n, [not_(b) for b in rem + zeros(w["n"] - len(rem))])[0]   # n + ~rem = n - 1 - rem
    c.output("k", [and_(c, valid, b) for b in root])
    c.output("v", [and_(c, valid, b) for b in value[:(n_max - 1).bit_length() or 1]])
    return c.compile()


class ShortcutSearch:
    """Band tops only: the band-top circuit at the fixed positions m = 0..Q-1 (Q = floor(n_max^0.4),
    the same for every n), the position circuit once at i = L, then the max tree over the Q + 1
    candidates in that order (indices never decrease along it, so ties keep the smaller index)."""

    name = "shortcut"

    def __init__(self, n_max: int = N_MAX, parts: dict | None = None):
        self.n_max = require_int("n_max", n_max, 1, N_MAX)
        w = widths_for(self.n_max)
        self.grid = band_grid(self.n_max)
        if parts is None:
            parts = {"candidate": build_candidate_circuit(self.n_max),
                     "last": build_position_circuit(self.n_max), "node": build_max_node(w["i"], w["n"])}
        self.candidate, self.last, self.node = parts["candidate"], parts["last"], parts["node"]

    def parts(self) -> dict:
        """The three compiled circuits, by name (what :mod:`mesaopt.loopnets.shipped` stores)."""
        return {"candidate": self.candidate, "last": self.last, "node": self.node}

    def run(self, ns, chunk_positions: int = 1 << 10) -> np.ndarray:
        ns = _check_ns(ns, self.n_max)
        big_l = _loop_bounds(ns)
        rows = np.repeat(np.arange(len(ns)), self.grid)
        cols = np.tile(np.arange(self.grid), len(ns))
        out = _run_in_chunks(self.candidate, chunk_positions, m=cols, n=ns[rows], L=big_l[rows])
        last = self.last.run(i=big_l, n=ns, L=big_l)["v"]
        ks = np.concatenate([out["k"].reshape(len(ns), self.grid), big_l[:, None]], axis=1)
        vs = np.concatenate([out["v"].reshape(len(ns), self.grid), last[:, None]], axis=1)
        return tree_argmax(self.node, ks, vs)[0]


def _run_in_chunks(circuit: CompiledCircuit, chunk: int, **inputs) -> dict:
    """Run ``circuit`` on long input arrays ``chunk`` positions at a time (bounded memory)."""
    size = len(next(iter(inputs.values())))
    parts = [circuit.run(**{k: v[s:s + chunk] for k, v in inputs.items()}) for s in range(0, size, chunk)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _tree_over_positions(node: CompiledCircuit, shape, rows, cols, ks, vs) -> np.ndarray:
    """Place each (k, value) at its row and column of a ``shape`` grid (empty cells: k = 0, value 0),
    then reduce every row with the pairwise-max tree of ``node``."""
    k_grid = np.zeros(shape, dtype=np.int64)
    v_grid = np.zeros_like(k_grid)
    k_grid[rows, cols] = ks
    v_grid[rows, cols] = vs
    return tree_argmax(node, k_grid, v_grid)[0]
