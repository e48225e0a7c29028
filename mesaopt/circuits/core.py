"""The compiler's core: ReLU units with integer weights, grouped into layers of ``torch.nn.Linear``.

A :class:`Circuit` is built from *units*: each unit is ``relu(w . x + b)`` with integer ``w``, ``b``
read from earlier units. A :class:`Value` is an affine combination ``const + sum c_u * unit_u`` of
units; bits (0 or 1) are Values, so NOT, XOR and sum bits cost no unit at all (they fold into the
weights of whoever reads them). A unit's layer is one more than the deepest unit it reads.

:meth:`Circuit.compile` gives a :class:`CompiledCircuit` that can

* run fast and exactly (``run``): each layer is one sparse matrix product over all earlier units,
  i.e. a residual/skip-connection network, with no pass-through channels;
* become an honest dense stack of ``nn.Linear`` + ReLU layers (``to_torch``), where every unit a
  later layer needs is copied forward by an identity weight (ReLU(x) = x for x >= 0);
* report its sizes both ways (``sizes``) and a bound on every pre-activation (``preactivation_bound``).

Exactness: all weights, biases and activations are integers. float32 represents every integer of
magnitude below 2**24 exactly, so a sum of integer products is exact, in any order, when
``sum_j |w_j| * max(x_j) + |b| < 2**24``. The compiler computes this bound for every unit
(``preactivation_bound``); ``max(x_j)`` comes from interval bounds that assume every bit-valued
channel is 0 or 1, which the blocks' exhaustive tests check. ``Circuit.small`` copies an operand whose
terms could be large into a fresh 0/1 unit, so no big weight ever multiplies a big activation.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["Value", "Circuit", "CompiledCircuit", "FLOAT32_EXACT", "to_bits", "from_bits"]

FLOAT32_EXACT = 2 ** 24


class Value:
    """An affine combination of a circuit's units, known to lie in the integer interval [lo, hi]."""

    __slots__ = ("terms", "const", "lo", "hi")

    def __init__(self, terms: dict, const: int, lo: int, hi: int):
        self.terms, self.const, self.lo, self.hi = terms, int(const), int(lo), int(hi)

    @property
    def is_const(self) -> bool:
        return not self.terms

    def bit(self) -> "Value":
        """The same value, declared to be 0 or 1 (the blocks guarantee it; tests check it)."""
        if self.is_const:
            return self
        return Value(self.terms, self.const, 0, 1)

    def __add__(self, other):
        if isinstance(other, Value):
            terms = dict(self.terms)
            for u, c in other.terms.items():
                s = terms.get(u, 0) + c
                if s:
                    terms[u] = s
                else:
                    terms.pop(u, None)
            return Value(terms, self.const + other.const, self.lo + other.lo, self.hi + other.hi)
        other = int(other)
        return Value(self.terms, self.const + other, self.lo + other, self.hi + other)

    __radd__ = __add__

    def __mul__(self, k):
        k = int(k)
        if k == 0:
            return Value({}, 0, 0, 0)
        lo, hi = sorted((self.lo * k, self.hi * k))
        return Value({u: c * k for u, c in self.terms.items()}, self.const * k, lo, hi)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other if isinstance(other, Value) else -int(other))

    def __rsub__(self, other):
        return (-self) + other

    def __repr__(self):
        return f"Value({len(self.terms)} terms, const={self.const}, in [{self.lo}, {self.hi}])"


def const(c: int) -> Value:
    """A constant Value (no unit)."""
    return Value({}, c, c, c)


def linear(pairs, bias: int = 0) -> Value:
    """``bias + sum(coef * value for coef, value in pairs)`` built in one pass."""
    terms: dict = {}
    k, lo, hi = int(bias), int(bias), int(bias)
    for coef, v in pairs:
        if coef == 0:
            continue
        for u, c in v.terms.items():
            terms[u] = terms.get(u, 0) + coef * c
        k += coef * v.const
        a, b = coef * v.lo, coef * v.hi
        lo += min(a, b)
        hi += max(a, b)
    return Value({u: c for u, c in terms.items() if c}, k, lo, hi)


