"""A small circuit-to-weights compiler: gates and arithmetic blocks become stacks of ``torch.nn.Linear``
layers with integer weights and ReLU only, exact in float32. See :mod:`.core` (units, compiling, running,
saving), :mod:`.blocks` (gates and arithmetic), :mod:`.packed` (running compiled weights in plain Python,
without numpy: what the command line uses) and :mod:`.precision` (the torch stacks' guard against
TF32/bf16/fp16; imported only with torch).

The names below are imported from :mod:`.core` and :mod:`.blocks` when first used, so that
``mesaopt.circuits.packed`` can be imported without numpy and scipy (``import mesaopt.circuits.packed``
runs this file first).
"""
from importlib import import_module

_NAMES = {
    "core": ["FLOAT32_EXACT", "FLOAT64_EXACT", "Circuit", "CompiledCircuit", "Value", "const", "linear", "to_bits",
             "from_bits", "save_circuits", "load_circuits"],
    "blocks": ["CHUNK", "add", "and_", "carry_save", "const_bits", "greater", "increment", "isqrt", "isqrt_rem",
               "minimum", "mod_restoring", "multiply", "mux", "not_", "or_", "sub_ge", "xor", "zeros"],
}
_MODULE_OF = {name: module for module, names in _NAMES.items() for name in names}

__all__ = [name for names in _NAMES.values() for name in names]


def __getattr__(name):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
