"""The strength-reduced recurrent cell: the loop's squares carried in the state, so a step only adds.

The literal cell (:func:`mesaopt.loopnets.nets.cell_step`) computes i*i mod n afresh at every step: a
22 x 22-bit multiplier and a 13-stage restoring division. A compiler would *strength-reduce* the loop
instead: since (i+1)^2 = i^2 + (2i + 1) and 2(i+1) + 1 = (2i + 1) + 2, it keeps two more registers,

    v = i^2 mod n        and        d = (2i + 1) mod max(n, 2),

and each step is two additions, each followed by one conditional subtraction (v + d < 2n and
d + 2 < 2 max(n, 2), so subtracting once is enough). The modulus of d is max(n, 2) rather than n only
so that the start state needs nothing about n: for n = 1 every value is 0 anyway, and d = 1 < 2.

Start state (the same for every n): i = 0, k = 0, best = 0, v = 0, d = 1, done = 0. The first step
looks at i = 0, whose value 0 never beats best = 0 under the loop's strict '>', so the cell runs
i = 0, 1, ..., L: L + 1 steps, one more than the literal cell. Ties keep the smaller i (strict '>'),
and after the step for i = L the done flag is set; from then on i, k, best and done never change
(v and d keep stepping, but nothing reads them once done is set).
"""
from __future__ import annotations

import numpy as np

from ..circuits import Circuit, CompiledCircuit, add, and_, const_bits, greater, mux, not_, or_, sub_ge, zeros
from .loop import N_MAX, loop_bound, widths_for
from .nets import RecurrentSearch, state_inputs
from ..validation import require_int

__all__ = ["STATE", "reduced_widths", "reduced_step", "build_reduced_cell", "reference_reduced_step",
           "random_states", "ReducedSearch"]

STATE = ("i", "k", "best", "v", "d", "n", "L", "done")


def reduced_widths(n_max: int) -> dict:
    """Bit widths of the strength-reduced state for every n <= n_max: v, d, best < max(n, 2) need
    ``v`` bits (30 for 2^30, one fewer than n itself)."""
    n_max = require_int("n_max", n_max, 1, N_MAX)
    return {**widths_for(n_max), "v": max(max(n_max, 2) - 1, 1).bit_length()}


def _modulus_of_d(c: Circuit, n: list) -> list:
    """The bits of max(n, 2) = n + [n == 1]: one unit, [n == 1] = relu(n_0 - n_1 - n_2 - ...)."""
    is_one = c.relu(n[0] - sum(n[1:], zeros(1)[0])).bit() if len(n) > 1 else n[0]
    n = list(n) + zeros(max(0, 2 - len(n)))
    return [(n[0] - is_one).bit(), (n[1] + is_one).bit()] + n[2:]


def _add_mod(c: Circuit, a: list, b: list, modulus: list, width: int) -> list:
    """(a + b) mod modulus for a + b < 2 * modulus: one addition, one conditional subtraction."""
    total, carry = add(c, a, b)
    total = total + [carry]
    diff, ge = sub_ge(c, total, modulus)
    return mux(c, ge, diff, total)[:width]


def reduced_step(c: Circuit, state: dict, w: dict) -> dict:
    """One step: if not done and v > best, (k, best) = (i, v); then i += 1 (unless done),
    v = (v + d) mod n, d = (d + 2) mod max(n, 2); done |= (i >= L)."""
    i, k, best, v, d, n, big_l, done = (state[x] for x in STATE)
    active = not_(done[0])
    better = and_(c, active, greater(c, v, best))
    new_v = _add_mod(c, v, d, n, w["v"])
    new_d = _add_mod(c, d, const_bits(2, 2), _modulus_of_d(c, n), w["v"])
    return {"i": add(c, i, zeros(len(i)), carry_in=active)[0],          # i + 1 unless done
            "k": mux(c, better, i, k), "best": mux(c, better, v, best), "v": new_v, "d": new_d,
            "n": n, "L": big_l, "done": [or_(c, done[0], not_(greater(c, big_l, i)))]}


def build_reduced_cell(n_max: int = N_MAX, fold_n: bool = False) -> CompiledCircuit:
    """The strength-reduced step cell for every n <= n_max (state in, next state out); with ``fold_n``,
    the cell for n = n_max alone (n and L constants)."""
    w = reduced_widths(n_max)
    c = Circuit(f"strength-reduced cell ({'n = ' if fold_n else 'n <= '}{n_max})")
    widths = {"i": w["i"], "k": w["i"], "best": w["v"], "v": w["v"], "d": w["v"], "n": w["n"], "L": w["i"],
              "done": 1}
    new = reduced_step(c, state_inputs(c, widths, n_max, fold_n), w)
    for name in c.inputs:                                # same order as the inputs
        c.output(name, new[name])
    return c.compile()


def reference_reduced_step(state: dict) -> dict:
    """What one step must do, in plain integer arithmetic on arrays (the tests' specification)."""
    s = {k: np.asarray(v, dtype=np.int64) for k, v in state.items()}
    active = s["done"] == 0
    better = active & (s["v"] > s["best"])
    return {"i": s["i"] + active, "k": np.where(better, s["i"], s["k"]),
            "best": np.where(better, s["v"], s["best"]), "v": (s["v"] + s["d"]) % s["n"],
            "d": (s["d"] + 2) % np.maximum(s["n"], 2), "n": s["n"], "L": s["L"],
            "done": (~active | (s["i"] >= s["L"])).astype(np.int64)}


def random_states(count: int, rng: np.random.Generator, n_max: int = N_MAX) -> dict:
    """``count`` states the cell may meet for n <= n_max, each register drawn independently inside its
    range (0 <= v < n, 0 <= d < max(n, 2), i <= L + 1, k <= L, best < n, done 0 or 1); the first rows
    take the edge values n = 1, 2, 3, 4, 5, n_max - 1, n_max (where they fit) with i = 0."""
    count = require_int("count", count, 8, 10 ** 7)
    edge = np.array(sorted({v for v in (1, 2, 3, 4, 5, n_max - 1, n_max) if 1 <= v <= n_max}))
    n = np.concatenate([edge, rng.integers(1, n_max + 1, count - len(edge))])
    big_l = np.array([loop_bound(int(v)) for v in n])
    state = {"i": rng.integers(0, big_l + 2), "k": rng.integers(0, big_l + 1), "best": rng.integers(0, n),
             "v": rng.integers(0, n), "d": rng.integers(0, np.maximum(n, 2)), "n": n, "L": big_l,
             "done": rng.integers(0, 2, count)}
    state["i"][:len(edge)] = 0
    return state


class ReducedSearch(RecurrentSearch):
    """The strength-reduced cell applied L + 1 times (i = 0..L) with the same weights."""

    name = "reduced"
    carried = ("i", "k", "best", "v", "d", "done")

    def __init__(self, n_max: int = N_MAX):
        self.n_max = require_int("n_max", n_max, 1, N_MAX)
        self.cell = build_reduced_cell(self.n_max)

    def initial_state(self, ns) -> dict:
        ns = self._check(ns)
        z = np.zeros_like(ns)
        return {"i": z.copy(), "k": z.copy(), "best": z.copy(), "v": z.copy(), "d": z + 1, "n": ns,
                "L": np.array([loop_bound(int(n)) for n in ns], dtype=np.int64), "done": z.copy()}

    def steps(self, state: dict) -> int:
        return int(state["L"].max()) + 1