class Circuit:
    """A growing set of ReLU units; build it with blocks, then :meth:`compile` it."""

    def __init__(self, name: str = "circuit"):
        self.name = name
        self.layer: list[int] = []        # per unit
        self.terms: list[dict] = []       # per unit: {earlier unit: integer weight}
        self.bias: list[int] = []
        self.hi: list[int] = []           # per unit: the largest value it can take
        self.inputs: dict[str, list[int]] = {}
        self.outputs: dict[str, list[Value]] = {}

    def input(self, name: str, width: int) -> list[Value]:
        """``width`` input bits (least significant first), as layer-0 units."""
        if name in self.inputs:
            raise ValueError(f"input {name!r} already exists")
        ids = []
        for _ in range(width):
            ids.append(len(self.layer))
            self.layer.append(0)
            self.terms.append({})
            self.bias.append(0)
            self.hi.append(1)
        self.inputs[name] = ids
        return [Value({u: 1}, 0, 0, 1) for u in ids]

    def relu(self, z: Value) -> Value:
        """A new unit ``relu(z)``; a constant ``z`` folds to a constant (no unit)."""
        if z.is_const:
            return const(max(z.const, 0))
        if z.lo >= 0:                       # ReLU is the identity here: no unit needed
            return z
        if z.hi <= 0:
            return const(0)
        return self.unit(z)

    def weight(self, v: Value) -> int:
        """sum |coef| * max(unit): how large the terms of ``v`` can get inside a sum."""
        return sum(abs(c) * self.hi[u] for u, c in v.terms.items())

    def small(self, v: Value) -> Value:
        """``v`` itself if its terms are small (weight <= 1, e.g. a plain bit or its NOT); otherwise a
        fresh unit relu(v) holding the same 0/1 value. Keeps big-weight sums exact in float32."""
        if v.is_const or self.weight(v) <= 1:
            return v
        return self.unit(v).bit()

    def unit(self, z: Value) -> Value:
        """Always a new unit ``relu(z)``."""
        uid = len(self.layer)
        self.layer.append(1 + max(self.layer[u] for u in z.terms))
        self.terms.append(dict(z.terms))
        self.bias.append(z.const)
        self.hi.append(z.hi)
        return Value({uid: 1}, 0, 0, z.hi)

    def step(self, z: Value, t: int) -> Value:
        """The bit ``[z >= t]`` for integer-valued ``z``: relu(z-t+1) - relu(z-t), or fewer units."""
        if z.lo >= t:
            return const(1)
        if z.hi < t:
            return const(0)
        if z.lo >= t - 1 and z.hi <= t:          # z - t + 1 is already 0 or 1
            return (z - (t - 1)).bit()
        if z.hi <= t:
            return self.relu(z - (t - 1)).bit()
        if z.lo >= t - 1:
            return (z - (t - 1) - self.relu(z - t)).bit()
        return (self.relu(z - (t - 1)) - self.relu(z - t)).bit()

    def output(self, name: str, values: list[Value]) -> None:
        if name in self.outputs:
            raise ValueError(f"output {name!r} already exists")
        self.outputs[name] = list(values)

    @property
    def n_units(self) -> int:
        return len(self.layer)

    def compile(self) -> "CompiledCircuit":
        return CompiledCircuit(self)


