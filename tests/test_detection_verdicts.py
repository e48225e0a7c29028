"""mesaopt/detection/verdicts.py: the protocol run on a small planted part of the population, and its tables."""
from __future__ import annotations

import json

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.detection.detectors import DETECTORS
from mesaopt.detection.evaluation import fit_threshold
from mesaopt.detection.population import SEARCH_DEFINITION, members, reference_inputs
from mesaopt.detection.verdicts import (auc_table_html, boundary_table_html, boundary_verdicts, population_labels,
                                        population_regrets, run_protocol, verdict_rows)
from mesaopt.maximize.polynomials import hardness, regret

NAMES = [m.name for f in ("grid search", "random search", "constant rule", "trend rule", "nearest-neighbour lookup")
         for m in members(f)]


@pytest.fixture(scope="module")
def small():
    from mesaopt.detection.population import evaluation_inputs

    regrets = population_regrets(None, names=NAMES + ["best endpoint"], progress=False)
    ref_coeffs = reference_inputs()
    reference = regret(ref_coeffs, np.full(len(ref_coeffs), 0.5))  # a poor reference: the constant 1/2
    hard = hardness(evaluation_inputs())
    labels = population_labels(regrets)
    return regrets, reference, hard, labels, run_protocol(regrets, hard, reference, labels, n_boot=200)


def test_protocol_fits_thresholds_on_the_development_half_and_scores_the_held_out_half(small):
    regrets, reference, hard, labels, p = small
    assert "best endpoint" not in p["names"] and set(p["names"]) == set(NAMES)   # boundary cases are not scored
    fams = np.array(p["families"])
    for f in set(p["families"]):
        assert p["dev"][fams == f].any() and (~p["dev"][fams == f]).any()
    for name, r in p["results"].items():
        s = p["scores"][name]
        expected = DETECTORS[name].fixed_threshold
        if expected is None:
            expected = fit_threshold(s[p["dev"]], p["labels"][p["dev"]])
        assert r["threshold"] == expected, name
        assert r["n_held_out"] == int(np.sum(~p["dev"] & ~np.isnan(s)))
    assert p["results"]["always_search"]["auc"] == 0.5
    grid = p["names"].index("grid search G=17")
    assert p["scores"]["budget"][grid] == pytest.approx(2.0, abs=0.15)       # regret ~ G^-2
    assert np.isnan(p["scores"]["budget"][p["names"].index("constant x=0.5")])  # no knob, no budget score
    squared = run_protocol(regrets, hard, reference, labels, loss="squared", n_boot=200)
    assert np.array_equal(squared["scores"]["min_of_k"], p["scores"]["min_of_k"])  # rank-based
    assert not np.array_equal(squared["scores"]["hardness"], p["scores"]["hardness"])


def test_tables_and_verdict_rows_follow_the_fitted_thresholds(small):
    regrets, reference, hard, labels, p = small
    table = auc_table_html(p)
    assert table.count("<tr>") == len(DETECTORS) + 1 and "none: always" in table
    rows = verdict_rows(p, ["grid search G=65", "constant x=0"])
    col = 3 + list(DETECTORS).index("min_of_k")
    for row, name in zip(rows, ["grid search G=65", "constant x=0"]):
        i = p["names"].index(name)
        expected = p["scores"]["min_of_k"][i] >= p["results"]["min_of_k"]["threshold"]
        assert row[col] == ("search" if expected else "no search")
    assert rows[1][3 + list(DETECTORS).index("budget")] == "n/a"
    verdicts = boundary_verdicts(regrets, hard, reference, p)
    assert set(verdicts) == {"best endpoint"} and set(verdicts["best endpoint"]) == set(DETECTORS)
    assert boundary_table_html(verdicts).count("<tr>") == 2


def test_the_chapter_states_the_definition_of_search_the_package_uses():
    nb = json.loads((ROOT / "book" / "ch3_detecting_search.ipynb").read_text())
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert SEARCH_DEFINITION in text
