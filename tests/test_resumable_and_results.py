"""mesaopt.resumable (results files of experiments, written run by run) and mesaopt.results (reading them)."""
from __future__ import annotations

import json

import pytest

from mesaopt import resumable, results


def test_run_all_writes_every_run_and_skips_finished_ones(tmp_path):
    path = tmp_path / "r.json"
    file = resumable.ResultsFile(path, {"name": "demo"})
    specs = {f"run-{i}": {"i": i} for i in range(4)}
    resumable.run_all(specs, dict, file, workers=2)   # dict(spec) is the "result": a picklable builtin
    data = json.loads(path.read_text())
    assert {k: v["result"] for k, v in data["runs"].items()} == specs
    assert data["sessions"][0]["runs_done"] == 4 and data["sessions"][0]["workers"] == 2
    again = resumable.ResultsFile(path, {"name": "demo", "more": True})
    resumable.run_all({**specs, "run-9": {"i": 9}}, dict, again)
    data = json.loads(path.read_text())
    assert data["sessions"][1]["runs_to_do"] == 1 and len(data["runs"]) == 5
    with pytest.raises(ValueError, match="another design"):
        resumable.ResultsFile(path, {"name": "other"})


def test_load_results_reads_the_local_file_and_checks_the_name():
    assert results.results_path("ch1_scaling") is not None
    assert "runs" in results.load_results("ch1_scaling")
    with pytest.raises(ValueError, match="results file's name"):
        results.load_results("../secrets")
    assert results.repository_url().startswith("https://github.com/")
