"""Apply one attempt to a learner's state in memory: BKT on the concept, weak evidence on its
prerequisites, an FSRS review of its card. Pure (no database), so recording one attempt and
replaying a whole imported history run the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import bkt, review

__all__ = ["CardState", "ConceptState", "Evidence", "LearnerState", "apply", "prereq_hops"]


@dataclass
class ConceptState:
    p_known: float
    attempts: int = 0
    correct: int = 0
    updated_at: datetime | None = None


@dataclass
class CardState:
    card: str
    due: datetime


@dataclass(frozen=True)
class Evidence:
    concept: str
    correct: bool
    kind: str
    at: datetime
    seconds: float | None = None


@dataclass
class LearnerState:
    """The rows an attempt may touch, keyed by concept id; ``dirty`` names the ones that changed."""

    concepts: dict[str, ConceptState]
    cards: dict[str, CardState]
    dirty_concepts: set[str]
    dirty_cards: set[str]


def prereq_hops(graph: TopicGraph, concept: str, max_hops: int = bkt.PREREQ_HOPS) -> dict[str, int]:
    """Prerequisites within ``max_hops`` of a concept and their shortest hop distance (1 = direct)."""
    hops: dict[str, int] = {}
    layer = [concept]
    for hop in range(1, max_hops + 1):
        nxt = []
        for cid in layer:
            for pid in graph.get(cid).prereqs:
                if pid not in hops and pid != concept:
                    hops[pid] = hop
                    nxt.append(pid)
        layer = nxt
    return hops


def apply(
    state: LearnerState,
    graph: TopicGraph,
    evidence: Evidence,
    params_for: Callable[[str], bkt.BKTParams],
) -> None:
    """Update ``state`` in place with one attempt."""
    cid = evidence.concept
    params = params_for(cid).for_kind(evidence.kind)
    current = state.concepts.get(cid) or ConceptState(p_known=params_for(cid).prior)
    current.p_known = bkt.update(current.p_known, evidence.correct, params)
    current.attempts += 1
    current.correct += int(evidence.correct)
    current.updated_at = evidence.at
    state.concepts[cid] = current
    state.dirty_concepts.add(cid)
    for pid, hop in prereq_hops(graph, cid).items():
        pre = state.concepts.get(pid) or ConceptState(p_known=params_for(pid).prior)
        pre.p_known = bkt.prereq_update(pre.p_known, evidence.correct, hop, params_for(pid).for_kind(evidence.kind))
        pre.updated_at = evidence.at
        state.concepts[pid] = pre
        state.dirty_concepts.add(pid)
    card = state.cards.get(cid)
    first_try = card is None
    card_json = card.card if card is not None else review.new_card(evidence.at)
    rating = review.rating_for(evidence.correct, first_try=first_try, seconds=evidence.seconds)
    new_json, due = review.review(card_json, rating, evidence.at)
    state.cards[cid] = CardState(new_json, due)
    state.dirty_cards.add(cid)
