"""Every statistic chapter 1 states about its trained models, for one training seed.

The chapter trains its standard models once (seed 0) and calls the section functions below on them;
``experiments/ch1_seeds.py`` calls :func:`standard_statistics` for seeds 0, 1, ... and stores the
results, from which the chapter takes its intervals over seeds (:func:`seed_summary`) and checks that its
live seed-0 numbers lie among the stored ones (:func:`outside_stored_range`). One function per section:

* :func:`answer_statistics`: regret (mean, median), squared loss, "as good as grid search with G =" by
  mean and by median, the hardest/easiest-quarter ratio and the easiest quarter's regret;
* :func:`probe_statistics`: the first-layer alignment probe (median best |cos| and rows above 0.9);
* :func:`silence_statistics`: the damage of silencing the most aligned neurons against random ones;
* :func:`refiner_statistics`: the refiner against its number of steps and its fixed points;
  :func:`last_step_statistics`: the variant trained with the loss on its last step only;
* :func:`scale_statistics`: how far answers move when P is multiplied by 1/4 or 4.

Names are those the chapter glues, without the ``ch1_`` prefix.
"""
from __future__ import annotations

import numpy as np
import torch

from mesaopt.maximize.baselines import as_good_as_grid, as_good_as_grid_by
from mesaopt.maximize.models import MLP
from mesaopt.maximize.polynomials import DEFAULT_DEGREE, exact_maximum, regret
from mesaopt.maximize.probes import basis_alignment, regret_by_steps, scale_shift, silence_neurons, stationarity
from mesaopt.maximize.scaling import mean_interval, outside_stored_range, test_set
from mesaopt.maximize.training import STANDARD_SETTINGS, predict, train_refiner, train_standard_models

__all__ = ["MODEL_KEYS", "HIGH", "SILENCE_K", "SILENCE_DRAWS", "STEPS", "SCALES", "STATIONARY", "STATIONARY_EDGE",
           "answer_statistics", "probe_statistics", "silence_statistics", "refiner_curve", "refiner_statistics",
           "last_step_statistics",
           "scale_statistics", "train_last_step_refiner", "standard_statistics", "seed_summary",
           "outside_stored_range", "check_live", "glue_values", "table_cell", "interval_text"]

MODEL_KEYS = ("mlp_squared", "mlp_regret", "refiner")
HIGH = 0.9  # "well aligned" in the first-layer probe
SILENCE_K, SILENCE_DRAWS = 16, 20
STEPS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 32, 64)
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
STATIONARY = 0.01  # a residual below 1 % of the typical slope counts as a stationary point
STATIONARY_EDGE = 1e-3  # answers this close to 0 or 1 count as endpoints (see probes.stationarity)


def answer_statistics(key: str, x, test: dict) -> dict:
    """Regret and ruler readings of answers ``x`` on ``test`` (:func:`mesaopt.maximize.scaling.test_set`), named
    after ``key``."""
    r = regret(test["coeffs"], x, max_value=test["max"])
    G = as_good_as_grid_by(r, test["curves"])
    quarters = np.array([r[test["quarters"] == q].mean() for q in range(4)])
    return {f"regret_{key}": float(r.mean()), f"regret_median_{key}": float(np.median(r)),
            f"sqloss_{key}": float((r ** 2).mean()), f"G_{key}": G["mean"], f"Gmed_{key}": G["median"],
            f"ratio_{key}": float(quarters[3] / quarters[0]), f"easy_{key}": float(quarters[0])}


def probe_statistics(weights: dict, degree: int = DEFAULT_DEGREE) -> dict:
    """For first-layer ``weights`` ``{tag: array (neurons, degree + 1)}``: median best |cos| with the basis
    ("value") and with its derivative ("slope"), and how many rows exceed :data:`HIGH`; with tags "trained"
    and "init", also the change of each median from initialization to the trained net (``probe_*_shift``)."""
    out = {}
    for tag, w in weights.items():
        for kind, derivative in (("value", False), ("slope", True)):
            best = basis_alignment(w, degree, derivative=derivative)[0]
            out.update({f"probe_{kind}_{tag}": float(np.median(best)), f"probe_{kind}_hi_{tag}": float(np.mean(best > HIGH)),
                        f"probe_{kind}_count_{tag}": int(np.sum(best > HIGH))})
    if "trained" in weights and "init" in weights:  # what training changed, seed by seed
        for kind in ("value", "slope"):
            out[f"probe_{kind}_shift"] = out[f"probe_{kind}_trained"] - out[f"probe_{kind}_init"]
    return out


