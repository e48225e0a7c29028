"""What the detectors say about the population: every member's losses, every detector's score, the protocol's
held-out numbers, and the tables the chapter shows.

:func:`population_regrets` gathers each member's regrets on the test polynomials (planted members live,
trained ones from the stored answers) and, for members with a knob, at each budget. :func:`run_protocol`
turns them into evidence for one loss (regret or squared), scores every member with every detector, splits by
family, fits the thresholds on the development half and reports the held-out half
(:mod:`mesaopt.detection.evaluation`).
"""
from __future__ import annotations

import html

import numpy as np
from tqdm.auto import tqdm

from mesaopt.detection.detectors import DETECTORS, evidence, scores
from mesaopt.detection.evaluation import (decide, evaluate_detector, loss_strata, paired_auc_difference, roc_curve,
                                          stratified_split)
from mesaopt.detection.population import (BOUNDARY, FAMILIES, MEMBERS, REFERENCE, label, planted_answers,
                                          evaluation_inputs, reference_inputs)
from mesaopt.maximize.polynomials import DEFAULT_BASIS, exact_maximum, regret

__all__ = ["population_regrets", "reference_regrets", "population_labels", "run_protocol", "boundary_verdicts", "verdict_rows",
           "auc_table_html", "boundary_table_html", "best_family", "fit_table_html", "SPLIT_SEED"]

SPLIT_SEED = 0
BASELINE = "mean_loss"  # the detectors are compared with "mean loss alone" on the same resamples


def _stored_answers(stored: dict, name: str) -> dict:
    if stored is None or name not in stored["members"]:
        raise ValueError(f"{name!r} is trained: its answers must come from the stored results "
                         "(experiments/ch3_population.py)")
    return stored["members"][name]["answers"]


def population_regrets(stored: dict | None, coeffs=None, names=None, basis: str = DEFAULT_BASIS,
                       progress: bool = True) -> dict:
    """``{name: {"regret": regrets at the nominal budget, "budgets": {budget: regrets} or None}}``.

    ``names`` defaults to every scored member and boundary case whose answers are available (trained
    members missing from ``stored`` are left out). Planted members are evaluated live.
    """
    coeffs = evaluation_inputs() if coeffs is None else coeffs
    top = exact_maximum(coeffs, basis)[1]
    pool = {m.name: m for m in MEMBERS + BOUNDARY}
    if names is None:
        names = [n for n, m in pool.items()
                 if not FAMILIES[m.family].trained or (stored is not None and n in stored["members"])]
    out = {}
    for name in tqdm(names, desc="answers of the population", disable=not progress):
        m = pool[name]
        if FAMILIES[m.family].trained:
            answers = _stored_answers(stored, name)
        else:
            answers = {b: planted_answers(m, coeffs, b, basis) for b in (m.budgets or (None,))}
        by_budget = {b: regret(coeffs, x, basis, max_value=top) for b, x in answers.items()}
        nominal = by_budget[m.budgets[0]] if m.budgets else by_budget[None]
        out[name] = {"regret": nominal, "budgets": by_budget if m.has_knob else None}
    return out


def reference_regrets(stored: dict, basis: str = DEFAULT_BASIS) -> np.ndarray:
    """The reference model's regrets on the reference polynomials (from the stored answers)."""
    coeffs = reference_inputs()
    return regret(coeffs, _stored_answers(stored, REFERENCE.name)[None], basis)


def population_labels(names, rank_medians: dict | None = None) -> dict:
    """``{name: True/False/None}``: each member's label by its family's rule (trained searchers: by the
    rank check, ``rank_medians[name]``)."""
    pool = {m.name: m for m in MEMBERS + BOUNDARY}
    rank_medians = rank_medians or {}
    return {n: label(pool[n], rank_medians.get(n)) for n in names}


def run_protocol(regrets: dict, hardness, reference: np.ndarray, labels: dict, loss: str = "regret",
                 split_seed: int = SPLIT_SEED, n_strata: int = 4, n_boot: int = 1000, seed: int = 0) -> dict:
    """Score the labelled members with every detector under ``loss`` and evaluate on the held-out half.

    Returns ``{"names", "labels", "families", "dev", "strata", "scores", "results": {detector: dict},
    "roc": {detector: (fpr, tpr)}, "evidence"}``; ``results`` as from
    :func:`mesaopt.detection.evaluation.evaluate_detector`, plus ``auc_minus_baseline`` (and its interval): the
    held-out AUC minus that of "mean loss alone" on the same bootstrap resamples. Strata are equal-count bins
    of mean regret over the held-out models (the same for both losses).
    """
    names = [n for n in regrets if labels.get(n) is not None]
    pool = {m.name: m for m in MEMBERS}
    fams = [pool[n].family for n in names]
    y = np.array([labels[n] for n in names], dtype=bool)
    ev = {n: evidence(regrets[n]["regret"], hardness, reference, regrets[n]["budgets"], loss) for n in names}
    s = scores(ev)
    dev = stratified_split(fams, split_seed)
    strata = np.full(len(names), -1)
    mean_regret = np.array([regrets[n]["regret"].mean() for n in names])
    strata[~dev] = loss_strata(mean_regret[~dev], n_strata)
    clusters = [f"{f}|{lab}" for f, lab in zip(fams, y)]
    results, roc = {}, {}
    for k, (name, det) in enumerate(DETECTORS.items()):
        results[name] = evaluate_detector(s[name], y, dev, strata, det.fixed_threshold, n_boot, seed + 100 * k,
                                          clusters)
        held = ~dev & ~np.isnan(s[name])
        roc[name] = roc_curve(s[name][held], y[held])
        diff, interval, used = paired_auc_difference(s[name][~dev], s[BASELINE][~dev], y[~dev], n_boot, seed + 100 * k + 7)
        results[name].update(auc_minus_baseline=diff, auc_minus_baseline_interval=interval, auc_minus_baseline_models=used)
    return {"names": names, "labels": y, "families": fams, "dev": dev, "strata": strata, "scores": s,
            "results": results, "roc": roc, "evidence": ev, "loss": loss}


