"""The scope gate: measured bars from Settings, concepts lower the bar, follow-ups and named resources pass."""

from __future__ import annotations

import pytest

from mathtutor.settings import Settings
from mathtutor.tutor.scope import in_scope, is_word_problem, out_of_scope
from mathtutor.types import Chunk, Context, Hit


def _hit(dense: float | None) -> Hit:
    return Hit(Chunk("text", "f", "markdown", "t", 0), 0.01, dense)


def _ctx(concepts=(), followup=False, resources=()) -> Context:
    return Context("q", list(concepts), False, set(), None, set(resources), followup)


@pytest.mark.parametrize(
    ("concepts", "best", "expected"),
    [((), 0.41, True), ((), 0.39, False), (("svd",), 0.37, True), (("svd",), 0.35, False)],
)
def test_bars_with_and_without_a_concept(concepts, best, expected):
    hits = [_hit(0.1), _hit(best)]
    assert in_scope(_ctx(concepts), hits, Settings()) is expected


def test_bars_come_from_settings_and_the_environment(monkeypatch):
    monkeypatch.setenv("MATHTUTOR_IN_SCOPE_MIN_SIMILARITY", "0.5")
    monkeypatch.setenv("MATHTUTOR_IN_SCOPE_MIN_SIMILARITY_WITH_CONCEPT", "0.45")
    settings = Settings()
    assert (settings.in_scope_min_similarity, settings.in_scope_min_similarity_with_concept) == (0.5, 0.45)
    assert not in_scope(_ctx(), [_hit(0.45)], settings)
    assert not in_scope(_ctx(["svd"]), [_hit(0.44)], settings)
    assert in_scope(_ctx(["svd"]), [_hit(0.46)], settings)


def test_followups_and_named_resources_with_a_concept_are_in_scope_without_passages():
    assert in_scope(_ctx(["pca"], followup=True), [_hit(0.05)], Settings())
    assert in_scope(_ctx(["pca"], resources=["mml-book"]), [_hit(0.05)], Settings())
    assert not in_scope(_ctx([], resources=["mml-book"]), [_hit(0.05)], Settings())


def test_the_path_toward_a_resource_the_learner_prepares_for_is_in_scope_without_passages():
    ctx = _ctx(["rank"])
    ctx.goal = {"mit-18-065"}
    assert in_scope(ctx, [_hit(0.05)], Settings())
    assert not in_scope(_ctx(["rank"]), [_hit(0.05)], Settings())


def test_how_to_learn_with_a_named_resource_is_in_scope_without_passages():
    ctx = _ctx(resources=["statquest"])
    ctx.question = "is Josh Starmer's channel a good first stop?"
    assert in_scope(ctx, [_hit(0.05)], Settings())
    ctx.question = "does Josh Starmer sell merch?"  # names it, asks nothing about learning with it
    assert not in_scope(ctx, [_hit(0.05)], Settings())


def test_bm25_only_hits_count_only_in_the_bm25_ablation():
    hits = [_hit(None)]
    assert in_scope(_ctx(), hits, Settings(), mode="bm25")
    assert not in_scope(_ctx(), hits, Settings(), mode="hybrid")
    assert not in_scope(_ctx(), [], Settings(), mode="bm25")


def test_out_of_scope_answer_cites_nothing_and_suggests_questions():
    a = out_of_scope(_ctx(["pca"]))
    assert not a.in_scope and a.citations == [] and a.study_path == [] and a.concepts == []
    assert a.answer.startswith("The materials I have don't cover that question, so I won't guess.")
    assert '"What should I study for PCA?"' in a.answer


def test_a_question_placed_in_another_domain_is_refused_whatever_it_matched():
    """The word-sense check (tutor/offtopic.py) sets Context.offtopic; passages, concepts and follow-ups then do not
    matter: "Who plays Neo in The Matrix?" names a concept and finds passages about matrices."""
    for ctx in (_ctx(["matrices"]), _ctx(["pca"], followup=True), _ctx(["pca"], resources=["mml-book"]), _ctx()):
        assert in_scope(ctx, [_hit(0.9)], Settings())
        ctx.offtopic = "film-tv"
        assert not in_scope(ctx, [_hit(0.9)], Settings())
        assert not in_scope(ctx, [_hit(None)], Settings(), mode="bm25")


@pytest.mark.parametrize(
    "q",
    [
        "A factory part fails 2% of the time; what is the chance that 3 parts in a row all work?",
        "I rolled a die 60 times and got 15 sixes. Is it biased?",
        "掷两次骰子，点数之和为8的概率是多少？",
        "一个班40人，平均身高170，方差是多少才算正常？",
        "The test is 98% accurate, so why are most positives false positives?",
        "核酸检测准确率95%，阳性就一定感染了吗？",
    ],
)
def test_numeric_questions_of_chance_or_averages_are_word_problems(q):
    assert is_word_problem(q)


@pytest.mark.parametrize(
    "q",
    [
        "What is the probability density function?",  # no numbers
        "How do I renew a passport in 2026?",  # numbers, no chance
        "有没有讲概率的书？",
        "第3章讲了什么？",
    ],
)
def test_other_questions_are_not(q):
    assert not is_word_problem(q)


def test_a_word_problem_is_in_scope_without_close_passages_unless_another_domain_claims_it():
    q = "If 30% of emails are spam and a filter flags 90% of spam, what is the chance a flagged email is spam?"
    ctx = Context(q, [], False, set(), None, set())
    assert in_scope(ctx, [_hit(0.1)], Settings())
    ctx.offtopic = "weather"
    assert not in_scope(ctx, [_hit(0.9)], Settings())


def test_asking_for_the_probability_itself_is_computing_one():
    from mathtutor.tutor.scope import computes_a_probability

    assert computes_a_probability("A loot box drops a rare item 2% of the time. What's the chance of one in 50 boxes?")
    assert computes_a_probability("彩票中奖率是千分之一，买十张至少中一张的概率是多少？")
    assert not computes_a_probability("The bookie gives 2.5 odds on United, should I bet 50 pounds?")
    assert not computes_a_probability("What's the probability density function?")  # no numbers: not a word problem


@pytest.mark.parametrize(
    ("concepts", "p_other", "expected"),
    [((), 0.1, True), ((), 0.3, False), ((), None, False), (("svd",), 0.1, True), (("svd",), 0.5, False)],
)
def test_a_question_the_scope_model_is_sure_of_is_in_scope_with_weak_passages(concepts, p_other, expected):
    """Maths told as a story matches no passage's wording closely; the model's reading of the question decides."""
    ctx = _ctx(concepts)
    ctx.p_other = p_other
    assert in_scope(ctx, [_hit(0.2)], Settings()) is expected
    assert not in_scope(ctx, [_hit(0.2)], Settings(in_scope_model_sure=0.05))
    ctx.offtopic = "travel"
    assert not in_scope(ctx, [_hit(0.2)], Settings())