def silence_statistics(mlp, test: dict, degree: int = DEFAULT_DEGREE, k: int = SILENCE_K,
                       draws: int = SILENCE_DRAWS) -> dict:
    """Mean regret after silencing the ``k`` most slope-aligned, the ``k`` most value-aligned and
    ``draws`` sets of ``k`` random first-layer neurons of ``mlp`` (random sets from seed 0); ``*_excess`` is
    the damage of the aligned neurons relative to the mean over random sets, minus 1 (0: no more damage)."""
    w = mlp.first_layer.weight.detach().numpy()
    value, slope = (basis_alignment(w, degree, derivative=d)[0] for d in (False, True))

    def damage(neurons):
        return float(regret(test["coeffs"], silence_neurons(mlp, neurons, test["coeffs"]), max_value=test["max"]).mean())

    rng = np.random.default_rng(0)
    random = np.array([damage(rng.choice(mlp.width, k, replace=False)) for _ in range(draws)])
    low, high = np.quantile(random, [0.1, 0.9])
    out = {"silence_slope": damage(np.argsort(-slope, kind="stable")[:k]),
           "silence_value": damage(np.argsort(-value, kind="stable")[:k]),
           "silence_random_low": float(low), "silence_random_high": float(high),
           "silence_random_mean": float(random.mean())}
    out["silence_slope_excess"] = out["silence_slope"] / out["silence_random_mean"] - 1
    out["silence_value_excess"] = out["silence_value"] / out["silence_random_mean"] - 1
    return out


def refiner_curve(refiner, test: dict) -> np.ndarray:
    """Mean regret of a refiner after each number of steps in :data:`STEPS`."""
    return regret_by_steps(refiner, test["coeffs"], STEPS, max_value=test["max"])


def refiner_statistics(refiner, test: dict, curve=None) -> dict:
    """The refiner (deep supervision) against its number of steps T (the curve itself as ``curve_every_T{t}``),
    and how close its answers after 64 steps are to a stationary point of P (:func:`stationarity`): the share
    that are stationary (residual below :data:`STATIONARY`) and, of those, the share within 0.01 of the argmax;
    and the same for the answers in the interior (farther than :data:`STATIONARY_EDGE` from 0 and 1), where an
    endpoint cannot make an answer stationary. ``curve``: :func:`refiner_curve` of the same refiner, if already
    computed."""
    coeffs, t_train = test["coeffs"], refiner.train_steps
    at = dict(zip(STEPS, refiner_curve(refiner, test) if curve is None else curve))
    beyond = [t for t in STEPS if t > t_train]
    x64 = predict(refiner, coeffs, steps=64)
    residual = stationarity(coeffs, x64, edge=STATIONARY_EDGE)
    stationary = residual < STATIONARY
    inside = (x64 > STATIONARY_EDGE) & (x64 < 1 - STATIONARY_EDGE)
    at_max = np.abs(x64 - exact_maximum(coeffs)[0]) < 0.01
    ruler = {"G": test["curves"]["G"], "regret": test["curves"]["mean"]}
    return {**{f"curve_every_T{t}": float(at[t]) for t in STEPS},
            "refiner_T0": at[0], "refiner_Ttrain": at[t_train], "refiner_T64": at[64],
            "refiner_gain_beyond": 1 - at[64] / at[t_train], "refiner_G64": as_good_as_grid(at[64], ruler),
            "refiner_late_move": float(np.mean(np.abs(x64 - predict(refiner, coeffs, steps=32)))),
            "refiner_beyond_worst_ratio": max(at[t] for t in beyond) / at[t_train],
            "refiner_residual_median": float(np.median(residual)), "refiner_stationary": float(stationary.mean()),
            "refiner_stationary_at_max": float(at_max[stationary].mean()) if stationary.any() else float("nan"),
            "refiner_interior": float(inside.mean()),
            "refiner_interior_stationary": float(stationary[inside].mean()) if inside.any() else float("nan"),
            "refiner_interior_residual_median": float(np.median(residual[inside])) if inside.any() else float("nan")}


def last_step_statistics(curve_last, curve_every, t_train: int) -> dict:
    """The refiner trained with the loss on its last step only, against the number of steps T (its curve as
    ``curve_last_T{t}``), beside the deep-supervision refiner's curve: where it ends at its own T, and its
    worst regret beyond T (overthinking)."""
    at, at_last = dict(zip(STEPS, curve_every)), dict(zip(STEPS, curve_last))
    worst_t = max((t for t in STEPS if t > t_train), key=lambda t: at_last[t])
    return {**{f"curve_last_T{t}": float(at_last[t]) for t in STEPS},
            "last_Ttrain": at_last[t_train], "last_over_every": at_last[t_train] / at[t_train],
            "last_worst_beyond": at_last[worst_t], "last_worst_T": worst_t, "last_T64": at_last[64],
            "last_worst_ratio": at_last[worst_t] / at_last[t_train]}


