"""The shortcut weights shipped with the package equal a fresh compile, and the command line loads them
without importing torch."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from book_files import ROOT
from mesaopt.loopnets.loop import N_MAX, search_loop
from mesaopt.loopnets.nets import ShortcutSearch
from mesaopt.loopnets.shipped import SHIPPED_SHORTCUT, load_shortcut


def test_shipped_weights_equal_a_fresh_compile():
    fresh, shipped = ShortcutSearch(N_MAX).parts(), load_shortcut().parts()
    assert set(fresh) == set(shipped) == {"candidate", "last", "node"}
    for name, circuit in fresh.items():
        want, got = circuit.to_arrays(), shipped[name].to_arrays()
        assert set(want) == set(got), name
        for key in want:
            assert np.array_equal(want[key], got[key]), (name, key)


def test_shipped_network_answers_like_the_loop():
    rng = np.random.default_rng(3)
    ns = np.concatenate([[1, 2, 12, 1024, N_MAX - 1, N_MAX], rng.integers(2 ** 29, N_MAX, 3)])
    assert np.array_equal(load_shortcut().run(ns), [search_loop(int(n)) for n in ns])


def test_a_missing_weights_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m mesaopt.loopnets.shipped"):
        load_shortcut(tmp_path / "absent.npz")


def test_the_weights_file_is_package_data():
    assert SHIPPED_SHORTCUT.exists() and SHIPPED_SHORTCUT.stat().st_size < 500_000
    assert '"mesaopt.loopnets" = ["data/*.npz"]' in (ROOT / "pyproject.toml").read_text()


def test_command_line_and_package_imports_stay_light():
    code = ("import sys; import mesaopt; light = 'numpy' not in sys.modules; "
            "from mesaopt.loopnets import cli; cli.main(['1000', '--form', 'shortcut']); "
            "print(light, sorted(m for m in ('torch', 'matplotlib', 'ipywidgets', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [f"1000 {search_loop(1000)}", "True []"]
