"""Every statistic chapter 1 states about its trained searcher and the evidence around it, for one training seed;
the runs of the memorize-versus-search comparison over degrees; and the summaries over seeds.

The chapter trains the searcher live with seed 0 and computes :func:`evidence_statistics` on it and on the
chapter's other models; ``experiments/ch1_searcher.py`` calls :func:`seed_statistics` for seeds 0, 1, ... and
:func:`degree_statistics` for each degree (and seed), and stores the results (:func:`load_stored` reads them,
:func:`check_design` refuses results made with other settings), from which the chapter takes its intervals
(:func:`seed_summary`, :func:`difference_interval`, :func:`degree_tables`) and checks that its live numbers lie
among the stored ones (:func:`outside_stored_range`).

Model keys: ``searcher`` (the main variant: regret at its soft-argmax answer only), ``searcher_every`` (the
variant whose loss sees P at every training candidate), the chapter's standard models ``mlp_squared``,
``mlp_regret``, ``refiner``, and three models that need no training: ``grid64`` (grid search, G = 64),
``soft32`` (the hand-built soft-argmax net, G = 32, beta = 30) and ``memory`` (a nearest-neighbour memory
whose compute per answer matches the regret MLP's).
"""
from __future__ import annotations

import json
import re
import time
from functools import lru_cache

import numpy as np
import torch

from mesaopt.maximize.baselines import as_good_as_grid, grid_regret_curve, grid_search
from mesaopt.maximize.memorize import NearestNeighbourMemory, memorize_vs_search
from mesaopt.maximize.models import SoftArgmaxGrid
from mesaopt.maximize.polynomials import (DEFAULT_BASIS, evaluate_at_points, exact_maximum, hardness, hardness_bins,
                                          regret, sample_polynomials)
from mesaopt.maximize.search_evidence import (BUDGETS, bump_scores, equal_peak_paths, objective_gap,
                                              objective_intervention, regret_by_budget, score_intervention,
                                              shifted_distributions, valley_fraction)
from mesaopt.maximize.searcher import (SEARCHER_SETTINGS, forward_multiply_adds, rank_correlation_rows,
                                       score_rank_correlation, train_searcher)
from mesaopt.maximize.training import STANDARD_SETTINGS, predict, train_mlp, train_refiner, training_pool
from mesaopt.maximize.scaling import mean_interval, outside_stored_range  # shared with the chapter's statistics

__all__ = ["SEARCHER_KEYS", "TRAINED_KEYS", "FIXED_KEYS", "LABELS", "MEMORY_SIZE", "chapter_test", "jump_paths",
           "fixed_models", "answer_functions", "evidence_statistics", "seed_statistics", "design", "slug",
           "mean_interval", "seed_summary", "outside_stored_range", "degree_statistics", "mlp_multiply_adds",
           "degree_design", "TEST_COUNT_DEGREES", "LOOKUP_BUDGETS", "INDEX_LEVELS", "train_chapter_models",
           "load_stored", "check_design", "interval_text", "interval_glue", "degree_tables",
           "difference_interval"]

SEARCHER_KEYS = ("searcher", "searcher_every")
TRAINED_KEYS = (*SEARCHER_KEYS, "mlp_squared", "mlp_regret", "refiner")
FIXED_KEYS = ("grid64", "soft32", "memory")
LABELS = {"searcher": "searcher (regret at its answer)", "searcher_every": "searcher (loss sees P at every candidate)",
          "mlp_squared": "MLP, squared loss", "mlp_regret": "MLP, regret loss", "refiner": "refiner",
          "grid64": "grid search, G = 64", "soft32": "soft-argmax net, G = 32, beta = 30",
          "memory": "nearest-neighbour memory"}
MEMORY_SIZE = (7 * 128 + 128 * 128 + 128) // 6  # the regret MLP's multiply-adds per answer / d: matched compute
JUMP_PATHS, JUMP_STEPS = 64, 41
TEST_COUNT_DEGREES = 4096  # at degree 6 the chapter's test set
LOOKUP_BUDGETS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)
INDEX_LEVELS = (8, 12, 16, 18)


