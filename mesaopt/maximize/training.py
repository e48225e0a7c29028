"""Training the chapter's models on the post's task, and reading their answers.

By default training draws minibatches from a fixed pool of random polynomials whose exact maxima are
computed once (cached), so every update costs one forward and backward pass. Everything is seeded: the
same call gives the same weights. Losses, per polynomial, for a guess x:

* ``"squared"``: the post's loss (P(x) - max P)^2;
* ``"regret"``: max P - P(x);
* ``"argmax"``: (x - argmax P)^2, plain supervision with the true answer (a reference point);
* ``"imitate_grid"``: (x - g(P))^2 with g(P) the answer of grid search with ``teacher_G`` points
  (distillation of a searcher into the model).

Training data (``data=``), all drawn from the same N(0, 1) coefficient distribution unless said:

* ``"pool"`` (default): minibatches drawn with replacement from a fixed pool of ``POOL_SIZE`` polynomials;
* ``"fresh"``: new polynomials for every minibatch, never reused (made, with their exact maxima, in chunks);
* ``"hard"``: the pool, reweighted towards hard polynomials: half of every minibatch is drawn from the
  hardest quarter of the pool (by :func:`mesaopt.maximize.polynomials.hardness`), half from the whole
  pool, so the hardest quarter makes up 5/8 of the training examples instead of 1/4.
"""
from __future__ import annotations

import time
from functools import lru_cache

import numpy as np
import torch
from tqdm.auto import tqdm

from mesaopt.maximize.baselines import grid_search
from mesaopt.maximize.models import MLP, RecurrentRefiner, as_coeff_tensor, torch_evaluate
from mesaopt.maximize.polynomials import (DEFAULT_BASIS, DEFAULT_DEGREE, exact_maximum, hardness, hardness_bins,
                                          sample_polynomials)
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["LOSSES", "DATA", "POOL_SIZE", "training_pool", "pool_hardest_quarter", "train_mlp", "train_refiner",
           "predict", "train_standard_models", "STANDARD_SETTINGS"]

LOSSES = ("regret", "squared", "argmax", "imitate_grid")
DATA = ("pool", "fresh", "hard")
POOL_SIZE = 1 << 16
_POOL_SEED_OFFSET = 1_000_003  # keeps training pools away from the small seeds used for test sets
_FRESH_SEED_OFFSET = 2_000_003  # fresh training polynomials: yet another stream
_FRESH_CHUNK_BATCHES = 64  # fresh polynomials are made (with their maxima) 64 minibatches at a time


