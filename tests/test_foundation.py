"""Unit tests of the pieces every chapter shares: validation, setup, glue fallback, checkers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.checking import ExerciseFailed, NotImplementedYet, call_student, expect, passed
from mesaopt.notebook import glue, glue_all, setup, show_table
from mesaopt.validation import require_choice, require_float, require_int


def test_require_int_accepts_integers_in_range_and_names_the_range_otherwise():
    assert require_int("n", 5, 1, 10) == 5
    assert require_int("n", 7.0, 1, 10) == 7
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 10\], got 11"):
        require_int("n", 11, 1, 10)
    with pytest.raises(ValueError, match="got 'x'"):
        require_int("n", "x", 1, 10)
    with pytest.raises(ValueError):
        require_int("n", True)
    with pytest.raises(ValueError):
        require_int("n", 2.5)


def test_require_float_and_choice():
    assert require_float("beta", 3, 0, None, low_inclusive=False) == 3.0
    with pytest.raises(ValueError, match=r"beta must be a number > 0"):
        require_float("beta", 0, 0, None, low_inclusive=False)
    with pytest.raises(ValueError):
        require_float("beta", float("nan"))
    assert require_choice("basis", "legendre", ["legendre", "monomial"]) == "legendre"
    with pytest.raises(ValueError, match="'legendre', 'monomial'"):
        require_choice("basis", "chebyshev", ["legendre", "monomial"])


def test_setup_makes_torch_and_numpy_repeatable_and_uses_one_thread():
    setup(seed=3)
    a = (torch.rand(3), np.random.rand(3))
    setup(seed=3)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError):
        setup(threads=0)


def test_glue_returns_the_value_as_a_plain_python_number():
    assert glue("answer", 42, display=False) == 42
    stored = glue("ratio", np.float64(0.25), display=False)
    assert type(stored) is float and f"{stored:.2f}" == "0.25"


def test_glue_all_stores_every_value_as_glue_does_and_rejects_bad_names():
    stored = glue_all({"a": np.int64(3), "b": np.float64(0.5), "c": "text"})
    assert stored == {"a": 3, "b": 0.5, "c": "text"} and type(stored["a"]) is int and type(stored["b"]) is float
    with pytest.raises(ValueError, match="dict of"):
        glue_all([("a", 1)])
    with pytest.raises(ValueError, match="non-empty string names"):
        glue_all({"": 1})


def test_checker_helpers_explain_stubs_and_wrong_answers():
    def stub():
        raise NotImplementedError

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        call_student(stub, exercise="Exercise 1")
    with pytest.raises(TypeError, match="pass your function itself"):
        call_student(3, exercise="Exercise 1")
    with pytest.raises(ExerciseFailed, match="Exercise 1: expected 2"):
        expect(1 + 1 == 3, "Exercise 1", "expected 2")
    assert passed("Exercise 1") == "Exercise 1: correct."


def test_show_table_writes_one_row_per_entry_and_escapes_text():
    html = show_table(["answer", "regret"], [["a < b", "0.50"], ["exact", "0.00"]])
    assert html.count("<tr>") == 3 and "a &lt; b" in html and "<th>regret</th>" in html
