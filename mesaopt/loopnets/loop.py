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

__all__ = ["N_MAX", "loop_bound", "search_loop", "band_tops", "search_by_band_tops", "quotient_bound",
           "widths_for"]

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


def band_tops(n: int) -> list[int]:
    """The candidates of the shortcut: 0 and, for each band m = floor(i*i/n) = 0..floor(L^2/n),
    its largest member i_m = min(L, isqrt((m+1) n - 1))."""
    n = _check_n(n)
    big_l = loop_bound(n)
    return [0] + [min(big_l, math.isqrt((m + 1) * n - 1)) for m in range(big_l * big_l // n + 1)]


def search_by_band_tops(n: int) -> int:
    """Same answer as :func:`search_loop`, looking only at band tops (about n^0.4 of them)."""
    k = 0
    for i in band_tops(n):
        if i * i % n > k * k % n:
            k = i
    return k


def widths_for(n_max: int) -> dict:
    """Bit widths a network needs to handle every n <= n_max."""
    n_max = _check_n(n_max)
    big_l = loop_bound(n_max)
    return {
        "n": n_max.bit_length(),                       # 31 for 2^30
        "i": (big_l + 1).bit_length(),                 # i runs up to L + 1: 22 for 2^30
        "q": quotient_bound(n_max).bit_length(),       # floor(i*i/n) < 2^q: 13 for 2^30
        "m": (quotient_bound(n_max) + 1).bit_length(), # band index m + 1 <= n^0.4 + 1
    }
