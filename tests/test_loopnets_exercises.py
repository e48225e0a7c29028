"""Chapter 2's exercise checkers pass the reference, fail wrong answers, and flag stubs."""
from __future__ import annotations

import pytest

from mesaopt.circuits import greater, mux
from mesaopt.loopnets.exercises import check_comparator, check_max_node, reference_comparator, reference_max_node
from mesaopt.checking import ExerciseFailed, NotImplementedYet


def test_comparator_checker():
    assert "correct" in check_comparator(reference_comparator)
    assert "correct" in check_comparator(lambda c, a, b: greater(c, a, b))

    def greater_or_equal(c, a, b):
        return c.step(sum(2 ** j * (x - y) for j, (x, y) in enumerate(zip(a, b))), 0)

    with pytest.raises(ExerciseFailed, match="a > b exactly when"):
        check_comparator(greater_or_equal)

    def not_a_bit(c, a, b):
        return c.relu(sum(2 ** j * (x - y) for j, (x, y) in enumerate(zip(a, b))))

    with pytest.raises(ExerciseFailed, match="not always exactly 0 or 1"):
        check_comparator(not_a_bit)

    def stub(c, a, b):
        raise NotImplementedError

    with pytest.raises(NotImplementedYet, match="not implemented yet"):
        check_comparator(stub)


def test_max_node_checker():
    assert "correct" in check_max_node(reference_max_node)

    def prefers_right_on_ties(c, kl, vl, kr, vr):
        left = greater(c, vl, vr)
        return mux(c, left, kl, kr), mux(c, left, vl, vr)

    with pytest.raises(ExerciseFailed, match="LEFT"):
        check_max_node(prefers_right_on_ties)

    with pytest.raises(ExerciseFailed, match="2 lists"):
        check_max_node(lambda c, kl, vl, kr, vr: kl)

    def stub(c, kl, vl, kr, vr):
        raise NotImplementedError

    with pytest.raises(NotImplementedYet):
        check_max_node(stub)
