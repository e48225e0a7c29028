"""Memorizing against searching: the memory answers from its nearest stored polynomial, uses the task's
symmetries, and its regret falls with B at about the predicted rate while grid search's falls like G^-2."""
from __future__ import annotations

import numpy as np
import pytest

from mesaopt.maximize import memorize as M
from mesaopt.maximize import polynomials as P


def test_a_stored_polynomial_gets_its_own_argmax_and_so_do_its_scaled_and_shifted_copies():
    memory = M.NearestNeighbourMemory(300, degree=4, seed=0)
    stored = P.sample_polynomials(300, 4, seed=M.MEMORY_SEED_OFFSET)
    arg = P.exact_maximum(stored)[0]
    assert np.allclose(memory(stored), arg)
    shifted = 3.0 * stored + np.eye(5)[0] * 7.0  # times 3, plus 7: same argmax
    assert np.allclose(memory(shifted), arg)
    with pytest.raises(ValueError, match="holds degree-4 polynomials"):
        memory(P.sample_polynomials(2, 6, seed=0))


def test_cost_counts():
    assert M.memory_multiply_adds(100, 6) == 600 and M.grid_multiply_adds(100, 6) == 700


def test_rates_memory_slows_with_degree_grid_does_not():
    table = M.memorize_vs_search([2, 5], [16, 64, 256], test_count=400)
    memory_slopes = M.fitted_slopes(table["budgets"], table["memory"])
    grid_slopes = M.fitted_slopes(table["budgets"], table["grid"])
    assert np.all(np.abs(grid_slopes + 2) < 0.4)       # G^-2 at both degrees
    assert memory_slopes[0] < -1.4                      # degree 2: one direction to learn, about B^-2
    assert -0.9 < memory_slopes[1] < -0.25              # degree 5: about B^(-2/4)
    assert np.all(table["memory"] > table["grid"])      # at matched cost, grid search is better here
