"""experiments/ch1_scaling.py on its tiny design: the results file has the format the chapter reads, and a
killed study continues where it stopped. (The study itself never runs in the tests.)"""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.maximize import scaling as SC

RESULT_KEYS = {"regret_mean", "regret_median", "G_mean", "G_median", "regret_by_quarter", "hard_easy_ratio",
               "train_regret_mean", "parameters", "forward_multiply_adds", "train_flops", "final_batch_regret",
               "train_seconds"}


def load_script():
    spec = importlib.util.spec_from_file_location("ch1_scaling", ROOT / "experiments" / "ch1_scaling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    script = load_script()
    out = tmp_path_factory.mktemp("scaling") / "tiny.json"
    assert script.main(["--tiny", "--out", str(out)]) == 0
    return script, out, json.loads(out.read_text())


def test_tiny_results_have_provenance_and_every_run(tiny):
    script, out, data = tiny
    specs = script.tiny_design()
    assert set(data["runs"]) == {SC.run_key(spec) for spec in specs}
    assert data["design"]["tiny"] is True and data["design"]["seeds"] == [0, 1]
    assert "6 * forward multiply-adds" in data["design"]["compute_rule"]
    machine = data["provenance"]["machine"]
    assert machine["logical_cores"] >= 1 and machine["platform"]
    assert data["provenance"]["versions"]["torch"] and data["provenance"]["versions"]["numpy"]
    session = data["sessions"][-1]
    assert session["command"].endswith("--tiny --out " + str(out))
    assert session["runs_done"] == len(specs) and session["wall_seconds"] > 0
    for key, record in data["runs"].items():
        assert set(record["result"]) == RESULT_KEYS, key
        assert record["wall_seconds"] > 0 and record["cpu_seconds"] > 0
        assert SC.run_key(record["spec"]) == key and record["spec"]["groups"]
        r = record["result"]
        assert 2 <= r["G_mean"] <= 256 and 2 <= r["G_median"] <= 256
        assert len(r["regret_by_quarter"]) == 4 and r["regret_mean"] > 0
        assert r["train_flops"] == 6 * r["forward_multiply_adds"] * record["spec"]["batch_size"] * record["spec"]["updates"]


def test_tiny_results_summarize_over_seeds(tiny):
    _, _, data = tiny
    rows = SC.config_table(data["runs"], "regret_mean")
    assert rows and all(len(row["values"]) == 2 and row["low"] <= row["mean"] <= row["high"] for row in rows)
    assert [row["train_flops"] for row in rows] == sorted(row["train_flops"] for row in rows)
    lines = SC.lines(data["runs"], lambda s: "main" in s["groups"])
    assert set(lines) == {"MLP depth 2, width 8", "MLP depth 2, width 16"}
    assert np.all(np.diff(lines["MLP depth 2, width 8"]["flops"]) > 0)


def test_a_killed_study_continues_where_it_stopped(tiny, tmp_path):
    script, out, data = tiny
    partial = dict(data, runs=dict(list(data["runs"].items())[:-2]))   # as if killed two runs before the end
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    assert script.main(["--tiny", "--out", str(path)]) == 0
    resumed = json.loads(path.read_text())
    assert set(resumed["runs"]) == set(data["runs"])
    assert resumed["sessions"][-1]["runs_to_do"] == 2
    kept = next(iter(partial["runs"]))
    assert resumed["runs"][kept] == data["runs"][kept]   # finished runs are not redone


def test_a_results_file_of_another_design_is_refused(tiny, tmp_path):
    script, _, data = tiny
    path = tmp_path / "other.json"
    path.write_text(json.dumps(dict(data, design=dict(data["design"], name="something else"))))
    with pytest.raises(ValueError, match="another design"):
        script.main(["--tiny", "--out", str(path)])


def test_the_full_design_has_what_the_issue_asks_for():
    specs = load_script().full_design()
    main = [s for s in specs if "main" in s["groups"]]
    assert {s["width"] for s in main if s["depth"] == 2} >= {64, 128, 256, 512, 1024}
    assert {s["depth"] for s in main} == {2, 4}
    flops = [SC.estimated_cost(s) for s in specs]
    assert np.log10(max(flops) / min(flops)) >= 3
    by_config = {}
    for s in specs:
        by_config.setdefault(SC.config_key(s), set()).add(s["seed"])
    assert min(len(seeds) for seeds in by_config.values()) >= 3
    groups = {g for s in specs for g in s["groups"]}
    assert groups >= {"main", "fresh", "refiner", "distill", "hard", "degree"}
    assert len({s["degree"] for s in specs}) >= 3
