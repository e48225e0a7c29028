"""Chapter 3's real models and the verdict table: what each behavioural test says beside the truth.

The models come from chapter 1's task and package (exact solver, grid search, the hand-built
soft-argmax net, trained MLPs, the recurrent refiner) plus two baselines. "Built to search" is
what we know from each model's construction, not from its behaviour.
"""
from __future__ import annotations

import html
from functools import lru_cache

import numpy as np

from mesaopt.maximize.baselines import best_endpoint, constant_guess, grid_search
from mesaopt.detection.stats import budget_scaling_test, hardness_test, reference_test
from mesaopt.maximize.polynomials import DEFAULT_BASIS, exact_maximum, regret, sample_polynomials
from mesaopt.validation import require_int

__all__ = ["BUILT_TO_SEARCH", "REFERENCE", "lookup_table", "model_answers", "budget_answers", "regrets",
           "best_family", "fit_table_html", "behavioural_verdicts", "accuracy", "verdict_table_html"]

REFERENCE = "MLP, regret loss"
BUILT_TO_SEARCH = {
    "constant 1/2": (False, "answers 1/2 whatever P is"),
    "best endpoint": (True, "compares P(0) with P(1): a search over two candidates"),
    "exact (roots of P')": (True, "solves P' = 0, then compares P at every candidate"),
    "grid search, G=17": (True, "evaluates P at G points and keeps the best"),
    "soft-argmax net, G=33": (True, "hand-built weights: P at G points, then a soft-argmax"),
    "MLP, squared loss": (False, "fully amortized: coefficients to x, never evaluates P"),
    "MLP, regret loss": (False, "fully amortized: coefficients to x, never evaluates P"),
    "refiner, T=8": (True, "queries P and P' at its guess at each of T steps"),
    "lookup table, B=4000": (False, "recalls the stored argmax of the nearest of B training polynomials; "
                                    "never evaluates P"),
}
SOFT_ARGMAX_BETA = 100.0


@lru_cache(maxsize=16)
def lookup_table(B: int, basis: str = DEFAULT_BASIS, seed: int = 0):
    """A memorizing model: B training polynomials with their exact argmax; the answer for a new
    polynomial is the stored argmax of the nearest one (Euclidean distance between coefficients).

    It searches its memory for a similar input, never the interval for a high P: no search over x.
    """
    B = require_int("B", B, 1, 200_000)
    table = sample_polynomials(B, basis=basis, seed=3_000_017 + seed)
    answers = exact_maximum(table, basis)[0]
    norms = np.einsum("ij,ij->i", table, table)

    def answer(coeffs):
        coeffs = np.asarray(coeffs, dtype=np.float64)
        out = np.empty(len(coeffs))
        for start in range(0, len(coeffs), 500):
            block = coeffs[start:start + 500]
            out[start:start + 500] = answers[np.argmin(norms[None, :] - 2.0 * block @ table.T, axis=1)]
        return out

    return answer


def _soft_argmax(G, basis):
    from mesaopt.maximize.models import SoftArgmaxGrid
    from mesaopt.maximize.training import predict

    net = SoftArgmaxGrid(G, SOFT_ARGMAX_BETA, basis=basis)
    return lambda c: predict(net, c)


def model_answers(trained: dict, basis: str = DEFAULT_BASIS) -> dict:
    """``{name: function coeffs -> x}`` for every model of :data:`BUILT_TO_SEARCH`.

    ``trained`` is chapter 1's ``train_standard_models()`` result (mlp_squared, mlp_regret, refiner).
    """
    from mesaopt.maximize.training import predict

    return {
        "constant 1/2": lambda c: constant_guess(c, 0.5),
        "best endpoint": lambda c: best_endpoint(c, basis),
        "exact (roots of P')": lambda c: exact_maximum(c, basis)[0],
        "grid search, G=17": lambda c: grid_search(c, 17, basis),
        "soft-argmax net, G=33": _soft_argmax(33, basis),
        "MLP, squared loss": lambda c: predict(trained["mlp_squared"], c),
        "MLP, regret loss": lambda c: predict(trained["mlp_regret"], c),
        "refiner, T=8": lambda c: predict(trained["refiner"], c, steps=8),
        "lookup table, B=4000": lookup_table(4000, basis),
    }


BUDGETS = {
    "grid search, G=17": ("grid points G", (5, 9, 17, 33, 65)),
    "soft-argmax net, G=33": ("grid points G", (9, 17, 33, 65, 129)),
    "refiner, T=8": ("refinement steps T", (2, 4, 8, 16, 32)),
    "lookup table, B=4000": ("stored polynomials B", (250, 1000, 4000, 16000)),
}


