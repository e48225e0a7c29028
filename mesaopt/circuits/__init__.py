"""A small circuit-to-weights compiler: gates and arithmetic blocks become stacks of ``torch.nn.Linear``
layers with integer weights and ReLU only, exact in float32. See :mod:`.core` (units, compiling, running,
saving), :mod:`.blocks` (gates and arithmetic) and :mod:`.precision` (the torch stacks' guard against
TF32/bf16/fp16; imported only with torch)."""
from .core import (FLOAT32_EXACT, FLOAT64_EXACT, Circuit, CompiledCircuit, Value, const, from_bits, linear,
                   load_circuits, save_circuits, to_bits)
from .blocks import (CHUNK, add, and_, carry_save, const_bits, greater, increment, isqrt, isqrt_rem, minimum, mod_restoring,
                     multiply, mux, not_, or_, sub_ge, xor, zeros)

__all__ = ["FLOAT32_EXACT", "FLOAT64_EXACT", "Circuit", "CompiledCircuit", "Value", "const", "linear", "to_bits",
           "from_bits", "save_circuits", "load_circuits", "CHUNK", "add", "and_", "carry_save", "const_bits", "greater", "increment", "isqrt", "isqrt_rem", "minimum",
           "mod_restoring", "multiply",
           "mux", "not_", "or_", "sub_ge", "xor", "zeros"]
