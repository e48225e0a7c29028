"""The exact reference of the post's loop and the band-top shortcut it is compared with."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mesaopt.loopnets.loop import (N_MAX, band_grid, band_top_candidates, band_tops, gap_below_top, loop_bound,
                                   quotient_bound,
                                   search_by_band_tops, search_loop, widths_for)


def test_loop_bound_is_exact_where_float_power_is_wrong():
    for a in range(2, 9):                               # perfect tenth powers a^10 <= 2^30
        n = a ** 10
        assert loop_bound(n) == a ** 7
        assert int(n ** 0.7) == a ** 7 - 1              # the float shortcut is one too small here
    for n in [1, 2, 3, 1000, 4096, 10 ** 6, N_MAX]:
        big_l = loop_bound(n)
        assert big_l ** 10 <= n ** 7 < (big_l + 1) ** 10
    assert loop_bound(N_MAX) == 2 ** 21


def test_loop_edge_cases():
    assert search_loop(1) == 0                          # every value is 0: k stays 0
    assert search_loop(2) == 1                          # L = 1: 1*1 mod 2 = 1 > 0
    assert search_loop(4) == 1                          # 1 mod 4 = 1, 4 mod 4 = 0
    # ties keep the smaller i: for n = 12, L = 5, values 1, 4, 9, 4, 1 -> k = 3 (9)
    assert search_loop(12) == 3
    # n = 10: L = 5, values 1, 4, 9, 6, 5 -> k = 3
    assert search_loop(10) == 3
    with pytest.raises(ValueError, match=r"\[1, 1073741824\]"):
        search_loop(0)
    with pytest.raises(ValueError):
        search_loop(N_MAX + 1)


def test_ties_keep_the_smaller_index():
    for n in range(2, 400):
        values = [i * i % n for i in range(loop_bound(n) + 1)]
        assert search_loop(n) == values.index(max(values))


def test_band_tops_give_the_same_answer_and_are_few():
    for n in range(1, 3000):
        assert search_by_band_tops(n) == search_loop(n)
    rng = np.random.default_rng(1)
    for n in [N_MAX, N_MAX - 1, 8 ** 10, *rng.integers(2 ** 29, N_MAX, 4)]:
        n = int(n)
        assert search_by_band_tops(n) == search_loop(n)
        tops = band_tops(n)
        assert len(tops) <= quotient_bound(n) + 1 and tops == sorted(set(tops))   # strictly increasing
    assert len(band_tops(N_MAX)) == 2 ** 12 + 1          # bands m = 0..4095, then L


def test_every_n_uses_the_fixed_grid_of_the_largest_n():
    """The network's grid Q(n_max) = floor(n_max^0.4) serves every smaller n: bands beyond L's are dropped."""
    grid = band_grid(N_MAX)
    assert grid == quotient_bound(N_MAX) == 2 ** 12
    for n in [1, 2, 3, 10, 1000, 4096, 99_991, 2 ** 20, 3 ** 10]:
        assert band_top_candidates(n, grid) == band_top_candidates(n)
        assert search_by_band_tops(n, grid) == search_loop(n)


def test_the_remainder_rule_and_the_proof_steps_exhaustively():
    """For every n <= 1500 and every band m <= M = floor(L^2/n): with x = (m+1) n - 1, r = isqrt(x),
    rem = x - r^2: r is the largest i with floor(i^2/n) <= m; the band is non-empty iff rem < n; then
    r^2 mod n = n - 1 - rem; band tops never decrease in m; and the loop's k is 0, L or a top below L."""
    for n in range(1, 1501):
        big_l = loop_bound(n)
        top_band = big_l * big_l // n
        members = {}
        for i in range(big_l + 1):
            members.setdefault(i * i // n, []).append(i)
        previous = -1
        for m in range(top_band + 1):
            x = (m + 1) * n - 1
            r = math.isqrt(x)
            rem = x - r * r
            assert (r * r) // n <= m < ((r + 1) ** 2) // n
            assert (m in members) == (rem < n)
            if rem < n:
                assert r * r % n == n - 1 - rem and min(r, big_l) == members[m][-1]
            assert r >= previous                        # band tops never decrease in m
            previous = r
        k = search_loop(n)
        assert k in {0, big_l} or (k < big_l and k == members[k * k // n][-1])


def test_widths_match_the_toolchain_notes():
    assert widths_for(N_MAX) == {"n": 31, "i": 22, "q": 13, "m": 13}
    assert quotient_bound(N_MAX) == 2 ** 12
    for n in [5, 100, 4096, 99_999]:
        w = widths_for(n)
        assert max(loop_bound(m) ** 2 // m for m in range(1, n + 1)) < 2 ** w["q"]
        assert loop_bound(n) + 1 < 2 ** w["i"] and n < 2 ** w["n"]
    assert math.isqrt(2 ** 42) == 2 ** 21


def test_gap_below_the_top_residue():
    for n in range(1, 400):
        big_l = loop_bound(n)
        assert gap_below_top(n) == n - 1 - max(i * i % n for i in range(big_l + 1))
