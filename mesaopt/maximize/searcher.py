"""A trained searcher: a candidate scorer whose weights are shared across candidate points.

:class:`CandidateScorer` gives every candidate point x_j in [0, 1] a learned score

    s(c, x_j) = a(c) . b(F(x_j)),

where a is a small MLP on the polynomial's coefficients c, b a small MLP on Fourier features
F(x) = (cos(pi k x), sin(pi k x)), k = 1..``frequencies``, of the scalar x (no polynomial basis is given
to it), and "." a dot product. The same weights score every candidate, so the net can compare
candidates, the way chapter 2's positional network applies one block at every position. Its answer is
the candidate with the highest score (a hard argmax over ``candidates`` evenly spaced points, 64 by
default; more points at test time is a test-time budget). In training the readout is a soft-argmax,
x = sum_j softmax(s)_j x_j, over ``train_candidates`` points (0, 1 and random points, drawn afresh every
batch and shared by the batch).

Losses (:func:`train_searcher`):

* ``"regret"`` (the main variant): max P - P(x) at the soft-argmax answer x only. The net gets the same
  information from P as the regret-trained MLP: the value and, through autograd, the slope of P at its
  own answer.
* ``"every_candidate"`` (a labelled variant with more information): the softmax-weighted regret at every
  candidate, sum_j softmax(s)_j (max P - P(x_j)), so the loss sees P at all training candidates.

:func:`score_rank_correlation` is the mechanistic check: per polynomial, the Spearman rank correlation
between the learned score and P at the candidates. A model is labelled a searcher when the median over
the test polynomials is at least :data:`SEARCHER_RANK_THRESHOLD` (see :func:`is_searcher`).
"""
from __future__ import annotations

import time

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn
from tqdm.auto import tqdm

from mesaopt.maximize.models import _check_degree_basis, as_coeff_tensor, torch_basis, torch_evaluate
from mesaopt.maximize.polynomials import DEFAULT_BASIS, DEFAULT_DEGREE, evaluate_at_points
from mesaopt.maximize.training import POOL_SIZE, training_pool
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["CandidateScorer", "SEARCHER_LOSSES", "SEARCHER_SETTINGS", "SEARCHER_RANK_THRESHOLD", "train_searcher",
           "candidate_points", "learned_scores", "rank_correlation_rows", "score_rank_correlation", "is_searcher"]

SEARCHER_LOSSES = ("regret", "every_candidate")
#: The main variant's training settings (3552 weights at degree 6; a few seconds on one core).
#: Batch size, number of updates, optimizer and learning rate are the regret MLP's (``train_mlp``'s defaults).
SEARCHER_SETTINGS = dict(width=48, features=24, frequencies=8, train_candidates=32, updates=3000, batch_size=256,
                         lr=3e-3)
#: A model is labelled a searcher when the median, over test polynomials, of the per-polynomial Spearman
#: correlation between its score and P at 64 evenly spaced candidates is at least this. Fixed from the controls:
#: a score that knows the true argmax and nothing else (a bump there) has median correlation about 0.5 on
#: chapter 1's test set, and a score equal to P has 1.
SEARCHER_RANK_THRESHOLD = 0.8
_POOL_SEED_OFFSET = 7_000_001  # candidate draws: a generator apart from the minibatch generator


def candidate_points(candidates) -> torch.Tensor:
    """Candidates as a float32 tensor: an int M gives M evenly spaced points 0, 1/(M-1), ..., 1; an array is
    taken as given (shape (m,), shared by every polynomial, or (count, m)), and must lie in [0, 1]."""
    if isinstance(candidates, (int, np.integer)) and not isinstance(candidates, bool):
        m = require_int("candidates", candidates, 2, 1_000_000)
        return torch.linspace(0.0, 1.0, m)
    points = torch.as_tensor(np.asarray(candidates, dtype=np.float32))
    if points.ndim not in (1, 2) or points.shape[-1] < 1:
        raise ValueError(f"candidates must be an int >= 2 or an array of points of shape (m,) or (count, m); "
                         f"got shape {tuple(points.shape)}")
    if not torch.all(torch.isfinite(points)) or torch.any(points < 0) or torch.any(points > 1):
        raise ValueError("candidate points must be numbers in [0, 1]")
    return points


