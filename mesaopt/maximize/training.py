"""Training the chapter's models on the post's task, and reading their answers.

Training draws minibatches from a fixed pool of random polynomials whose exact maxima are computed
once (cached), so every update costs one forward and backward pass. Everything is seeded: the same
call gives the same weights. Losses, per polynomial, for a guess x:

* ``"squared"``: the post's loss (P(x) - max P)^2;
* ``"regret"``: max P - P(x);
* ``"argmax"``: (x - argmax P)^2, plain supervision with the true answer (a reference point).
"""
from __future__ import annotations

import time
from functools import lru_cache

import numpy as np
import torch
from tqdm.auto import tqdm

from mesaopt.maximize.models import MLP, RecurrentRefiner, as_coeff_tensor, torch_evaluate
from mesaopt.maximize.polynomials import DEFAULT_BASIS, DEFAULT_DEGREE, exact_maximum, sample_polynomials
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["LOSSES", "POOL_SIZE", "training_pool", "train_mlp", "train_refiner", "predict",
           "train_standard_models", "STANDARD_SETTINGS"]

LOSSES = ("regret", "squared", "argmax")
POOL_SIZE = 1 << 16
_POOL_SEED_OFFSET = 1_000_003  # keeps training pools away from the small seeds used for test sets


@lru_cache(maxsize=8)
def training_pool(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, seed: int = 0,
                  size: int = POOL_SIZE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(coeffs, argmax, max) of ``size`` training polynomials as float32 tensors (cached)."""
    coeffs = sample_polynomials(size, degree, basis, seed=_POOL_SEED_OFFSET + seed)
    arg, top = exact_maximum(coeffs, basis)
    return (torch.as_tensor(coeffs, dtype=torch.float32), torch.as_tensor(arg, dtype=torch.float32),
            torch.as_tensor(top, dtype=torch.float32))


def _loss(kind: str, coeffs, x, arg, top, basis) -> torch.Tensor:
    """Mean loss of guesses ``x``: shape (count,), or (steps, count) for a whole trajectory."""
    if kind == "argmax":
        return ((x - arg) ** 2).mean()
    gap = top - torch_evaluate(coeffs, x, basis)  # x of shape (steps, count) broadcasts
    return gap.mean() if kind == "regret" else (gap ** 2).mean()


def _fit(model, forward, *, loss: str, updates: int, batch_size: int, lr: float, seed: int,
         progress, callback, description: str):
    """Adam with cosine decay on minibatches of the cached pool; records the batch regret."""
    loss = require_choice("loss", loss, LOSSES)
    updates = require_int("updates", updates, 1, 1_000_000)
    batch_size = require_int("batch_size", batch_size, 1, POOL_SIZE)
    lr = require_float("lr", lr, 0.0, 1.0, low_inclusive=False)
    coeffs, arg, top = training_pool(model.degree, model.basis, seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=updates, eta_min=lr * 0.02)
    history = {"update": [], "loss": [], "regret": []}
    record_every = max(1, updates // 100)
    bar = tqdm(total=updates, desc=description) if progress is None else None
    start = time.perf_counter()
    model.train()
    for step in range(1, updates + 1):
        index = torch.randint(0, coeffs.shape[0], (batch_size,), generator=generator)
        c, a, m = coeffs[index], arg[index], top[index]
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
    return model


def train_mlp(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, width: int = 128, depth: int = 2,
              loss: str = "regret", updates: int = 3000, batch_size: int = 256, lr: float = 3e-3,
              seed: int = 0, progress=False, callback=None) -> MLP:
    """Train an :class:`MLP` (coefficients -> x) and return it with ``.history`` and ``.train_seconds``.

    ``progress``: False (silent), None (a ``tqdm.auto`` bar: a widget in notebooks, text in a terminal), or a
    function ``(step, total)``.
    ``callback(step, total, history)`` is called about 100 times (the widget's live loss curve).
    """
    torch.manual_seed(require_int("seed", seed, 0, None))
    model = MLP(degree, width, depth, basis)
    return _fit(model, model, loss=loss, updates=updates, batch_size=batch_size, lr=lr, seed=seed,
                progress=progress, callback=callback, description=f"MLP ({loss} loss)")


def train_refiner(degree: int = DEFAULT_DEGREE, basis: str = DEFAULT_BASIS, width: int = 48, steps: int = 6,
                  start: str = "learned", every_step: bool = True, loss: str = "regret",
                  updates: int = 1200, batch_size: int = 256, lr: float = 3e-3,
                  seed: int = 0, progress=False, callback=None) -> RecurrentRefiner:
    """Train a :class:`RecurrentRefiner` unrolled for ``steps`` iterations.

    With ``every_step`` (default) the loss is averaged over the guesses after 0, 1, ..., steps
    iterations, so every iteration is pushed to improve the guess (a "progressive" loss in the
    spirit of Bansal et al. 2022); otherwise only the last guess counts.
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
                description=f"refiner (T={steps}, {loss} loss)")


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
    "refiner": dict(kind="refiner", loss="regret", width=48, steps=6, updates=1200),
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
