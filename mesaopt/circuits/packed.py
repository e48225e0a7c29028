"""Run a compiled circuit exactly in plain Python, on many inputs at once: packed lanes of Python integers.

This is the path of ``python -m mesaopt.search``: it needs no numpy, scipy or torch (this module imports
only ``marshal`` and ``zlib``), and it runs the same integer weights and biases as
:meth:`mesaopt.circuits.core.CompiledCircuit.run`, unit by unit in the same layer order, the units that
share a weighted sum in ``run`` (the two units of a threshold test) sharing it here too.

**Lanes** (SIMD within a register). A batch of ``lanes`` inputs is processed at once: each unit's values
over the batch are ONE Python integer, lane ``j`` being bits ``j*B .. j*B + B - 1`` (``B = lane_bits``).
With ``ONES`` the integer holding 1 in every lane, a unit's pre-activation ``z = b + sum_j w_j x_j`` is

    S = (b * ONES + OFFSET) + sum_j w_j * X_j,         OFFSET = 2^(B-1) * ONES,

a few big-integer additions and multiplications by the unit's small integer weights (a weight +-1 is one
addition or subtraction). Python integers are exact, so S equals, as a number, the sum over lanes of
``(z_lane + 2^(B-1)) * 2^(j*B)``; every ``|z_lane| <= pre_bound < 2^(B-1)`` (the compiler's bound, which
``lane_bits`` exceeds), so each term lies in [0, 2^B) and the lanes of S never spill into each other,
whatever happened to the partial sums on the way. **ReLU per lane**: the top bit of a lane of S is set
exactly when z >= 0; with ``t = S & TOPS`` (those top bits), ``t - (t >> (B - 1))`` is a mask of the
low B - 1 bits of exactly those lanes, and ``S & mask`` is relu(z) in every lane (when every lane has
z >= 0, as for many units of the shortcut network, that is ``S ^ TOPS``; when none has, 0). Readout bits
are formed the same way without the ReLU and checked to be exactly 0 or 1 in every lane (as ``run`` does).

**Fewer big-integer operations, same sums.** Many weighted sums of a circuit extend an earlier one: the
chunked carries of an adder are prefix sums of each other, ``[sum_{j<p} 2^j (a_j + b_j) + c >= 2^p]`` for
p = 1, 2, .... :meth:`PackedCircuit.from_compiled` therefore writes a sum as an earlier sum (its *base*)
plus the difference of their weights, when that takes fewer operations; integer arithmetic makes this
exact. :meth:`PackedCircuit.weights` adds the differences back up: it gives every unit's own weights and
bias, which the tests compare with the compiled circuit's. A value read for the last time is dropped.

:class:`PackedCircuit` holds all this as plain tuples of integers; :func:`save_packed` / :func:`load_packed`
write and read them as compressed ``marshal`` data (Python's own format for compiled code) in milliseconds.
:meth:`PackedCircuit.run_lanes` works on packed integers (what a network of several circuits passes
between them); :meth:`PackedCircuit.run` takes and returns lists of integers, like ``CompiledCircuit.run``.
"""
from __future__ import annotations

import marshal
import zlib

__all__ = ["PackedCircuit", "lane_ones", "pack", "unpack", "save_packed", "load_packed"]

_MAGIC = b"mesaopt packed circuits 1: marshal 4, zlib\n"
_CANDIDATES = 8          # earlier sums tried as the base of a sum (those sharing the most weights)


def lane_ones(lanes: int, lane_bits: int) -> int:
    """The integer with a 1 at the lowest bit of each of ``lanes`` lanes of ``lane_bits`` bits."""
    if lanes < 1:
        return 0
    x, have = 1, 1
    while have < lanes:                      # double the run of lanes: O(log lanes) big-integer steps
        x |= x << (have * lane_bits)
        have *= 2
    return x & ((1 << (lanes * lane_bits)) - 1)


