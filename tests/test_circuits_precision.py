"""The torch stacks stay exact under TF32, bf16 and fp16 settings: they run in true float32 (or float64)
or refuse, and the test shows that without the guard these settings break the circuit."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mesaopt.circuits import to_bits
from mesaopt.circuits.precision import ExactStack, exact_matmul, matmul_precision_state, round_to_tf32, tf32_forward
from mesaopt.loopnets.loop import N_MAX, loop_bound
from mesaopt.loopnets.reduced import build_reduced_cell

torch.set_num_threads(1)
RNG = np.random.default_rng(5)


@pytest.fixture(scope="module")
def cell_and_states():
    """The full-width strength-reduced cell, its dense stack, 2,000 random states as input bits, and the
    exact output bits."""
    cell = build_reduced_cell(N_MAX)
    n = RNG.integers(1, N_MAX + 1, 2000)
    big_l = np.array([loop_bound(int(v)) for v in n])
    state = {"i": RNG.integers(0, big_l + 2), "k": RNG.integers(0, big_l + 1), "best": RNG.integers(0, n),
             "v": RNG.integers(0, n), "d": RNG.integers(0, np.maximum(n, 2)), "n": n, "L": big_l,
             "done": RNG.integers(0, 2, 2000)}
    x = np.concatenate([to_bits(state[k], sl.stop - sl.start) for k, sl in cell.input_slices.items()])
    x = torch.from_numpy(x.T.copy())
    fast = cell.run(**state)
    exact = torch.from_numpy(np.concatenate([to_bits(fast[k], cell.output_widths[k]) for k in cell.output_names]).T.copy())
    return cell.to_torch(), x, exact


def _wrong_rows(y, exact) -> int:
    return int((~(y.float() == exact).all(dim=1)).sum())


def test_the_stack_is_exact_and_guarded(cell_and_states):
    stack, x, exact = cell_and_states
    assert isinstance(stack, ExactStack)
    with torch.no_grad():
        assert _wrong_rows(stack(x), exact) == 0


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_breaks_a_plain_stack_and_not_the_guarded_one(cell_and_states, dtype):
    stack, x, exact = cell_and_states
    plain = nn.Sequential(*stack)                       # the same layers without the guard
    with torch.no_grad(), torch.autocast("cpu", dtype=dtype):
        assert _wrong_rows(plain(x), exact) > 1000      # most states come out wrong
        assert _wrong_rows(stack(x), exact) == 0
        assert _wrong_rows(stack(x.to(dtype)), exact) == 0   # low-precision input bits are cast back


def test_emulated_tf32_breaks_the_cell(cell_and_states):
    stack, x, exact = cell_and_states
    assert _wrong_rows(tf32_forward(stack, x), exact) > 1000
    values = torch.tensor([1.0, 2047.0, 2049.0, 65535.0, 2.0 ** 20 + 1])
    assert round_to_tf32(values).tolist() == [1.0, 2047.0, 2048.0, 65536.0, 2.0 ** 20]


def _legacy_precision():
    try:
        return torch.get_float32_matmul_precision()
    except RuntimeError:                       # torch refuses once the per-backend API has been used
        return "mixed"


@pytest.mark.parametrize("setting", ["high", "medium", "allow_tf32", "per-backend"])
def test_tf32_and_bf16_matmul_settings_are_off_inside_and_restored_after(cell_and_states, setting):
    stack, x, exact = cell_and_states
    if setting == "allow_tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
    elif setting == "per-backend":
        if not hasattr(torch.backends.mkldnn.matmul, "fp32_precision"):
            pytest.skip("this torch has no per-backend precision settings")
        torch.backends.mkldnn.matmul.fp32_precision = "bf16"
        torch.backends.cuda.matmul.fp32_precision = "tf32"
    else:
        torch.set_float32_matmul_precision(setting)
    before = (matmul_precision_state(), _legacy_precision())
    assert "tf32" in str(before) or "bf16" in str(before) or "high" in str(before)
    seen = []
    hook = stack[0].register_forward_pre_hook(
        lambda module, args: seen.append((matmul_precision_state(), torch.is_autocast_enabled("cpu"))))
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            assert _wrong_rows(stack(x), exact) == 0
        state, autocast = seen[-1]
        assert set(state.values()) <= {"ieee", "highest"} and not autocast
        assert (matmul_precision_state(), _legacy_precision()) == before
    finally:
        hook.remove()
        if setting == "per-backend":
            torch.backends.mkldnn.matmul.fp32_precision = torch.backends.cuda.matmul.fp32_precision = "none"
        torch.set_float32_matmul_precision("highest")
        assert _legacy_precision() == "highest"          # later tests start from torch's default


def test_settings_are_restored_after_an_error():
    torch.set_float32_matmul_precision("high")
    try:
        with pytest.raises(RuntimeError, match="boom"), exact_matmul():
            raise RuntimeError("boom")
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision("highest")


def test_low_precision_parameters_are_refused_and_float64_works(cell_and_states):
    stack, x, exact = cell_and_states
    import copy

    for convert in (lambda m: m.half(), lambda m: m.bfloat16()):
        with pytest.raises(TypeError, match="exact only in float32 or float64"):
            convert(copy.deepcopy(stack))(x)
    with torch.no_grad():
        assert _wrong_rows(copy.deepcopy(stack).double()(x), exact) == 0


def test_precision_report_counts_wrong_rows_per_setting():
    from mesaopt.circuits.precision import precision_report
    from mesaopt.loopnets.reduced import random_states

    report = precision_report(build_reduced_cell(N_MAX), **random_states(300, np.random.default_rng(2)))
    assert report["float32"] == report["float64"] == 0
    assert report["bf16 autocast, guarded"] == report["fp16 autocast, guarded"] == 0
    assert min(report["TF32 (emulated)"], report["bf16 autocast, unguarded"], report["fp16 autocast, unguarded"]) > 150
