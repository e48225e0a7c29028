"""Chapter 1's exercise checkers pass the reference, fail wrong answers, and flag stubs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.maximize.exercises import (check_grid_weights, check_regret_loss, reference_grid_weights,
                                   reference_regret_loss)
from mesaopt.checking import ExerciseFailed, NotImplementedYet
from mesaopt.maximize.models import torch_evaluate


def stub(*args):
    raise NotImplementedError


def test_grid_layer_checker():
    assert "correct" in check_grid_weights(reference_grid_weights)
    with pytest.raises(ExerciseFailed, match="misses P at the grid"):
        # unshifted Legendre: a classic slip
        check_grid_weights(lambda G, d: np.polynomial.legendre.legvander(np.linspace(0, 1, G), d))
    with pytest.raises(ExerciseFailed, match="shape"):
        check_grid_weights(lambda G, d: reference_grid_weights(G, d)[:, :-1])
    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_grid_weights(stub)


def test_regret_loss_checker():
    assert "correct" in check_regret_loss(reference_regret_loss)
    with pytest.raises(ExerciseFailed):  # the post's squared loss is a different function
        check_regret_loss(lambda c, x, m: ((m - torch_evaluate(c, x, "legendre")) ** 2).mean())
    with pytest.raises(ExerciseFailed, match="one number"):
        check_regret_loss(lambda c, x, m: m - torch_evaluate(c, x, "legendre"))
    with pytest.raises(ExerciseFailed, match="differentiable"):
        check_regret_loss(lambda c, x, m: torch.tensor(float((m - torch_evaluate(c, x, "legendre")).mean().detach())))
    with pytest.raises(NotImplementedYet):
        check_regret_loss(stub)