def to_bits(values, width: int) -> np.ndarray:
    """Integers -> float32 array (width, batch) of their bits, least significant first."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    if v.size and (v.min() < 0 or (width < 63 and v.max() >= (1 << width))):
        raise ValueError(f"values must be integers in [0, 2**{width}), got range [{v.min()}, {v.max()}]")
    return ((v[None, :] >> np.arange(width, dtype=np.int64)[:, None]) & 1).astype(np.float32)


def from_bits(bits: np.ndarray) -> np.ndarray:
    """float array (width, batch) of exact 0/1 values -> int64 integers."""
    b = np.rint(bits).astype(np.int64)
    return (b << np.arange(b.shape[0], dtype=np.int64)[:, None]).sum(axis=0)


class CompiledCircuit:
    """A circuit with dead units removed and units ordered by layer, ready to run or export."""

    def __init__(self, circuit: Circuit):
        self.name = circuit.name
        live = self._live_units(circuit)
        inputs = [u for ids in circuit.inputs.values() for u in ids]
        others = sorted((u for u in range(circuit.n_units) if live[u] and circuit.layer[u] > 0),
                        key=lambda u: (circuit.layer[u], u))
        order = inputs + others
        new = {u: i for i, u in enumerate(order)}
        self.n_units = len(order)
        self.n_inputs = len(inputs)
        self.layer = np.array([circuit.layer[u] for u in order], dtype=np.int64)
        self.depth = int(self.layer.max()) if self.n_units else 0
        self.input_slices, start = {}, 0
        for name, ids in circuit.inputs.items():
            self.input_slices[name] = slice(start, start + len(ids))
            start += len(ids)
        rows, cols, vals = [], [], []
        self.bias = np.zeros(self.n_units, dtype=np.float32)
        self.pre_bound = np.zeros(self.n_units, dtype=np.int64)
        self.unit_hi = np.array([circuit.hi[u] for u in order], dtype=np.int64)
        for i, u in enumerate(order):
            bound = abs(circuit.bias[u])
            for v, c in circuit.terms[u].items():
                rows.append(i)
                cols.append(new[v])
                vals.append(c)
                bound += abs(c) * circuit.hi[v]
            self.bias[i] = circuit.bias[u]
            self.pre_bound[i] = bound
        self.weights = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                                     shape=(self.n_units, self.n_units))
        self.weights.sort_indices()
        self.layer_starts = np.searchsorted(self.layer, np.arange(self.depth + 2))
        self._layer_mats = []
        for layer in range(1, self.depth + 1):
            s, e = self.layer_starts[layer], self.layer_starts[layer + 1]
            self._layer_mats.append((s, e, self.weights[s:e, :s].tocsr(), self.bias[s:e, None]))
        self.output_names = list(circuit.outputs)
        self.output_widths = {k: len(v) for k, v in circuit.outputs.items()}
        rows, cols, vals, consts = [], [], [], []
        self.output_bound = 0
        for name in self.output_names:
            for value in circuit.outputs[name]:
                r = len(consts)
                consts.append(value.const)
                bound = abs(value.const)
                for v, c in value.terms.items():
                    rows.append(r)
                    cols.append(new[v])
                    vals.append(c)
                    bound += abs(c) * circuit.hi[v]
                self.output_bound = max(self.output_bound, bound)
        self.readout = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                                     shape=(len(consts), self.n_units))
        self.readout_const = np.array(consts, dtype=np.float32)[:, None]

    @staticmethod
    def _live_units(circuit: Circuit) -> list[bool]:
        live = [False] * circuit.n_units
        stack = [u for vals in circuit.outputs.values() for v in vals for u in v.terms]
        while stack:
            u = stack.pop()
            if not live[u]:
                live[u] = True
                stack.extend(circuit.terms[u])
        return live

    # ----------------------------------------------------------------------------- running
    def run(self, **inputs) -> dict:
        """Run the circuit on integer inputs (arrays of equal length); return integer outputs.

        The fast exact path: layer by layer, ``units[layer] = relu(W_layer @ units[earlier] + b)``
        with sparse ``W``, in float32. Outputs are checked to be exact 0/1 bits.
        """
        names = list(self.input_slices)
        if set(inputs) != set(names):
            raise ValueError(f"{self.name}: inputs must be exactly {names}, got {sorted(inputs)}")
        arrays = {k: np.asarray(v, dtype=np.int64).reshape(-1) for k, v in inputs.items()}
        size = max(len(a) for a in arrays.values())
        arrays = {k: np.broadcast_to(a, (size,)) if len(a) == 1 else a for k, a in arrays.items()}
        if any(len(a) != size for a in arrays.values()):
            raise ValueError(f"{self.name}: inputs must have the same length")
        x = np.empty((self.n_units, size), dtype=np.float32)
        for name, sl in self.input_slices.items():
            x[sl] = to_bits(arrays[name], sl.stop - sl.start)
        for s, e, mat, b in self._layer_mats:
            out = mat @ x[:s]
            out += b
            np.maximum(out, 0, out=out)
            x[s:e] = out
        return self._decode(self.readout @ x + self.readout_const, "an output bit")

    def _decode(self, y: np.ndarray, what: str) -> dict:
        """Output bits (rows of ``y``) -> one integer array per named output; every bit must be 0 or 1."""
        if not np.all((y == 0) | (y == 1)):
            raise ArithmeticError(f"{self.name}: {what} is not exactly 0 or 1")
        result, r = {}, 0
        for name in self.output_names:
            w = self.output_widths[name]
            result[name] = from_bits(y[r:r + w])
            r += w
        return result

    # ----------------------------------------------------------------------------- exactness
    def preactivation_bound(self) -> list[int]:
        """Per layer (1..depth, then the readout), a bound on |pre-activation| and on every partial
        sum of it: sum_j |w_j| * max(x_j) + |b| (so float32 adds exactly whatever the order)."""
        out = [int(self.pre_bound[self.layer_starts[l]:self.layer_starts[l + 1]].max(initial=0))
               for l in range(1, self.depth + 1)]
        return out + [int(self.output_bound)]

    def exact_in_float32(self) -> bool:
        return max(self.preactivation_bound(), default=0) < FLOAT32_EXACT

    # ----------------------------------------------------------------------------- dense export
    def _channels(self) -> list[np.ndarray]:
        """Units present at each layer 0..depth of the dense stack (computed, copied, or read out)."""
        need = self.layer.copy()                      # last layer at which a unit must be present
        coo = self.weights.tocoo()
        np.maximum.at(need, coo.col, self.layer[coo.row] - 1)
        need[np.unique(self.readout.tocoo().col)] = self.depth
        need[:self.n_inputs] = np.maximum(need[:self.n_inputs], 0)
        return [np.flatnonzero((self.layer <= l) & (need >= l)) for l in range(self.depth + 1)]

    def sizes(self) -> dict:
        """Sizes of this circuit both ways: as a residual net (units, nonzero weights) and as a dense
        stack of nn.Linear layers with identity pass-through channels (parameters, nonzeros)."""
        channels = self._channels()
        widths = [len(c) for c in channels]
        n_out = self.readout.shape[0]
        dense = sum((widths[l - 1] + 1) * widths[l] for l in range(1, self.depth + 1))
        dense += (widths[-1] + 1) * n_out
        copies = sum(int(np.count_nonzero(self.layer[c] < l)) for l, c in enumerate(channels) if l > 0)
        nnz = int(self.weights.nnz + self.readout.nnz + np.count_nonzero(self.bias[self.n_inputs:])
                  + np.count_nonzero(self.readout_const))
        return {
            "units": self.n_units - self.n_inputs,
            "inputs": self.n_inputs,
            "outputs": n_out,
            "depth": self.depth + 1,                   # Linear layers, readout included
            "nonzero_weights": nnz,                    # residual form: nonzero weights and biases
            "dense_params": int(dense),                # dense nn.Linear stack, weights + biases
            "dense_nonzero": nnz + copies,             # ... of which nonzero (identity copies included)
            "max_width": max(widths),
        }

    def to_torch(self, max_params: int = 20_000_000):
        """The dense network: ``nn.Sequential`` of ``nn.Linear`` (integer weights) and ``nn.ReLU``,
        ending with a readout ``nn.Linear``. Input: the input bits in order of ``input_slices``;
        output: the output bits in order of ``output_names``."""
        import torch
        from torch import nn

        size = self.sizes()["dense_params"]
        if size > max_params:
            raise ValueError(f"{self.name}: the dense stack would have {size} parameters "
                             f"(more than max_params={max_params}); use sizes() or run()")
        channels = self._channels()
        layers = []
        for l in range(1, self.depth + 1):
            out_ch, in_ch = channels[l], channels[l - 1]
            w = np.zeros((len(out_ch), len(in_ch)), dtype=np.float32)
            b = np.zeros(len(out_ch), dtype=np.float32)
            computed = self.layer[out_ch] == l
            w[computed] = self.weights[out_ch[computed]][:, in_ch].toarray()
            b[computed] = self.bias[out_ch[computed]]
            copied = np.flatnonzero(~computed)
            w[copied, np.searchsorted(in_ch, out_ch[copied])] = 1.0     # identity pass-through channels
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, nn.ReLU()]
        w = self.readout[:, channels[-1]].toarray().astype(np.float32)
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(self.readout_const[:, 0].copy()))
        layers.append(lin)
        return nn.Sequential(*layers)

    def run_dense(self, net=None, **inputs) -> dict:
        """Run the dense ``nn.Linear`` stack (slow; for checking the fast path on small cases)."""
        import torch

        net = net if net is not None else self.to_torch()
        arrays = {k: np.asarray(v, dtype=np.int64).reshape(-1) for k, v in inputs.items()}
        x = np.concatenate([to_bits(arrays[name], sl.stop - sl.start)
                            for name, sl in self.input_slices.items()], axis=0)
        with torch.no_grad():
            y = net(torch.from_numpy(x.T.copy())).numpy().T
        return self._decode(y, "a dense output bit")
