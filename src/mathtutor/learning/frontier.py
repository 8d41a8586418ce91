"""What to study next: due reviews, then the frontier of the topic graph toward the learner's goal.

The frontier is every concept that is not mastered but whose direct prerequisites all are (a concept
with no prerequisites is on it from the start). With a goal, only the goal and what it needs are
considered, in study order (prerequisites first, file order breaking ties), so the first suggestion
is always something the learner can start now. Goals are concept ids, names or aliases ("PCA",
"主成分分析"), or free text: concepts named in it are detected, and a few well-known goals that are
not concepts of the graph map to the concepts they rest on (``GOAL_HINTS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning.bkt import MASTERY_THRESHOLD
from mathtutor.learning.errors import UnknownGoal
from mathtutor.learning.names import has_control

__all__ = [
    "GOAL_HINTS",
    "MAX_GOAL_CHARS",
    "PathStep",
    "Suggestion",
    "frontier",
    "mark_path",
    "resolve_goal",
    "what_next",
]

MAX_GOAL_CHARS = 200

#: Free-text goals that are not concepts of the graph, mapped to the concepts they rest on. The
#: attention mechanism is dot products of queries and keys inside a neural network (the catalog tags
#: 3Blue1Brown's attention chapter with exactly these two concepts).
GOAL_HINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(r"attention|transformer|\bgpt\b|\bllms?\b|large language model|注意力|大语言模型", re.I),
        ("neural-networks", "dot-product"),
    ),
    (re.compile(r"diffusion model|扩散模型", re.I), ("neural-networks", "gaussian-distribution")),
)

Cite = Callable[[str], list[dict[str, Any]]]


@dataclass(frozen=True)
class Suggestion:
    """One "study next" item: the concept id, a sentence saying why, and citations (added by the Tutor)."""

    concept: str
    why: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    due: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"concept": self.concept, "why": self.why, "citations": list(self.citations)}


@dataclass(frozen=True)
class PathStep:
    """A study-path step marked with the learner's mastery."""

    concept: str
    mastery: float
    mastered: bool


def resolve_goal(graph: TopicGraph, text: str) -> list[str]:
    """Concept ids a goal refers to, or :class:`UnknownGoal` with a suggestion."""
    goal = " ".join(str(text).split())
    if has_control(goal):
        raise UnknownGoal("The goal contains control characters; type it as plain text.")
    if not goal:
        raise UnknownGoal("The goal is empty; name a concept, for example 'PCA' or 'gradient descent'.")
    if len(goal) > MAX_GOAL_CHARS:
        raise UnknownGoal(f"The goal is too long ({len(goal)} characters); keep it under {MAX_GOAL_CHARS}.")
    exact = graph.resolve(goal)
    if exact is not None:
        return [exact]
    found = graph.detect(goal)
    for pattern, concepts in GOAL_HINTS:
        if pattern.search(goal):
            found += [cid for cid in concepts if cid in graph and cid not in found]
    if not found:
        raise UnknownGoal(
            "I could not find a topic from the map in that goal; name a concept, for example "
            "'PCA', 'the chain rule' or 'gradient descent'."
        )
    return found


def frontier(graph: TopicGraph, mastery: Mapping[str, float], scope: Iterable[str] | None = None) -> list[str]:
    """Unmastered concepts whose direct prerequisites are all mastered, in study order."""
    known = {cid for cid, p in mastery.items() if p >= MASTERY_THRESHOLD}
    candidates = set(graph.ids if scope is None else scope)
    ordered = graph.learning_path(sorted(candidates)) if scope is not None else graph.learning_path(graph.ids)
    return [
        cid
        for cid in ordered
        if cid in candidates and cid not in known and all(p in known for p in graph.get(cid).prereqs)
    ]


def what_next(
    graph: TopicGraph,
    mastery: Mapping[str, float],
    due: Mapping[str, datetime],
    goal_concepts: list[str],
    *,
    now: datetime,
    limit: int = 5,
    cite: Cite | None = None,
) -> list[Suggestion]:
    """Due reviews first (most overdue first), then the frontier toward the goal, with reasons."""
    items: list[Suggestion] = []
    for cid, when in sorted(due.items(), key=lambda kv: (kv[1], kv[0])):
        if when <= now and cid in graph:
            items.append(Suggestion(cid, _why_review(graph, cid, mastery.get(cid)), due=True))
    goal_names = ", ".join(graph.get(g).name for g in goal_concepts)
    if goal_concepts:
        scope = set(graph.learning_path(goal_concepts))
        todo = frontier(graph, mastery, scope)
        if not todo:  # the goal is reached: suggest what it unlocks
            unlocked = {d for g in goal_concepts for d in graph.dependents(g)}
            todo = [cid for cid in frontier(graph, mastery) if cid in unlocked]
            reasons = {cid: _why_beyond(graph, cid, mastery, goal_names) for cid in todo}
        else:
            reasons = {cid: _why_frontier(graph, cid, mastery, goal_names, goal_concepts) for cid in todo}
    else:
        todo = frontier(graph, mastery)
        reasons = {cid: _why_frontier(graph, cid, mastery, None, []) for cid in todo}
    seen = {s.concept for s in items}
    items += [Suggestion(cid, reasons[cid]) for cid in todo if cid not in seen]
    items = items[:limit]
    if cite is not None:
        items = [Suggestion(s.concept, s.why, list(cite(s.concept)), s.due) for s in items]
    return items


def mark_path(
    concept_ids: Iterable[str], mastery: Mapping[str, float], prior: float | Callable[[str], float]
) -> list[PathStep]:
    """Mark each step of a study path with the learner's mastery (unseen concepts at their prior)."""
    steps = []
    for cid in concept_ids:
        p = mastery[cid] if cid in mastery else (prior(cid) if callable(prior) else prior)
        steps.append(PathStep(cid, round(p, 4), p >= MASTERY_THRESHOLD))
    return steps


def _pct(p: float | None) -> str:
    return f"{round(100 * (p or 0.0))}%"


def _why_review(graph: TopicGraph, cid: str, p: float | None) -> str:
    return (
        f"Review due: you practised {graph.get(cid).name} before (mastery {_pct(p)}); "
        "recalling it now, when it starts to fade, makes it last longer."
    )


def _needs(graph: TopicGraph, cid: str) -> str:
    prereqs = [graph.get(p).name for p in graph.get(cid).prereqs]
    if not prereqs:
        return "it needs no prerequisites"
    return "you have mastered what it builds on (" + ", ".join(prereqs) + ")"


def _why_frontier(
    graph: TopicGraph, cid: str, mastery: Mapping[str, float], goal_names: str | None, goals: list[str]
) -> str:
    name = graph.get(cid).name
    started = f" You are at {_pct(mastery[cid])} on it." if cid in mastery else ""
    if goal_names is None:
        return f"{name}: {_needs(graph, cid)}.{started}"
    if cid in goals:
        return f"{name} is your goal and {_needs(graph, cid)}.{started}"
    return f"{name} is on your path to {goal_names} and {_needs(graph, cid)}.{started}"


def _why_beyond(graph: TopicGraph, cid: str, mastery: Mapping[str, float], goal_names: str) -> str:
    started = f" You are at {_pct(mastery[cid])} on it." if cid in mastery else ""
    return f"You have mastered your goal ({goal_names}); {graph.get(cid).name} builds on it.{started}"
