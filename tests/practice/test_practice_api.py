"""The public API: problems, checking with named misconceptions, hints, solutions and exact JSON shapes."""

from __future__ import annotations

import json

import pytest

from mathtutor import practice
from mathtutor.practice import engine
from mathtutor.practice.types import BadLevelError, UnknownConceptError

PROBLEM_KEYS = {"id", "concept", "level", "statement", "answer_type", "hints_total", "citations", "state"}
CHECK_KEYS = {"correct", "feedback", "misconception", "hint"}


def _problem_for(generator: str, level: str, seed: int) -> practice.Problem:
    concept = engine.BY_NAME[generator].concepts[0]
    for s in range(seed, seed + 500):
        if engine._pick_generator(concept, s).name == generator:
            return practice.make_problem(concept, level, s)
    raise AssertionError(generator)


def test_problem_json_shape_and_no_answer():
    p = practice.make_problem("chain-rule", "beginner", 5)
    d = p.to_dict()
    assert set(d) == PROBLEM_KEYS
    assert d["concept"] == "chain-rule" and d["level"] == "beginner" and d["id"] == "chain-rule/beginner/5"
    sol = practice.solution(p.state)
    assert sol.answer not in json.dumps(d)
    assert d["citations"] and set(d["citations"][0]) == {"resource_id", "part_id", "title", "url", "page"}


def test_choice_problem_json_has_choices():
    p = _problem_for("concept.pca", "beginner", 0)
    d = p.to_dict()
    assert set(d) == PROBLEM_KEYS | {"choices"}
    assert len(d["choices"]) == 4 and d["choices"][0].startswith("A. ")


def test_solution_json_adds_answer_and_steps():
    p = practice.make_problem("determinant", "beginner", 2)
    d = practice.solution(p).to_dict()
    assert set(d) == PROBLEM_KEYS | {"answer", "steps"}
    assert practice.check(p, d["answer"]).correct


def test_alias_and_id_resolve_same_concept():
    assert practice.make_problem("Chain Rule", "beginner", 1).concept == "chain-rule"
    assert practice.make_problem("eigenvalues", "beginner", 1).concept == "eigendecomposition"
    assert practice.make_problem("链式法则", "beginner", 1).concept == "chain-rule"


def test_same_seed_same_problem_through_api():
    a, b = practice.make_problem("svd", "researcher", 9), practice.make_problem("svd", "researcher", 9)
    assert a.statement == b.statement and a.state == b.state


def test_unknown_concept_and_level(monkeypatch):
    monkeypatch.delitem(engine.BY_CONCEPT, "fourier-transform")
    with pytest.raises(UnknownConceptError, match="do not know"):
        practice.make_problem("quantum chromodynamics")
    with pytest.raises(UnknownConceptError, match="no practice problems"):
        practice.make_problem("fourier transform")  # in the topic graph; its generator is removed for this test
    with pytest.raises(BadLevelError):
        practice.make_problem("chain-rule", "expert")
    with pytest.raises(practice.BadSeedError, match="seed"):
        practice.make_problem("chain-rule", "beginner", -1)


def test_check_json_shape():
    p = practice.make_problem("chain-rule", "beginner", 5)
    d = practice.check(p, "0").to_dict()
    assert set(d) == CHECK_KEYS | {"state"}
    assert d["correct"] is False and isinstance(d["feedback"], str)


@pytest.mark.parametrize(
    ("generator", "level", "seed", "wrong", "name"),
    [
        ("calc.chain-rule", "practitioner", 1, "exp(-3x^2 - 3)", "chain-rule-no-inner-derivative"),
        ("linalg.matmul", "beginner", 1, "[[6, 3], [0, 4]]", "elementwise-product"),
        ("linalg.matmul", "beginner", 1, "[[6, 5], [3, 5]]", "product-order"),
        ("prob.bayes", "beginner", 1, "4/5", "conditional-inverted"),
        ("stats.expectation", "practitioner", 1, "16/5", "population-variance"),
        ("linalg.det", "practitioner", 1, "-18", "row-swap-sign"),
        ("linalg.det", "beginner", 1, "-10", "det-sign-pattern"),
        ("calc.gradient-descent", "beginner", 1, "-8/5", "gradient-ascent-sign"),
        ("linalg.inverse", "practitioner", 1, "[[-2, -4], [-1, -1]]", "inverse-no-det"),
        ("calc.matrix-calculus", "practitioner", 1, "[-16, -2]", "quadratic-form-symmetric"),
        ("stats.covariance", "beginner", 1, "103/4", "covariance-no-centering"),
        ("calc.taylor", "beginner", 1, "1 + 3x + 18x^2", "taylor-no-factorial"),
    ],
)
def test_scripted_wrong_answers_name_their_misconception(generator, level, seed, wrong, name):
    concept = engine.BY_NAME[generator].concepts[0]
    state = engine.st.encode(
        engine.st.PracticeState(concept, level, seed, generator, engine.BY_NAME[generator].version)
    )
    fb = practice.check(state, wrong)
    assert fb.correct is False
    assert fb.misconception == name
    assert "This looks like" in fb.feedback


