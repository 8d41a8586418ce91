"""Which answer a question wants (explanation, resource, mission, page), and the guidance answers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.tutor import guidance
from mathtutor.tutor.understand import understand
from mathtutor.types import Context


@pytest.fixture(scope="module")
def topics():
    return load_topics()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def ask(q, topics, catalog):
    return understand(q, [], level=None, formats=None, topics=topics, catalog=catalog)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Where does Mathematics for Machine Learning explain the Jacobian?", "where"),
        ("Which page defines the singular value decomposition?", "where"),
        ("哪一页讲了雅可比矩阵？", "where"),
        ("Is there a textbook with exercises and solutions?", "resource"),
        ("Short videos I can watch on the bus about eigenvectors?", "resource"),
        ("有没有讲矩阵微积分的书？", "resource"),
        ("Is high-school maths enough to train my own models?", "mission"),
        ("How much more maths do I need to go from using libraries to writing my own models?", "mission"),
        ("What is an eigenvector?", None),
        ("What should I study for PCA?", None),
    ],
)
def test_intent(question, intent, topics, catalog):
    assert ask(question, topics, catalog).intent == intent


def test_chinese_questions_are_searched_with_their_english_rewrite(topics, catalog):
    ctx = ask("有没有适合初学者的概率课程？", topics, catalog)
    assert ctx.level == "beginner"
    assert "course" in ctx.formats
    assert any(c.startswith("probability") for c in ctx.concepts)
    assert ctx.search.startswith("有没有适合初学者的概率课程？ ") and "probability" in ctx.search.lower()
    assert ctx.question == "有没有适合初学者的概率课程？"  # the answer keeps the learner's words


@dataclass
class Rec:
    resource_id: str
    title: str
    reasons: tuple[str, ...]


class Cites:
    def __init__(self):
        self.list = []

    def add_catalog(self, res, part):
        self.list.append(res.id)
        return len(self.list)

    def add_resource(self, concept, res, part):
        return self.add_catalog(res, part)


def test_resource_answer_says_why_each_fits_and_cites_each(catalog):
    ctx = Context("a book with exercises?", [], False, set(), None, set(), intent="resource")
    recs = [
        Rec("mml-book", "Mathematics for Machine Learning", ("a book, as asked", "has exercises")),
        Rec("chasnov", "Chasnov", ()),
    ]
    answer = guidance.resource_answer(ctx, recs, catalog, Cites())
    assert answer.in_scope and "a book, as asked; has exercises [1]" in answer.answer
    assert "covers the topic [2]" in answer.answer
    assert guidance.resource_answer(ctx, [], catalog, Cites()) is None


def test_mission_answer_gives_depths_order_and_where_to_start(topics, catalog):
    ctx = Context("how much maths do I need?", [], False, set(), None, set(), intent="mission")
    names = {c.id: c.name for c in topics.concepts}
    mml = catalog.resource_of("mml-book")
    recs = [Rec("khan-linear-algebra", "Khan", ("free",))]
    answer = guidance.mission_answer(ctx, recs, catalog, Cites(), names, lambda c, n: [(mml, None)])
    for depth in guidance.DEPTHS:
        assert depth.title in answer.answer
    assert "For what you want to do" not in answer.answer  # no degree named: no degree's resources first
    assert [s.concept for s in answer.study_path] == list(guidance.ORDER)
    assert names["chain-rule"] in answer.answer and "free [" in answer.answer
    assert all(c in topics for c in guidance.ORDER) and set(topics.ids) >= guidance.GENERAL


def test_mission_answer_cites_the_branch_asked_about_before_the_order(topics, catalog):
    ctx = Context("Do I need calculus to fine-tune models?", [], False, set(), None, set(), intent="mission")
    names = {c.id: c.name for c in topics.concepts}
    picked: list[tuple[str, int]] = []

    def picks(concept, n):
        picked.append((concept, n))
        return [(catalog.resource_of("khan-calculus" if concept == "derivatives" else "mml-book"), None)]

    cites = Cites()
    answer = guidance.mission_answer(ctx, [], catalog, cites, names, picks)
    assert picked[0] == ("derivatives", 2)  # the branch named, up to two resources, before the order
    assert cites.list[0] == "khan-calculus"
    focus_at = answer.answer.index("For what you asked about")
    assert focus_at < answer.answer.index("A good order") and "Derivatives: Khan Academy: Calculus [1]" in answer.answer


def test_every_degree_starts_with_catalog_resources(catalog):
    assert [d.key for d in guidance.DEPTHS] == ["practitioner", "developer", "researcher"]
    for depth in guidance.DEPTHS:
        assert depth.start and all(catalog.resource_of(rid).id == rid for rid in depth.start)


@pytest.mark.parametrize(
    ("question", "depth"),
    [
        ("I want to write a small net from scratch and port models from papers. How much maths?", "developer"),
        ("starting a PhD on new probabilistic models next year: what maths is the long game?", "researcher"),
        ("我就想用Keras打打Kaggle比赛，不打算搞研究。要学多少数学？", "practitioner"),
    ],
)
def test_mission_answer_starts_with_the_degree_the_learner_names(question, depth, topics, catalog):
    ctx = Context(question, [], False, set(), None, set(), intent="mission")
    names = {c.id: c.name for c in topics.concepts}
    start = next(d.start for d in guidance.DEPTHS if d.key == depth)
    recs = [Rec(start[0], "Listed again", ()), Rec("chasnov", "Chasnov", ("free",))]
    cites = Cites()
    answer = guidance.mission_answer(ctx, recs, catalog, cites, names, lambda c, n: [])
    assert cites.list[: len(start)] == list(start) and f"(the {depth}'s degree)" in answer.answer
    assert cites.list.count(start[0]) == 1  # a recommendation already given as the degree's start is not repeated
    assert cites.list[-1] == "chasnov" and "Also good to start with" in answer.answer
    assert answer.answer.index("For what you want to do") < answer.answer.index("A good order")


def test_facts_answer_says_cost_and_makers_from_the_catalog(topics, catalog):
    names = {c.id: c.name for c in topics.concepts}
    ctx = Context("Is that book free?", [], False, set(), None, {"mml-book"}, followup=True, intent="facts")
    cites = Cites()
    answer = guidance.facts_answer(ctx, catalog, cites, names, lambda c, n: [])
    mml = catalog.resource_of("mml-book")
    assert answer is not None and answer.in_scope and cites.list == ["mml-book"]
    assert "free" in answer.answer and mml.creators[0] in answer.answer and "[1]" in answer.answer
    paid = Context("Is it free?", [], False, set(), None, set(), intent="facts")
    assert guidance.facts_answer(paid, catalog, Cites(), names, lambda c, n: []) is None
