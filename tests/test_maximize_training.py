"""Training: deterministic, learns something real in a few hundred updates, and predict's contract."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P
from mesaopt.maximize import training as T


@pytest.fixture(scope="module")
def test_set():
    coeffs = P.sample_polynomials(1000, seed=1)
    return coeffs, P.exact_maximum(coeffs)[1]


def test_a_short_mlp_run_beats_the_constant_guess_and_is_repeatable(test_set):
    coeffs, top = test_set
    a = T.train_mlp(width=32, updates=300, seed=3)
    b = T.train_mlp(width=32, updates=300, seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    trained = P.regret(coeffs, T.predict(a, coeffs), max_value=top).mean()
    constant = P.regret(coeffs, B.constant_guess(coeffs), max_value=top).mean()
    assert trained < 0.7 * constant
    assert len(a.history["regret"]) == 100 and a.history["update"][-1] == 300


@pytest.mark.parametrize("loss", T.LOSSES)
def test_every_loss_trains(loss):
    model = T.train_mlp(width=16, updates=60, loss=loss, seed=0)
    assert model.loss_name == loss
    assert np.isfinite(model.history["loss"]).all()
    assert model.history["regret"][-1] < model.history["regret"][0]


def test_refiner_trains_and_predict_passes_steps(test_set):
    coeffs, top = test_set
    model = T.train_refiner(width=16, steps=3, updates=100, seed=0)
    x3 = T.predict(model, coeffs, steps=3)
    x0 = T.predict(model, coeffs, steps=0)
    assert x3.shape == (1000,) and x3.dtype == np.float64
    assert np.array_equal(T.predict(model, coeffs), x3)  # default: the trained number of steps
    assert P.regret(coeffs, x3, max_value=top).mean() < P.regret(coeffs, x0, max_value=top).mean()


def test_predict_accepts_plain_functions():
    coeffs = P.sample_polynomials(5, seed=0)
    assert np.array_equal(T.predict(lambda c: B.grid_search(c, 8), coeffs), B.grid_search(coeffs, 8))


def test_standard_models_use_the_standard_settings(monkeypatch):
    small = {name: dict(s, updates=20, width=8) for name, s in T.STANDARD_SETTINGS.items()}
    monkeypatch.setattr(T, "STANDARD_SETTINGS", small)
    calls = []
    models = T.train_standard_models(seed=0, progress=lambda step, total: calls.append(step))
    assert set(models) == set(small)
    assert models["mlp_squared"].loss_name == "squared" and models["mlp_regret"].loss_name == "regret"
    assert calls  # the progress function was called
    x = T.predict(models["refiner"], P.sample_polynomials(4, seed=0), steps=2)
    assert x.shape == (4,)


def test_training_arguments_are_checked():
    with pytest.raises(ValueError, match="loss must be one of"):
        T.train_mlp(loss="hinge", updates=1)
    with pytest.raises(ValueError, match="updates must be an integer"):
        T.train_mlp(updates=0)


def test_fresh_data_never_repeats_a_polynomial_and_is_repeatable():
    a = T._Batches("fresh", 6, "legendre", seed=1, batch_size=64, teacher_G=None)
    b = T._Batches("fresh", 6, "legendre", seed=1, batch_size=64, teacher_G=None)
    first = [a.next() for _ in range(T._FRESH_CHUNK_BATCHES + 3)]   # crosses a chunk boundary
    again = [b.next() for _ in range(T._FRESH_CHUNK_BATCHES + 3)]
    assert all(torch.equal(x[0], y[0]) for x, y in zip(first, again))
    rows = torch.cat([c for c, _, _ in first])
    assert len(torch.unique(rows, dim=0)) == len(rows)
    c, arg, top = first[-1]
    assert np.allclose(P.exact_maximum(c.double().numpy())[0], arg.numpy(), atol=1e-5)
    pool = T.training_pool()[0]
    assert not torch.equal(c, pool[: len(c)])


def test_hard_data_draws_half_of_each_batch_from_the_hardest_quarter():
    hard = set(T.pool_hardest_quarter().tolist())
    assert len(hard) == T.POOL_SIZE // 4
    coeffs = T.training_pool()[0]
    batches = T._Batches("hard", 6, "legendre", seed=0, batch_size=256, teacher_G=None)
    c, _, _ = batches.next()
    score = P.hardness(c.double().numpy())
    threshold = np.sort(P.hardness(coeffs.double().numpy()))[3 * T.POOL_SIZE // 4 - 1]
    assert np.mean(score[128:] >= threshold) == 1.0        # the second half: all from the hardest quarter
    assert 0.1 < np.mean(score[:128] >= threshold) < 0.45   # the first half: the whole pool


def test_distilling_grid_search_learns_its_answers():
    model = T.train_mlp(width=32, updates=300, loss="imitate_grid", teacher_G=8, seed=0)
    coeffs = P.sample_polynomials(1000, seed=1)
    x = T.predict(model, coeffs)
    assert np.mean(np.abs(x - B.grid_search(coeffs, 8))) < np.mean(np.abs(0.5 - B.grid_search(coeffs, 8)))
    assert model.loss_name == "imitate_grid" and model.data_name == "pool"


def test_new_training_arguments_are_checked():
    with pytest.raises(ValueError, match="data must be one of"):
        T.train_mlp(data="everything", updates=1)
    with pytest.raises(ValueError, match="teacher_G"):
        T.train_mlp(loss="imitate_grid", teacher_G=1, updates=1)
