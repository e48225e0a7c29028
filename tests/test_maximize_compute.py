"""Training compute: multiply-adds of one forward pass, and 6 FLOPs per multiply-add per training example."""
from __future__ import annotations

import pytest

from mesaopt.maximize.compute import forward_multiply_adds, training_flops
from mesaopt.maximize.models import MLP, RecurrentRefiner


def test_an_mlp_costs_its_weights():
    assert forward_multiply_adds(MLP(6, 128, 2)) == 7 * 128 + 128 * 128 + 128
    assert forward_multiply_adds(MLP(3, 64, 4)) == 4 * 64 + 3 * 64 * 64 + 64


def test_a_refiner_costs_its_proposal_and_each_step():
    model = RecurrentRefiner(6, 48)
    model.train_steps = 6
    propose = 7 * 48 + 48
    step = (7 + 3 + 48) * 48 + 48 + 3 * 7
    assert forward_multiply_adds(model) == propose + 7 * 13 + 6 * step
    assert forward_multiply_adds(model, steps=0) == propose + 7 * 13
    # the chapter's standard refiner and MLP cost about the same per polynomial
    assert abs(forward_multiply_adds(model) / forward_multiply_adds(MLP(6, 128, 2)) - 1) < 0.02


def test_training_flops_follow_the_six_n_d_rule():
    model = MLP(6, 64, 2)
    assert training_flops(model, updates=300, batch_size=256) == 6 * forward_multiply_adds(model) * 256 * 300
    with pytest.raises(ValueError, match="must be an MLP or a RecurrentRefiner"):
        forward_multiply_adds(object())
