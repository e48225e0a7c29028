"""The circuit-to-weights compiler: every block exact, exhaustively at small widths and on random
inputs at the full widths of the chapter (n: 31 bits, i: 22 bits, i*i: 44 bits); fast path equals the
dense nn.Linear stack; every pre-activation bound below 2^24 (float32-exact)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mesaopt.circuits import (FLOAT32_EXACT, Circuit, add, and_, greater, increment, isqrt, minimum,
                              mod_restoring, multiply, mux, not_, or_, sub_ge, xor)

RNG = np.random.default_rng(0)


def _grid(wa, wb):
    a, b = np.meshgrid(np.arange(2 ** wa), np.arange(2 ** wb))
    return a.ravel(), b.ravel()


def _binary(block, wa, wb, **kw):
    c = Circuit(block.__name__)
    a, b = c.input("a", wa), c.input("b", wb)
    out = block(c, a, b, **kw)
    if isinstance(out, tuple):
        c.output("y", out[0])
        c.output("flag", [out[1]])
    else:
        c.output("y", out if isinstance(out, list) else [out])
    net = c.compile()
    assert net.exact_in_float32() and max(net.preactivation_bound()) < FLOAT32_EXACT
    return net


def test_gates_truth_tables_and_their_unit_costs():
    a, b = _grid(1, 1)
    for gate, truth, units in [(and_, a & b, 1), (or_, a | b, 1), (xor, a ^ b, 1)]:
        c = Circuit(gate.__name__)
        x, y = c.input("a", 1), c.input("b", 1)
        c.output("y", [gate(c, x[0], y[0])])
        net = c.compile()
        assert np.array_equal(net.run(a=a, b=b)["y"], truth)
        assert net.sizes()["units"] == units
    c = Circuit("not")
    x = c.input("x", 1)
    c.output("y", [not_(x[0])])
    net = c.compile()
    assert np.array_equal(net.run(x=[0, 1])["y"], [1, 0])
    assert net.sizes()["units"] == 0          # NOT folds into the readout weights


@pytest.mark.parametrize("chunk", [1, 2, 3, 16])
def test_adder_and_comparator_exhaustive_at_6_bits(chunk):
    a, b = _grid(6, 6)
    net = _binary(add, 6, 6, chunk=chunk)
    out = net.run(a=a, b=b)
    assert np.array_equal(out["y"] + (out["flag"] << 6), a + b)
    assert np.array_equal(_binary(greater, 6, 6, chunk=chunk).run(a=a, b=b)["y"], (a > b).astype(int))


def test_subtract_min_mux_multiply_exhaustive_at_small_widths():
    a, b = _grid(6, 5)
    out = _binary(sub_ge, 6, 5).run(a=a, b=b)
    assert np.array_equal(out["y"], (a - b) % 64) and np.array_equal(out["flag"], (a >= b).astype(int))
    assert np.array_equal(_binary(minimum, 6, 5).run(a=a, b=b)["y"], np.minimum(a, b))
    assert np.array_equal(_binary(multiply, 6, 5).run(a=a, b=b)["y"], a * b)
    c = Circuit("mux")
    s, x, y = c.input("s", 1), c.input("x", 4), c.input("y", 4)
    c.output("z", mux(c, s[0], x, y))
    net = c.compile()
    s_, x_, y_ = (g.ravel() for g in np.meshgrid(np.arange(2), np.arange(16), np.arange(16)))
    assert np.array_equal(net.run(s=s_, x=x_, y=y_)["z"], np.where(s_ == 1, x_, y_))


def test_incrementer_squarer_isqrt_and_mod_exhaustive():
    c = Circuit("misc")
    x = c.input("x", 8)
    c.output("inc", increment(c, x))
    c.output("sq", multiply(c, x, x))
    c.output("root", isqrt(c, x))
    net = c.compile()
    v = np.arange(256)
    out = net.run(x=v)
    assert np.array_equal(out["inc"], v + 1) and np.array_equal(out["sq"], v * v)
    assert np.array_equal(out["root"], [math.isqrt(int(t)) for t in v])
    c = Circuit("mod")
    x, n = c.input("x", 10), c.input("n", 5)
    c.output("r", mod_restoring(c, x, n, quotient_bits=6))
    net = c.compile()
    xs, ns = _grid(10, 5)
    ok = (ns >= 1) & (xs < ns * 64)                        # the block's stated precondition
    assert np.array_equal(net.run(x=xs[ok], n=ns[ok])["r"], xs[ok] % ns[ok])


def test_blocks_at_full_width_on_random_inputs():
    """n: 31 bits, i: 22 bits, i*i: 44 bits, quotient < 2^13, as for n <= 2^30."""
    c = Circuit("full width")
    i, n, k = c.input("i", 22), c.input("n", 31), c.input("k", 22)
    square = multiply(c, i, i)
    c.output("sq", square)
    c.output("mod", mod_restoring(c, square, n, quotient_bits=13))
    c.output("gt", [greater(c, i, k)])
    c.output("sum", add(c, square, square)[0])
    c.output("root", isqrt(c, square))
    net = c.compile()
    assert net.exact_in_float32()
    iv = RNG.integers(0, 2 ** 22, 3000)
    kv = RNG.integers(0, 2 ** 22, 3000)
    nv = np.maximum(RNG.integers(1, 2 ** 31, 3000), (iv * iv >> 13) + 1)   # keeps i*i < n * 2^13
    nv = np.minimum(nv, 2 ** 31 - 1)
    ok = iv * iv < nv * 2 ** 13
    out = net.run(i=iv, n=nv, k=kv)
    assert np.array_equal(out["sq"], iv * iv) and np.array_equal(out["root"], iv)
    assert np.array_equal(out["mod"][ok], (iv * iv % nv)[ok]) and ok.mean() > 0.9
    assert np.array_equal(out["gt"], (iv > kv).astype(int))
    assert np.array_equal(out["sum"], (2 * iv * iv) % 2 ** 44)


def test_fast_path_equals_the_dense_nn_linear_stack():
    c = Circuit("small")
    x, n = c.input("x", 6), c.input("n", 4)
    c.output("r", mod_restoring(c, multiply(c, x, x), n, quotient_bits=12))
    net = c.compile()
    dense = net.to_torch()
    assert all(isinstance(m, (torch.nn.Linear, torch.nn.ReLU)) for m in dense)
    linears = [m for m in dense if isinstance(m, torch.nn.Linear)]
    assert len(linears) == net.sizes()["depth"]
    for lin in linears:                                    # integer weights and biases only
        assert torch.equal(lin.weight, lin.weight.round()) and torch.equal(lin.bias, lin.bias.round())
    assert sum(p.numel() for p in dense.parameters()) == net.sizes()["dense_params"]
    assert sum(int((p != 0).sum()) for p in dense.parameters()) == net.sizes()["dense_nonzero"]
    xs, ns = _grid(6, 4)
    ok = ns >= 1
    fast, slow = net.run(x=xs[ok], n=ns[ok]), net.run_dense(dense, x=xs[ok], n=ns[ok])
    assert np.array_equal(fast["r"], slow["r"]) and np.array_equal(fast["r"], xs[ok] ** 2 % ns[ok])


def test_dense_stack_is_mostly_zeros_and_the_residual_form_is_much_smaller():
    c = Circuit("adder")
    a, b = c.input("a", 22), c.input("b", 22)
    c.output("p", multiply(c, a, b))
    sizes = c.compile().sizes()
    assert sizes["dense_nonzero"] / sizes["dense_params"] < 0.05
    assert sizes["nonzero_weights"] < sizes["dense_nonzero"] < sizes["dense_params"]


def test_bad_inputs_are_rejected_with_a_clear_message():
    net = _binary(add, 4, 4)
    with pytest.raises(ValueError, match=r"inputs must be exactly"):
        net.run(a=[1])
    with pytest.raises(ValueError, match=r"\[0, 2\*\*4\)"):
        net.run(a=[16], b=[0])
    c = Circuit()
    c.input("a", 1)
    with pytest.raises(ValueError, match="already exists"):
        c.input("a", 1)


def test_carry_save_isqrt_rem_and_constant_bits_exhaustively():
    from mesaopt.circuits import carry_save, const_bits, isqrt_rem

    c = Circuit("csa")
    a, b, d = c.input("a", 4), c.input("b", 4), c.input("d", 4)
    s, carry = carry_save(c, a, b, d)
    c.output("s", s)
    c.output("c", carry)
    net = c.compile()
    grid = np.array(np.meshgrid(np.arange(16), np.arange(16), np.arange(16))).reshape(3, -1)
    out = net.run(a=grid[0], b=grid[1], d=grid[2])
    assert np.array_equal((out["s"] + out["c"]) % 16, grid.sum(axis=0) % 16)
    c = Circuit("isqrt_rem")
    x = c.input("x", 10)
    root, rem = isqrt_rem(c, x)
    c.output("r", root)
    c.output("rem", rem)
    out = c.compile().run(x=np.arange(1024))
    assert np.array_equal(out["r"] ** 2 + out["rem"], np.arange(1024))
    assert np.array_equal(out["r"], [math.isqrt(v) for v in range(1024)])
    c = Circuit("constants")
    x = c.input("x", 6)
    c.output("y", multiply(c, x, const_bits(5, 3)))
    folded = c.compile()
    assert np.array_equal(folded.run(x=np.arange(64))["y"], 5 * np.arange(64))
    c = Circuit("general")
    x, y = c.input("x", 6), c.input("y", 3)
    c.output("y", multiply(c, x, y))
    assert folded.sizes()["units"] < c.compile().sizes()["units"] / 2      # constants fold away
    with pytest.raises(ValueError, match="does not fit"):
        const_bits(8, 3)


def test_a_multiplexer_of_equal_operands_costs_nothing():
    c = Circuit("mux")
    s, x = c.input("s", 1), c.input("x", 3)
    c.output("z", mux(c, s[0], x, x))
    net = c.compile()
    assert net.sizes()["units"] == 0 and np.array_equal(net.run(s=[1, 0], x=[5, 6])["z"], [5, 6])


def test_save_and_load_give_the_same_circuit(tmp_path):
    from mesaopt.circuits import load_circuits, save_circuits

    c = Circuit("sq mod")
    x, n = c.input("x", 6), c.input("n", 4)
    c.output("r", mod_restoring(c, multiply(c, x, x), n, quotient_bits=12))
    net = c.compile()
    save_circuits(tmp_path / "c.npz", {"a": net, "b": _binary(add, 3, 3)})
    loaded = load_circuits(tmp_path / "c.npz")
    assert set(loaded) == {"a", "b"}
    for key, value in net.to_arrays().items():
        assert np.array_equal(value, loaded["a"].to_arrays()[key]), key
    xs, ns = _grid(6, 4)
    ok = ns >= 1
    assert np.array_equal(loaded["a"].run(x=xs[ok], n=ns[ok])["r"], xs[ok] ** 2 % ns[ok])
    assert loaded["a"].sizes() == net.sizes() and loaded["a"].preactivation_bound() == net.preactivation_bound()


def test_fast_path_runs_in_float32_or_float64_only():
    net = _binary(multiply, 5, 5)
    a, b = _grid(5, 5)
    assert np.array_equal(net.run(a=a, b=b, dtype=np.float64)["y"], a * b)
    assert net.exact_in(np.float64) and not net.exact_in(np.float16)
    for bad in (np.float16, np.int32):
        with pytest.raises(ValueError, match="float32 or float64"):
            net.run(a=a, b=b, dtype=bad)
