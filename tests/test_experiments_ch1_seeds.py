"""experiments/ch1_seeds.py with tiny training budgets: one run per seed, every statistic of the chapter stored,
and the summary over seeds the chapter reads. (The real runs never happen in the tests.)"""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.maximize import chapter_statistics as S
from mesaopt.maximize import training as T


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    small = {name: dict(s, updates=40, width=16 if s["kind"] == "mlp" else 8) for name, s in T.STANDARD_SETTINGS.items()}
    patch = pytest.MonkeyPatch()
    patch.setattr(T, "STANDARD_SETTINGS", small)
    patch.setattr(S, "STANDARD_SETTINGS", small)
    spec = importlib.util.spec_from_file_location("ch1_seeds", ROOT / "experiments" / "ch1_seeds.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path_factory.mktemp("seeds") / "seeds.json"
    try:
        assert script.main(["--seeds", "0", "1", "--out", str(out)]) == 0
    finally:
        patch.undo()
    return json.loads(out.read_text())


def test_one_run_per_seed_with_provenance(stored):
    assert sorted(stored["runs"]) == ["seed-0", "seed-1"]
    assert stored["design"]["name"] == "ch1_seeds" and stored["design"]["seeds"] == [0, 1]
    assert stored["provenance"]["machine"]["logical_cores"] >= 1
    assert all(run["wall_seconds"] > 0 for run in stored["runs"].values())


def test_every_section_statistic_is_stored_and_summarized(stored):
    result = stored["runs"]["seed-0"]["result"]
    for name in ("G_mlp_regret", "Gmed_refiner", "ratio_mlp_squared", "probe_slope_shift", "silence_value_excess",
                 "refiner_interior_stationary", "last_worst_ratio", "moved_quarter_refiner", "curve_last_T64"):
        assert name in result, name
    assert all(f"curve_every_T{t}" in result for t in S.STEPS)
    summary = S.seed_summary(stored["runs"])
    assert set(summary) == set(result)
    entry = summary["G_mlp_regret"]
    assert entry["low"] <= entry["mean"] <= entry["high"] and len(entry["values"]) == 2
    assert np.isfinite([summary[name]["mean"] for name in result]).all()