@lru_cache(maxsize=1)
def chapter_test() -> dict:
    """The chapter's test set (4096 degree-6 polynomials, seed 1), its maxima, ruler and hardness quarters."""
    coeffs = sample_polynomials(4096, 6, seed=1)
    arg, top = exact_maximum(coeffs)
    return {"coeffs": coeffs, "arg": arg, "max": top, "curve": grid_regret_curve(coeffs, max_value=top),
            "quarters": hardness_bins(hardness(coeffs), 4)}


@lru_cache(maxsize=1)
def jump_paths() -> dict:
    """The jump test's paths, built from the chapter's test set (:func:`equal_peak_paths`)."""
    return equal_peak_paths(chapter_test()["coeffs"], JUMP_PATHS, JUMP_STEPS)


@lru_cache(maxsize=1)
def fixed_models() -> dict:
    """The models that need no training (see the module docstring)."""
    return {"grid64": lambda c: grid_search(c, 64), "soft32": SoftArgmaxGrid(32, 30.0, 6),
            "memory": NearestNeighbourMemory(MEMORY_SIZE, 6, seed=0)}


def answer_functions(models: dict) -> dict:
    """``{key: coeffs -> x}`` for trained ``models`` (torch modules; a refiner runs its trained T) and the
    fixed ones."""
    fns = {key: (lambda c, m=model: predict(m, c)) for key, model in models.items()}
    for key, model in fixed_models().items():
        fns[key] = (lambda c, m=model: predict(m, c))
    return fns


def slug(name: str) -> str:
    """A glue-friendly name: lower case, words joined by underscores."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


LOW_QUANTILE = 0.1  # the "p10" statistics: the value that 90 % of polynomials reach or beat


def _median_p10(values) -> tuple[float, float]:
    return float(np.median(values)), float(np.quantile(values, LOW_QUANTILE))


def evidence_statistics(models: dict) -> dict:
    """Every number of the chapter's searcher section for trained ``models`` ``{key: module}`` (keys from
    :data:`TRAINED_KEYS`; each searcher key present adds its own rows). Flat ``{name: float}``."""
    test = chapter_test()
    coeffs, top, curve = test["coeffs"], test["max"], test["curve"]
    fns = answer_functions(models)
    answers = {key: fn(coeffs) for key, fn in fns.items()}
    out = {}
    for key, x in answers.items():
        r = regret(coeffs, x, max_value=top)
        quarters = np.array([r[test["quarters"] == q].mean() for q in range(4)])
        out.update({f"regret_{key}": float(r.mean()), f"G_{key}": as_good_as_grid(float(r.mean()), curve),
                    f"ratio_{key}": float(quarters[3] / quarters[0])})
    paths = jump_paths()
    out.update({f"valley_{key}": valley_fraction(fn(paths["coeffs"]), paths) for key, fn in fns.items()})
    out.update(objective_intervention(fns, coeffs[:1024]))
    points = np.linspace(0, 1, 64)
    values = evaluate_at_points(coeffs, points)
    out["rank_median_bump_true"], out["rank_p10_bump_true"] = _median_p10(
        rank_correlation_rows(bump_scores(points, test["arg"]), values))
    for key in TRAINED_KEYS:  # a bump at each trained model's own answer: the MLPs' only "score"
        if key in answers:
            out[f"rank_median_bump_{key}"], out[f"rank_p10_bump_{key}"] = _median_p10(
                rank_correlation_rows(bump_scores(points, answers[key]), values))
    for key in SEARCHER_KEYS:
        if key not in models:
            continue
        model = models[key]
        out[f"rank_median_{key}"], out[f"rank_p10_{key}"] = _median_p10(score_rank_correlation(model, coeffs))
        out.update({f"score_{name}_{key}": value for name, value in score_intervention(model, coeffs).items()})
        out.update({f"budget_{key}_{b}": float(r) for b, r in zip(BUDGETS, regret_by_budget(model, coeffs, max_value=top))})
        for name, shifted in shifted_distributions().items():
            gap = objective_gap(model, shifted)
            out.update({f"gap_{slug(name)}_rank_{key}": float(np.median(gap["rank"])),
                        f"gap_{slug(name)}_parted_{key}": float(gap["parted"].mean()),
                        f"gap_{slug(name)}_regret_{key}": float(np.mean(gap["regret"] / gap["spread"])),
                        f"gap_{slug(name)}_grid_{key}": float(np.mean(gap["grid_regret"] / gap["spread"])),
                        f"gap_{slug(name)}_parted_share_{key}": float(
                            gap["regret"][gap["parted"]].sum() / max(gap["regret"].sum(), 1e-300))})
    return out


def train_chapter_models(seed: int, updates: int | None = None) -> dict:
    """The searcher (both losses) and the chapter's standard models, trained with ``seed``; ``updates`` overrides
    every model's number of updates (None: the chapter's settings; a small number gives a quick format check).
    Each model also carries ``train_cpu_seconds``, the CPU time of its training (the wall time, ``train_seconds``,
    grows when other processes share the machine)."""
    jobs = {key: (train_searcher, dict(loss=loss, **({} if updates is None else {"updates": updates})))
            for key, loss in zip(SEARCHER_KEYS, ("regret", "every_candidate"))}
    for name, settings in STANDARD_SETTINGS.items():
        settings = dict(settings, **({} if updates is None else {"updates": updates}))
        jobs[name] = (train_mlp if settings.pop("kind") == "mlp" else train_refiner, settings)
    training_pool(6, DEFAULT_BASIS, seed)  # made once and cached, so no model's time includes it
    models = {}
    for key, (trainer, settings) in jobs.items():
        cpu = time.process_time()
        models[key] = trainer(seed=seed, **settings)
        models[key].train_cpu_seconds = time.process_time() - cpu
    return models


def seed_statistics(spec: dict) -> dict:
    """:func:`evidence_statistics` of the models :func:`train_chapter_models` trains with ``spec["seed"]`` (and
    ``spec.get("updates")``), plus each model's wall-clock training seconds (``seconds_<key>``)."""
    models = train_chapter_models(int(spec["seed"]), spec.get("updates"))
    start = time.perf_counter()
    out = evidence_statistics(models)
    out.update({f"seconds_{key}": float(model.train_seconds) for key, model in models.items()})
    out.update({f"cpu_seconds_{key}": float(model.train_cpu_seconds) for key, model in models.items()})
    out["seconds_evidence"] = time.perf_counter() - start
    return out


