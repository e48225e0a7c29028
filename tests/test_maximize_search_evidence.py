"""The evidence functions: controls behave as controls, interventions act through the model, the jump test tells a
jumping answer from one that slides through the valley, and the mesa/base comparison finds a planted misalignment."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.maximize import baselines as B
from mesaopt.maximize import polynomials as P
from mesaopt.maximize import search_evidence as E
from mesaopt.maximize import searcher as S


class PlantedScorer(S.CandidateScorer):
    """A candidate scorer whose score is exactly P (plus ``tilt`` times x, a planted misalignment)."""

    def __init__(self, tilt: float = 0.0):
        super().__init__(width=4, features=4, frequencies=2)
        self.tilt = tilt

    def scores(self, coeffs, candidates):
        from mesaopt.maximize.models import torch_basis

        points = candidates if torch.is_tensor(candidates) else S.candidate_points(candidates)
        values = coeffs.double() @ torch_basis(points.double(), self.degree).T
        return (values + self.tilt * points.double()).float()


@pytest.fixture(scope="module")
def test_set():
    return P.sample_polynomials(600, seed=1)


def test_bump_scores_peak_at_their_centres():
    s = E.bump_scores(np.linspace(0, 1, 11), [0.3, 1.0])
    assert s.shape == (2, 11) and np.argmax(s[0]) == 3 and np.argmax(s[1]) == 10


def test_rank_evidence_a_score_equal_to_p_beats_every_bump(test_set):
    rho = E.rank_evidence(PlantedScorer(), test_set, {"grid 8": B.grid_search(test_set, 8)})
    assert np.allclose(rho["learned score"], 1.0, atol=1e-6)
    assert np.median(rho["bump at the true argmax"]) < 0.8 and np.median(rho["bump at grid 8's answer"]) < 0.8


def test_score_intervention_moves_the_answer_through_the_forward_pass(test_set):
    torch.manual_seed(0)
    model = S.CandidateScorer(width=8, features=4, frequencies=3)
    result = E.score_intervention(model, test_set, candidates=16)
    assert result == {"raised_moved": 1.0, "lowered_to_runner_up": 1.0, "unedited_same": 1.0}
    assert "scores" not in vars(model)  # the edit is undone

    class ElsewhereScorer(S.CandidateScorer):  # reports a score but answers from something else
        def forward(self, coeffs, candidates=None):
            return torch.full((coeffs.shape[0],), 0.5)

    fooled = E.score_intervention(ElsewhereScorer(width=8, features=4, frequencies=3), test_set, candidates=16)
    assert fooled["raised_moved"] < 0.2 and fooled["lowered_to_runner_up"] < 0.2


def test_bump_polynomial_is_one_at_its_centre_and_peaks_near_it():
    centres = np.linspace(0, 1, 21)
    bumps = E.bump_polynomial(centres, 6)
    assert np.allclose(P.evaluate(bumps, centres), 1.0)
    assert np.allclose(P.exact_maximum(bumps)[0], centres, atol=0.03)


def test_objective_intervention_grid_search_follows_the_constant_does_not(test_set):
    result = E.objective_intervention({"grid": lambda c: B.grid_search(c, 64), "half": B.constant_guess}, test_set[:200])
    assert result["raise_followed_grid"] > 0.95 and result["lower_followed_grid"] > 0.95
    assert result["raise_followed_half"] < 0.4 and result["count_lower"] > 100


def test_regret_by_budget_of_a_planted_exact_scorer_is_grid_search(test_set):
    top = P.exact_maximum(test_set)[1]
    by_budget = E.regret_by_budget(PlantedScorer(), test_set, (8, 32), max_value=top)
    grid = [P.regret(test_set, B.grid_search(test_set, g), max_value=top).mean() for g in (8, 32)]
    assert np.allclose(by_budget, grid, rtol=1e-4, atol=1e-7)


def test_the_jump_test_tells_a_jump_from_a_slide(test_set):
    paths = E.equal_peak_paths(test_set, n_paths=12, steps=21)
    assert paths["coeffs"].shape == (12 * 21, 7)
    # along each path the true argmax jumps from one peak to the other: the exact answer is never in the valley
    assert E.valley_fraction(B.exact(paths["coeffs"]), paths) == 0.0
    assert E.valley_fraction(B.grid_search(paths["coeffs"], 64), paths) == 0.0
    # a continuous answer that slides from one peak to the other passes through the valley
    lo, hi, _ = paths["valley"].T
    t = np.tile(np.linspace(0, 1, 21), 12)
    start = np.repeat(B.exact(paths["coeffs"][::21]), 21)
    slide = np.where(np.isclose(start, lo), lo + t * (hi - lo), hi - t * (hi - lo))
    assert E.valley_fraction(slide, paths) > 0.2
    with pytest.raises(ValueError, match="one answer per path point"):
        E.valley_fraction(slide[:-1], paths)


def test_objective_gap_finds_a_planted_misalignment(test_set):
    aligned = E.objective_gap(PlantedScorer(), test_set, candidates=512)
    tilted = E.objective_gap(PlantedScorer(tilt=2.0), test_set, candidates=512)
    assert aligned["parted"].mean() == 0.0 and aligned["regret"].mean() < 1e-4
    assert tilted["parted"].mean() > 0.02 and tilted["regret"].mean() > 10 * aligned["regret"].mean()


def test_shifted_distributions_are_degree_6_and_differ_as_named():
    sets = E.shifted_distributions(count=50, seed=3)
    assert all(c.shape == (50, 7) for c in sets.values())
    base = sets["training distribution"]
    assert np.allclose(sets["P times 4"], 4 * base) and np.all(sets["degree 2"][:, 3:] == 0)
    # the monomial-basis set is the same polynomials as monomial coefficients would give
    mono = P.to_monomial(sets["monomial-basis P"])
    assert np.allclose(P.evaluate_at_points(sets["monomial-basis P"], [0.3]),
                       P.evaluate_at_points(mono, [0.3], "monomial"))


def test_example_path_picks_a_clean_jump_and_a_long_slide(test_set):
    paths = E.equal_peak_paths(test_set, n_paths=6, steps=11)
    lo, hi, _ = paths["valley"].T
    jumper = B.exact(paths["coeffs"])
    slider = jumper.copy()
    rows = slice(3 * 11, 4 * 11)
    slider[rows] = 0.5 * (lo[rows] + hi[rows])  # path 3: always between the peaks
    in_valley = [E.valley_fraction(np.where(np.arange(66) // 11 == k, slider, jumper), paths) for k in range(6)]
    assert E.example_path(paths, jumper, slider) == int(np.argmax(in_valley)) == 3
