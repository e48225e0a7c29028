"""The plain-Python evaluator on packed lanes: the same weights as the compiled circuit (every unit's
weights and bias rebuilt from the stored differences), the same outputs as CompiledCircuit.run (the numpy
fast path) on random inputs of several circuits, at several lane counts and widths; its files round-trip,
and it refuses lanes too narrow to be exact and inputs or outputs that are not bits."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.circuits import Circuit, add, greater, isqrt_rem, mod_restoring, multiply, mux
from mesaopt.circuits.packed import PackedCircuit, lane_ones, load_packed, pack, save_packed, unpack
from mesaopt.loopnets.nets import build_candidate_circuit, build_max_node, build_position_circuit
from mesaopt.loopnets.reduced import build_reduced_cell

RNG = np.random.default_rng(7)


def _block(block, *widths):
    c = Circuit(block.__name__)
    ins = [c.input(name, w) for name, w in zip("abc", widths)]
    out = block(c, *ins)
    if isinstance(out, tuple):
        for name, part in zip(("y", "z"), out):
            c.output(name, part if isinstance(part, list) else [part])
    else:
        c.output("y", out if isinstance(out, list) else [out])
    return c.compile()


def _mux(c, s, a, b):
    return mux(c, s[0], a, b)


CIRCUITS = {
    "add 12+12": lambda: _block(add, 12, 12),
    "greater 31": lambda: _block(greater, 31, 31),
    "multiply 13x31": lambda: _block(multiply, 13, 31),
    "isqrt_rem 44": lambda: _block(isqrt_rem, 44),
    "mod 44 by 31": lambda: _block(lambda c, a, b: mod_restoring(c, a, b, 13), 44, 31),
    "mux 1,22,22": lambda: _block(_mux, 1, 22, 22),
    "band-top circuit, n <= 2^30": build_candidate_circuit,
    "position circuit, n <= 2^20": lambda: build_position_circuit(2 ** 20),
    "max node 22/31": lambda: build_max_node(22, 31),
    "strength-reduced cell, n <= 2^30": build_reduced_cell,
}


def _random_inputs(circuit, size: int) -> dict:
    return {k: RNG.integers(0, 2 ** (sl.stop - sl.start), size, dtype=np.int64)
            for k, sl in circuit.input_slices.items()}


@pytest.fixture(scope="module", params=sorted(CIRCUITS))
def compiled(request):
    return request.param, CIRCUITS[request.param]()


def test_every_unit_has_the_compiled_weights_and_bias(compiled):
    name, circuit = compiled
    units, readout = PackedCircuit.from_compiled(circuit).weights()
    w = circuit.weights
    n0 = circuit.n_inputs
    assert len(units) == circuit.n_units - n0
    for u in range(n0, circuit.n_units):
        row = slice(w.indptr[u], w.indptr[u + 1])
        want = dict(zip(w.indices[row].tolist(), (int(v) for v in w.data[row])))
        assert units[u - n0] == (want, int(circuit.bias[u])), (name, u)
    r = circuit.readout
    rows = [slice(r.indptr[i], r.indptr[i + 1]) for i in range(r.shape[0])]
    assert [(dict(zip(r.indices[row].tolist(), (int(v) for v in r.data[row]))), int(circuit.readout_const[i, 0]))
            for i, row in enumerate(rows)] == readout


@pytest.mark.parametrize("size", [1, 7, 300])
def test_packed_outputs_equal_the_numpy_fast_path(compiled, size):
    name, circuit = compiled
    packed = PackedCircuit.from_compiled(circuit)
    inputs = _random_inputs(circuit, size)
    want, got = circuit.run(**inputs), packed.run(**inputs)
    assert set(got) == set(want)
    for key in want:
        assert got[key] == want[key].tolist(), (name, key)


def test_wider_lanes_give_the_same_answer_and_narrower_ones_are_refused(compiled):
    name, circuit = compiled
    packed = PackedCircuit.from_compiled(circuit)
    inputs = _random_inputs(circuit, 50)
    results = []
    for bits in (packed.lane_bits, packed.lane_bits + 9):
        packed_in = {k: pack(v, dict(packed.inputs)[k], bits) for k, v in inputs.items()}
        out = packed.run_lanes(packed_in, 50, bits)
        results.append({k: unpack(v, 50, bits) for k, v in out.items()})
    assert results[0] == results[1]
    narrow = packed.lane_bits - 1
    with pytest.raises(ValueError, match="too narrow"):
        packed.run_lanes({k: pack(v, dict(packed.inputs)[k], narrow) for k, v in inputs.items()}, 50, narrow)


def test_pack_unpack_and_lane_ones():
    values = RNG.integers(0, 2 ** 13, 257).tolist()
    assert unpack(pack(values, 13, 20), 257, 20) == values
    assert lane_ones(5, 3) == 0b001001001001001 and lane_ones(0, 3) == 0
    with pytest.raises(ValueError, match=r"\[0, 2\*\*4\)"):
        pack([16], 4, 8)


def test_inputs_and_outputs_that_are_not_bits_are_refused():
    packed = PackedCircuit.from_compiled(_block(add, 3, 3))
    bits = packed.lane_bits
    good = {"a": pack([1, 2], 3, bits), "b": pack([3, 4], 3, bits)}
    assert unpack(packed.run_lanes(good, 2, bits)["y"], 2, bits) == [4, 6]
    with pytest.raises(ValueError, match="not 0 or 1"):
        packed.run_lanes({**good, "a": [2, 0, 0]}, 2, bits)
    broken = PackedCircuit(packed.name, packed.inputs, packed.outputs, packed.bound, packed.groups,
                           [r[:4] + (2,) for r in packed.readout])          # every output bit shifted up by 2
    with pytest.raises(ArithmeticError, match="not exactly 0 or 1"):
        broken.run_lanes(good, 2, bits)


def test_files_round_trip_and_a_foreign_file_is_refused(tmp_path):
    circuits = {name: PackedCircuit.from_compiled(CIRCUITS[name]()) for name in ("add 12+12", "max node 22/31")}
    save_packed(tmp_path / "c.bin", circuits, {"n_max": 5})
    loaded, meta = load_packed(tmp_path / "c.bin")
    assert meta == {"n_max": 5}
    assert {k: c.to_data() for k, c in loaded.items()} == {k: c.to_data() for k, c in circuits.items()}
    (tmp_path / "x.bin").write_bytes(b"not a packed file")
    with pytest.raises(ValueError, match="python -m mesaopt.loopnets.shipped"):
        load_packed(tmp_path / "x.bin")


def test_the_module_imports_without_numpy():
    code = ("import sys; import mesaopt.circuits.packed; "
            "print(sorted(m for m in ('numpy', 'scipy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
