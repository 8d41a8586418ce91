"""The bank: coverage of the issue's list, topic-graph ids, reproducible seeds, exact answers, hints that teach."""

from __future__ import annotations

import pytest
import sympy as sp

from mathtutor.knowledge.topics import load_topics
from mathtutor.practice import engine
from mathtutor.practice.bank import BY_CONCEPT, REGISTRY
from mathtutor.practice.misconceptions import MISCONCEPTIONS
from mathtutor.practice.selfcheck import leaks
from mathtutor.practice.types import ANSWER_TYPES, LEVELS

REQUIRED = [
    "dot-product",
    "norms",
    "matrix-multiplication",
    "determinant",
    "matrix-inverse",
    "systems-of-linear-equations",
    "rank",
    "eigendecomposition",
    "orthogonality-projections",
    "least-squares",
    "svd",
    "change-of-basis",
    "derivatives",
    "chain-rule",
    "partial-derivatives",
    "gradients",
    "jacobian",
    "hessian",
    "taylor-series",
    "matrix-calculus",
    "gradient-descent",
    "lagrange-multipliers",
    "probability-basics",
    "conditional-probability",
    "bayes-rule",
    "expectation-variance",
    "discrete-distributions",
    "gaussian-distribution",
    "maximum-likelihood",
    "entropy-kl",
    "covariance-correlation",
    "pca",
]
ML_AND_FOUNDATIONS = [
    "backpropagation",
    "stochastic-gradient-descent",
    "neural-networks",
    "convolution",
    "bayesian-inference",
    "algebra-precalculus",
    "linear-transformations",
    "vector-spaces-subspaces",
    "differential-equations",
    "numerical-methods",
    "hypothesis-testing",
    "integrals",
    "limits",
    "markov-chains",
    "naive-bayes",
    "svm",
    "gaussian-mixture-models",
    "vector-calculus",
    "convex-optimization",
    "stochastic-processes",
    "fourier-transform",
]
CONCEPTUAL = ["pca", "bayesian-inference", "jacobian", "linear-regression"]
CASES = [(g.name, level) for g in REGISTRY for level in LEVELS]


def test_required_concepts_have_computed_problems():
    for cid in REQUIRED:
        assert any(not g.name.startswith("concept.") for g in BY_CONCEPT[cid]), cid


def test_ml_and_foundation_concepts_have_computed_problems():
    for cid in ML_AND_FOUNDATIONS:
        assert any(not g.name.startswith("concept.") for g in BY_CONCEPT[cid]), cid


def test_conceptual_questions_cover_the_issue_examples():
    for cid in CONCEPTUAL:
        assert any(g.name.startswith("concept.") for g in BY_CONCEPT[cid]), cid


def test_every_topic_graph_concept_has_problems():
    graph = load_topics()
    assert [c.id for c in graph.concepts if c.id not in BY_CONCEPT] == []


def test_every_concept_id_is_in_the_topic_graph():
    graph = load_topics()
    for g in REGISTRY:
        for cid in g.concepts:
            assert cid in graph, (g.name, cid)


def test_generator_names_unique():
    names = [g.name for g in REGISTRY]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("name", "level"), CASES)
def test_generator_level(name: str, level: str):
    for seed in (0, 1):
        inst = engine.instance(name, level, seed)
        assert inst.answer_type in ANSWER_TYPES
        assert 2 <= len(inst.hints) <= 3
        assert inst.steps
        assert not any(leaks(h, inst) for h in inst.hints), inst.hints
        ok, misconception, _ = engine._verdict(inst.answer_text, inst)
        assert ok is True and misconception is None, inst.answer_text
        for mname, _value in inst.wrong:
            assert mname in MISCONCEPTIONS
        if inst.answer_type in ("number", "expression"):
            assert not sp.sympify(inst.answer).has(sp.Float), "answers are exact by construction"


@pytest.mark.parametrize("name", [g.name for g in REGISTRY])
def test_same_seed_same_problem(name: str):
    fresh = REGISTRY[[g.name for g in REGISTRY].index(name)]
    import random

    a = fresh.make(random.Random(f"{fresh.name}|{fresh.version}|practitioner|7"), "practitioner")
    b = fresh.make(random.Random(f"{fresh.name}|{fresh.version}|practitioner|7"), "practitioner")
    assert a.statement == b.statement and a.answer_text == b.answer_text


def test_different_seeds_vary():
    statements = {engine.instance("calc.chain-rule", "practitioner", s).statement for s in range(10)}
    assert len(statements) >= 5


def test_levels_differ_in_difficulty():
    beginner = engine.instance("linalg.eigenvalues", "beginner", 0)
    practitioner = engine.instance("linalg.eigenvalues", "practitioner", 0)
    assert len(beginner.answer) == 2 and len(practitioner.answer) == 3
    researcher = engine.instance("linalg.det", "researcher", 0)
    assert researcher.symbols == ("a",)


def test_eigenvalue_answers_are_integers_by_construction():
    for seed in range(5):
        inst = engine.instance("linalg.eigenvalues", "practitioner", seed)
        assert all(sp.Integer(v) == v for v in inst.answer)


def test_hand_checked_problems():
    inst = engine.instance("prob.bayes", "beginner", 1)
    assert "frac{4}{5}" in inst.statement and inst.answer_text == "16/31"
    inst = engine.instance("stats.expectation", "practitioner", 1)
    assert "5, 0, 4, 2, 4" in inst.statement and inst.answer_text == "4"
    inst = engine.instance("linalg.det", "practitioner", 1)
    assert inst.answer_text == "18"


def test_scripted_wrong_answer_equal_to_the_answer_is_dropped(monkeypatch):
    from mathtutor.practice.bank import BY_NAME
    from mathtutor.practice.bank.base import Generator, make

    def fake(_rng, _level):
        wrong = {"forgot-1-over-n": sp.Rational(2, 4), "squared-norm": sp.Integer(3)}
        return make("s", "number", sp.Rational(1, 2), ["a", "b"], ["c"], wrong=wrong)

    monkeypatch.setitem(BY_NAME, "test.fake", Generator("test.fake", ("norms",), fake, 1))
    inst = engine.instance("test.fake", "beginner", 0)
    assert inst.wrong == (("squared-norm", 3),)


def test_unknown_misconception_name_is_a_bug(monkeypatch):
    from mathtutor.practice.bank import BY_NAME
    from mathtutor.practice.bank.base import Generator, make

    def fake(_rng, _level):
        return make("s", "number", 1, ["a", "b"], ["c"], wrong={"no-such-thing": 2})

    monkeypatch.setitem(BY_NAME, "test.fake2", Generator("test.fake2", ("norms",), fake, 1))
    with pytest.raises(KeyError, match="no-such-thing"):
        engine.instance("test.fake2", "beginner", 0)
