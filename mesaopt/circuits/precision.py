"""Keep the torch stacks exact: true float32 (or float64), never TF32, bf16 or fp16.

The compiled weights are integers and every partial sum stays below 2^24, so float32 adds them exactly.
Lower-precision arithmetic does not: TF32 matrix products (``torch.backends.cuda.matmul.allow_tf32``,
``torch.set_float32_matmul_precision("high")``) round each operand to 11 significant bits, ``"medium"``
lets oneDNN use bfloat16 (8 bits) on CPUs that have it, and autocast to bfloat16/float16 rounds the
activations too. An activation such as 65,535 then comes out as 65,536 and the circuit's bits are wrong.

:class:`ExactStack` is what :meth:`mesaopt.circuits.CompiledCircuit.to_torch` returns. Its forward pass

* refuses parameters that are not float32 or float64 (a stack converted with ``.half()`` or
  ``.bfloat16()`` has already lost weights and biases: a clear ``TypeError`` says so);
* casts its input bits (exact 0/1 in any dtype) to the parameters' dtype;
* runs inside :func:`exact_matmul`: autocast off, float32 matrix products in full IEEE precision,
  the previous settings restored afterwards.

float64 (``stack.double()``) is exact up to 2^53: room for circuits built with much wider threshold
chunks, i.e. shallower adders and comparators. :func:`tf32_forward` emulates TF32 rounding on the CPU,
to show what the guard prevents.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

__all__ = ["ExactStack", "exact_matmul", "matmul_precision_state", "round_to_tf32", "tf32_forward",
           "precision_report", "EXACT_DTYPES"]

EXACT_DTYPES = (torch.float32, torch.float64)


def _matmul_precision_owners() -> list:
    """The backends with a per-backend float32 matmul precision setting (torch >= 2.9: "ieee", "tf32",
    "bf16"); empty on older torch, which only has the global setting."""
    owners = [getattr(getattr(torch.backends, "cuda", None), "matmul", None),
              getattr(getattr(torch.backends, "mkldnn", None), "matmul", None)]
    return [o for o in owners if o is not None and hasattr(o, "fp32_precision")]


def matmul_precision_state() -> dict:
    """What float32 matrix products currently do, per backend, read without tripping torch's check
    against mixing its old and new precision APIs: {"cuda": ..., "mkldnn": ...} on torch >= 2.9, else
    {"global": torch.get_float32_matmul_precision()}."""
    owners = _matmul_precision_owners()
    if not owners:
        return {"global": torch.get_float32_matmul_precision()}
    return {("cuda" if o is getattr(torch.backends.cuda, "matmul", None) else "mkldnn"): o.fp32_precision
            for o in owners}


_GLOBAL_FROM_MKLDNN = {"ieee": "highest", "none": "highest", "tf32": "high", "bf16": "medium"}


@contextlib.contextmanager
def exact_matmul(device_type: str = "cpu"):
    """Inside: no autocast (on the CPU and on ``device_type``), and float32 matrix products in full IEEE
    precision (no TF32, no bf16). Every setting is restored on exit, also after an error, through the
    same API it was made with: torch (>= 2.9) refuses to read its old global setting once the newer
    per-backend settings have been written, so the two are never mixed here."""
    try:
        legacy = torch.get_float32_matmul_precision()       # raises when the per-backend API is in use
    except RuntimeError:
        legacy = None
    owners = _matmul_precision_owners()
    state = matmul_precision_state()
    exact = set(state.values()) <= {"ieee", "none", "highest"}
    saved_new = [o.fp32_precision for o in owners] if legacy is None and not exact else None
    saved_old = None
    if legacy is not None and not exact:
        # the old API: the global setting (which oneDNN's state reveals; ``get`` reports "high" as soon
        # as allow_tf32 is set) and the CUDA flag allow_tf32
        saved_old = (_GLOBAL_FROM_MKLDNN.get(state.get("mkldnn"), legacy), torch.backends.cuda.matmul.allow_tf32)
    try:
        if saved_old is not None:
            torch.set_float32_matmul_precision("highest")    # also clears allow_tf32 and oneDNN's bf16
        if saved_new is not None:
            for owner in owners:
                owner.fp32_precision = "ieee"
        with contextlib.ExitStack() as stack:
            for device in sorted({"cpu", device_type}):
                stack.enter_context(torch.autocast(device_type=device, enabled=False))
            yield
    finally:
        if saved_old is not None:
            torch.set_float32_matmul_precision(saved_old[0])
            if torch.backends.cuda.matmul.allow_tf32 != saved_old[1]:
                torch.backends.cuda.matmul.allow_tf32 = saved_old[1]
        if saved_new is not None:
            for owner, value in zip(owners, saved_new):
                owner.fp32_precision = value


class ExactStack(nn.Sequential):
    """An ``nn.Sequential`` of integer-weight ``nn.Linear`` + ``nn.ReLU`` layers that only ever runs in
    exact arithmetic (see the module docstring)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = next(self.parameters()).dtype
        if dtype not in EXACT_DTYPES or any(p.dtype != dtype for p in self.parameters()):
            found = sorted({str(p.dtype) for p in self.parameters()})
            raise TypeError(f"this compiled circuit is exact only in float32 or float64, but its parameters "
                            f"are {', '.join(found)}: integer weights and biases such as 65535 are not "
                            f"representable there. Rebuild it with to_torch(), or call .float() on a copy "
                            f"that was never converted")
        with exact_matmul(x.device.type):
            return super().forward(x.to(dtype))


def round_to_tf32(t: torch.Tensor) -> torch.Tensor:
    """float32 values rounded to TF32 (10 stored mantissa bits, round to nearest, ties to even), as
    tensor cores round the operands of a TF32 matrix product."""
    bits = t.detach().to(torch.float32).contiguous().view(torch.int32)
    lsb = (bits >> 13) & 1
    rounded = (bits + 0x0FFF + lsb) & ~0x1FFF
    return rounded.view(torch.float32)


def tf32_forward(stack: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Run ``stack`` as a GPU would with TF32 on: every ``nn.Linear`` multiplies TF32-rounded inputs
    and weights (products exact, sums in float32), then adds its float32 bias."""
    with torch.no_grad():
        for layer in stack:
            if isinstance(layer, nn.Linear):
                x = round_to_tf32(x) @ round_to_tf32(layer.weight).T + layer.bias
            else:
                x = layer(x)
    return x


def precision_report(circuit, **inputs) -> dict:
    """How many of the given inputs (rows) come out wrong when ``circuit``'s dense stack runs in each
    arithmetic: {setting: wrong rows}, against the exact outputs of its float32 fast path. The
    unguarded rows run the same layers as a plain ``nn.Sequential``."""
    import copy

    stack = circuit.to_torch()
    plain = nn.Sequential(*copy.deepcopy(list(stack)))
    x = torch.from_numpy(circuit.input_bits(**inputs))
    exact = torch.from_numpy(circuit.output_bits(circuit.run(**inputs)))

    def wrong(y):
        return int((~(y.float() == exact).all(dim=1)).sum())

    report = {}
    with torch.no_grad():
        report["float32"] = wrong(stack(x))
        report["float64"] = wrong(copy.deepcopy(stack).double()(x))
        report["TF32 (emulated)"] = wrong(tf32_forward(stack, x))
        for dtype, name in ((torch.bfloat16, "bf16"), (torch.float16, "fp16")):
            with torch.autocast("cpu", dtype=dtype):
                report[f"{name} autocast, unguarded"] = wrong(plain(x))
                report[f"{name} autocast, guarded"] = wrong(stack(x))
    return report