def design(seeds) -> dict:
    """What ``experiments/ch1_searcher.py`` runs: a results file made for another design is refused."""
    return {"name": "ch1_searcher", "seeds": sorted(int(s) for s in seeds),
            "searcher_settings": SEARCHER_SETTINGS, "standard_settings": STANDARD_SETTINGS,
            "test_set": "sample_polynomials(4096, 6, seed=1), Legendre basis", "budgets": list(BUDGETS),
            "jump_paths": [JUMP_PATHS, JUMP_STEPS], "memory_size": MEMORY_SIZE}


def seed_summary(runs: dict) -> dict:
    """From a results file's ``"runs"`` (one per seed): ``{name: {"values", "mean", "low", "high", "min", "max",
    "seeds"}}``
    with the 95 % t-interval of the mean over seeds (its lower end clipped at 0 for quantities that cannot be
    negative, that is when no seed's value is)."""
    records = sorted(runs.values(), key=lambda r: r["spec"]["seed"])
    summary = {}
    for name in records[0]["result"]:
        values = np.array([r["result"][name] for r in records], dtype=np.float64)
        mean, low, high = mean_interval(values)
        if values.min() >= 0:
            low = max(low, 0.0)
        summary[name] = {"values": values, "mean": mean, "low": low, "high": high,
                         "min": float(values.min()), "max": float(values.max()),
                         "seeds": [int(r["spec"]["seed"]) for r in records]}
    return summary