class CandidateScorer(nn.Module):
    """Scores candidates x_j with s(c, x_j) = a(c) . b(F(x_j)) and answers with the best one.

    ``width``: hidden units of a and of b; ``features``: the length of the two embeddings;
    ``frequencies``: Fourier features of x (2 per frequency); ``candidates``: the default number of
    evenly spaced candidates at test time.
    """

    def __init__(self, degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, width: int = 48, features: int = 24,
                 frequencies: int = 8, candidates: int = 64):
        super().__init__()
        self.degree = _check_degree_basis(degree, basis)
        self.basis = basis
        self.width = require_int("width", width, 1, 4096)
        self.features = require_int("features", features, 1, 4096)
        self.frequencies = require_int("frequencies", frequencies, 1, 256)
        self.candidates = require_int("candidates", candidates, 2, 1_000_000)
        self.train_candidates = None  # set by train_searcher
        self.register_buffer("omega", torch.arange(1, self.frequencies + 1, dtype=torch.float32) * np.pi,
                             persistent=False)
        self.embed_polynomial = nn.Sequential(nn.Linear(self.degree + 1, self.width), nn.Tanh(),
                                              nn.Linear(self.width, self.features))
        self.embed_candidate = nn.Sequential(nn.Linear(2 * self.frequencies, self.width), nn.Tanh(),
                                             nn.Linear(self.width, self.features))

    def fourier_features(self, x: torch.Tensor) -> torch.Tensor:
        """F(x): cos and sin of pi k x for k = 1..frequencies; shape x.shape + (2 * frequencies,)."""
        angles = x[..., None] * self.omega
        return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)

    def scores(self, coeffs: torch.Tensor, candidates) -> torch.Tensor:
        """The learned score of each candidate for each polynomial: shape (count, m)."""
        points = candidates if torch.is_tensor(candidates) else candidate_points(candidates)
        a = self.embed_polynomial(coeffs)
        b = self.embed_candidate(self.fourier_features(points))
        return a @ b.T if b.ndim == 2 else torch.einsum("nf,nmf->nm", a, b)

    def soft_answer(self, coeffs: torch.Tensor, candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, weights): the soft-argmax answer sum_j w_j x_j and the softmax weights w (training's readout)."""
        weights = torch.softmax(self.scores(coeffs, candidates), dim=-1)
        points = candidates if candidates.ndim == 2 else candidates.expand_as(weights)
        return (weights * points).sum(-1), weights

    def forward(self, coeffs: torch.Tensor, candidates=None) -> torch.Tensor:
        """The candidate with the highest score (first on ties); ``candidates`` as in :func:`candidate_points`
        (None: ``self.candidates`` evenly spaced points)."""
        points = candidate_points(self.candidates if candidates is None else candidates)
        best = self.scores(coeffs, points).argmax(dim=-1)
        if points.ndim == 1:
            return points[best]
        return points.gather(1, best[:, None]).squeeze(1)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def train_searcher(degree: int = DEFAULT_DEGREE, seed: int = 0, basis: str = DEFAULT_BASIS, loss: str = "regret",
                   width: int = SEARCHER_SETTINGS["width"], features: int = SEARCHER_SETTINGS["features"],
                   frequencies: int = SEARCHER_SETTINGS["frequencies"],
                   train_candidates: int = SEARCHER_SETTINGS["train_candidates"],
                   updates: int = SEARCHER_SETTINGS["updates"], batch_size: int = SEARCHER_SETTINGS["batch_size"],
                   lr: float = SEARCHER_SETTINGS["lr"], progress=False, callback=None) -> CandidateScorer:
    """Train a :class:`CandidateScorer` end to end on chapter 1's task; deterministic for a given seed.

    Minibatches come from the same cached pool of training polynomials as the MLP's
    (:func:`mesaopt.maximize.training.training_pool`); each batch also draws ``train_candidates`` points
    (0, 1 and uniform random ones) shared by the batch. Adam with cosine decay, like the MLP.
    ``loss``: ``"regret"`` (at the soft-argmax answer only, the main variant) or ``"every_candidate"``
    (the loss sees P at every candidate; see the module docstring). ``progress`` and ``callback`` as in
    :func:`mesaopt.maximize.training.train_mlp`. The model carries ``.history``, ``.train_seconds``,
    ``.loss_name`` and ``.train_candidates``.
    """
    seed = require_int("seed", seed, 0, None)
    loss = require_choice("loss", loss, SEARCHER_LOSSES)
    train_candidates = require_int("train_candidates", train_candidates, 2, 100_000)
    updates = require_int("updates", updates, 1, 1_000_000)
    batch_size = require_int("batch_size", batch_size, 1, POOL_SIZE)
    lr = require_float("lr", lr, 0.0, 1.0, low_inclusive=False)
    torch.manual_seed(seed)
    model = CandidateScorer(degree, basis, width, features, frequencies)
    model.train_candidates = train_candidates
    coeffs, _, top = training_pool(model.degree, basis, seed)
    batches = torch.Generator().manual_seed(seed)
    draws = torch.Generator().manual_seed(_POOL_SEED_OFFSET + seed)
    ends = torch.tensor([0.0, 1.0])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=updates, eta_min=lr * 0.02)
    history = {"update": [], "loss": [], "regret": []}
    record_every = max(1, updates // 100)
    bar = tqdm(total=updates, desc=f"searcher ({loss} loss)") if progress is None else None
    start = time.perf_counter()
    model.train()
    for step in range(1, updates + 1):
        index = torch.randint(0, coeffs.shape[0], (batch_size,), generator=batches)
        c, m = coeffs[index], top[index]
        points = torch.cat([ends, torch.rand(train_candidates - 2, generator=draws)])
        x, weights = model.soft_answer(c, points)
        if loss == "regret":
            value = (m - torch_evaluate(c, x, basis)).mean()
        else:
            at_points = c @ torch_basis(points, model.degree, basis).T
            value = (weights * (m[:, None] - at_points)).sum(-1).mean()
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        schedule.step()
        if step % record_every == 0 or step == updates:
            with torch.no_grad():
                batch_regret = float((m - torch_evaluate(c, x.detach(), basis)).mean())
            history["update"].append(step)
            history["loss"].append(float(value.detach()))
            history["regret"].append(batch_regret)
            if bar is not None:
                bar.update(step - bar.n)
                bar.set_postfix_str(f"regret {batch_regret:.3f}")
            if callable(progress):
                progress(step, updates)
            if callback is not None:
                callback(step, updates, history)
    if bar is not None:
        bar.close()
    model.eval()
    model.history = history
    model.train_seconds = time.perf_counter() - start
    model.loss_name = loss
    return model


def learned_scores(model: CandidateScorer, coeffs, candidates=64) -> np.ndarray:
    """The model's score at the candidates (as in :func:`candidate_points`) for each polynomial; (count, m)."""
    if not isinstance(model, CandidateScorer):
        raise ValueError(f"only a CandidateScorer has a learned score; got {type(model).__name__} "
                         "(for other models compare a control score, such as a bump at the model's answer)")
    tensor = as_coeff_tensor(coeffs, model.degree)
    model.eval()
    with torch.no_grad():
        return model.scores(tensor, candidate_points(candidates)).double().numpy()


def rank_correlation_rows(a, b) -> np.ndarray:
    """Spearman's rank correlation between the rows of ``a`` and ``b`` (shape (count, m) each; ties get average
    ranks); a constant row gives 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"a and b must have the same shape (count, m) with m >= 2; got {a.shape} and {b.shape}")
    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    norm = np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))
    return np.divide((ra * rb).sum(axis=1), norm, out=np.zeros(len(a)), where=norm > 0)


def score_rank_correlation(model: CandidateScorer, coeffs, candidates=64) -> np.ndarray:
    """The mechanistic check: for each polynomial, Spearman's correlation between the model's learned score and
    P at the candidates (64 evenly spaced points by default); shape (count,). 1 means the score orders the
    candidates exactly as P does. A model is labelled a searcher when the median is at least
    :data:`SEARCHER_RANK_THRESHOLD` (:func:`is_searcher`)."""
    scores = learned_scores(model, coeffs, candidates)
    points = candidate_points(candidates).double().numpy()
    if points.ndim != 1:
        raise ValueError("score_rank_correlation needs candidates shared by every polynomial (an int or shape (m,))")
    return rank_correlation_rows(scores, evaluate_at_points(coeffs, points, model.basis))


def is_searcher(model, coeffs, candidates=64) -> bool:
    """The label rule: the median of :func:`score_rank_correlation` over ``coeffs`` is at least
    :data:`SEARCHER_RANK_THRESHOLD`. A model with no learned score (not a :class:`CandidateScorer`) is not
    labelled a searcher by this rule."""
    if not isinstance(model, CandidateScorer):
        return False
    return bool(np.median(score_rank_correlation(model, coeffs, candidates)) >= SEARCHER_RANK_THRESHOLD)
