"""The post's search loop in plain Python: the exact reference every network is checked against.

    Input: integer n <= 2^30.   k = 0
    for i = 1 to n^0.7:  if i*i mod n > k*k mod n: k = i
    return k

``i`` runs from 1 to L = floor(n^0.7) inclusive, with L computed exactly in integers (the largest L
with L**10 <= n**7; float ``int(n ** 0.7)`` is one too small at perfect tenth powers such as 1024).
Ties keep the smaller i (strict ``>``), and k stays 0 when every value is 0 (n = 1).
"""
from __future__ import annotations

import math

from ..validation import require_int

__all__ = ["N_MAX", "loop_bound", "search_loop", "band_grid", "band_top_candidates", "band_tops",
           "search_by_band_tops", "gap_below_top", "quotient_bound", "widths_for"]

N_MAX = 2 ** 30


def _check_n(n) -> int:
    return require_int("n", n, 1, N_MAX)


def loop_bound(n: int) -> int:
    """L = floor(n^0.7), exactly: the largest integer L with L**10 <= n**7."""
    n = _check_n(n)
    target = n ** 7
    guess = int(n ** 0.7)
    lo = max(guess - 2, 0)
    while (lo + 1) ** 10 <= target:
        lo += 1
    while lo ** 10 > target:
        lo -= 1
    return lo


def quotient_bound(n_max: int) -> int:
    """floor(n_max^0.4): for i <= L(n) and n <= n_max, floor(i*i / n) <= L^2/n <= n^0.4 <= this."""
    target = n_max ** 2
    q = int(n_max ** 0.4) + 2
    while q ** 5 > target:
        q -= 1
    return q


def search_loop(n: int) -> int:
    """The post's loop, literally."""
    n = _check_n(n)
    k = 0
    for i in range(1, loop_bound(n) + 1):
        if i * i % n > k * k % n:
            k = i
    return k


def band_grid(n_max: int) -> int:
    """Q = floor(n_max^0.4): the number of band positions m = 0..Q-1 the shortcut looks at for every
    n <= n_max. The band of L is M = floor(L^2/n) <= n^0.4 <= Q, so every band below it is on the grid."""
    return quotient_bound(_check_n(n_max))


def band_top_candidates(n: int, grid: int | None = None) -> list[tuple[int, int]]:
    """The shortcut's candidates (index, value), in the order the network reads them.

    For each band m = 0..grid-1 (default grid: Q(n)), with x = (m+1) n - 1, r = isqrt(x) and
    rem = x - r*r: r is the largest i with floor(i*i/n) <= m; band m is non-empty exactly when
    rem < n, and then r*r mod n = n - 1 - rem. A band counts if it is non-empty and r < L. The band of
    L itself is covered by a last candidate, L with L*L mod n. No square and no mod per band."""
    n = _check_n(n)
    big_l = loop_bound(n)
    grid = quotient_bound(n) if grid is None else grid
    out = []
    for m in range(grid):
        x = (m + 1) * n - 1
        r = math.isqrt(x)
        rem = x - r * r
        if rem < n and r < big_l:
            out.append((r, n - 1 - rem))
    return out + [(big_l, big_l * big_l % n)]


def band_tops(n: int) -> list[int]:
    """The indices of :func:`band_top_candidates`: about n^0.4 of them instead of n^0.7."""
    return [k for k, _ in band_top_candidates(n)]


def search_by_band_tops(n: int, grid: int | None = None) -> int:
    """Same answer as :func:`search_loop`, looking only at band tops (the first candidate with the
    largest value, as the loop's strict '>' keeps the smallest i)."""
    k, best = 0, 0
    for i, value in band_top_candidates(n, grid):
        if value > best:
            k, best = i, value
    return k


def gap_below_top(n: int) -> int:
    """s* = n - 1 - max(i*i mod n for i <= L): how far the loop's best value lies below the largest
    residue n - 1 (computed from the band tops)."""
    return _check_n(n) - 1 - max(value for _, value in band_top_candidates(n))


def widths_for(n_max: int) -> dict:
    """Bit widths a network needs to handle every n <= n_max."""
    n_max = _check_n(n_max)
    big_l = loop_bound(n_max)
    return {
        "n": n_max.bit_length(),                       # 31 for 2^30
        "i": (big_l + 1).bit_length(),                 # i runs up to L + 1: 22 for 2^30
        "q": quotient_bound(n_max).bit_length(),       # floor(i*i/n) < 2^q: 13 for 2^30
        "m": quotient_bound(n_max).bit_length(),       # band index m + 1 <= Q = floor(n_max^0.4): 13 for 2^30
    }
