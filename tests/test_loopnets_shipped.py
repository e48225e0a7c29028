"""The shortcut networks shipped with the package: each file equals a fresh compile, each network answers
like the loop (every n <= 4096, the edges of every width, random n up to 2^30) and like the numpy path
of the same compiled network, and the command line runs them without numpy, scipy or torch."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.loopnets.cli import run_form
from mesaopt.loopnets.loop import N_MAX, search_loop
from mesaopt.loopnets.nets import ShortcutSearch
from mesaopt.loopnets.shipped import (LADDER, compile_shortcut, load_shortcut, rung_for, shipped_path,
                                      write_shortcut)

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("k", LADDER)
def test_each_shipped_file_equals_a_fresh_compile(k):
    fresh, shipped = compile_shortcut(k).circuits(), load_shortcut(k).circuits()
    assert set(fresh) == set(shipped) == {"candidate", "last", "node"}
    for name in fresh:
        assert shipped[name].to_data() == fresh[name].to_data(), (k, name)
    assert load_shortcut(k).n_max == 1 << k


def test_every_n_up_to_4096_on_the_narrowest_network_that_covers_it():
    ns = list(range(1, 4097))
    answers = run_form("shortcut", ns)
    assert [answers[n] for n in ns] == [search_loop(n) for n in ns]
    assert {rung_for(n) for n in ns} == {8, 12}


def test_the_edges_of_every_width_and_random_n_up_to_2_30():
    edges = sorted({v for k in LADDER for v in (2 ** k, 2 ** k + 1) if v <= N_MAX})
    ns = edges + RNG.integers(2, N_MAX, 6).tolist() + [a ** 10 for a in range(2, 9)]
    answers = run_form("shortcut", ns)
    assert [answers[n] for n in ns] == [search_loop(n) for n in ns]


@pytest.mark.parametrize("k", [8, 16, 24])
def test_the_packed_network_equals_the_numpy_path_of_the_same_weights(k):
    ns = RNG.integers(1, 2 ** k + 1, 40).tolist()
    assert load_shortcut(k).run(ns) == ShortcutSearch(2 ** k).run(ns).tolist()


def test_a_network_refuses_n_beyond_its_width_and_a_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(ValueError, match=r"\[1, 256\]"):
        load_shortcut(8).run([257])
    with pytest.raises(FileNotFoundError, match="python -m mesaopt.loopnets.shipped"):
        load_shortcut(path=tmp_path / "absent.bin")
    assert load_shortcut(path=write_shortcut(8, tmp_path / "w.bin")).run([100]) == [search_loop(100)]
    assert [rung_for(n) for n in (1, 256, 257, 2 ** 29 + 1, N_MAX)] == [8, 8, 12, 30, 30]
    with pytest.raises(ValueError, match="at most 2"):
        rung_for(N_MAX + 1)


def test_the_weights_files_are_package_data():
    for k in LADDER:
        path = shipped_path(k)
        assert path.startswith(str(ROOT / "mesaopt" / "loopnets" / "data"))
        assert 0 < os.path.getsize(path) < 200_000
    assert '"mesaopt.loopnets" = ["data/*.bin"]' in (ROOT / "pyproject.toml").read_text()


def test_command_line_and_package_imports_stay_light():
    heavy = ('numpy', 'scipy', 'torch', 'matplotlib', 'ipywidgets', 'tqdm', 'argparse')
    code = ("import sys; import mesaopt; light = 'numpy' not in sys.modules; from mesaopt.loopnets import cli; "
            "cli.main(['1000', '1073741789', '--form', 'shortcut']); cli.main(['77']); "
            f"print(light, sorted(m for m in {heavy} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == [f"1000 {search_loop(1000)}", f"1073741789 {search_loop(1073741789)}",
                                          f"77 {search_loop(77)}", "True []"]
