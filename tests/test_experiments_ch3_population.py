"""experiments/ch3_population.py: a one-member run records its provenance and reproduces the committed answers
(to float32 rounding, in case the CPU differs from the one that made them)."""
from __future__ import annotations

import base64
import importlib.util
import json

import numpy as np

from book_files import ROOT

spec = importlib.util.spec_from_file_location("ch3_population", ROOT / "experiments" / "ch3_population.py")
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)

MEMBER = "MLP w=32 u=600 regret (seed 1)"   # the cheapest trained member: a few seconds


def test_one_member_rerun_records_provenance_and_matches_the_committed_answers(tmp_path):
    out = tmp_path / "population.json"
    assert script.main(["--only", MEMBER, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    run = data["provenance"]["invocations"][-1]
    assert run["trained"] == [MEMBER] and run["machine"]["cores"] >= 1 and run["versions"]["torch"]
    assert run["git_commit"] is None or len(run["git_commit"]) == 40
    committed = json.loads((ROOT / "experiments" / "results" / "ch3_population.json").read_text())["members"][MEMBER]
    fresh = data["members"][MEMBER]
    assert fresh["settings"] == committed["settings"]
    assert fresh["answers"].keys() == committed["answers"].keys()
    for key, text in committed["answers"].items():   # float32 answers; another CPU may round differently
        stored = np.frombuffer(base64.b64decode(text), "<f4")
        assert np.allclose(np.frombuffer(base64.b64decode(fresh["answers"][key]), "<f4"), stored, atol=1e-4), key
