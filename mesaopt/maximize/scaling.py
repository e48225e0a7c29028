"""Chapter 1 at scale: one training run of the scaling study, its evaluation, and what the chapter reads
from the stored results (seed intervals, trends in training compute).

A run is a ``spec``: a JSON-able dict with ``kind`` ("mlp" or "refiner"), ``width``, ``depth`` (MLP) or
``steps`` (refiner), ``loss``, ``data`` ("pool", "fresh", "hard"; see :mod:`mesaopt.maximize.training`),
``degree``, ``updates``, ``batch_size``, ``lr`` and ``seed``. :func:`run_spec` trains it and scores it on
the chapter's test set for that degree (4096 polynomials, seed 1; at degree 6 exactly the chapter's
``test``) with the chapter's ruler (:func:`mesaopt.maximize.baselines.grid_regret_curves`). Training
compute is counted by :mod:`mesaopt.maximize.compute`.

``experiments/ch1_scaling.py`` runs the study; the chapter loads its results, re-runs the cheapest
runs with :func:`run_spec`, and fits trends with :func:`fit_power_law`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

from mesaopt.maximize.baselines import as_good_as_grid_by, grid_regret_curves
from mesaopt.maximize.compute import forward_multiply_adds, training_flops
from mesaopt.maximize.polynomials import DEFAULT_BASIS, exact_maximum, hardness, hardness_bins, regret
from mesaopt.maximize.training import predict, train_mlp, train_refiner, training_pool
from mesaopt.validation import require_choice, require_float, require_int

__all__ = ["TEST_COUNT", "TEST_SEED", "SPEC_FIELDS", "METRICS", "test_set", "make_spec", "run_key", "config_key",
           "run_spec", "estimated_cost", "mean_interval", "prediction_interval", "rerun_agreement",
           "outside_stored_range", "RERUN_LEVEL", "INTERVAL_LEVEL", "group_by_config", "config_table", "fit_power_law",
           "line_label", "lines", "frontier", "spot_check", "CONTROLS", "control_panels", "control_rows", "config_row"]

TEST_COUNT, TEST_SEED = 4096, 1  # the chapter's test set: sample_polynomials(4096, degree, seed=1)
SPEC_FIELDS = ("kind", "width", "depth", "steps", "loss", "data", "degree", "updates", "batch_size", "lr", "seed")
_TRAIN_CHECK = 4096  # regret on the first polynomials of the training pool: the gap to test shows memorizing


@lru_cache(maxsize=8)
def test_set(degree: int) -> dict:
    """The chapter's test set at ``degree``: coeffs, exact maxima, hardness quarters and the grid ruler."""
    from mesaopt.maximize.polynomials import sample_polynomials

    coeffs = sample_polynomials(TEST_COUNT, degree, DEFAULT_BASIS, seed=TEST_SEED)
    top = exact_maximum(coeffs)[1]
    return {"coeffs": coeffs, "max": top, "quarters": hardness_bins(hardness(coeffs), 4),
            "curves": grid_regret_curves(coeffs, max_value=top)}


def make_spec(kind: str = "mlp", *, width: int = 128, depth: int = 2, steps: int = 6, loss: str = "regret",
              data: str = "pool", degree: int = 6, updates: int = 3000, batch_size: int = 256, lr: float = 3e-3,
              seed: int = 0) -> dict:
    """A checked run spec (MLPs carry ``steps`` None, refiners ``depth`` None)."""
    kind = require_choice("kind", kind, ("mlp", "refiner"))
    spec = {"kind": kind, "width": require_int("width", width, 1, 4096),
            "depth": require_int("depth", depth, 1, 8) if kind == "mlp" else None,
            "steps": require_int("steps", steps, 1, 256) if kind == "refiner" else None,
            "loss": loss, "data": data, "degree": require_int("degree", degree, 2, 16),
            "updates": require_int("updates", updates, 1, 1_000_000),
            "batch_size": require_int("batch_size", batch_size, 2, 65536),
            "lr": require_float("lr", lr, 0.0, 1.0, low_inclusive=False), "seed": require_int("seed", seed, 0, None)}
    return spec


