"""The compiler's core: ReLU units with integer weights, grouped into layers of ``torch.nn.Linear``.

A :class:`Circuit` is built from *units*: each unit is ``relu(w . x + b)`` with integer ``w``, ``b``
read from earlier units. A :class:`Value` is an affine combination ``const + sum c_u * unit_u`` of
units; bits (0 or 1) are Values, so NOT, XOR and sum bits cost no unit at all (they fold into the
weights of whoever reads them). A unit's layer is one more than the deepest unit it reads.

:meth:`Circuit.compile` gives a :class:`CompiledCircuit` that can

* run fast and exactly (``run``): each layer is one sparse matrix product over all earlier units,
  i.e. a residual/skip-connection network, with no pass-through channels (units with equal weights,
  such as the two units of a threshold test, share one product);
* be saved and loaded as plain arrays (``save_circuits``, ``load_circuits``), so a network compiled
  once can be shipped and loaded in milliseconds;
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

__all__ = ["Value", "Circuit", "CompiledCircuit", "FLOAT32_EXACT", "FLOAT64_EXACT", "to_bits", "from_bits",
           "save_circuits", "load_circuits"]

FLOAT32_EXACT = 2 ** 24
FLOAT64_EXACT = 2 ** 53


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


def _repeats_previous_row(weights) -> np.ndarray:
    """Per row of the CSR ``weights`` (sorted indices): True where it equals the row before it, as the
    two units relu(z - t + 1), relu(z - t) of a threshold test do (they are built one after the other)."""
    lengths = np.diff(weights.indptr)
    same = np.zeros(len(lengths), dtype=bool)
    if len(lengths) < 2:
        return same
    same[1:] = lengths[1:] == lengths[:-1]
    shift = np.repeat(np.concatenate([[0], lengths[:-1]]), lengths)        # previous row's length
    rows = np.repeat(np.arange(len(lengths)), lengths)
    q = np.arange(weights.nnz)
    ok = same[rows] & (shift == lengths[rows])
    qq = q[ok]
    differs = (weights.indices[qq] != weights.indices[qq - shift[ok]]) | (weights.data[qq] != weights.data[qq - shift[ok]])
    same[np.unique(rows[ok][differs])] = False
    return same & (lengths > 0)


def _layer_matrix(weights, repeats: np.ndarray, s: int, e: int):
    """Rows s..e-1 of the CSR ``weights`` as a matrix over columns 0..s-1 (units only read earlier
    layers), with each row that repeats the one before it left out. Returns (matrix, shared):
    ``shared[r]`` is the kept row that unit s + r uses, or None when no row was left out."""
    ptr = weights.indptr[s:e + 1]
    indices, data = weights.indices[ptr[0]:ptr[-1]], weights.data[ptr[0]:ptr[-1]]
    keep = ~repeats[s:e]
    keep[:1] = True                                     # the first row of a layer starts a new run
    if keep.all():
        return sp.csr_matrix((data, indices, ptr - ptr[0]), shape=(e - s, s)), None
    lengths = np.diff(ptr)
    kept_nnz = np.repeat(keep, lengths)
    new_ptr = np.concatenate([[0], np.cumsum(lengths[keep])])
    matrix = sp.csr_matrix((data[kept_nnz], indices[kept_nnz], new_ptr), shape=(int(keep.sum()), s))
    return matrix, np.cumsum(keep) - 1


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
        self._index()

    def _index(self) -> None:
        """Per-layer slices of the weights, which :meth:`run` multiplies one after another. Units of a
        layer with the same weights (the pair relu(z - t + 1), relu(z - t) of every threshold test)
        share one product W x: ``run`` computes it once and adds each unit's own bias."""
        self.depth = int(self.layer.max()) if self.n_units else 0
        self.layer_starts = np.searchsorted(self.layer, np.arange(self.depth + 2))
        self._layer_mats = []
        repeats = _repeats_previous_row(self.weights)
        for layer in range(1, self.depth + 1):
            s, e = self.layer_starts[layer], self.layer_starts[layer + 1]
            mat, shared = _layer_matrix(self.weights, repeats, s, e)
            self._layer_mats.append((s, e, mat, shared, self.bias[s:e, None]))
        self.max_bound = max(int(self.pre_bound.max(initial=0)), int(self.output_bound))

    # ----------------------------------------------------------------------------- saving
    _ARRAYS = ("layer", "bias", "pre_bound", "unit_hi", "readout_const")

    def to_arrays(self) -> dict:
        """Everything :meth:`from_arrays` needs, as plain numpy arrays (no pickling): ``np.savez`` them."""
        out = {k: getattr(self, k) for k in self._ARRAYS}
        for name in ("weights", "readout"):
            m = getattr(self, name)
            out.update({f"{name}_data": m.data, f"{name}_indices": m.indices, f"{name}_indptr": m.indptr,
                        f"{name}_shape": np.array(m.shape)})
        out["name"] = np.array(self.name)
        out["input_names"] = np.array(list(self.input_slices))
        out["input_widths"] = np.array([sl.stop - sl.start for sl in self.input_slices.values()])
        out["output_names"] = np.array(self.output_names)
        out["output_widths"] = np.array([self.output_widths[k] for k in self.output_names])
        out["counts"] = np.array([self.n_units, self.n_inputs, self.output_bound])
        return out

    @classmethod
    def from_arrays(cls, arrays) -> "CompiledCircuit":
        """The circuit :meth:`to_arrays` described, ready to run, without rebuilding it from blocks."""
        self = cls.__new__(cls)
        for k in cls._ARRAYS:
            setattr(self, k, np.asarray(arrays[k]))
        for name in ("weights", "readout"):
            setattr(self, name, sp.csr_matrix((arrays[f"{name}_data"], arrays[f"{name}_indices"],
                                               arrays[f"{name}_indptr"]), shape=tuple(arrays[f"{name}_shape"])))
        self.name = str(arrays["name"])
        self.input_slices, start = {}, 0
        for name, width in zip(arrays["input_names"], arrays["input_widths"]):
            self.input_slices[str(name)] = slice(start, start + int(width))
            start += int(width)
        self.output_names = [str(k) for k in arrays["output_names"]]
        self.output_widths = {k: int(w) for k, w in zip(self.output_names, arrays["output_widths"])}
        self.n_units, self.n_inputs, self.output_bound = (int(v) for v in arrays["counts"])
        self._index()
        return self

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
    def run(self, dtype=np.float32, **inputs) -> dict:
        """Run the circuit on integer inputs (arrays of equal length); return integer outputs.

        The fast exact path: layer by layer, ``units[layer] = relu(W_layer @ units[earlier] + b)``
        with sparse ``W``, in numpy float32 (or float64 with ``dtype=np.float64``: exact up to 2^53,
        room a circuit built with wider chunks would use; no other dtype is accepted). Torch's
        TF32/bf16 settings do not reach this path. Outputs are checked to be exact 0/1 bits.
        """
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"{self.name}: dtype must be float32 or float64 (exact integer arithmetic), "
                             f"got {dtype}")
        if not self.exact_in(dtype):
            raise ArithmeticError(f"{self.name}: a pre-activation could reach 2^"
                                  f"{np.log2(self.max_bound):.1f}, not exact in {dtype}")
        names = list(self.input_slices)
        if set(inputs) != set(names):
            raise ValueError(f"{self.name}: inputs must be exactly {names}, got {sorted(inputs)}")
        arrays = {k: np.asarray(v, dtype=np.int64).reshape(-1) for k, v in inputs.items()}
        size = max(len(a) for a in arrays.values())
        arrays = {k: np.broadcast_to(a, (size,)) if len(a) == 1 else a for k, a in arrays.items()}
        if any(len(a) != size for a in arrays.values()):
            raise ValueError(f"{self.name}: inputs must have the same length")
        x = np.empty((self.n_units, size), dtype=dtype)
        for name, sl in self.input_slices.items():
            x[sl] = to_bits(arrays[name], sl.stop - sl.start)
        for s, e, mat, shared, b in self._layer_mats:
            out = mat @ x[:s]
            if shared is not None:
                out = out[shared]
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
        return self.exact_in(np.float32)

    def exact_in(self, dtype) -> bool:
        """Whether every sum this circuit forms is exact in ``dtype`` (float32: below 2^24; float64:
        below 2^53; any other dtype: False, e.g. float16 is exact only below 2^11, bfloat16 below 2^8)."""
        limit = {np.dtype(np.float32): FLOAT32_EXACT, np.dtype(np.float64): FLOAT64_EXACT}.get(np.dtype(dtype))
        return limit is not None and self.max_bound < limit

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
        """The dense network: an :class:`~mesaopt.circuits.precision.ExactStack` (an ``nn.Sequential``
        of ``nn.Linear`` with integer weights and ``nn.ReLU``, ending with a readout ``nn.Linear``)
        that always runs in true float32 or float64, whatever TF32/autocast settings are active.
        Input: the input bits in order of ``input_slices``; output: the output bits in order of
        ``output_names``."""
        import torch
        from torch import nn

        from .precision import ExactStack

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
        return ExactStack(*layers)

    def run_dense(self, net=None, **inputs) -> dict:
        """Run the dense ``nn.Linear`` stack (slow; for checking the fast path on small cases)."""
        import torch

        net = net if net is not None else self.to_torch()
        with torch.no_grad():
            y = net(torch.from_numpy(self.input_bits(**inputs))).numpy().T
        return self._decode(y, "a dense output bit")

    def input_bits(self, **inputs) -> np.ndarray:
        """The dense stack's input: float32 (batch, input bits), in the order of ``input_slices``."""
        arrays = {k: np.asarray(v, dtype=np.int64).reshape(-1) for k, v in inputs.items()}
        x = np.concatenate([to_bits(arrays[name], sl.stop - sl.start)
                            for name, sl in self.input_slices.items()], axis=0)
        return np.ascontiguousarray(x.T)

    def output_bits(self, outputs: dict) -> np.ndarray:
        """Integer outputs (as :meth:`run` returns them) as the dense stack's float32 (batch, output bits)."""
        return np.ascontiguousarray(np.concatenate([to_bits(outputs[name], self.output_widths[name])
                                                    for name in self.output_names], axis=0).T)


def save_circuits(path, circuits: dict) -> None:
    """Store compiled circuits, by name, in one compressed ``.npz`` file (plain arrays, no pickle)."""
    arrays = {}
    for key, circuit in circuits.items():
        if "/" in key:
            raise ValueError(f"circuit names may not contain '/': {key!r}")
        arrays.update({f"{key}/{k}": v for k, v in circuit.to_arrays().items()})
    np.savez_compressed(path, **arrays)


def load_circuits(path) -> dict:
    """The circuits :func:`save_circuits` stored, by name, ready to run."""
    with np.load(path, allow_pickle=False) as data:
        grouped: dict = {}
        for name in data.files:
            key, field = name.split("/", 1)
            grouped.setdefault(key, {})[field] = data[name]
    return {key: CompiledCircuit.from_arrays(arrays) for key, arrays in grouped.items()}
