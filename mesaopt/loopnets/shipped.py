"""The shortcut network's compiled weights, shipped with the package for a ladder of widths, and the
plain-Python runner that evaluates them: what ``python -m mesaopt.search N`` runs.

For each k in :data:`LADDER`, ``mesaopt/loopnets/data/shortcut_n_max_2p<k>.bin`` holds the three circuits
of :class:`mesaopt.loopnets.nets.ShortcutSearch` built for every n <= 2^k (its band-top circuit, its
position circuit, its max node) as :class:`mesaopt.circuits.packed.PackedCircuit` data. As one picks a
16-bit or a 32-bit adder, :func:`rung_for` picks the narrowest network that covers n: a narrower one has
smaller circuits and a shorter fixed grid of floor(n_max^0.4) band positions, so a small n costs little.
Loading needs no numpy, scipy or torch. The tests rebuild the circuits and check that the files hold
exactly the same weights; after changing the circuits or the compiler, rewrite them:

    python -m mesaopt.loopnets.shipped

:class:`PackedShortcut` computes what :meth:`ShortcutSearch.run` computes, with the same weights and
biases, each circuit evaluated on packed lanes (one lane per band position and n): the band-top circuit at
the grid positions m = 0..Q-1, the position circuit at i = L, then the max tree of the shared node over the
Q + 1 candidates padded with (0, 0) to a power of two, as ``tree_argmax`` does. For the tree to pair the
two halves of a packed integer (a shift, not a gather), the Q + 1 positions are cut into aligned
power-of-two blocks (Q + 1 in binary) and each block holds its positions in bit-reversed order: then lane j
and lane j + half hold the neighbours 2t and 2t + 1 that ``tree_argmax`` pairs, the smaller index on the
left, and the node's result for t lands in lane j, where the next level expects it. The blocks' levels
run together, and subtrees made only of padding are skipped: a node whose right child is the padding
(0, 0) returns its left child (the right one wins only with a strictly larger value), so the padded tree's
root is node(b1, node(b2, ...)) over the blocks' results b1, b2, ....
"""
from __future__ import annotations

import os

from ..circuits.packed import PackedCircuit, lane_ones, load_packed, pack, save_packed, unpack
from .loop import band_grid, loop_bound

__all__ = ["LADDER", "DATA", "shipped_path", "rung_for", "PackedShortcut", "load_shortcut", "compile_shortcut",
           "write_shortcut", "write_all"]

LADDER = (8, 12, 16, 20, 22, 24, 25, 26, 27, 28, 29, 30)   # n_max = 2^k: the widths shipped, finer where
#   the network and the loop both take long (from 2^24 on: benchmarks/search_speed.py)
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def shipped_path(k: int) -> str:
    return os.path.join(DATA, f"shortcut_n_max_2p{k}.bin")


def rung_for(n_max: int) -> int:
    """The smallest k in :data:`LADDER` with 2^k >= n_max: the narrowest shipped network covering n_max."""
    for k in LADDER:
        if n_max <= 1 << k:
            return k
    raise ValueError(f"n must be at most 2^{LADDER[-1]}, got {n_max}")