def config_key(spec: dict) -> str:
    """The run's key without its seed: runs that differ only in the seed share it."""
    shape = f"d{spec['depth']}" if spec["kind"] == "mlp" else f"T{spec['steps']}"
    return (f"{spec['kind']}-w{spec['width']}-{shape}-{spec['loss']}-{spec['data']}-deg{spec['degree']}"
            f"-u{spec['updates']}-b{spec['batch_size']}-lr{spec['lr']:g}")


def run_key(spec: dict) -> str:
    return f"{config_key(spec)}-s{spec['seed']}"


def _model(spec: dict):
    common = dict(degree=spec["degree"], width=spec["width"], loss=spec["loss"], updates=spec["updates"],
                  batch_size=spec["batch_size"], lr=spec["lr"], seed=spec["seed"], data=spec["data"])
    if spec["kind"] == "mlp":
        return train_mlp(depth=spec["depth"], **common)
    return train_refiner(steps=spec["steps"], **common)


def estimated_cost(spec: dict) -> float:
    """Training FLOPs of the run, without training it (orders the runs, longest first)."""
    from mesaopt.maximize.models import MLP, RecurrentRefiner

    if spec["kind"] == "mlp":
        model = MLP(spec["degree"], spec["width"], spec["depth"])
    else:
        model = RecurrentRefiner(spec["degree"], spec["width"])
        model.train_steps = spec["steps"]
    return training_flops(model, spec["updates"], spec["batch_size"])


def run_spec(spec: dict) -> dict:
    """Train the run ``spec`` (keys other than :data:`SPEC_FIELDS` are ignored) and score it on the test set of its degree; a JSON-able dict of numbers.

    ``regret_mean``/``regret_median`` and ``G_mean``/``G_median`` (as good as grid search with G = ..., by
    mean and by median), ``regret_by_quarter`` (easiest hardness quarter first) and ``hard_easy_ratio``,
    ``train_regret_mean`` (on the first 4096 polynomials of the training pool), the model's size and
    training compute, and its training seconds.
    """
    model = _model(spec)
    test = test_set(spec["degree"])
    r = regret(test["coeffs"], predict(model, test["coeffs"]), max_value=test["max"])
    quarters = [float(r[test["quarters"] == q].mean()) for q in range(4)]
    pool_coeffs, _, pool_max = training_pool(spec["degree"], DEFAULT_BASIS, spec["seed"])
    seen = pool_coeffs[:_TRAIN_CHECK].double().numpy()
    train_r = regret(seen, predict(model, seen), max_value=pool_max[:_TRAIN_CHECK].double().numpy())
    G = as_good_as_grid_by(r, test["curves"])
    return {"regret_mean": float(r.mean()), "regret_median": float(np.median(r)),
            "G_mean": G["mean"], "G_median": G["median"],
            "regret_by_quarter": quarters, "hard_easy_ratio": quarters[3] / quarters[0],
            "train_regret_mean": float(train_r.mean()),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "forward_multiply_adds": forward_multiply_adds(model),
            "train_flops": training_flops(model, spec["updates"], spec["batch_size"]),
            "final_batch_regret": float(model.history["regret"][-1]), "train_seconds": model.train_seconds}


INTERVAL_LEVEL = 0.95  # the level of every interval over seeds the chapter states


