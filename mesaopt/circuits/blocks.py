"""Blocks built from ReLU units: gates, adders, comparators, multiplexers, multipliers, mod, isqrt.

Numbers are lists of bit Values, least significant bit first. Every block adds units to the circuit
``c`` and returns Values. Carries use *chunked threshold units*: inside a chunk of ``CHUNK`` bits the
carry into bit p is one threshold test ``[sum_{j<p} 2^j (a_j + b_j) + carry_in >= 2^p]``
(two ReLU units), so a w-bit adder is ``ceil(w / CHUNK)`` layers deep and its largest
pre-activation is about ``2^(CHUNK+1)``, far below the float32 limit of ``2^24``. Operands whose
terms could be large (an affine sum bit, say) are first copied into a fresh 0/1 unit (``Circuit.small``),
so that no partial sum ever multiplies a big weight by a big unit.
"""
from __future__ import annotations

from .core import Circuit, Value, const, linear

__all__ = ["CHUNK", "zeros", "const_bits", "not_", "and_", "or_", "xor", "mux", "add", "increment", "sub_ge",
           "greater", "carry_save", "multiply", "mod_restoring", "isqrt", "isqrt_rem", "minimum"]

CHUNK = 16


def zeros(width: int) -> list[Value]:
    return [const(0) for _ in range(width)]


def const_bits(value: int, width: int) -> list[Value]:
    """The bits of a known integer as constants: a circuit built on them folds (constant folding)."""
    value = int(value)
    if value < 0 or value >= 1 << width:
        raise ValueError(f"{value} does not fit in {width} bits")
    return [const((value >> j) & 1) for j in range(width)]


def _same(a: Value, b: Value) -> bool:
    """True when two Values are the same affine combination of the same units."""
    return a.const == b.const and a.terms == b.terms


def _pad(bits: list[Value], width: int) -> list[Value]:
    return list(bits) + zeros(width - len(bits))


def not_(a: Value) -> Value:
    """1 - a: no unit, it folds into the next layer's weights."""
    return (1 - a).bit()


def and_(c: Circuit, a: Value, b: Value) -> Value:
    """relu(a + b - 1): one unit."""
    return c.relu(a + b - 1).bit()


def or_(c: Circuit, a: Value, b: Value) -> Value:
    """1 - relu(1 - a - b): one unit."""
    return (1 - c.relu(1 - a - b)).bit()


def xor(c: Circuit, a: Value, b: Value) -> Value:
    """a + b - 2 AND(a, b): one unit."""
    return (a + b - 2 * and_(c, a, b)).bit()


def mux(c: Circuit, s: Value, a: list[Value], b: list[Value]) -> list[Value]:
    """Bitwise ``a if s else b``: relu(s + a_j - 1) + relu(b_j - s), two units per bit (none where
    a_j and b_j are the same Value, e.g. the low bits of a remainder that a subtraction leaves alone)."""
    w = max(len(a), len(b))
    a, b = _pad(a, w), _pad(b, w)
    return [x if _same(x, y) else (c.relu(s + x - 1) + c.relu(y - s)).bit() for x, y in zip(a, b)]


def add(c: Circuit, a: list[Value], b: list[Value], carry_in: Value | int = 0,
        chunk: int = CHUNK) -> tuple[list[Value], Value]:
    """``a + b + carry_in``: (sum bits of width max(len a, len b), carry-out bit)."""
    w = max(len(a), len(b))
    a, b = [c.small(x) for x in _pad(a, w)], [c.small(x) for x in _pad(b, w)]
    carry = carry_in if isinstance(carry_in, Value) else const(int(carry_in))
    out = []
    for s in range(0, w, chunk):
        e = min(s + chunk, w)
        carries = [carry]
        for p in range(s + 1, e + 1):
            total = linear([(1 << (j - s), a[j]) for j in range(s, p)]
                           + [(1 << (j - s), b[j]) for j in range(s, p)] + [(1, carry)])
            carries.append(c.step(total, 1 << (p - s)))
        for p in range(s, e):
            out.append((a[p] + b[p] + carries[p - s] - 2 * carries[p - s + 1]).bit())
        carry = carries[-1]
    return out, carry


def increment(c: Circuit, a: list[Value]) -> list[Value]:
    """a + 1, one bit wider."""
    total, carry = add(c, a, zeros(len(a)), carry_in=1)
    return total + [carry]


def sub_ge(c: Circuit, a: list[Value], b: list[Value]) -> tuple[list[Value], Value]:
    """(a - b mod 2^w, [a >= b]) via a + NOT b + 1; the carry-out is the comparison."""
    w = max(len(a), len(b))
    return add(c, _pad(a, w), [not_(x) for x in _pad(b, w)], carry_in=1)


