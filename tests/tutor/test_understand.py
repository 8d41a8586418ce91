"""Understanding a question: concepts, study-path intent, level, formats, named resources, follow-ups."""

from __future__ import annotations

import pytest

from mathtutor.inputs import check_history, check_level, check_question
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.settings import PROJECT_ROOT
from mathtutor.tutor.understand import QuestionError, common_names, resources_in, understand


@pytest.fixture(scope="module")
def shipped():
    corpus = PROJECT_ROOT / "corpus"
    return load_catalog(corpus / "catalog.yaml"), load_topics(corpus / "topics.yaml")


def _ctx(shipped, q, history=(), **kw):
    catalog, topics = shipped
    opts = {"level": None, "formats": None, "topics": topics, "catalog": catalog, "common": common_names(topics)} | kw
    return understand(q, list(history), **opts)


def test_plan_question_with_concept_level_and_format(shipped):
    ctx = _ctx(shipped, "I'm new to this: what videos should I watch to learn PCA?")
    assert ctx.plan and ctx.concepts == ["pca"] and ctx.level == "beginner" and ctx.formats == {"video"}
    assert ctx.resources == set() and not ctx.followup


def test_explicit_level_and_formats_win_and_default_level_applies(shipped):
    ctx = _ctx(shipped, "What is an eigenvector?", level="researcher", formats={"book"})
    assert not ctx.plan and ctx.level == "researcher" and ctx.formats == {"book"}
    assert _ctx(shipped, "What is an eigenvector?", default_level="practitioner").level == "practitioner"
    assert _ctx(shipped, "What is an eigenvector?").level is None


def test_without_the_graph_no_concepts_are_found(shipped):
    assert _ctx(shipped, "What should I study for PCA?", topics=None).concepts == []


def test_elliptical_followup_carries_the_concepts_of_the_last_user_turn(shipped):
    history = [{"role": "user", "content": "What should I study for PCA?"}, {"role": "assistant", "content": "..."}]
    ctx = _ctx(shipped, "and for a beginner?", history)
    assert ctx.concepts == ["pca"] and ctx.followup and ctx.plan and ctx.level == "beginner"


def test_it_refers_to_the_first_resource_the_last_answer_cited(shipped):
    catalog, _ = shipped
    answer = "Try [1] and [2].\n[1] MML <https://mml-book.github.io/>\n[2] D2L <https://d2l.ai/>"
    assert resources_in(answer, catalog) == ["mml-book", "d2l"]
    history = [{"role": "user", "content": "A book for linear algebra?"}, {"role": "assistant", "content": answer}]
    ctx = _ctx(shipped, "Which chapter of it covers optimization?", history)
    assert ctx.resources == {"mml-book"} and ctx.followup


@pytest.mark.parametrize(
    "q",
    [
        "What should I study to understand neural networks?",
        "How do probability distributions relate to Bayesian inference?",
        "What is KL divergence in information theory?",
    ],
)
def test_a_generic_catalog_title_is_not_a_named_resource(shipped, q):
    """Bug 1: "Neural networks", "Bayesian Inference", "Information Theory" are subjects, not resources."""
    assert _ctx(shipped, q).resources == set()


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("I'm looking for Simon Ward-Jones's post on probability distributions", {"swj-probability-distributions"}),
        ("the 3Blue1Brown series on neural networks", {"3blue1brown", "3b1b-neural-networks"}),
        ("Which chapter of Mathematics for Machine Learning covers PCA?", {"mml-book"}),
    ],
)
def test_a_title_with_a_cue_or_a_distinctive_title_names_a_resource(shipped, q, named):
    assert _ctx(shipped, q).resources == named


@pytest.mark.parametrize(("bad", "words"), [("", "empty"), (None, "text"), ("x" * 2001, "2001 characters")])
def test_bad_questions_are_refused_in_words(bad, words):
    with pytest.raises(QuestionError, match=words):
        check_question(bad)


def test_question_whitespace_is_collapsed_and_bad_history_or_level_refused():
    assert check_question("  What   is\nPCA? ") == "What is PCA?"
    assert check_history(None) == []
    with pytest.raises(QuestionError, match=r"history\[1\]"):
        check_history([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])
    with pytest.raises(QuestionError, match="one of beginner"):
        check_level("expert")
    assert check_level("researcher") == "researcher"


def test_a_format_word_keeps_the_topic_and_drops_the_cited_resource(shipped):
    cat, topics = shipped
    history = [
        {"role": "user", "content": "What should I study for PCA?"},
        {"role": "assistant", "content": "Read this [1].\n[1] MML <https://mml-book.github.io/>"},
    ]
    videos = understand(
        "Are there videos for that instead?", history, level=None, formats=None, topics=topics, catalog=cat
    )
    assert videos.concepts == ["pca"] and videos.resources == set() and "video" in videos.formats
    book = understand("Which chapter of that book?", history, level=None, formats=None, topics=topics, catalog=cat)
    assert book.resources == {"mml-book"}
