from __future__ import annotations

from datetime import timedelta

import pytest

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import UnknownGoal, frontier, resolve_goal

from .conftest import T0

M = 0.99  # mastered


@pytest.mark.parametrize(
    ("goal", "ids"),
    [
        ("PCA", ["pca"]),
        ("pca", ["pca"]),
        ("主成分分析", ["pca"]),
        ("principal component analysis", ["pca"]),
        ("I want to understand backpropagation", ["backpropagation"]),
        ("read the attention paper", ["neural-networks", "dot-product"]),
        ("Transformers", ["neural-networks", "dot-product"]),
    ],
)
def test_goals_map_to_concepts(graph: TopicGraph, goal: str, ids: list[str]) -> None:
    assert resolve_goal(graph, goal) == ids


@pytest.mark.parametrize(
    ("goal", "fragment"),
    [("", "empty"), ("   ", "empty"), ("x" * 201, "too long"), ("bake bread", "could not find a topic")],
)
def test_unknown_goals_say_why(graph: TopicGraph, goal: str, fragment: str) -> None:
    with pytest.raises(UnknownGoal, match=fragment):
        resolve_goal(graph, goal)


def test_frontier_of_a_new_learner_is_the_root(graph: TopicGraph) -> None:
    assert frontier.frontier(graph, {}) == ["algebra-precalculus"]


def test_frontier_opens_up_as_prerequisites_are_mastered(graph: TopicGraph) -> None:
    got = frontier.frontier(graph, {"algebra-precalculus": M})
    assert got == [c for c in graph.ids if graph.get(c).prereqs == ("algebra-precalculus",)]
    assert "vectors" in got and "functions" in got
    assert "matrices" not in got


def test_what_next_toward_a_goal_stays_on_its_path(graph: TopicGraph) -> None:
    mastery = {"algebra-precalculus": M}
    items = frontier.what_next(graph, mastery, {}, ["pca"], now=T0, limit=10)
    path = set(graph.learning_path(["pca"]))
    assert [s.concept for s in items] == [c for c in frontier.frontier(graph, mastery) if c in path]
    assert [s.concept for s in items] == ["functions", "vectors", "probability-basics"]
    assert all(s.citations == [] and not s.due for s in items)
    vec = next(s for s in items if s.concept == "vectors")
    assert vec.why == (
        "Vectors is on your path to Principal component analysis and you have mastered what it builds on "
        "(Algebra, trigonometry and precalculus)."
    )


def test_due_reviews_come_first_most_overdue_first(graph: TopicGraph) -> None:
    mastery = {"algebra-precalculus": M, "vectors": 0.7, "functions": M}
    due = {
        "functions": T0 - timedelta(days=1),
        "algebra-precalculus": T0 - timedelta(days=3),
        "vectors": T0 + timedelta(days=2),
    }
    items = frontier.what_next(graph, mastery, due, [], now=T0, limit=4)
    assert [s.concept for s in items[:2]] == ["algebra-precalculus", "functions"]
    assert items[0].due and items[1].due
    assert items[0].why.startswith(
        "Review due: you practised Algebra, trigonometry and precalculus before (mastery 99%)"
    )
    assert "vectors" in [s.concept for s in items[2:]]
    assert next(s for s in items if s.concept == "vectors").why.endswith("You are at 70% on it.")


def test_reached_goal_suggests_what_it_unlocks(graph: TopicGraph) -> None:
    mastery = {c: M for c in [*graph.prerequisites("vectors"), "vectors"]}
    items = frontier.what_next(graph, mastery, {}, ["vectors"], now=T0, limit=10)
    assert {s.concept for s in items} == set(graph.dependents("vectors"))
    assert items[0].why.startswith("You have mastered your goal (Vectors); ")


def test_limit_and_citations(graph: TopicGraph) -> None:
    def cite(cid: str) -> list[dict]:
        return [{"resource": f"r-{cid}", "page": 3}]

    items = frontier.what_next(graph, {"algebra-precalculus": M}, {}, [], now=T0, limit=2, cite=cite)
    assert len(items) == 2
    assert items[0].citations == [{"resource": f"r-{items[0].concept}", "page": 3}]
    assert items[0].as_json() == {"concept": items[0].concept, "why": items[0].why, "citations": items[0].citations}


def test_mark_path() -> None:
    steps = frontier.mark_path(["vectors", "matrices"], {"vectors": 0.96}, prior=0.2)
    assert [(s.concept, s.mastery, s.mastered) for s in steps] == [("vectors", 0.96, True), ("matrices", 0.2, False)]