@lru_cache(maxsize=8)
def training_pool(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, seed: int = 0,
                  size: int = POOL_SIZE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(coeffs, argmax, max) of ``size`` training polynomials as float32 tensors (cached)."""
    coeffs = sample_polynomials(size, degree, basis, seed=_POOL_SEED_OFFSET + seed)
    arg, top = exact_maximum(coeffs, basis)
    return (torch.as_tensor(coeffs, dtype=torch.float32), torch.as_tensor(arg, dtype=torch.float32),
            torch.as_tensor(top, dtype=torch.float32))


@lru_cache(maxsize=4)
def pool_hardest_quarter(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, seed: int = 0,
                         size: int = POOL_SIZE) -> torch.Tensor:
    """Indices (int64 tensor) of the hardest quarter of :func:`training_pool` by ``hardness`` (cached)."""
    coeffs = training_pool(degree, basis, seed, size)[0].double().numpy()
    return torch.as_tensor(np.flatnonzero(hardness_bins(hardness(coeffs, basis), 4) == 3))


@lru_cache(maxsize=4)
def _pool_teacher(degree: int, basis: str, seed: int, G: int) -> torch.Tensor:
    """Grid search's answers with ``G`` points on the training pool (the distillation targets; cached)."""
    coeffs = training_pool(degree, basis, seed)[0].double().numpy()
    return torch.as_tensor(grid_search(coeffs, G, basis), dtype=torch.float32)


class _Batches:
    """Minibatches (coeffs, target x, max P) for :func:`_fit`; the target is argmax P or the teacher's answer."""

    def __init__(self, data: str, degree: int, basis: str, seed: int, batch_size: int, teacher_G):
        self.data, self.degree, self.basis, self.batch_size, self.teacher_G = data, degree, basis, batch_size, teacher_G
        self.generator = torch.Generator().manual_seed(seed)
        if data == "fresh":
            self.rng = np.random.default_rng([_FRESH_SEED_OFFSET, seed])
            self.chunk, self.used = None, 0
            return
        self.coeffs, arg, self.top = training_pool(degree, basis, seed)
        self.target = arg if teacher_G is None else _pool_teacher(degree, basis, seed, teacher_G)
        if data == "hard":
            self.hard = pool_hardest_quarter(degree, basis, seed)

    def _fresh_chunk(self):
        coeffs = self.rng.standard_normal((self.batch_size * _FRESH_CHUNK_BATCHES, self.degree + 1))
        arg, top = exact_maximum(coeffs, self.basis)
        if self.teacher_G is not None:
            arg = grid_search(coeffs, self.teacher_G, self.basis)
        return [torch.as_tensor(v, dtype=torch.float32) for v in (coeffs, arg, top)]

    def next(self):
        if self.data == "fresh":
            if self.chunk is None or self.used == _FRESH_CHUNK_BATCHES:
                self.chunk, self.used = self._fresh_chunk(), 0
            part = slice(self.used * self.batch_size, (self.used + 1) * self.batch_size)
            self.used += 1
            return tuple(v[part] for v in self.chunk)
        if self.data == "hard":
            half = self.batch_size // 2
            anywhere = torch.randint(0, self.coeffs.shape[0], (self.batch_size - half,), generator=self.generator)
            hard = self.hard[torch.randint(0, self.hard.shape[0], (half,), generator=self.generator)]
            index = torch.cat([anywhere, hard])
        else:
            index = torch.randint(0, self.coeffs.shape[0], (self.batch_size,), generator=self.generator)
        return self.coeffs[index], self.target[index], self.top[index]


def _loss(kind: str, coeffs, x, arg, top, basis) -> torch.Tensor:
    """Mean loss of guesses ``x``: shape (count,), or (steps, count) for a whole trajectory.
    ``arg`` is the target x of the supervised losses ("argmax", "imitate_grid")."""
    if kind in ("argmax", "imitate_grid"):
        return ((x - arg) ** 2).mean()
    gap = top - torch_evaluate(coeffs, x, basis)  # x of shape (steps, count) broadcasts
    return gap.mean() if kind == "regret" else (gap ** 2).mean()


def _fit(model, forward, *, loss: str, updates: int, batch_size: int, lr: float, seed: int,
         progress, callback, description: str, data: str = "pool", teacher_G: int = 32):
    """Adam with cosine decay on minibatches of ``data`` (see the module docstring); records the batch regret."""
    loss = require_choice("loss", loss, LOSSES)
    data = require_choice("data", data, DATA)
    updates = require_int("updates", updates, 1, 1_000_000)
    batch_size = require_int("batch_size", batch_size, 1 if data != "hard" else 2, POOL_SIZE)
    lr = require_float("lr", lr, 0.0, 1.0, low_inclusive=False)
    teacher_G = require_int("teacher_G", teacher_G, 2, 100_000) if loss == "imitate_grid" else None
    batches = _Batches(data, model.degree, model.basis, seed, batch_size, teacher_G)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=updates, eta_min=lr * 0.02)
    history = {"update": [], "loss": [], "regret": []}
    record_every = max(1, updates // 100)
    bar = tqdm(total=updates, desc=description) if progress is None else None
    start = time.perf_counter()
    model.train()
    for step in range(1, updates + 1):
        c, a, m = batches.next()
        x = forward(c)
        value = _loss(loss, c, x, a, m, model.basis)
        x = x[-1] if x.ndim == 2 else x
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        schedule.step()
        if step % record_every == 0 or step == updates:
            with torch.no_grad():
                batch_regret = float((m - torch_evaluate(c, x.detach(), model.basis)).mean())
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
    model.data_name = data
    model.updates, model.batch_size = updates, batch_size
    return model


def train_mlp(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, width: int = 128, depth: int = 2,
              loss: str = "regret", updates: int = 3000, batch_size: int = 256, lr: float = 3e-3,
              seed: int = 0, progress=False, callback=None, *, data: str = "pool", teacher_G: int = 32) -> MLP:
    """Train an :class:`MLP` (coefficients -> x) and return it with ``.history`` and ``.train_seconds``.

    ``progress``: False (silent), None (a ``tqdm.auto`` bar: a widget in notebooks, text in a terminal), or a
    function ``(step, total)``.
    ``callback(step, total, history)`` is called about 100 times (the widget's live loss curve).
    ``data``: "pool", "fresh" or "hard" (see the module docstring); ``teacher_G``: the grid size the
    ``"imitate_grid"`` loss imitates.
    """
    torch.manual_seed(require_int("seed", seed, 0, None))
    model = MLP(degree, width, depth, basis)
    return _fit(model, model, loss=loss, updates=updates, batch_size=batch_size, lr=lr, seed=seed,
                progress=progress, callback=callback, description=f"MLP ({loss} loss)", data=data,
                teacher_G=teacher_G)


def train_refiner(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, width: int = 48, steps: int = 6,
                  start: str = "learned", every_step: bool = True, loss: str = "regret",
                  updates: int = 1200, batch_size: int = 256, lr: float = 3e-3,
                  seed: int = 0, progress=False, callback=None, *, data: str = "pool") -> RecurrentRefiner:
    """Train a :class:`RecurrentRefiner` unrolled for ``steps`` iterations.

    With ``every_step`` (default) the loss is averaged over the guesses after 0, 1, ..., steps
    iterations, so every iteration is pushed to improve the guess ("deep supervision"). This is not
    the progressive loss of Bansal et al. (2022), which runs a random number of iterations without
    gradient first and trains the net to improve on that intermediate state. Otherwise only the last
    guess counts. ``data`` as in :func:`train_mlp`.
    """
    torch.manual_seed(require_int("seed", seed, 0, None))
    steps = require_int("steps", steps, 1, 256)
    model = RecurrentRefiner(degree, width, basis, start)
    model.train_steps = steps
    if every_step:
        forward = lambda c: model.trajectory(c, steps)  # noqa: E731
    else:
        forward = lambda c: model(c, steps=steps)  # noqa: E731
    return _fit(model, forward, loss=loss, updates=updates, batch_size=batch_size,
                lr=lr, seed=seed, progress=progress, callback=callback,
                description=f"refiner (T={steps}, {loss} loss)", data=data)


def predict(model, coeffs, **kw) -> np.ndarray:
    """The model's guesses x for ``coeffs`` as a float64 array of shape (count,), clipped to [0, 1].

    ``model`` is a torch module from :mod:`mesaopt.maximize.models` (keyword arguments such as ``steps=T`` are
    passed to its forward; a refiner without ``steps`` runs the T it was trained with) or any function
    ``coeffs -> x``.
    """
    if not isinstance(model, torch.nn.Module):
        return np.clip(np.asarray(model(np.asarray(coeffs, dtype=np.float64), **kw), dtype=np.float64), 0.0, 1.0)
    tensor = as_coeff_tensor(coeffs, model.degree)
    model.eval()
    with torch.no_grad():
        x = model(tensor, **kw)
    return np.clip(x.double().numpy(), 0.0, 1.0)


STANDARD_SETTINGS = {
    "mlp_squared": dict(kind="mlp", loss="squared", width=128, depth=2, updates=3000),
    "mlp_regret": dict(kind="mlp", loss="regret", width=128, depth=2, updates=3000),
    "refiner": dict(kind="refiner", loss="regret", width=48, steps=6, updates=3000),
}


def train_standard_models(seed: int = 0, progress=None, degree: int = DEFAULT_DEGREE,
                          basis: str = DEFAULT_BASIS) -> dict:
    """Train the chapter's standard set (see ``STANDARD_SETTINGS``) deterministically.

    Returns ``{name: trained torch module}``; read answers with ``predict(model, coeffs)``
    (the refiner takes ``steps=T``). ``progress`` as in :func:`train_mlp`, plus None shows one
    ``tqdm.auto`` bar over all models.
    """
    seed = require_int("seed", seed, 0, None)
    names = list(STANDARD_SETTINGS)
    bar = tqdm(total=len(names), desc="training the standard models") if progress is None else None
    models = {}
    for name in names:
        settings = dict(STANDARD_SETTINGS[name])
        kind = settings.pop("kind")
        trainer = train_mlp if kind == "mlp" else train_refiner
        models[name] = trainer(degree=degree, basis=basis, seed=seed, progress=progress if callable(progress) else False,
                               **settings)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(name)
    if bar is not None:
        bar.close()
    return models
