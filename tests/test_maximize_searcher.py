"""The trained searcher: its architecture shares weights across candidates, its answer is the argmax of its score,
training is deterministic and learns, and the mechanistic check tells a score equal to P from one that is not."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P
from mesaopt.maximize import searcher as S
from mesaopt.maximize.training import predict


@pytest.fixture(scope="module")
def short_run():
    """A short run of the main variant (regret at the soft-argmax answer only)."""
    return S.train_searcher(seed=0, updates=400, batch_size=128)


def same_weights(a, b) -> bool:
    return all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters()))


@pytest.fixture(scope="module")
def test_set():
    coeffs = P.sample_polynomials(500, seed=1)
    return coeffs, P.exact_maximum(coeffs)[1]


def test_the_same_weights_score_every_candidate():
    torch.manual_seed(0)
    model = S.CandidateScorer(width=8, features=4, frequencies=3)
    coeffs = torch.randn(5, 7)
    points = torch.tensor([0.0, 0.3, 0.7, 1.0])
    together = model.scores(coeffs, points)
    one_by_one = torch.cat([model.scores(coeffs, points[j:j + 1]) for j in range(4)], dim=1)
    assert torch.allclose(together, one_by_one, atol=1e-6)
    # reordering the candidates reorders the scores and nothing else
    assert torch.allclose(model.scores(coeffs, points.flip(0)), together.flip(1), atol=1e-6)
    # per-polynomial candidates give the same scores as shared ones
    assert torch.allclose(model.scores(coeffs, points.expand(5, 4)), together, atol=1e-6)
    # the number of weights does not depend on the number of candidates
    assert model.parameter_count() == (7 * 8 + 8) + (8 * 4 + 4) + (6 * 8 + 8) + (8 * 4 + 4)


def test_the_answer_is_the_argmax_of_the_score_and_predict_takes_a_budget():
    torch.manual_seed(1)
    model = S.CandidateScorer(width=8, features=4, frequencies=3)
    coeffs = P.sample_polynomials(50, seed=0)
    scores = S.learned_scores(model, coeffs, 17)
    expected = np.linspace(0, 1, 17)[np.argmax(scores, axis=1)]
    assert np.allclose(predict(model, coeffs, candidates=17), expected, atol=1e-7)
    assert predict(model, coeffs).shape == (50,)  # default: model.candidates evenly spaced points
    assert set(np.round(predict(model, coeffs), 6)) <= set(np.round(np.linspace(0, 1, 64), 6))


def test_training_is_deterministic_and_learns(short_run, test_set):
    coeffs, top = test_set
    assert same_weights(S.train_searcher(seed=0, updates=30, batch_size=64),
                        S.train_searcher(seed=0, updates=30, batch_size=64))
    assert not same_weights(S.train_searcher(seed=0, updates=30, batch_size=64),
                            S.train_searcher(seed=1, updates=30, batch_size=64))
    trained = P.regret(coeffs, predict(short_run, coeffs), max_value=top).mean()
    endpoint = P.regret(coeffs, B.best_endpoint(coeffs), max_value=top).mean()
    assert trained < 0.5 * endpoint
    assert short_run.loss_name == "regret" and short_run.train_candidates == 32
    assert len(short_run.history["regret"]) == 100 and short_run.history["update"][-1] == 400


def test_both_losses_train_and_differ():
    a = S.train_searcher(seed=0, updates=60, batch_size=64)
    b = S.train_searcher(seed=0, updates=60, batch_size=64, loss="every_candidate")
    assert b.loss_name == "every_candidate"
    assert np.isfinite(b.history["loss"]).all() and b.history["regret"][-1] < b.history["regret"][0]
    assert not torch.equal(a.embed_polynomial[0].weight, b.embed_polynomial[0].weight)


def test_rank_correlation_rows_matches_scipy_and_handles_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 9)), rng.standard_normal((6, 9))
    a[0, :3] = 1.0  # ties
    ours = S.rank_correlation_rows(a, b)
    assert np.allclose(ours, [spearmanr(a[i], b[i])[0] for i in range(6)])
    assert S.rank_correlation_rows(np.ones((1, 4)), b[:1, :4])[0] == 0.0
    with pytest.raises(ValueError, match="same shape"):
        S.rank_correlation_rows(a, b[:, :3])


def test_the_mechanistic_check_tells_p_from_a_bump(short_run, test_set):
    coeffs, _ = test_set
    points = np.linspace(0, 1, 64)
    values = P.evaluate_at_points(coeffs, points)
    assert np.allclose(S.rank_correlation_rows(values, values), 1.0)
    bump = -np.abs(points[None, :] - P.exact_maximum(coeffs)[0][:, None])
    assert np.median(S.rank_correlation_rows(bump, values)) < S.SEARCHER_RANK_THRESHOLD
    rho = S.score_rank_correlation(short_run, coeffs)
    assert rho.shape == (500,) and np.all(np.abs(rho) <= 1 + 1e-12)
    assert np.median(rho) > np.median(S.rank_correlation_rows(bump, values))


def test_is_searcher_applies_the_stated_threshold(short_run, test_set, monkeypatch):
    coeffs, _ = test_set
    median = float(np.median(S.score_rank_correlation(short_run, coeffs)))
    monkeypatch.setattr(S, "SEARCHER_RANK_THRESHOLD", median - 1e-9)
    assert S.is_searcher(short_run, coeffs)
    monkeypatch.setattr(S, "SEARCHER_RANK_THRESHOLD", median + 1e-9)
    assert not S.is_searcher(short_run, coeffs)
    assert not S.is_searcher(lambda c: B.grid_search(c, 8), coeffs)  # no learned score, no label


def test_bad_input_gets_a_clear_error(short_run):
    with pytest.raises(ValueError, match="loss must be one of"):
        S.train_searcher(loss="squared", updates=1)
    with pytest.raises(ValueError, match="candidates must be an integer"):
        predict(short_run, P.sample_polynomials(3, seed=0), candidates=1)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        predict(short_run, P.sample_polynomials(3, seed=0), candidates=np.array([0.2, 1.5]))
    with pytest.raises(ValueError, match="only a CandidateScorer"):
        S.score_rank_correlation(lambda c: c[:, 0], P.sample_polynomials(3, seed=0))