def difference_interval(summary: dict, a: str, b: str) -> dict:
    """The paired difference ``a - b`` over seeds (both measured on the same seed's models), as a
    :func:`seed_summary` entry: paired, it is tighter than comparing the two intervals."""
    values = summary[a]["values"] - summary[b]["values"]
    mean, low, high = mean_interval(values)
    return {"values": values, "mean": mean, "low": low, "high": high, "min": float(values.min()),
            "max": float(values.max())}


def interval_text(entry: dict, spec: str = ".2f") -> str:
    """"mean (low to high)": one :func:`seed_summary` entry with its 95 % interval, formatted with ``spec``; just the
    value when every seed gave the same (a model that needs no training)."""
    if entry["min"] == entry["max"]:
        return f"{entry['mean']:{spec}}"
    return f"{entry['mean']:{spec}} ({entry['low']:{spec}} to {entry['high']:{spec}})"


def interval_glue(summary: dict, names: dict) -> dict:
    """``{glue: mean, glue_low: low, glue_high: high}`` for each ``{stored name: glue name}`` of ``names``."""
    out = {}
    for name, glue_name in names.items():
        entry = summary[name]
        out.update({glue_name: entry["mean"], f"{glue_name}_low": entry["low"], f"{glue_name}_high": entry["high"]})
    return out