def pack(values, width: int, lane_bits: int) -> list[int]:
    """Non-negative integers (one per lane) -> ``width`` packed integers, bit ``j`` of lane ``l`` of the
    ``j``-th at bit ``l * lane_bits``."""
    values = [int(v) for v in values]
    if any(v < 0 or v >> width for v in values):
        raise ValueError(f"values must be integers in [0, 2**{width}), got range [{min(values)}, {max(values)}]")
    pad = "0" * (lane_bits - 1)
    order = values[::-1]                     # the highest lane first, as int(..., 2) reads it
    return [int("".join(pad + ("1" if v >> j & 1 else "0") for v in order) or "0", 2) for j in range(width)]


def unpack(bits: list[int], lanes: int, lane_bits: int) -> list[int]:
    """Packed 0/1 bits (least significant first, as :func:`pack` makes them) -> one integer per lane."""
    columns = []
    for x in bits:
        text = format(x, "b").zfill(lanes * lane_bits)[::-1]       # bit k of x at text[k]
        columns.append(text[::lane_bits])                           # lane l's bit at position l
    return [int("".join(col[::-1]) or "0", 2) for col in zip(*columns)] if columns else [0] * lanes


class PackedCircuit:
    """A compiled circuit's integer weights as plain tuples, run on packed lanes (see the module docstring).

    Units are numbered as in the compiled circuit: the input bits first, then every other unit in layer
    order; the values computed so far form a list, and a unit is named by its position counted from the
    end of that list (-1: the last one), which keeps the numbers small. ``groups`` has one entry per
    weighted sum, in that order: ``(back, bias_step, plus, minus, cols, weights, biases, keep, free, drop)``:
    the sum starts from the saved sum of the group ``back`` groups earlier plus ``bias_step * ONES`` (or,
    with back 0, from its first bias), adds the units in ``plus``, subtracts those in ``minus``, adds
    ``weights[i]`` times unit ``cols[i]`` (all counted from the end before its units are appended); the
    units sharing it have the ``biases``; it is saved if ``keep``; then the units in ``free`` (counted from
    the end after they are appended) and the saved sums of the groups ``drop`` earlier are no longer
    needed. ``readout`` has one entry per output bit, ``(plus, minus, cols, weights, const)``, its units
    counted from the end of the finished list.
    """

    def __init__(self, name: str, inputs: list, outputs: list, bound: int, groups: list, readout: list):
        self.name = name
        self.inputs = [(str(k), int(w)) for k, w in inputs]        # (name, width) in unit order
        self.outputs = [(str(k), int(w)) for k, w in outputs]
        self.bound = int(bound)                 # every |pre-activation| and |readout| is at most this
        self.groups = groups
        self.readout = readout
        self.n_inputs = sum(w for _, w in self.inputs)
        self.n_units = self.n_inputs + sum(map(len, (g[6] for g in groups)))

    @property
    def lane_bits(self) -> int:
        """The narrowest lanes that are exact: one bit more than the largest pre-activation needs."""
        return self.bound.bit_length() + 1

    # ----------------------------------------------------------------------------- from the compiler
    @classmethod
    def from_compiled(cls, circuit) -> "PackedCircuit":
        """The weights of a :class:`~mesaopt.circuits.core.CompiledCircuit` (its units, in its order, with
        the same units sharing a weighted sum as in its ``run``; its per-layer matrices say which)."""
        sums, biases = [], []                   # per group: {column: weight}, [bias of each unit]
        for s, e, mat, shared, bias in circuit._layer_mats:
            rows = range(e - s) if shared is None else [int(r) for r in shared]
            last = None
            for unit, row in enumerate(rows):
                b = int(bias[unit, 0])
                if row == last:
                    biases[-1].append(b)
                    continue
                a, z = mat.indptr[row], mat.indptr[row + 1]
                sums.append({int(c): int(w) for c, w in zip(mat.indices[a:z].tolist(), mat.data[a:z].tolist()) if w})
                biases.append([b])
                last = row
        m = circuit.readout
        readout = []
        for r in range(m.shape[0]):
            a, z = m.indptr[r], m.indptr[r + 1]
            terms = {int(c): int(w) for c, w in zip(m.indices[a:z].tolist(), m.data[a:z].tolist()) if w}
            readout.append(_split(terms) + (int(circuit.readout_const[r, 0]),))
        inputs = [(k, sl.stop - sl.start) for k, sl in circuit.input_slices.items()]
        outputs = [(k, circuit.output_widths[k]) for k in circuit.output_names]
        groups = _schedule(sums, biases, {c for r in readout for part in r[:3] for c in part}, circuit.n_inputs)
        n = circuit.n_units                     # the readout's units, counted from the end
        readout = [(*(tuple(c - n for c in part) for part in r[:3]), r[3], r[4]) for r in readout]
        packed = cls(circuit.name, inputs, outputs, circuit.max_bound, groups, readout)
        if packed.n_units != circuit.n_units:
            raise AssertionError(f"{circuit.name}: packed {packed.n_units} units, compiled {circuit.n_units}")
        return packed

    def weights(self) -> tuple[list, list]:
        """Every unit's own weights and bias, ``[({column: weight}, bias)]`` for the units after the
        inputs (columns numbered from the first input, as in the compiled circuit), and every output bit's
        ``({column: weight}, const)``: the differences added back to their bases."""
        full, units, end = [], [], self.n_inputs
        for back, _, plus, minus, cols, weights, biases, *_ in self.groups:
            terms = dict(full[-back]) if back else {}
            for c, w in [(c, 1) for c in plus] + [(c, -1) for c in minus] + list(zip(cols, weights)):
                terms[end + c] = terms.get(end + c, 0) + w
                if not terms[end + c]:
                    del terms[end + c]
            full.append(terms)
            units += [(terms, b) for b in biases]
            end += len(biases)
        readout = [({**{end + c: 1 for c in p}, **{end + c: -1 for c in m}, **{end + c: w for c, w in zip(cs, ws)}}, k)
                   for p, m, cs, ws, k in self.readout]
        return units, readout

    # ----------------------------------------------------------------------------- plain data
    def to_data(self) -> tuple:
        """Everything, as nested tuples of ints and strings (what :func:`save_packed` stores)."""
        return (self.name, tuple(self.inputs), tuple(self.outputs), self.bound, tuple(self.groups),
                tuple(self.readout))

    @classmethod
    def from_data(cls, data) -> "PackedCircuit":
        name, inputs, outputs, bound, groups, readout = data
        if set(map(len, groups)) - {10} or set(map(len, readout)) - {5}:
            raise ValueError(f"{name}: not a packed circuit")
        return cls(name, inputs, outputs, bound, list(groups), list(readout))

    # ----------------------------------------------------------------------------- running
    def run_lanes(self, inputs: dict, lanes: int, lane_bits: int | None = None) -> dict:
        """Run on packed inputs: ``inputs[name]`` is a list of ``width`` packed integers (bit j of every
        lane in the j-th, each lane 0 or 1) over ``lanes`` lanes of ``lane_bits`` bits (default and
        minimum: :attr:`lane_bits`). Returns the outputs the same way, each lane checked to be 0 or 1."""
        bits = self.lane_bits if lane_bits is None else int(lane_bits)
        if bits < self.lane_bits:
            raise ValueError(f"{self.name}: lanes of {bits} bits are too narrow; exact needs >= {self.lane_bits}")
        if set(inputs) != {k for k, _ in self.inputs}:
            raise ValueError(f"{self.name}: inputs must be exactly {[k for k, _ in self.inputs]}, "
                             f"got {sorted(inputs)}")
        ones = lane_ones(lanes, bits)
        full = (1 << (lanes * bits)) - 1
        x = []
        for name, width in self.inputs:
            values = list(inputs[name])
            if len(values) != width:
                raise ValueError(f"{self.name}: input {name!r} needs {width} packed bits, got {len(values)}")
            if any(v < 0 or v & ~ones & full or v > full for v in values):
                raise ValueError(f"{self.name}: input {name!r} has a lane that is not 0 or 1")
            x += values
        tops = ones << (bits - 1)
        shift = bits - 1
        start: dict = {}                          # bias -> bias * ONES + OFFSET
        step: dict = {}                           # bias difference -> difference * ONES
        saved: dict = {}                          # group -> its sum, while a later group starts from it
        append = x.append
        for g, (back, bias_step, plus, minus, cols, weights, biases, keep, free, drop) in enumerate(self.groups):
            if not back:
                s = start.get(biases[0])
                if s is None:
                    s = start[biases[0]] = biases[0] * ones + tops
            elif bias_step:
                d = step.get(bias_step)
                if d is None:
                    d = step[bias_step] = bias_step * ones
                s = saved[g - back] + d
            else:
                s = saved[g - back]               # ints are immutable: adding makes a new one
            for c in plus:
                v = x[c]
                if v:                             # adding 0 would still copy S
                    s += v
            for c in minus:
                v = x[c]
                if v:
                    s -= v
            for c, w in zip(cols, weights):
                v = x[c]
                if v:
                    s += w * v
            if keep:
                saved[g] = s
            prev = biases[0]
            for b in biases:
                if b != prev:
                    d = step.get(b - prev)
                    if d is None:
                        d = step[b - prev] = (b - prev) * ones
                    s += d
                    prev = b
                t = s & tops
                if t == tops:                     # z >= 0 in every lane: relu(z) = z = S - OFFSET
                    append(s ^ tops)
                elif t:
                    append(s & (t - (t >> shift)))
                else:                             # z < 0 in every lane
                    append(0)
            for c in free:
                x[c] = None                       # read for the last time: let it go
            for earlier in drop:
                del saved[g - earlier]
        out, r = {}, 0
        for name, width in self.outputs:
            values = []
            for plus, minus, cols, weights, const in self.readout[r:r + width]:
                y = const * ones
                for c in plus:
                    y += x[c]
                for c in minus:
                    y -= x[c]
                for c, w in zip(cols, weights):
                    y += w * x[c]
                if y < 0 or y & ~ones & full or y > full:     # with |y| < 2^(bits-1) per lane: each is 0 or 1
                    raise ArithmeticError(f"{self.name}: an output bit is not exactly 0 or 1")
                values.append(y)
            out[name] = values
            r += width
        return out

    def run(self, **inputs) -> dict:
        """Like :meth:`CompiledCircuit.run`: integer inputs (sequences of equal length, or length 1 to
        broadcast), integer outputs (lists)."""
        names = [k for k, _ in self.inputs]
        if set(inputs) != set(names):
            raise ValueError(f"{self.name}: inputs must be exactly {names}, got {sorted(inputs)}")
        arrays = {k: [int(v) for v in (inputs[k] if hasattr(inputs[k], "__len__") else [inputs[k]])]
                  for k in names}
        size = max(len(a) for a in arrays.values())
        if any(len(a) not in (1, size) for a in arrays.values()):
            raise ValueError(f"{self.name}: inputs must have the same length")
        bits = self.lane_bits
        packed = {k: pack(a * size if len(a) == 1 else a, w, bits) for (k, w), a in zip(self.inputs, arrays.values())}
        out = self.run_lanes(packed, size, bits)
        return {k: unpack(v, size, bits) for k, v in out.items()}


