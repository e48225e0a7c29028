"""The command line: python -m mesaopt.search N [N ...] runs the network weights on the reader's n."""
from __future__ import annotations

import subprocess
import sys

import pytest

from mesaopt.loopnets.cli import _argparse, choose_form, estimate_seconds, main, parse_args, parse_n
from mesaopt.loopnets.loop import search_loop


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mesaopt.search", *args], capture_output=True, text=True,
                          timeout=120)


def test_prints_one_line_per_n_computed_by_the_network():
    out = _cli("1", "10", "1024", "59049")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"{n} {search_loop(n)}" for n in (1, 10, 1024, 59049)]


def test_bad_n_gets_a_one_line_error_and_exit_code_2_and_the_others_are_answered():
    out = _cli("12", "abc", "0", "1073741825", "2.5", "100")
    assert out.returncode == 2
    assert out.stdout.splitlines() == ["12 3", f"100 {search_loop(100)}"]
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 4 and "Traceback" not in out.stderr
    assert all("1..2^30" in line for line in errors)


def test_form_and_check(capsys):
    for form in ("recurrent", "reduced", "positional", "shortcut"):
        assert main(["97", "4096", "--form", form, "--check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8 and all("agrees with the Python loop" in line for line in lines)
    assert lines[0].startswith(f"97 {search_loop(97)} ")


def test_full_width_n_and_a_refused_slow_form(capsys):
    assert main(["1073741824"]) == 0
    assert capsys.readouterr().out.split() == ["1073741824", str(search_loop(2 ** 30))]
    assert main(["1073741824", "--form", "recurrent"]) == 2
    err = capsys.readouterr().err
    assert "--form shortcut" in err and len(err.strip().splitlines()) == 1


def test_parse_and_cost_model():
    assert parse_n(" 42 ") == 42
    for bad in ["", "x", "0", "-3", str(2 ** 30 + 1)]:
        try:
            parse_n(bad)
        except ValueError as err:
            assert "1..2^30" in str(err)
        else:
            raise AssertionError(bad)
    assert choose_form(2 ** 30) == "shortcut"
    assert estimate_seconds("recurrent", 2 ** 30) > estimate_seconds("reduced", 2 ** 30) > 100 * estimate_seconds(
        "shortcut", 2 ** 30)


def _outcome(read, argv):
    try:
        return "read", read(argv)
    except SystemExit as stop:                             # argparse's usage message and exit code
        return "exit", stop.code


def test_the_argument_reader_agrees_with_argparse_and_hands_it_everything_else(capsys):
    cases = (["5"], ["5", "7", "--check"], ["--form", "reduced", "5"], ["5", "--form=shortcut", "--check"],
             ["--check", "--form", "positional", "1", "2", "3"],                 # read without argparse
             ["5", "--check", "7"], ["--form", "bad", "5"], ["--fo", "shortcut", "5"], ["-3"], [], ["--help"])
    outcomes = [_outcome(parse_args, argv) for argv in cases]
    assert outcomes == [_outcome(_argparse, argv) for argv in cases]
    assert [o[1] for o in outcomes[5:]] == [2, 2, (["5"], "shortcut", False), (["-3"], None, False), 2, 0]
    assert "usage: python -m mesaopt.search" in capsys.readouterr().out


def test_default_form_is_the_shortcut_for_every_n():
    assert {choose_form(n) for n in (1, 2, 10, 1000, 10 ** 5, 10 ** 7, 2 ** 29, 2 ** 30)} == {"shortcut"}