def degree_statistics(spec: dict) -> dict:
    """One run of the memorize-versus-search comparison over degrees.

    ``spec["part"] == "trained"``: train the regret MLP (the chapter's settings) and the searcher at
    ``spec["degree"]`` with ``spec["seed"]``; score both on that degree's test set (4096 polynomials, seed 1) with
    that degree's grid ruler; return their regret, "as good as grid search with G =", multiply-adds per answer and
    training FLOPs (6 x forward multiply-adds x examples seen), and the wall-clock training seconds.
    ``spec["part"] == "lookup"``: no training; the nearest-neighbour memory against grid search at the degree, at
    matched cost per answer (B = G, :func:`mesaopt.maximize.memorize.memorize_vs_search`) for
    :data:`LOOKUP_BUDGETS`, and with an ideal index that makes memory free (:data:`INDEX_LEVELS`: B = 2^k stored
    polynomials found with k dot products of length d, against grid search with as many multiply-adds, G = d k / (d + 1)).
    """
    degree = int(spec["degree"])
    test = sample_polynomials(TEST_COUNT_DEGREES, degree, seed=1)
    top = exact_maximum(test)[1]
    curve = grid_regret_curve(test, max_value=top)
    out = {}
    if spec["part"] == "lookup":
        budgets = spec.get("budgets", LOOKUP_BUDGETS)
        table = memorize_vs_search([degree], budgets, test_count=TEST_COUNT_DEGREES)
        out.update({f"memory_{b}": float(r) for b, r in zip(budgets, table["memory"][0])})
        out.update({f"grid_{b}": float(r) for b, r in zip(budgets, table["grid"][0])})
        out["spread"] = float(table["spread"][0])
        for k in spec.get("index_levels", INDEX_LEVELS):
            G = max(2, (degree * k) // (degree + 1))
            r_memory = regret(test, NearestNeighbourMemory(2 ** k, degree, seed=0)(test), max_value=top).mean()
            out.update({f"indexed_memory_{k}": float(r_memory), f"indexed_grid_{k}": float(
                regret(test, grid_search(test, G), max_value=top).mean()), f"indexed_G_{k}": G})
        return out
    seed = int(spec["seed"])
    override = {} if spec.get("updates") is None else {"updates": int(spec["updates"])}
    mlp_settings = {k: v for k, v in STANDARD_SETTINGS["mlp_regret"].items() if k != "kind"} | override
    searcher_settings = {k: v for k, v in SEARCHER_SETTINGS.items() if v is not None} | override
    training_pool(degree, DEFAULT_BASIS, seed)  # made once and cached, so no model's time includes it
    models = {}
    for key, trainer, settings in (("mlp", train_mlp, mlp_settings), ("searcher", train_searcher, searcher_settings)):
        cpu = time.process_time()
        models[key] = trainer(degree=degree, seed=seed, **settings)
        out[f"cpu_seconds_{key}"] = time.process_time() - cpu
    per_answer = {"mlp": float(mlp_multiply_adds(models["mlp"])), "searcher": forward_multiply_adds(models["searcher"])}
    per_example = {"mlp": per_answer["mlp"], "searcher": forward_multiply_adds(
        models["searcher"], models["searcher"].train_candidates, SEARCHER_SETTINGS["batch_size"])}
    examples = {"mlp": mlp_settings["updates"] * mlp_settings.get("batch_size", 256),
                "searcher": searcher_settings["updates"] * searcher_settings["batch_size"]}
    for key, model in models.items():
        r = regret(test, predict(model, test), max_value=top).mean()
        out.update({f"regret_{key}": float(r), f"G_{key}": as_good_as_grid(float(r), curve),
                    f"answer_madds_{key}": per_answer[key], f"train_flops_{key}": 6.0 * per_example[key] * examples[key],
                    f"seconds_{key}": float(model.train_seconds)})
    for key in ("mlp", "searcher"):  # a memory with the same multiply-adds per answer
        size = max(1, int(per_answer[key] // degree))
        r = regret(test, NearestNeighbourMemory(size, degree, seed=0)(test), max_value=top).mean()
        out.update({f"memory_size_{key}": size, f"regret_memory_{key}": float(r),
                    f"G_memory_{key}": as_good_as_grid(float(r), curve)})
    return out


def mlp_multiply_adds(mlp) -> int:
    """Multiply-adds of one MLP answer: its number of weights (biases left out)."""
    return sum(layer.in_features * layer.out_features for layer in mlp.net if isinstance(layer, torch.nn.Linear))


def degree_design(degrees, seeds) -> dict:
    """What the degree part of ``experiments/ch1_searcher.py`` runs."""
    return {"name": "ch1_memorize_search", "degrees": sorted(int(d) for d in degrees),
            "seeds": sorted(int(s) for s in seeds), "searcher_settings": SEARCHER_SETTINGS,
            "mlp_settings": STANDARD_SETTINGS["mlp_regret"], "test_set": f"sample_polynomials({TEST_COUNT_DEGREES}, d, seed=1)",
            "lookup_budgets": list(LOOKUP_BUDGETS), "index_levels": list(INDEX_LEVELS)}


def load_stored(name: str) -> dict:
    """The stored results ``experiments/results/<name>.json`` (:func:`mesaopt.results.load_results`: the file of
    this checkout, else the one of this release in the repository)."""
    from mesaopt.results import load_results

    return load_results(name)


def check_design(stored: dict, expected: dict) -> None:
    """Fail with a clear message when stored results were made with other settings than the code's now, or when
    a run of their design is missing (the script is resumable: rerunning it completes the file)."""
    normal = json.loads(json.dumps(expected))
    if stored["design"] != normal:
        changed = sorted(k for k in set(normal) | set(stored["design"]) if stored["design"].get(k) != normal.get(k))
        raise AssertionError(f"the stored results of {normal.get('name')} were made with other settings ({changed}); "
                             "rerun experiments/ch1_searcher.py (see its docstring) and commit the results")
    if normal["name"] == "ch1_searcher":
        keys = {f"seed-{s}" for s in normal["seeds"]}
    else:
        keys = {f"lookup-d{d}" for d in normal["degrees"]}
        keys |= {f"trained-d{d}-seed-{s}" for d in normal["degrees"] for s in normal["seeds"]}
    missing = sorted(keys - set(stored["runs"]))
    if missing:
        raise AssertionError(f"the stored results of {normal['name']} lack runs {missing}; rerun "
                             "experiments/ch1_searcher.py with the same arguments (it continues where it stopped)")


def _degree_list(degrees) -> str:
    """"4, 5, 6 and 10" (or "none")."""
    names = [str(d) for d in degrees]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def degree_tables(stored: dict) -> dict:
    """What the chapter reads from the stored degree part (:func:`degree_statistics` runs):

    ``degrees``, ``budgets``; ``memory[d]`` and ``grid[d]`` (mean regrets over the budgets at degree d);
    ``ratio_256[d]`` (memory over grid at B = G = 256); ``indexed_ratio_16[d]`` (a free memory of 2^16 polynomials
    over grid search with as many multiply-adds); ``G[(model, d)]`` (a :func:`seed_summary` entry for "searcher",
    "mlp", "memory_mlp", "memory_searcher"); ``G_searcher_seed0[d]``; ``trained`` (``{label: (mean, low, high)}``
    arrays over degrees, for the figure) and ``glue`` (the numbers the chapter's prose names).
    """
    runs = stored["runs"]
    degrees = sorted(stored["design"]["degrees"])
    budgets = np.array(stored["design"]["lookup_budgets"])
    out = {"degrees": np.array(degrees), "budgets": budgets, "memory": {}, "grid": {}, "ratio_256": {},
           "indexed_ratio_16": {}, "G": {}, "G_searcher_seed0": {}}
    for d in degrees:
        result = runs[f"lookup-d{d}"]["result"]
        out["memory"][d] = np.array([result[f"memory_{b}"] for b in budgets])
        out["grid"][d] = np.array([result[f"grid_{b}"] for b in budgets])
        out["ratio_256"][d] = result["memory_256"] / result["grid_256"]
        out["indexed_ratio_16"][d] = result["indexed_memory_16"] / result["indexed_grid_16"]
        trained = {k: r for k, r in runs.items() if k.startswith(f"trained-d{d}-")}
        for model in ("searcher", "mlp", "memory_mlp", "memory_searcher"):
            out["G"][(model, d)] = seed_summary({k: {"spec": r["spec"], "result": {"G": r["result"][f"G_{model}"]}}
                                                 for k, r in trained.items()})["G"]
        out["G_searcher_seed0"][d] = runs[f"trained-d{d}-seed-0"]["result"]["G_searcher"]
    labels = {"searcher": "searcher (trained)", "mlp": "MLP, regret loss (trained)",
              "memory_mlp": "memory with the MLP's multiply-adds", "memory_searcher": "memory with the searcher's"}
    out["trained"] = {label: tuple(np.array([out["G"][(model, d)][f] for d in degrees]) for f in ("mean", "low", "high"))
                      for model, label in labels.items()}
    mem_slopes = np.polyfit(np.log(budgets[3:]), np.log(np.array([out["memory"][d][3:] for d in degrees])).T, 1)[0]
    wins = [d for d in degrees if out["indexed_ratio_16"][d] < 1]
    losses = [d for d in degrees if out["indexed_ratio_16"][d] >= 1]
    beats = [d for d in degrees if out["G"][("searcher", d)]["low"] > out["G"][("mlp", d)]["high"]]
    every_seed = [d for d in degrees if np.all(out["G"][("searcher", d)]["values"] > out["G"][("mlp", d)]["values"])]
    ratio = {d: out["G"][("searcher", d)]["mean"] / out["G"][("mlp", d)]["mean"] for d in degrees}
    best = max(ratio, key=ratio.get)
    out["glue"] = {"searcher_mem_ratio_d2": out["ratio_256"][degrees[0]],
                   **{f"searcher_mem_slope_d{d}": float(s) for d, s in zip(degrees, mem_slopes)},
                   "searcher_free_memory_last_win": max(wins) if wins else 0,
                   "searcher_free_memory_first_loss": min(losses) if losses else 0,
                   **{f"searcher_{model}_G_d{d}": out["G"][(model, d)]["mean"]
                      for model in ("searcher", "mlp", "memory_mlp") for d in degrees},
                   **{f"searcher_{model}_G_min_d{d}": out["G"][(model, d)]["min"] for model in ("searcher", "mlp")
                      for d in degrees},
                   **{f"searcher_memory_mlp_size_d{d}": int(runs[f"trained-d{d}-seed-0"]["result"]["memory_size_mlp"])
                      for d in degrees},
                   "searcher_separates_degrees": _degree_list(beats), "searcher_every_seed_degrees": _degree_list(every_seed),
                   "searcher_best_ratio_degree": best, "searcher_best_ratio": ratio[best]}
    return out