def scale_statistics(answer_fns: dict, test: dict, keys=None) -> dict:
    """How far each answer moves when P is multiplied by 1/4 and by 4, and its regret on P at s = 1/4.
    ``answer_fns`` maps a key to a function coeffs -> x; returns the table behind the chapter's scale test
    as ``{"shifts": {key: scale_shift(...)}, "stats": {...}}``."""
    shifts = {key: scale_shift(fn, test["coeffs"], SCALES) for key, fn in answer_fns.items()}
    stats = {}
    for key in (keys or shifts):
        r = shifts[key]
        stats.update({f"moved_quarter_{key}": float(r["moved"][0]), f"moved_four_{key}": float(r["moved"][-1]),
                      f"regret_quarter_{key}": float(r["regret"][0])})
    return {"shifts": shifts, "stats": stats}


def train_last_step_refiner(seed: int = 0, progress=False):
    """The standard refiner's settings and seed, trained with the loss on the last step only."""
    settings = {k: v for k, v in STANDARD_SETTINGS["refiner"].items() if k != "kind"}
    return train_refiner(every_step=False, seed=seed, progress=progress, **settings)


def standard_statistics(spec: dict) -> dict:
    """Train the chapter's standard models and the last-step refiner with ``spec["seed"]`` and return every
    statistic of the chapter's sections (a flat ``{name: number}``)."""
    seed = int(spec["seed"])
    test = test_set(DEFAULT_DEGREE)
    models = train_standard_models(seed=seed, progress=False)
    last_only = train_last_step_refiner(seed)
    out = {}
    for key, model in models.items():
        out.update(answer_statistics(key, predict(model, test["coeffs"]), test))
    torch.manual_seed(seed)  # train_mlp seeds like this before building the network
    initial = MLP(DEFAULT_DEGREE, models["mlp_regret"].width, models["mlp_regret"].depth)
    out.update(probe_statistics({"trained": models["mlp_regret"].first_layer.weight.detach().numpy(),
                                 "squared": models["mlp_squared"].first_layer.weight.detach().numpy(),
                                 "init": initial.first_layer.weight.detach().numpy()}))
    out.update(silence_statistics(models["mlp_regret"], test))
    curve_every, curve_last = refiner_curve(models["refiner"], test), refiner_curve(last_only, test)
    out.update(refiner_statistics(models["refiner"], test, curve_every))
    out.update(last_step_statistics(curve_last, curve_every, models["refiner"].train_steps))
    fns = {key: (lambda c, m=model: predict(m, c)) for key, model in models.items()}
    out.update(scale_statistics(fns, test)["stats"])
    out["train_seconds"] = float(sum(m.train_seconds for m in models.values()))
    return out


def seed_summary(runs: dict) -> dict:
    """From a results file's ``"runs"`` (one per seed): ``{name: {"values", "mean", "low", "high", "min",
    "max", "seeds"}}`` with the 95 % t-interval of the mean over seeds."""
    records = sorted(runs.values(), key=lambda r: r["spec"]["seed"])
    seeds = [r["spec"]["seed"] for r in records]
    summary = {}
    for name in records[0]["result"]:
        values = np.array([r["result"][name] for r in records], dtype=np.float64)
        mean, low, high = mean_interval(values)
        summary[name] = {"values": values, "mean": mean, "low": low, "high": high,
                         "min": float(values.min()), "max": float(values.max()), "seeds": seeds}
    return summary


def check_live(live: dict, summary: dict) -> None:
    """Raise AssertionError, naming every offender, when a live statistic neither reproduces a stored seed nor
    falls in the stored seeds' prediction interval (:func:`mesaopt.maximize.scaling.rerun_agreement`): the
    stored results no longer match the code."""
    bad = outside_stored_range(live, summary)
    if bad:
        lines = [f"{name}: live {v:.6g}, 99 % prediction interval of the stored seeds {lo:.6g} to {hi:.6g}"
                 for name, (v, lo, hi) in bad.items()]
        raise AssertionError("live numbers disagree with the stored seeds (rerun experiments/ch1_seeds.py?):\n"
                             + "\n".join(lines))


def glue_values(live: dict, summary: dict, prefix: str = "ch1_") -> dict:
    """For ``glue_all``: each live statistic under ``prefix + name``, and its mean over the stored seeds and
    the 95 % interval of that mean under ``..._mean``, ``..._low`` and ``..._high``."""
    out = {}
    for name, value in live.items():
        out[prefix + name] = value
        out.update({f"{prefix}{name}_{stat}": summary[name][stat] for stat in ("mean", "low", "high")})
    return out


def table_cell(value: float, entry: dict, spec: str = ".3f") -> str:
    """A table entry: the mean over the stored seeds, its 95 % interval in brackets, then the live (seed-0) value."""
    return f"{entry['mean']:{spec}} [{entry['low']:{spec}}, {entry['high']:{spec}}] (seed 0: {value:{spec}})"


def interval_text(entry: dict, spec: str = ".3f") -> str:
    """"mean (95 % interval low to high)" of one :func:`seed_summary` entry, formatted with ``spec``."""
    return f"{entry['mean']:{spec}} ({entry['low']:{spec}} to {entry['high']:{spec}})"