def test_hand_checked_right_answers():
    state = engine.st.encode(engine.st.PracticeState("chain-rule", "practitioner", 1, "calc.chain-rule", 1))
    assert practice.check(state, "-6x e^{-3x^2-3}").correct
    assert practice.check(state, r"-6x\exp(-3x^{2}-3)").correct
    state = engine.st.encode(engine.st.PracticeState("matrix-multiplication", "beginner", 1, "linalg.matmul", 1))
    assert practice.check(state, r"\begin{pmatrix} 7 & 13 \\ 1 & 4 \end{pmatrix}").correct
    state = engine.st.encode(engine.st.PracticeState("bayes-rule", "beginner", 1, "prob.bayes", 1))
    assert practice.check(state, "0.516").correct
    assert not practice.check(state, "0.5").correct


def test_hints_progress_then_run_out():
    p = practice.make_problem("chain-rule", "practitioner", 11)
    state, seen = p.state, []
    for i in range(p.hints_total):
        h = practice.hint(state)
        assert h.index == i + 1 and h.total == p.hints_total and h.hint
        seen.append(h.hint)
        state = h.state
    assert len(set(seen)) == p.hints_total
    assert practice.hint(state).hint is None


def test_wrong_answer_offers_next_hint_and_solution_after_three_tries():
    p = practice.make_problem("determinant", "beginner", 4)
    state = p.state
    first = practice.check(state, "123456")
    assert first.hint is not None and first.solution is None
    second = practice.check(first.state, "123457")
    assert second.hint is not None and second.hint != first.hint and second.solution is None
    third = practice.check(second.state, "123458")
    assert third.solution is not None and third.to_dict()["solution"]["steps"]
    assert practice.check(third.state, third.solution.answer).correct


def test_unparseable_answer_does_not_count_a_try():
    p = practice.make_problem("determinant", "beginner", 4)
    fb = practice.check(p, "2 +")
    assert fb.correct is False and "Write it like this" in fb.feedback and fb.hint is None
    assert engine.st.decode(fb.state).tries == 0


def test_choice_answers():
    p = _problem_for("concept.pca", "beginner", 0)
    sol = practice.solution(p)
    assert practice.check(p, sol.answer.lower()).correct
    wrong = next(c[0] for c in p.choices if c[0] != sol.answer)
    fb = practice.check(p, f"({wrong})")
    assert not fb.correct and fb.misconception is not None
    assert "letter" in practice.check(p, "Z").feedback


def test_preview_reads_answer():
    p = practice.make_problem("chain-rule", "beginner", 5)
    assert practice.preview(p, "x^2") == "x^{2}"


def test_list_concepts():
    concepts = practice.list_concepts()
    ids = [c["id"] for c in concepts]
    assert "chain-rule" in ids and "pca" in ids and len(ids) == len(set(ids))
    pca = next(c for c in concepts if c["id"] == "pca")
    assert pca["kinds"] == ["computation", "conceptual"]


def test_hostile_answers_through_check_return_feedback_fast():
    import os
    import time

    p = practice.make_problem("chain-rule", "practitioner", 2)
    for text in [
        "__import__('os').system('touch /tmp/pwned')",
        "9**9**9**9",
        "x" * 1_000_000,
        "exp(exp(exp(exp(x))))",
        "(x+1)^200 - x^200",
        "tan(x)^200 / sin(x)^199",
    ]:
        start = time.perf_counter()
        fb = practice.check(p, text)
        assert time.perf_counter() - start < 1.0, text[:30]
        assert fb.correct is False and fb.feedback
    assert not os.path.exists("/tmp/pwned")
    assert engine.st.decode(fb.state).tries == 1  # each call started from the fresh state; a maths answer counts


def test_check_accepts_problem_object_and_state_string():
    p = practice.make_problem("norms", "beginner", 8)
    answer = practice.solution(p).answer
    assert practice.check(p, answer).correct and practice.check(p.state, answer).correct


@pytest.mark.parametrize(
    ("generator", "level", "seed", "wrong", "name"),
    [
        ("ml.forward", "practitioner", 4, "[-2, 2]", "relu-skipped"),
        ("ml.convolution", "practitioner", 4, "(1, -3, -1, 2, 8, 3)", "correlation-not-flipped"),
        ("ml.beta-posterior", "practitioner", 4, "0.9", "map-equals-mle"),
        ("ml.z-test", "practitioner", 4, "7/10", "forgot-1-over-n"),
    ],
)
def test_ml_misconceptions(generator, level, seed, wrong, name):
    concept = engine.BY_NAME[generator].concepts[0]
    state = engine.st.encode(engine.st.PracticeState(concept, level, seed, generator, 1))
    fb = practice.check(state, wrong)
    assert fb.correct is False and fb.misconception == name


def test_ml_hand_checked_answers():
    state = engine.st.encode(engine.st.PracticeState("convolution", "practitioner", 4, "ml.convolution", 1))
    assert practice.check(state, "[-1, -1, 5, 6, 4, -3]").correct
    state = engine.st.encode(engine.st.PracticeState("differential-equations", "practitioner", 4, "ml.ode", 1))
    assert practice.check(state, "3 - 2e^{-2t}").correct
    assert not practice.check(state, "3 - 2e^{2t}").correct


def test_model_hand_checked():
    state = engine.st.encode(engine.st.PracticeState("svm", "practitioner", 4, "model.svm-margin", 1))
    assert practice.check(state, "2/3").correct
    assert practice.check(state, "1/3").misconception == "margin-half"
    state = engine.st.encode(engine.st.PracticeState("fourier-transform", "practitioner", 4, "model.dft", 1))
    assert practice.check(state, "[-4, -4, 8, -4]").correct