def greater(c: Circuit, a: list[Value], b: list[Value], chunk: int = CHUNK) -> Value:
    """[a > b] in two layers: per chunk g = [A_c > B_c], l = [A_c < B_c]; then
    [sum_c 2^c (g_c - l_c) >= 1] (the highest differing chunk decides)."""
    w = max(len(a), len(b))
    a, b = [c.small(x) for x in _pad(a, w)], [c.small(x) for x in _pad(b, w)]
    signs = []
    for s in range(0, w, chunk):
        e = min(s + chunk, w)
        d = linear([(1 << (j - s), a[j]) for j in range(s, e)] + [(-(1 << (j - s)), b[j]) for j in range(s, e)])
        signs.append(c.step(d, 1) - c.step(-d, 1))
    z = linear([(1 << k, sgn) for k, sgn in enumerate(signs)])
    return c.step(z, 1)


def minimum(c: Circuit, a: list[Value], b: list[Value]) -> list[Value]:
    """min(a, b) = b if a > b else a."""
    return mux(c, greater(c, a, b), b, a)


def carry_save(c: Circuit, a: list[Value], b: list[Value], d: list[Value]) -> tuple[list[Value], list[Value]]:
    """Three numbers of width w -> two (sum, carry) with the same total mod 2^w, in one layer of full
    adders plus one of copies: per bit, t = a_p + b_p + d_p, carry = [t >= 2] (the units relu(t - 1)
    and relu(t - 2)), sum = t - 2 carry (free). No carry ripples, so the depth does not grow with w."""
    w = max(len(a), len(b), len(d))
    sums, carries = [], [const(0)]
    for x, y, z in zip(_pad(a, w), _pad(b, w), _pad(d, w)):
        t = c.small(x) + c.small(y) + c.small(z)
        carry = c.step(t, 2)
        sums.append((t - 2 * carry).bit())
        carries.append(carry)
    return sums, carries[:w]


def _add_rows(c: Circuit, rows: list[list[Value]]) -> list[Value]:
    """The sum of the rows (mod 2^width): carry-save layers down to two rows (a Wallace tree), then
    one chunked adder."""
    while len(rows) > 2:
        nxt = []
        for k in range(0, len(rows) - 2, 3):
            nxt += list(carry_save(c, *rows[k:k + 3]))
        nxt += rows[len(rows) - len(rows) % 3:]
        rows = nxt
    return add(c, rows[0], rows[1])[0] if len(rows) == 2 else rows[0]


def multiply(c: Circuit, a: list[Value], b: list[Value]) -> list[Value]:
    """a * b (width len a + len b): partial products AND(a_j, b_k), summed by carry-save layers and
    one final adder (:func:`_add_rows`)."""
    w = len(a) + len(b)
    rows = []
    for k, bk in enumerate(b):
        row = zeros(k) + [a[j] if a[j] is bk else and_(c, a[j], bk) for j in range(len(a))]
        rows.append(_pad(row, w))
    return _add_rows(c, rows) if rows else zeros(w)


def mod_restoring(c: Circuit, x: list[Value], n: list[Value], quotient_bits: int) -> list[Value]:
    """x mod n by restoring division, assuming x < n * 2**quotient_bits (and n >= 1).

    Stage j (from the top): if R >= n * 2^j then R -= n * 2^j. Before stage j, R < n * 2^(j+1) <
    2^(len(n) + j + 1), so the stage works on those low bits only (the bits above are known zeros).
    Result width len(n)."""
    r = list(x)
    for j in reversed(range(quotient_bits)):
        top = len(n) + j + 1
        r = _pad(r, top)[:top]
        shifted = zeros(j) + list(n)
        diff, ge = sub_ge(c, r, shifted)
        r = mux(c, ge, diff, r)
    return _pad(r, len(n))[:len(n)]


def isqrt_rem(c: Circuit, x: list[Value]) -> tuple[list[Value], list[Value]]:
    """(r, x - r*r) with r = floor(sqrt(x)) of width wr = ceil(len(x) / 2), by the binary
    digit-by-digit method: with bit = 4^j from the top, if rem >= res + bit: rem -= res + bit;
    res = res/2 + bit, else res = res/2. ``res`` is always a multiple of 4 * bit, so res + bit just
    sets one bit. Before stage j, rem < 2^(wr + j + 2) and res + bit < 2^(wr + j + 1), so the stage
    works on those low bits only. The remainder x - r*r <= 2r has width wr + 1."""
    wr = (len(x) + 1) // 2
    w = 2 * wr
    rem = _pad(x, w)
    res = zeros(w)
    for j in reversed(range(wr)):
        top = min(w, wr + j + 2)
        trial = list(res)
        trial[2 * j] = const(1)
        diff, ge = sub_ge(c, rem[:top], trial[:top])
        rem = mux(c, ge, diff, rem[:top]) + zeros(w - top)
        res = res[1:] + [const(0)]
        res[2 * j] = c.small(ge)
    return res[:wr], rem[:wr + 1]


def isqrt(c: Circuit, x: list[Value]) -> list[Value]:
    """floor(sqrt(x)), width ceil(len(x) / 2) (see :func:`isqrt_rem`)."""
    return isqrt_rem(c, x)[0]