class PackedShortcut:
    """The shortcut network for every n <= ``n_max``, run on packed lanes (see the module docstring)."""

    name = "shortcut"

    def __init__(self, n_max: int, circuits: dict):
        self.n_max = int(n_max)
        self.grid = band_grid(self.n_max)
        self.candidate, self.last, self.node = circuits["candidate"], circuits["last"], circuits["node"]
        self.lane_bits = max(c.lane_bits for c in (self.candidate, self.last, self.node))
        size, self.blocks, start = self.grid + 1, [], 0      # aligned power-of-two blocks of Q + 1 positions
        for a in range(size.bit_length() - 1, -1, -1):
            if size >> a & 1:
                self.blocks.append((start, a))
                start += 1 << a

    def circuits(self) -> dict:
        return {"candidate": self.candidate, "last": self.last, "node": self.node}

    def run(self, ns) -> list[int]:
        """k for every n in ``ns`` (each in 1..n_max), all n in one batch."""
        ns = [int(n) for n in ns]
        if not ns or min(ns) < 1 or max(ns) > self.n_max:
            raise ValueError(f"every n must be an integer in [1, {self.n_max}] for this network")
        bits, batch, grid = self.lane_bits, len(ns), self.grid
        ls = [loop_bound(n) for n in ns]
        row = batch * bits                                   # one position: a lane for every n
        per_position = lane_ones(grid, row)                  # 1 at the first lane of every grid position
        n_bits = {"n": _batch_bits(ns, self._width(self.candidate, "n"), bits),
                  "L": _batch_bits(ls, self._width(self.candidate, "L"), bits)}
        m_bits = [pattern * lane_ones(batch, bits) for pattern in self._m_patterns(row)]
        cand = self.candidate.run_lanes({"m": m_bits, **{k: [b * per_position for b in v] for k, v in n_bits.items()}},
                                        grid * batch, bits)
        last = self.last.run_lanes({"i": _batch_bits(ls, self._width(self.last, "i"), bits),
                                    "n": _batch_bits(ns, self._width(self.last, "n"), bits),
                                    "L": _batch_bits(ls, self._width(self.last, "L"), bits)}, batch, bits)
        k_width, v_width = self._width(self.node, "kl"), self._width(self.node, "vl")
        at = grid * row                                      # the last candidate goes to position Q
        ks = [c | (l << at) for c, l in zip(_fit(cand["k"], k_width), _batch_bits(ls, k_width, bits))]
        vs = [c | (l << at) for c, l in zip(_fit(cand["v"], v_width), _fit(last["v"], v_width))]
        blocks = []                                          # each block: a complete subtree, halved level by level
        for start, a in self.blocks:
            mask = (1 << ((1 << a) * row)) - 1
            blocks.append([a, [x >> (start * row) & mask for x in ks + vs]])
        while blocks[0][0]:                                  # one level of every unfinished block, in one run
            lefts, rights, placed, total = [0] * len(blocks[0][1]), [0] * len(blocks[0][1]), [], 0
            for block in blocks:
                if block[0]:
                    half = (1 << (block[0] - 1)) * row
                    low = (1 << half) - 1
                    for j, x in enumerate(block[1]):
                        lefts[j] |= (x & low) << total
                        rights[j] |= (x >> half) << total
                    placed.append((block, total, low))
                    total += half
            out = self.node.run_lanes({"kl": lefts[:k_width], "vl": lefts[k_width:], "kr": rights[:k_width],
                                       "vr": rights[k_width:]}, total // bits, bits)
            both = out["k"] + out["v"]
            for block, at, low in placed:
                block[0] -= 1
                block[1] = [x >> at & low for x in both]
        k, v = blocks[-1][1][:k_width], blocks[-1][1][k_width:]
        for _, kv in reversed(blocks[:-1]):                  # node(b1, node(b2, ...)): the padded tree's root
            out = self.node.run_lanes({"kl": kv[:k_width], "vl": kv[k_width:], "kr": k, "vr": v}, batch, bits)
            k, v = out["k"], out["v"]
        return unpack(k, batch, bits)

    @staticmethod
    def _width(circuit: PackedCircuit, name: str) -> int:
        return dict(circuit.inputs)[name]

    def _m_patterns(self, row: int) -> list[int]:
        """Bit j of the band index m at each grid position, one bit per position (at its first lane):
        within a block of 2^a positions starting at s, position s + p holds m = s + bitrev_a(p)."""
        width = self._width(self.candidate, "m")
        out = [0] * width
        for start, a in self.blocks:
            size = 1 << a
            for j in range(width):
                if j >= a:                                    # the block's offset decides bit j
                    block = lane_ones(size, row) if start >> j & 1 else 0
                else:                                         # bit j of bitrev_a(p) is bit a-1-j of p
                    run = 1 << (a - 1 - j)
                    block = _runs(run, size, row)
                out[j] |= block << (start * row)
        keep = (1 << (self.grid * row)) - 1                   # position Q is the last candidate's, not the grid's
        return [x & keep for x in out]


def _runs(run: int, size: int, row: int) -> int:
    """1 at the positions p < size (each ``row`` bits wide) whose bit log2(run) is set."""
    pattern = lane_ones(run, row) << (run * row)              # one period: run off, then run on
    period = 2 * run
    while period < size:
        pattern |= pattern << (period * row)
        period *= 2
    return pattern


def _batch_bits(values: list[int], width: int, bits: int) -> list[int]:
    """Bit j of each value, packed: one lane per value."""
    if len(values) == 1 and not values[0] >> width:            # one lane: the bits themselves
        return [values[0] >> j & 1 for j in range(width)]
    return pack(values, width, bits)


def _fit(bits: list[int], width: int) -> list[int]:
    """Packed bits padded with zeros to ``width`` (higher bits must be 0 in every lane)."""
    if any(bits[width:]):
        raise ArithmeticError(f"a value does not fit in the {width} bits the next circuit reads")
    return list(bits[:width]) + [0] * (width - len(bits))


# --------------------------------------------------------------------------------- the files
def load_shortcut(k: int = LADDER[-1], path=None) -> PackedShortcut:
    """The shipped shortcut network for every n <= 2^k (or the one stored at ``path``)."""
    path = str(path) if path is not None else shipped_path(k)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: run  python -m mesaopt.loopnets.shipped  to compile it")
    circuits, meta = load_packed(path)
    return PackedShortcut(int(meta["n_max"]), circuits)


def compile_shortcut(k: int) -> PackedShortcut:
    """A fresh compile of the shortcut network for every n <= 2^k, as packed circuits (needs numpy)."""
    from .nets import ShortcutSearch

    parts = ShortcutSearch(1 << k).parts()
    return PackedShortcut(1 << k, {name: PackedCircuit.from_compiled(c) for name, c in parts.items()})


def write_shortcut(k: int, path=None) -> str:
    """Compile the shortcut network for every n <= 2^k and store it at ``path`` (default: the shipped file)."""
    path = str(path) if path is not None else shipped_path(k)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_packed(path, compile_shortcut(k).circuits(), {"n_max": 1 << k})
    return path


def write_all() -> list[str]:
    """Rewrite every shipped file of the ladder (and remove files of widths no longer shipped)."""
    paths = [write_shortcut(k) for k in LADDER]
    for name in os.listdir(DATA):
        old = os.path.join(DATA, name)
        if name.startswith("shortcut_n_max_2p") and old not in paths:
            os.remove(old)
    return paths


if __name__ == "__main__":
    for written in write_all():
        print(f"wrote {written} ({os.path.getsize(written):,} bytes)")
