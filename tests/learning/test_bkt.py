from __future__ import annotations

import random

import pytest

from mathtutor.learning import bkt
from mathtutor.learning.bkt import BKTParams


def test_documented_defaults() -> None:
    p = bkt.DEFAULT_PARAMS
    assert (p.prior, p.learn, p.guess, p.slip) == (0.2, 0.15, 0.2, 0.1)
    assert bkt.MASTERY_THRESHOLD == 0.95


def test_update_after_a_right_answer_matches_the_formula() -> None:
    # posterior = .2*.9 / (.2*.9 + .8*.2) = .18/.34; then + (1 - posterior) * .15
    posterior = 0.18 / 0.34
    assert bkt.update(0.2, True) == pytest.approx(posterior + (1 - posterior) * 0.15, abs=1e-12)


def test_update_after_a_wrong_answer_matches_the_formula() -> None:
    posterior = 0.2 * 0.1 / (0.2 * 0.1 + 0.8 * 0.8)
    assert bkt.update(0.2, False) == pytest.approx(posterior + (1 - posterior) * 0.15, abs=1e-12)


def test_three_right_answers_master_a_new_concept_and_one_wrong_drops_it() -> None:
    p = bkt.DEFAULT_PARAMS.prior
    history = []
    for _ in range(3):
        p = bkt.update(p, True)
        history.append(round(p, 3))
    assert history == [0.6, 0.89, 0.977]
    assert bkt.is_mastered(p)
    assert not bkt.is_mastered(bkt.update(p, False))


def test_conceptual_evidence_is_weaker_than_practice() -> None:
    practice = bkt.update(0.2, True, bkt.DEFAULT_PARAMS.for_kind("practice"))
    conceptual = bkt.update(0.2, True, bkt.DEFAULT_PARAMS.for_kind("conceptual"))
    assert 0.2 < conceptual < practice
    assert bkt.DEFAULT_PARAMS.for_kind("conceptual").guess == pytest.approx(0.3)
    with pytest.raises(ValueError, match="unknown evidence kind"):
        bkt.DEFAULT_PARAMS.for_kind("quiz")


def test_prerequisite_evidence_is_weak_and_fades_with_distance() -> None:
    up1 = bkt.prereq_update(0.2, True, 1)
    up2 = bkt.prereq_update(0.2, True, 2)
    assert 0.2 < up2 < up1 < bkt.update(0.2, True)
    assert up1 == pytest.approx(0.25 * 4.5**0.3 / (1 + 0.25 * 4.5**0.3), abs=1e-9)
    assert bkt.prereq_update(0.9, False, 1) < 0.9
    assert bkt.prereq_update(0.5, True, bkt.PREREQ_HOPS + 1) == 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"prior": 1.5}, "prior must be between 0 and 1"), ({"guess": 0.6, "slip": 0.5}, "guess \\+ slip")],
)
def test_invalid_parameters_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BKTParams(**kwargs)


def _simulate(params: BKTParams, learners: int, length: int, seed: int) -> dict[str, list[bool]]:
    rng = random.Random(seed)
    logs = {}
    for i in range(learners):
        known = rng.random() < params.prior
        seq = []
        for _ in range(length):
            seq.append(rng.random() >= params.slip if known else rng.random() < params.guess)
            known = known or rng.random() < params.learn
        logs[f"l{i}"] = seq
    return logs


def test_fit_prefers_the_parameters_that_generated_the_log() -> None:
    truth = BKTParams(prior=0.2, learn=0.2, guess=0.15, slip=0.05)
    grid = {"prior": (0.2, 0.5), "learn": (0.1, 0.2), "guess": (0.15, 0.3), "slip": (0.05, 0.15, 0.3)}
    logs = _simulate(truth, learners=150, length=10, seed=3)
    fitted = bkt.fit(logs, grid=grid)
    assert bkt.log_likelihood(logs.values(), fitted) >= bkt.log_likelihood(logs.values(), truth)
    assert fitted.slip <= 0.1
    assert fitted.guess <= 0.25
    sloppy = bkt.fit(_simulate(BKTParams(prior=0.2, learn=0.2, guess=0.15, slip=0.3), 150, 10, 4), grid=grid)
    assert sloppy.slip > fitted.slip


def test_fit_needs_data() -> None:
    with pytest.raises(ValueError, match="no attempts"):
        bkt.fit({"a": []})
