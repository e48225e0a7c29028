"""Checkers for chapter 2's exercises: the weights of a comparator, and the max node of the tree."""
from __future__ import annotations

import itertools

import numpy as np

from mesaopt.circuits import Circuit, Value
from mesaopt.checking import call_student, expect, passed

__all__ = ["check_comparator", "check_max_node", "reference_comparator", "reference_max_node"]


def reference_comparator(c: Circuit, a: list, b: list) -> Value:
    """[a > b] with one threshold test: sum_j 2^j (a_j - b_j) >= 1."""
    return c.step(sum((2 ** j) * (x - y) for j, (x, y) in enumerate(zip(a, b))), 1)


def reference_max_node(c: Circuit, kl: list, vl: list, kr: list, vr: list):
    """The positional network's own node (:func:`mesaopt.loopnets.nets.max_node`)."""
    from mesaopt.loopnets.nets import max_node

    return max_node(c, kl, vl, kr, vr)


def _compile_student(fn, name: str, widths: dict, outputs: int):
    c = Circuit(name)
    ins = {k: c.input(k, w) for k, w in widths.items()}
    out = call_student(fn, c, *ins.values(), exercise=name)
    if outputs == 1:
        out = [out]
    expect(isinstance(out, (list, tuple)) and len(out) == outputs
           and (outputs == 1 or all(isinstance(v, (list, tuple)) for v in out)), name,
           f"return {'one Value' if outputs == 1 else f'{outputs} lists of bits'}, got {type(out).__name__}")
    for k, value in enumerate(out):
        bits = list(value) if isinstance(value, (list, tuple)) else [value]
        expect(all(isinstance(b, Value) for b in bits), name,
               "build the answer from the circuit's Values (inputs, c.relu, c.step, + - and integer *)")
        c.output(f"out{k}", bits)
    return c.compile()


def check_comparator(greater_than) -> str:
    """``greater_than(c, a, b)`` -> the bit [a > b] for bit lists a, b (least significant first)."""
    name = "ch2-comparator"
    for width in (1, 2, 3, 5):
        net = _compile_student(greater_than, name, {"a": width, "b": width}, 1)
        a, b = (g.ravel() for g in np.meshgrid(np.arange(2 ** width), np.arange(2 ** width)))
        try:
            got = net.run(a=a, b=b)["out0"]
        except ArithmeticError:
            got = None
        expect(got is not None, name, f"at width {width} the output is not always exactly 0 or 1. "
               "Hint: c.step(z, 1) turns an integer z into the bit [z >= 1] with two ReLU units.")
        wrong = np.flatnonzero(got != (a > b))
        if wrong.size:
            x, y = int(a[wrong[0]]), int(b[wrong[0]])
            expect(False, name, f"at width {width}, a={x}, b={y}: expected {int(x > y)}, got {int(got[wrong[0]])}. "
                   "Hint: a > b exactly when sum_j 2^j (a_j - b_j) >= 1.")
        expect(net.exact_in_float32(), name, "a pre-activation could exceed 2^24: float32 would not be exact")
    units = net.sizes()["units"]
    return passed(name, f"Your 5-bit comparator uses {units} ReLU units and {net.sizes()['depth']} Linear layers.")


def check_max_node(max_node) -> str:
    """``max_node(c, kl, vl, kr, vr)`` -> (k bits, v bits): the right child only if vr > vl."""
    name = "ch2-max-node"
    net = _compile_student(max_node, name, {"kl": 2, "vl": 3, "kr": 2, "vr": 3}, 2)
    grid = np.array(list(itertools.product(range(4), range(8), range(4), range(8))))
    kl, vl, kr, vr = grid.T
    try:
        out = net.run(kl=kl, vl=vl, kr=kr, vr=vr)
    except ArithmeticError:
        out = None
    expect(out is not None, name, "an output bit is not always exactly 0 or 1")
    right = vr > vl
    want_k, want_v = np.where(right, kr, kl), np.where(right, vr, vl)
    ties = vl == vr
    expect(np.array_equal(out["out1"], want_v), name, "the value is not the larger of vl and vr")
    expect(np.array_equal(out["out0"][ties], kl[ties]), name,
           "on ties keep the LEFT index: the loop only replaces k when the new value is strictly larger")
    expect(np.array_equal(out["out0"], want_k), name, "the index does not follow the larger value")
    return passed(name, f"{net.sizes()['units']} ReLU units, {net.sizes()['depth']} Linear layers; "
                        "the tree of these nodes picks the loop's k.")
