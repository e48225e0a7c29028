"""A small circuit-to-weights compiler: gates and arithmetic blocks become stacks of ``torch.nn.Linear``
layers with integer weights and ReLU only, exact in float32. See :mod:`.core` and :mod:`.blocks`."""
from .core import FLOAT32_EXACT, Circuit, CompiledCircuit, Value, const, from_bits, linear, to_bits
from .blocks import (CHUNK, add, and_, greater, increment, isqrt, minimum, mod_restoring, multiply, mux,
                     not_, or_, sub_ge, xor, zeros)

__all__ = ["FLOAT32_EXACT", "Circuit", "CompiledCircuit", "Value", "const", "linear", "to_bits", "from_bits",
           "CHUNK", "add", "and_", "greater", "increment", "isqrt", "minimum", "mod_restoring", "multiply",
           "mux", "not_", "or_", "sub_ge", "xor", "zeros"]
