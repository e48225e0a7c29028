"""The searcher's experiment script: a tiny run writes results files with their provenance, resumes without
redoing runs, refuses another design, and its per-seed statistics summarize into intervals."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.maximize import searcher_statistics as S

spec = importlib.util.spec_from_file_location("ch1_searcher", ROOT / "experiments" / "ch1_searcher.py")
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)


@pytest.fixture(scope="module")
def tiny_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "seeds.json"
    assert script.main(["--part", "seeds", "--seeds", "0", "1", "--tiny", "--out", str(out)]) == 0
    return out


def test_a_tiny_seed_run_records_provenance_and_every_statistic(tiny_seeds):
    data = json.loads(tiny_seeds.read_text())
    assert data["design"] == json.loads(json.dumps(S.design([0, 1])))
    assert set(data["provenance"]) == {"machine", "versions", "git"}
    assert data["provenance"]["machine"]["logical_cores"] >= 1 and data["provenance"]["versions"]["torch"]
    session = data["sessions"][0]
    assert session["command"].endswith("--part seeds --seeds 0 1 --tiny --out " + str(tiny_seeds))
    assert session["runs_done"] == 2
    for key in ("seed-0", "seed-1"):
        run = data["runs"][key]
        assert run["spec"] == {"seed": int(key[-1]), "updates": 20} and run["wall_seconds"] > 0
        result = run["result"]
        for name in ("G_searcher", "rank_median_searcher", "rank_median_bump_true", "valley_mlp_regret",
                     "budget_searcher_1024", "raise_followed_grid64", "gap_p_times_4_parted_searcher",
                     "cpu_seconds_searcher", "score_raised_moved_searcher_every"):
            assert np.isfinite(result[name]), name
        assert result["valley_grid64"] == 0.0 and result["score_raised_moved_searcher"] == 1.0


def test_the_script_resumes_and_refuses_another_design(tiny_seeds, capsys):
    before = json.loads(tiny_seeds.read_text())["runs"]
    assert script.main(["--part", "seeds", "--seeds", "0", "1", "--tiny", "--out", str(tiny_seeds)]) == 0
    after = json.loads(tiny_seeds.read_text())
    assert after["runs"] == before and after["sessions"][-1]["runs_done"] == 0
    assert "2 of 2 runs already" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="another design"):
        script.main(["--part", "seeds", "--seeds", "0", "1", "2", "--tiny", "--out", str(tiny_seeds)])


def test_seed_summary_gives_t_intervals_and_flags_live_numbers_outside_the_stored_range(tiny_seeds):
    summary = S.seed_summary(json.loads(tiny_seeds.read_text())["runs"])
    entry = summary["regret_searcher"]
    assert entry["low"] <= entry["mean"] <= entry["high"] and len(entry["values"]) == 2
    mean, low, high = S.mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and np.isclose(high - mean, 4.302652729911275 / np.sqrt(3))
    assert S.outside_stored_range({"regret_searcher": entry["min"]}, summary) == {}
    far = entry["mean"] + 100 * (entry["max"] - entry["min"]) + 1
    assert "regret_searcher" in S.outside_stored_range({"regret_searcher": far}, summary)


def test_a_tiny_degree_run_compares_memory_and_grid_and_both_trained_models(tmp_path):
    out = tmp_path / "degrees.json"
    assert script.main(["--part", "degrees", "--degrees", "3", "--seeds", "0", "--tiny", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert set(runs) == {"lookup-d3", "trained-d3-seed-0"}
    lookup = runs["lookup-d3"]["result"]
    assert lookup["memory_4"] > 0 and lookup["grid_4"] > 0 and lookup["indexed_G_4"] == 3
    trained = runs["trained-d3-seed-0"]["result"]
    assert trained["answer_madds_mlp"] == 4 * 128 + 128 * 128 + 128
    assert trained["memory_size_mlp"] == trained["answer_madds_mlp"] // 3
    assert trained["train_flops_searcher"] < trained["train_flops_mlp"]