def boundary_verdicts(regrets: dict, hardness, reference: np.ndarray, protocol: dict) -> dict:
    """``{boundary case: {detector: (score, verdict)}}`` with the thresholds ``protocol`` fitted."""
    out = {}
    for m in BOUNDARY:
        if m.name not in regrets:
            continue
        ev = {m.name: evidence(regrets[m.name]["regret"], hardness, reference, regrets[m.name]["budgets"],
                               protocol["loss"])}
        s = scores(ev)
        out[m.name] = {d: (float(s[d][0]), None if np.isnan(s[d][0]) else bool(s[d][0] >= r["threshold"]))
                       for d, r in protocol["results"].items()}
    return out


def verdict_rows(protocol: dict, names) -> list:
    """Rows [model, half, mean loss, each detector's verdict] for members of the protocol (thresholds from
    the development half; "n/a" where a detector does not apply)."""
    rows = []
    for n in names:
        i = protocol["names"].index(n)
        verdicts = []
        for d, r in protocol["results"].items():
            score = protocol["scores"][d][i]
            verdicts.append("n/a" if np.isnan(score) else ("search" if decide([score], r["threshold"])[0] else "no search"))
        mean = protocol["evidence"][n].losses.mean()
        rows.append([n, "development" if protocol["dev"][i] else "held out", f"{mean:.3g}"] + verdicts)
    return rows


def _interval(value, interval, digits=2) -> str:
    if not np.isfinite(value):
        return "n/a"
    lo, hi = interval
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def auc_table_html(protocol: dict) -> str:
    """An HTML table for one loss: one row per detector (baselines last) with its held-out AUC (95% bootstrap
    interval over models, and resampling whole families), accuracy and balanced accuracy, AUC and balanced
    accuracy within strata of similar mean regret, the threshold fitted on the development half, and how many
    held-out models it applies to."""
    head = ("<tr><th>detector</th><th>AUC [95% interval]</th><th>AUC interval, families resampled</th>"
            "<th>AUC minus mean-loss baseline</th><th>accuracy</th><th>balanced accuracy</th><th>AUC within strata</th>"
            "<th>balanced accuracy within strata</th><th>threshold (development)</th><th>held-out models</th></tr>")
    rows = []
    for name, det in DETECTORS.items():
        r = protocol["results"][name]
        t = "none: always" if not np.isfinite(r["threshold"]) else f"{r['threshold']:.3g}"
        fam = r.get("auc_interval_clusters", (np.nan, np.nan))
        fam_text = f"[{fam[0]:.2f}, {fam[1]:.2f}]" if np.all(np.isfinite(fam)) else "n/a"
        rows.append("<tr>" + "".join([
            f"<td>{html.escape(det.title)}</td>", f"<td>{_interval(r['auc'], r['auc_interval'])}</td>",
            f"<td>{fam_text}</td>",
            f"<td>{_interval(r['auc_minus_baseline'], r['auc_minus_baseline_interval']) if name != BASELINE else ''}</td>",
            f"<td>{_interval(r['accuracy'], r['accuracy_interval'])}</td>",
            f"<td>{_interval(r['balanced_accuracy'], r['balanced_accuracy_interval'])}</td>",
            f"<td>{_interval(r['matched_auc'], r['matched_auc_interval'])} ({r['matched_pairs']} pairs)</td>",
            f"<td>{_interval(r['matched_balanced_accuracy'], r['matched_balanced_accuracy_interval'])}</td>",
            f"<td>{t}</td>", f"<td>{r['n_held_out']} ({r['n_held_out_searchers']} searchers)</td>"]) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def boundary_table_html(verdicts: dict) -> str:
    """An HTML table of the boundary cases' verdicts under the development thresholds."""
    head = "<tr><th>model</th>" + "".join(f"<th>{html.escape(DETECTORS[d].title)}</th>" for d in DETECTORS) + "</tr>"
    rows = []
    for name, by_detector in verdicts.items():
        cells = "".join("<td>n/a</td>" if v is None else f"<td>{'search' if v else 'no search'} ({s:.3g})</td>"
                        for s, v in by_detector.values())
        rows.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def best_family(fit: dict) -> str | None:
    """The family with the lowest AIC in a :func:`mesaopt.detection.stats.fit_loss_families` result (None if no fits)."""
    fits = fit["fits"]
    return min(fits, key=lambda name: fits[name]["aic"]) if fits else None


def fit_table_html(fits: dict) -> str:
    """An HTML table of ``{model: fit_loss_families(...)}``: exact zeros, gamma and Weibull shapes, best AIC."""
    rows = []
    for name, fit in fits.items():
        label_cell = f"<td>{html.escape(name)}</td><td>{fit['zero_fraction']:.0%}</td>"
        if not fit["fits"]:
            rows.append(f"<tr>{label_cell}<td colspan=3>all losses are zero up to rounding</td></tr>")
            continue
        rows.append(f"<tr>{label_cell}<td>{fit['fits']['gamma']['shape']:.2f}</td>"
                    f"<td>{fit['fits']['weibull']['shape']:.2f}</td><td>{best_family(fit)}</td></tr>")
    head = ("<tr><th>model</th><th>exact zeros</th><th>gamma shape</th><th>Weibull shape</th>"
            "<th>best AIC</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"