def _split(terms: dict) -> tuple:
    """{column: weight} -> (columns with weight +1, columns with weight -1, the other columns, their
    weights), each sorted by column."""
    items = sorted(terms.items())
    return (tuple(c for c, w in items if w == 1), tuple(c for c, w in items if w == -1),
            tuple(c for c, w in items if w not in (0, 1, -1)), tuple(w for c, w in items if w not in (0, 1, -1)))


def _cost(terms: dict) -> int:
    """Big-integer operations to add ``terms`` to a sum: one per +-1 weight, two (multiply, add) otherwise."""
    return sum(1 if w in (1, -1) else 2 for w in terms.values())


def _schedule(sums: list, biases: list, read_out: set, n_inputs: int) -> list:
    """The groups of :class:`PackedCircuit`: each sum, from the earlier sum (of those sharing the most
    weights with it) that leaves the fewest operations, if that saves at least two; and when each value
    is needed for the last time."""
    index: dict = {}                              # (column, weight) -> the groups whose sum has it
    plans = []
    for g, terms in enumerate(sums):
        shared: dict = {}
        for item in terms.items():
            for h in index.get(item, ()):
                shared[h] = shared.get(h, 0) + 1
        best, best_cost, best_terms = -1, _cost(terms), terms
        for h in sorted(shared, key=lambda h: (len(sums[h]) - 2 * shared[h], -h))[:_CANDIDATES]:
            other = sums[h]
            delta = {c: terms.get(c, 0) - other.get(c, 0) for c in sorted(terms.keys() | other.keys())}
            delta = {c: w for c, w in delta.items() if w}
            cost = 1 + _cost(delta) + (biases[g][0] != biases[h][0])
            if cost <= best_cost - 2:
                best, best_cost, best_terms = h, cost, delta
        plans.append((best, best_terms))
        for item in terms.items():
            index.setdefault(item, []).append(g)
    last_read = {c: g for g, (_, terms) in enumerate(plans) for c in terms if c not in read_out}
    last_base = {base: g for g, (base, _) in enumerate(plans) if base >= 0}
    free = [[] for _ in plans]
    drop = [[] for _ in plans]
    for c, g in sorted(last_read.items()):
        free[g].append(c)
    for h, g in sorted(last_base.items()):
        drop[g].append(g - h)
    groups, end = [], n_inputs                      # end: how many values exist before group g
    for g, (base, terms) in enumerate(plans):
        after = end + len(biases[g])
        groups.append((g - base if base >= 0 else 0, biases[g][0] - biases[base][0] if base >= 0 else 0,
                       *_split({c - end: w for c, w in terms.items()}), tuple(biases[g]), int(g in last_base),
                       tuple(c - after for c in free[g]), tuple(drop[g])))
        end = after
    return groups