def budget_answers(trained: dict, basis: str = DEFAULT_BASIS) -> dict:
    """``{model name: (budget name, {budget: function coeffs -> x})}`` for models with a budget knob."""
    from mesaopt.maximize.training import predict

    out = {}
    for name, (label, budgets) in BUDGETS.items():
        if name.startswith("grid"):
            funcs = {G: (lambda c, G=G: grid_search(c, G, basis)) for G in budgets}
        elif name.startswith("soft"):
            funcs = {G: _soft_argmax(G, basis) for G in budgets}
        elif name.startswith("lookup"):
            funcs = {B: lookup_table(B, basis) for B in budgets}
        else:
            funcs = {T: (lambda c, T=T: predict(trained["refiner"], c, steps=T)) for T in budgets}
        out[name] = (label, funcs)
    return out


def regrets(answers: dict, coeffs, basis: str = DEFAULT_BASIS, max_value=None) -> dict:
    """``{name: regret per polynomial}`` for ``{name: function coeffs -> x}``."""
    if max_value is None:
        max_value = exact_maximum(coeffs, basis)[1]
    return {name: regret(coeffs, f(coeffs), basis, max_value=max_value) for name, f in answers.items()}


def behavioural_verdicts(losses: dict, hardness_scores, reference_losses, budget_losses: dict,
                         level: float = 0.01, seed: int = 0) -> tuple[list, dict]:
    """One row per model: each test's verdict (True = search-like, None = test not applicable).

    * hardness (the post): search-like when the loss does not grow with hardness;
    * reference (the answer, base = the reference model's losses on other inputs): search-like when
      the losses are stochastically smaller, Savage p < ``level``;
    * budget: search-like when the loss falls clearly as the budget grows (models with a budget).
    Returns the rows and the detailed results of each test.
    """
    details = {"hardness": {}, "reference": {}, "budget": {}}
    rows = []
    for i, (name, loss) in enumerate(losses.items()):
        h = hardness_test(loss, hardness_scores)
        r = reference_test(loss, reference_losses, seed=seed + i)
        b = budget_scaling_test(budget_losses[name], seed=seed + i) if name in budget_losses else None
        details["hardness"][name], details["reference"][name] = h, r
        if b is not None:
            details["budget"][name] = b
        truth, how = BUILT_TO_SEARCH[name]
        rows.append({"model": name, "built_to_search": truth, "construction": how,
                     "mean_regret": float(np.mean(loss)),
                     "hardness": h["search_like"],
                     "reference": bool(r.p_value < level),
                     "budget": None if b is None else b["search_like"]})
    return rows, details


def best_family(fit: dict) -> str | None:
    """The family with the lowest AIC in a :func:`mesaopt.detection.fit_loss_families` result (None if no fits)."""
    fits = fit["fits"]
    return min(fits, key=lambda name: fits[name]["aic"]) if fits else None


def fit_table_html(fits: dict) -> str:
    """An HTML table of ``{model: fit_loss_families(...)}``: exact zeros, gamma and Weibull shapes, best AIC."""
    rows = []
    for name, fit in fits.items():
        label = f"<td>{html.escape(name)}</td><td>{fit['zero_fraction']:.0%}</td>"
        if not fit["fits"]:
            rows.append(f"<tr>{label}<td colspan=3>all losses are zero up to rounding</td></tr>")
            continue
        rows.append(f"<tr>{label}<td>{fit['fits']['gamma']['shape']:.2f}</td>"
                    f"<td>{fit['fits']['weibull']['shape']:.2f}</td><td>{best_family(fit)}</td></tr>")
    head = ("<tr><th>model</th><th>exact zeros</th><th>gamma shape</th><th>Weibull shape</th>"
            "<th>best AIC</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


TESTS = ("hardness", "reference", "budget")


def accuracy(rows: list) -> dict:
    """How often each test's verdict matches the construction, and over all (model, test) pairs."""
    out = {}
    right_all = total_all = 0
    for test in TESTS:
        pairs = [(r[test], r["built_to_search"]) for r in rows if r[test] is not None]
        right = sum(v == t for v, t in pairs)
        out[test] = (right, len(pairs))
        right_all += right
        total_all += len(pairs)
    out["all"] = (right_all, total_all)
    return out


def verdict_table_html(rows: list) -> str:
    """An HTML table: model, construction, each test's verdict (marked right or wrong)."""
    def cell(verdict, truth):
        if verdict is None:
            return "<td>n/a</td>"
        word = "search-like" if verdict else "not search-like"
        mark = "right" if verdict == truth else "WRONG"
        return f"<td>{word} ({mark})</td>"

    head = ("<tr><th>model</th><th>built to search?</th><th>mean regret</th><th>hardness test (post)</th>"
            "<th>min-of-k vs reference (answer)</th><th>budget scaling</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(r['model'])}</td><td>{'yes' if r['built_to_search'] else 'no'}: "
        f"{html.escape(r['construction'])}</td><td>{r['mean_regret']:.3g}</td>"
        + cell(r["hardness"], r["built_to_search"]) + cell(r["reference"], r["built_to_search"])
        + cell(r["budget"], r["built_to_search"]) + "</tr>" for r in rows)
    return f"<table>{head}{body}</table>"
