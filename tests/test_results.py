"""mesaopt/results.py: results files of experiments, written run by run, and read back (locally or by URL)."""
from __future__ import annotations

import json

import pytest

from mesaopt import results


def test_run_all_writes_every_run_and_skips_finished_ones(tmp_path):
    path = tmp_path / "r.json"
    file = results.ResultsFile(path, {"name": "demo"})
    specs = {f"run-{i}": {"i": i} for i in range(4)}
    results.run_all(specs, dict, file, workers=2)   # dict(spec) is the "result": a picklable builtin
    data = json.loads(path.read_text())
    assert {k: v["result"] for k, v in data["runs"].items()} == specs
    assert data["sessions"][0]["runs_done"] == 4 and data["sessions"][0]["workers"] == 2
    again = results.ResultsFile(path, {"name": "demo", "more": True})
    results.run_all({**specs, "run-9": {"i": 9}}, dict, again)
    data = json.loads(path.read_text())
    assert data["sessions"][1]["runs_to_do"] == 1 and len(data["runs"]) == 5
    with pytest.raises(ValueError, match="another design"):
        results.ResultsFile(path, {"name": "other"})


def test_load_results_reads_the_local_file_and_checks_the_name():
    assert results.results_path("ch1_scaling") is not None
    assert "runs" in results.load_results("ch1_scaling")
    with pytest.raises(ValueError, match="results file's name"):
        results.load_results("../secrets")
    assert results.repository_url().startswith("https://github.com/")


def test_load_results_downloads_from_the_release_or_the_url_the_environment_names(tmp_path, monkeypatch):
    from mesaopt import __version__

    monkeypatch.delenv(results.RESULTS_URL_VARIABLE, raising=False)
    assert results.results_url("ch1_seeds").endswith(f"/v{__version__}/experiments/results/ch1_seeds.json")
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "only_remote.json").write_text(json.dumps({"runs": {"a": 1}}))
    monkeypatch.chdir(tmp_path)   # no experiments/results/only_remote.json anywhere near
    monkeypatch.setenv(results.RESULTS_URL_VARIABLE, remote.as_uri())
    assert results.results_path("only_remote") is None
    assert results.load_results("only_remote") == {"runs": {"a": 1}}
    with pytest.raises(FileNotFoundError, match=results.RESULTS_URL_VARIABLE):
        results.load_results("missing_everywhere")