def mean_interval(values, level: float = INTERVAL_LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` with its Student-t ``level`` interval over them (seeds)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size < 2:
        raise ValueError("an interval needs at least two values")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


RERUN_LEVEL = 0.99  # the prediction interval a live rerun on another machine or torch must fall in


def prediction_interval(values, level: float = RERUN_LEVEL) -> tuple[float, float]:
    """(low, high): the Student-t ``level`` prediction interval for one *new* draw from the distribution the
    ``values`` (seeds) come from: mean +- t * sd * sqrt(1 + 1/n). Unlike the range [min, max] of n stored
    seeds, which holds a new draw only with probability (n - 1) / (n + 1), it is built to hold one with
    probability ``level`` (for roughly normal values)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size < 2:
        raise ValueError("a prediction interval needs at least two values")
    half = float(stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) * np.sqrt(1 + 1 / values.size))
    return float(values.mean()) - half, float(values.mean()) + half


def rerun_agreement(live: float, values, same_seed: float | None = None, level: float = RERUN_LEVEL) -> str | None:
    """How a live rerun of a stored seed agrees with the stored seeds ``values``: ``"reproduced"`` when it
    equals the stored value of the same seed, ``same_seed``, to float32 rounding (the same machine and versions:
    runs are deterministic; without ``same_seed``, any stored value counts), ``"new draw"`` when it differs but
    lies in their :func:`prediction_interval` (another CPU or torch version trains the same recipe to a
    different, equally likely result), None when neither: the stored results no longer match the code.
    With 3 seeds the 99 % interval is wide (about +-11.5 standard deviations): the check on another machine
    catches gross drift only; on the machine that made the results it asks for exact reproduction."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    targets = values if same_seed is None else np.array([same_seed], dtype=np.float64)
    if np.any(np.isclose(live, targets, rtol=1e-5, atol=1e-9)):
        return "reproduced"
    low, high = prediction_interval(values, level)
    return "new draw" if low <= live <= high else None


def _seed_value(entry: dict, seed: int):
    """The stored value of ``seed`` in a seed summary entry (``"values"`` with ``"seeds"``), or None."""
    return dict(zip(entry.get("seeds", ()), np.asarray(entry["values"]).tolist())).get(seed)


def outside_stored_range(live: dict, summary: dict, level: float = RERUN_LEVEL, seed: int = 0) -> dict:
    """The entries of ``live`` (statistics of ``seed``'s models) that disagree with the stored seeds
    ``summary[name]`` by :func:`rerun_agreement`: ``{name: (live, low, high)}`` with the prediction interval."""
    return {name: (value, *prediction_interval(summary[name]["values"], level)) for name, value in live.items()
            if rerun_agreement(value, summary[name]["values"], _seed_value(summary[name], seed), level) is None}


def group_by_config(runs: dict) -> dict:
    """``{config_key: [run record, ...]}`` from a results file's ``"runs"``, seeds in increasing order."""
    groups = {}
    for record in runs.values():
        groups.setdefault(config_key(record["spec"]), []).append(record)
    return {key: sorted(group, key=lambda r: r["spec"]["seed"]) for key, group in groups.items()}


def config_table(runs: dict, metric: str, where=None, log: bool = False) -> list[dict]:
    """One row per configuration: its spec (seed dropped), ``train_flops`` and, over its seeds, ``values``,
    ``mean``, ``low``/``high`` (95 % t-interval of the mean), ``min``/``max``.

    ``where(spec) -> bool`` selects configurations. With ``log`` the mean and interval are taken of
    log10 of the values and mapped back (a geometric mean), as suits regrets spread over decades.
    """
    rows = []
    for group in group_by_config(runs).values():
        spec = dict(group[0]["spec"])
        if where is not None and not where(spec):
            continue
        spec.pop("seed")
        values = np.array([record["result"][metric] for record in group], dtype=np.float64)
        if len(values) < 2:  # a study still running: no interval yet
            summary = (float(np.log10(values[0]) if log else values[0]), np.nan, np.nan)
        else:
            summary = mean_interval(np.log10(values)) if log else mean_interval(values)
        if log:
            summary = tuple(10 ** v for v in summary)
        rows.append({**spec, "train_flops": group[0]["result"]["train_flops"], "seeds": [r["spec"]["seed"] for r in group],
                     "values": values, "mean": summary[0], "low": summary[1], "high": summary[2],
                     "min": float(values.min()), "max": float(values.max())})
    return sorted(rows, key=lambda row: row["train_flops"])


def fit_power_law(compute, values, target: float | None = None, at=None, draws: int = 2000, seed: int = 0) -> dict:
    """Fit ``log10(value) = a + b log10(compute)`` through configurations and bootstrap it over seeds.

    ``compute``: one number per configuration; ``values``: per configuration, the per-seed values (all
    configurations need the same seeds). The fit goes through the per-configuration means of
    log10(value). The bootstrap resamples seeds (the same resampled seeds for every configuration,
    since seed k shares its training pool across configurations) ``draws`` times.
    Returns ``slope``, ``intercept`` and 95 % percentile intervals over seeds ``slope_low``/``slope_high``,
    and the least-squares 95 % interval ``slope_fit_low``/``slope_fit_high``, which also counts the scatter of
    the configurations around the line (``fit_residual_sd``, in log10);
    with ``target``, also ``compute_at_target`` (where the line reaches the target value) and its
    interval (inf where the resampled slope is >= 0: no crossing), and ``crossing_fraction``; with ``at``
    (compute values), the fitted line there as ``line_at`` (``{"flops", "mean", "low", "high"}``, the
    least-squares 95 % confidence band); with ``target``, also ``log10_compute_at_target_fit_low``/``_high``,
    where that band reaches the target.
    """
    x = np.log10(np.asarray(compute, dtype=np.float64))
    y = np.log10(np.asarray(values, dtype=np.float64))
    if y.ndim != 2 or y.shape[0] != x.size or x.size < 3 or y.shape[1] < 2:
        raise ValueError("values must hold, for each of at least 3 configurations, at least 2 seeds")
    rng = np.random.default_rng(seed)

    def line(sample):
        slope, intercept = np.polyfit(x, y[:, sample].mean(axis=1), 1)
        return slope, intercept

    slope, intercept = line(np.arange(y.shape[1]))
    boots = np.array([line(rng.integers(0, y.shape[1], y.shape[1])) for _ in range(draws)])
    # The bootstrap over seeds sees only seed-to-seed noise (with 3 seeds its 95 % interval is about the range of
    # the 3 per-seed fits). The scatter of the configurations around the line is a second, often larger, error:
    # the ordinary least-squares interval of the slope, and of the line's crossing of ``target``, include it.
    mean_y = y.mean(axis=1)
    residual = mean_y - (slope * x + intercept)
    dof = x.size - 2
    spread = float(np.sqrt(residual @ residual / dof)) if dof > 0 else float("inf")
    sxx = float(((x - x.mean()) ** 2).sum())
    t = float(stats.t.ppf(0.975, dof)) if dof > 0 else float("inf")
    out = {"slope_fit_low": float(slope - t * spread / np.sqrt(sxx)),
           "slope_fit_high": float(slope + t * spread / np.sqrt(sxx)), "fit_residual_sd": spread}
    out.update({"slope": float(slope), "intercept": float(intercept),
                "slope_low": float(np.quantile(boots[:, 0], 0.025)),
                "slope_high": float(np.quantile(boots[:, 0], 0.975)),
                "log10_compute_range": (float(x.min()), float(x.max()))})

    def band_half(at_x):   # half-width of the least-squares 95 % confidence band of the line (in log10)
        return t * spread * np.sqrt(1 / x.size + (at_x - x.mean()) ** 2 / sxx)

    if at is not None:
        at_x = np.log10(np.asarray(at, dtype=np.float64))
        fitted = slope * at_x + intercept
        out["line_at"] = {"flops": np.asarray(at, dtype=np.float64), "mean": 10 ** fitted,
                          "low": 10 ** (fitted - band_half(at_x)), "high": 10 ** (fitted + band_half(at_x))}
    if target is not None:
        target = float(np.log10(target))

        def crossing(s, c):
            return (target - c) / s if s < 0 else np.inf

        at = np.array([crossing(s, c) for s, c in boots])
        out.update(log10_compute_at_target=float(crossing(slope, intercept)),
                   log10_compute_at_target_low=float(np.quantile(at, 0.025, method="inverted_cdf")),
                   log10_compute_at_target_high=float(np.quantile(at, 0.975, method="inverted_cdf")),
                   crossing_fraction=float(np.mean(np.isfinite(at))))
        grid = np.linspace(x.min(), x.max() + 10.0, 20001)
        fitted = slope * grid + intercept

        def first_below(values):
            below = np.flatnonzero(values <= target)
            return float(grid[below[0]]) if below.size and slope < 0 else float("inf")

        out.update(log10_compute_at_target_fit_low=first_below(fitted - band_half(grid)),
                   log10_compute_at_target_fit_high=first_below(fitted + band_half(grid)))
    return out


METRICS = ("regret_mean", "G_mean", "G_median", "hard_easy_ratio", "train_regret_mean")


def line_label(spec: dict) -> str:
    """A short name for a configuration's line in the figures: architecture and width."""
    if spec["kind"] == "refiner":
        return f"refiner, width {spec['width']}"
    return f"MLP depth {spec['depth']}, width {spec['width']}"


def lines(runs: dict, where=None, metrics=METRICS, label=line_label) -> dict:
    """The runs selected by ``where(spec)``, as lines against training compute, one per ``label(spec)``
    (default :func:`line_label`):
    ``{label: {"spec": a spec of the line, "flops": array, metric: {"mean", "min", "max", "values"}}}``,
    each sorted by compute; ``"mean"`` is the mean over seeds, ``"min"``/``"max"`` their range, ``"values"`` a
    list of the per-seed values of each configuration."""
    out = {}
    for metric in metrics:
        for row in config_table(runs, metric, where):
            line = out.setdefault(label(row), {"spec": row, "flops": [], **{m: {} for m in metrics}})
            if metric == metrics[0]:
                line["flops"].append(row["train_flops"])
            for stat in ("mean", "min", "max", "values"):
                line[metric].setdefault(stat, []).append(row[stat])
    for line in out.values():
        line["flops"] = np.asarray(line["flops"])
        for metric in metrics:
            line[metric] = {stat: (v if stat == "values" else np.asarray(v)) for stat, v in line[metric].items()}
    return out


def frontier(rows: list[dict]) -> list[dict]:
    """The compute-efficient frontier of ``rows`` (from :func:`config_table`): each row whose mean is lower
    than that of every row with less or equal training compute, in order of compute."""
    best, out = np.inf, []
    for row in sorted(rows, key=lambda r: (r["train_flops"], r["mean"])):
        if row["mean"] < best:
            out.append(row)
            best = row["mean"]
    return out


def spot_check(runs: dict, keys, metrics=("regret_mean", "G_mean", "hard_easy_ratio"),
               level: float = RERUN_LEVEL) -> list[dict]:
    """Re-run the stored runs ``keys`` of ``runs`` (a results file's ``"runs"``) with :func:`run_spec` and
    compare each metric with the stored seeds of the run's configuration (:func:`rerun_agreement`).

    Returns one row per run and metric: ``key``, ``metric``, ``live``, ``stored`` (the same seed's stored
    value), ``low``/``high`` (the prediction interval over the configuration's seeds), ``agreement``
    ("reproduced", "new draw" or None) and ``inside`` (agreement is not None).
    """
    groups = group_by_config(runs)
    rows = []
    for key in keys:
        record = runs[key]
        live = run_spec(record["spec"])
        group = groups[config_key(record["spec"])]
        for metric in metrics:
            values = [r["result"][metric] for r in group]
            low, high = prediction_interval(values, level)
            agreement = rerun_agreement(live[metric], values, record["result"][metric], level)
            rows.append({"key": key, "metric": metric, "live": live[metric], "stored": record["result"][metric],
                         "low": low, "high": high, "agreement": agreement, "inside": agreement is not None})
    return rows


def _is(spec, **wanted) -> bool:
    return all(spec.get(k) == v for k, v in wanted.items())


def _natural(spec) -> bool:
    """The main sweep's recipe: regret loss, lr 3e-3, degree 6, batch 256."""
    return _is(spec, kind="mlp", loss="regret", lr=3e-3, degree=6, batch_size=256)


# The controls of the study, each a selection of runs and how to name its lines: (title, metric, ylabel,
# where(spec), label(spec)). The comparison line of each control (the main sweep's recipe) is included.
CONTROLS = (
    ("fixed pool or fresh polynomials", "regret_mean", "mean regret on the test set",
     lambda s: _natural(s) and s["depth"] == 2 and s["data"] in ("pool", "fresh") and s["width"] in (128, 256, 1024),
     lambda s: f"width {s['width']}, {'fixed pool' if s['data'] == 'pool' else 'fresh'}"),
    ("imitating grid search (G = 32)", "regret_mean", "mean regret on the test set",
     lambda s: _is(s, kind="mlp", depth=2, lr=3e-3, degree=6, data="pool") and s["width"] in (128, 512)
     and s["loss"] in ("regret", "imitate_grid") and s["updates"] in (1200, 4800),
     lambda s: f"width {s['width']}, {'regret' if s['loss'] == 'regret' else 'imitate grid G = 32'}"),
    ("training on hard polynomials", "hard_easy_ratio", "regret: hardest / easiest quarter",
     lambda s: _natural(s) and s["depth"] == 2 and s["width"] in (128, 512) and s["data"] in ("pool", "hard")
     and s["updates"] in (1200, 4800),
     lambda s: f"width {s['width']}, {'natural' if s['data'] == 'pool' else 'hard-weighted'}"),
    ("degree of P", "G_mean", "as good as grid search with G = (by mean)",
     lambda s: _is(s, kind="mlp", depth=2, loss="regret", lr=3e-3, data="pool") and s["width"] in (128, 512)
     and s["updates"] <= 4800,
     lambda s: f"width {s['width']}, degree {s['degree']}"),
)


def control_panels(runs: dict) -> dict:
    """The panels of :func:`mesaopt.maximize.figures.control_figure` for :data:`CONTROLS`: per control, its
    lines against training compute (seed means and ranges); colour: the variant, line style: the width."""
    panels = {}
    for title, metric, ylabel, where, label in CONTROLS:
        found = lines(runs, where, metrics=(metric,), label=label)
        widths = sorted({name.split(", ", 1)[0] for name in found}, key=lambda w: int(w.split()[-1]))
        variants = sorted({name.split(", ", 1)[1] for name in found})
        curves = {}
        for name in sorted(found, key=lambda n: (variants.index(n.split(", ", 1)[1]), widths.index(n.split(", ", 1)[0]))):
            line, (width, variant) = found[name], name.split(", ", 1)
            style = {"color": f"C{variants.index(variant)}", "ls": ("--", "-", ":", "-.")[widths.index(width) % 4],
                     "marker": ("^", "o", "s", "v")[widths.index(width) % 4]}
            curves[name] = {"x": line["flops"], **{k: line[metric][k] for k in ("mean", "min", "max")}, "style": style}
        panels[title] = {"ylabel": ylabel, "curves": curves}
    return panels


def control_rows(runs: dict, updates: int = 4800, width: int = 512,
                 metrics=("regret_mean", "G_mean", "G_median", "hard_easy_ratio", "train_regret_mean")) -> dict:
    """Every configuration of width ``width``, depth 2, trained for ``updates`` updates: ``{config_key:
    {"spec": spec, metric: config_table row}}`` (the table of the study's controls at one budget)."""
    out = {}
    for metric in metrics:
        for row in config_table(runs, metric, lambda s: s["kind"] == "mlp" and s["depth"] == 2
                                and s["width"] == width and s["updates"] == updates):
            key = config_key({**row, "seed": 0})
            out.setdefault(key, {"spec": row})[metric] = row
    return out


def config_row(runs: dict, metric: str, **wanted) -> dict:
    """The :func:`config_table` row of the one configuration whose spec has every ``wanted`` value (spec
    fields not given take the main sweep's recipe: MLP, regret loss, fixed pool, degree 6, batch 256, lr 3e-3)."""
    recipe = {"kind": "mlp", "loss": "regret", "data": "pool", "degree": 6, "batch_size": 256, "lr": 3e-3, **wanted}
    rows = config_table(runs, metric, lambda spec: _is(spec, **recipe))
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} configurations match {recipe}; name one")
    return rows[0]