# --------------------------------------------------------------------------------- files
def save_packed(path, circuits: dict, meta: dict | None = None) -> None:
    """Write circuits (name: :class:`PackedCircuit`) and ``meta`` (a dict of ints and strings) to one file:
    a line of magic, then ``marshal`` data (nested tuples of ints and strings), zlib-compressed."""
    data = _shared({"meta": dict(meta or {}), "circuits": {key: c.to_data() for key, c in circuits.items()}}, {})
    with open(path, "wb") as f:
        f.write(_MAGIC + zlib.compress(marshal.dumps(data, 4), 9))


def _shared(value, seen: dict):
    """``value`` with equal ints, strings and tuples made one object, so that marshal writes each once and
    refers back to it (the file loads about three times faster)."""
    if isinstance(value, dict):
        return {_shared(k, seen): _shared(v, seen) for k, v in value.items()}
    if isinstance(value, tuple):
        value = tuple(_shared(v, seen) for v in value)
    return seen.setdefault((type(value), value), value)


def load_packed(path) -> tuple[dict, dict]:
    """The circuits :func:`save_packed` wrote, by name, and its ``meta``."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_MAGIC):
        raise ValueError(f"{path} is not a packed-circuits file of this version: rewrite it with  "
                         f"python -m mesaopt.loopnets.shipped")
    try:
        data = marshal.loads(zlib.decompress(raw[len(_MAGIC):]))
    except (ValueError, EOFError, TypeError, zlib.error) as err:
        raise ValueError(f"{path} could not be read ({err}); rewrite it with  python -m mesaopt.loopnets.shipped")
    return {key: PackedCircuit.from_data(c) for key, c in data["circuits"].items()}, data["meta"]
