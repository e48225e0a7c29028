"""Training compute of chapter 1's models, counted the usual way.

The counting rule (the "6 N D" estimate of Kaplan et al. 2020, stated for our models):

* ``forward_multiply_adds(model)``: the multiply-adds of one forward pass for one polynomial. For an
  :class:`~mesaopt.maximize.models.MLP` that is the number of weights (``in * out`` summed over its linear
  layers). For a :class:`~mesaopt.maximize.models.RecurrentRefiner` run for T steps: its proposal head,
  plus T times its cell and move layers, plus the fixed layer that computes P and P' at the guess
  (``(d + 1)(2d + 1)`` once to convert the coefficients, then ``3(d + 1)`` a step for the powers of x,
  P(x) and P'(x)).
* ``training_flops``: 2 FLOPs per multiply-add, and the backward pass costs twice the forward pass, so
  one training example costs ``6 * forward_multiply_adds`` FLOPs; times the examples seen
  (``batch_size * updates``).

Not counted: biases, activations, the loss, Adam's update, and making the training data (the exact
maxima of the training polynomials); each is small next to the weight products for the wider models
and the same for every model of a given kind.
"""
from __future__ import annotations

from torch import nn

from mesaopt.maximize.models import MLP, RecurrentRefiner
from mesaopt.validation import require_int

__all__ = ["forward_multiply_adds", "training_flops"]


def _linear_weights(module: nn.Module) -> int:
    return sum(layer.in_features * layer.out_features for layer in module.modules() if isinstance(layer, nn.Linear))


def forward_multiply_adds(model, steps: int | None = None) -> int:
    """Multiply-adds of one forward pass for one polynomial (see the module docstring for the rule).

    ``steps``: a refiner's number of iterations (default: the number it was trained with).
    """
    if isinstance(model, MLP):
        return _linear_weights(model)
    if isinstance(model, RecurrentRefiner):
        steps = require_int("steps", model.train_steps if steps is None else steps, 0, 10_000)
        d = model.degree
        propose = _linear_weights(model.propose) if model.start == "learned" else 0
        per_step = _linear_weights(model.cell) + _linear_weights(model.move) + 3 * (d + 1)
        return propose + (d + 1) * (2 * d + 1) + steps * per_step
    raise ValueError(f"model must be an MLP or a RecurrentRefiner, got {type(model).__name__}")


def training_flops(model, updates: int, batch_size: int, steps: int | None = None) -> float:
    """Training compute in FLOPs: ``6 * forward_multiply_adds(model) * batch_size * updates``."""
    updates = require_int("updates", updates, 0, None)
    batch_size = require_int("batch_size", batch_size, 1, None)
    return 6.0 * forward_multiply_adds(model, steps) * batch_size * updates
