"""``LearnerHandle``: one learner's progress. Every query filters on the handle's own learner id.

Handles come from :meth:`LearnerStore.for_learner` / :meth:`LearnerStore.for_session`; the id is fixed
at construction and there is no way to pass another one in, which is what makes learner isolation
structural rather than a convention each query must remember.

Writes lock the learner first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions already
start with ``BEGIN IMMEDIATE``), so two tabs or two server processes recording for the same learner
are serialised: every attempt is counted once and no mastery update is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession

from mathtutor.learning import frontier, tracking
from mathtutor.learning.bkt import is_mastered
from mathtutor.learning.errors import BadEvidence, ImportRefused, LearningError
from mathtutor.learning.models import Attempt, Feedback, Learner, Mastery, Review, utcnow
from mathtutor.learning.names import has_control
from mathtutor.learning.portability import export_document, parse_export

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.learning.bkt import BKTParams


class StoreAccess(Protocol):
    """What a handle needs from its store (the store creates handles, so it is not imported here)."""

    graph: TopicGraph

    def transaction(self, *, read: bool = False) -> AbstractContextManager[OrmSession]: ...

    def params_for(self, concept: str) -> BKTParams: ...


__all__ = ["ImportResult", "LearnerHandle", "RecordResult"]

KINDS = ("practice", "conceptual")
MAX_FEEDBACK_CHARS = 4000


@dataclass(frozen=True)
class RecordResult:
    """What recording an attempt did; ``recorded`` is False for a repeated attempt id (nothing changed)."""

    recorded: bool
    concept: str
    mastery: float
    mastered: bool
    due: datetime | None


@dataclass(frozen=True)
class ImportResult:
    added: int
    skipped: int


@dataclass
class _Loaded(tracking.LearnerState):
    """Learner state plus the ORM rows it came from (held, so the session's weak identity map keeps them)."""

    mastery_rows: dict[str, Mastery] = field(default_factory=dict)
    review_rows: dict[str, Review] = field(default_factory=dict)


class LearnerHandle:
    """Read and change one learner's progress."""

    def __init__(self, store: StoreAccess, learner_id: int, name: str) -> None:
        self._store = store
        self._id = learner_id
        self._name = name

    def __repr__(self) -> str:
        return f"LearnerHandle({self.name!r})"

    @property
    def name(self) -> str:
        """The learner's (validated) name."""
        return self._name

    @property
    def learner_id(self) -> int:
        """The database id this handle is bound to (read-only: a handle never changes learner)."""
        return self._id

    # -- evidence -------------------------------------------------------------------------------

    def record(
        self,
        concept: str,
        correct: bool,
        attempt_id: str,
        *,
        at: datetime | None = None,
        kind: str = "practice",
        seconds: float | None = None,
    ) -> RecordResult:
        """Record one attempt and update mastery and the review schedule (once per attempt id)."""
        evidence = self._evidence(concept, correct, attempt_id, at, kind, seconds)
        graph = self._store.graph
        with self._store.transaction() as s:
            self._lock(s)
            dup = s.scalar(select(Attempt.id).where(Attempt.learner_id == self._id, Attempt.attempt_id == attempt_id))
            state = self._load_state(s, [concept, *tracking.prereq_hops(graph, concept)] if dup is None else [concept])
            if dup is None:
                s.add(
                    Attempt(
                        learner_id=self._id,
                        attempt_id=attempt_id,
                        concept=concept,
                        correct=correct,
                        kind=kind,
                        at=evidence.at,
                        seconds=evidence.seconds,
                    )
                )
                tracking.apply(state, graph, evidence, self._store.params_for)
                self._save_state(s, state)
        known = state.concepts.get(concept)
        card = state.cards.get(concept)
        p = known.p_known if known is not None else self._store.params_for(concept).prior
        return RecordResult(dup is None, concept, round(p, 4), is_mastered(p), card.due if card else None)

    def _evidence(
        self, concept: object, correct: object, attempt_id: object, at: datetime | None, kind: object, seconds: object
    ) -> tracking.Evidence:
        if not isinstance(concept, str) or concept not in self._store.graph:
            raise BadEvidence(f"Unknown concept {str(concept)[:64]!r}; it is not in the topic map.")
        if not isinstance(correct, bool):
            raise BadEvidence("An attempt is either correct or not (true/false).")
        if not isinstance(attempt_id, str) or not 1 <= len(attempt_id) <= 128 or has_control(attempt_id):
            raise BadEvidence("An attempt id must be 1-128 printable characters.")
        if kind not in KINDS:
            raise BadEvidence("The kind of evidence must be 'practice' or 'conceptual'.")
        at = at or utcnow()
        if at.tzinfo is None:
            raise BadEvidence("The attempt time needs a timezone.")
        secs = float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
        if secs is not None and not 0.0 <= secs < 1e7:
            secs = None
        return tracking.Evidence(concept, correct, str(kind), at.astimezone(UTC), secs)

    def _lock(self, s: OrmSession) -> None:
        if s.get_bind().dialect.name != "sqlite":  # SQLite transactions already begin IMMEDIATE (write-locked)
            s.execute(select(Learner.id).where(Learner.id == self._id).with_for_update())

    def _load_state(self, s: OrmSession, concepts: Iterable[str]) -> _Loaded:
        """The learner's mastery rows and cards for these concepts, with the ORM rows kept for saving."""
        wanted = list(concepts)
        with s.no_autoflush:
            masteries = {
                m.concept: m
                for m in s.scalars(select(Mastery).where(Mastery.learner_id == self._id, Mastery.concept.in_(wanted)))
            }
            reviews = {
                r.concept: r
                for r in s.scalars(select(Review).where(Review.learner_id == self._id, Review.concept.in_(wanted)))
            }
        return _Loaded(
            {c: tracking.ConceptState(m.p_known, m.attempts, m.correct, m.updated_at) for c, m in masteries.items()},
            {c: tracking.CardState(r.card, r.due) for c, r in reviews.items()},
            set(),
            set(),
            masteries,
            reviews,
        )

    def _save_state(self, s: OrmSession, state: _Loaded) -> None:
        for cid in state.dirty_concepts:
            c = state.concepts[cid]
            row = state.mastery_rows.get(cid)
            if row is None:
                row = Mastery(learner_id=self._id, concept=cid)
                s.add(row)
            row.p_known, row.attempts, row.correct = c.p_known, c.attempts, c.correct
            row.updated_at = c.updated_at or utcnow()
        for cid in state.dirty_cards:
            card = state.cards[cid]
            review = state.review_rows.get(cid)
            if review is None:
                review = Review(learner_id=self._id, concept=cid)
                s.add(review)
            review.card, review.due = card.card, card.due

    # -- goal -----------------------------------------------------------------------------------

    def set_goal(self, goal: str | None) -> list[str]:
        """Set (or with None clear) the learner's goal; returns the concept ids it maps to."""
        concepts = [] if goal is None else frontier.resolve_goal(self._store.graph, goal)
        text = None if goal is None else " ".join(goal.split())
        with self._store.transaction() as s:
            learner = s.get(Learner, self._id, with_for_update=True)
            assert learner is not None
            learner.goal, learner.goal_concepts = text, ",".join(concepts) or None
        return concepts

    def goal(self) -> tuple[str | None, list[str]]:
        """The goal as typed and the concept ids it maps to (unknown ids from an older graph dropped)."""
        with self._store.transaction(read=True) as s:
            row = s.execute(select(Learner.goal, Learner.goal_concepts).where(Learner.id == self._id)).one()
        ids = [c for c in (row.goal_concepts or "").split(",") if c in self._store.graph]
        return row.goal, ids

    # -- reading --------------------------------------------------------------------------------

    def mastery(self) -> dict[str, float]:
        """Probability known per concept that has any evidence."""
        with self._store.transaction(read=True) as s:
            rows = s.execute(select(Mastery.concept, Mastery.p_known).where(Mastery.learner_id == self._id))
            return {r.concept: r.p_known for r in rows}

    def due_reviews(self) -> dict[str, datetime]:
        """When each practised concept is next due for review."""
        with self._store.transaction(read=True) as s:
            rows = s.execute(select(Review.concept, Review.due).where(Review.learner_id == self._id))
            return {r.concept: r.due for r in rows}

    def due_concepts(self, *, now: datetime | None = None) -> list[str]:
        """Concepts whose review is due now, most overdue first (for the Practice panel)."""
        now = now or utcnow()
        return [c for c, when in sorted(self.due_reviews().items(), key=lambda kv: (kv[1], kv[0])) if when <= now]

    def attempt_count(self) -> int:
        with self._store.transaction(read=True) as s:
            return s.scalar(select(func.count()).select_from(Attempt).where(Attempt.learner_id == self._id)) or 0

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt in the order it happened (JSON-ready)."""
        with self._store.transaction(read=True) as s:
            rows = s.scalars(select(Attempt).where(Attempt.learner_id == self._id).order_by(Attempt.at, Attempt.id))
            return [
                {
                    "attempt_id": a.attempt_id,
                    "concept": a.concept,
                    "correct": a.correct,
                    "kind": a.kind,
                    "at": a.at.isoformat(),
                    "seconds": a.seconds,
                }
                for a in rows
            ]

    def what_next(
        self, *, now: datetime | None = None, limit: int = 5, cite: frontier.Cite | None = None
    ) -> list[frontier.Suggestion]:
        """Due reviews first, then the frontier toward the goal, each with a reason."""
        _, goal_ids, rows, due = self._snapshot()
        mastery = {c: r.p_known for c, r in rows.items()}
        return frontier.what_next(
            self._store.graph, mastery, due, goal_ids, now=now or utcnow(), limit=limit, cite=cite
        )

    def _snapshot(self) -> tuple[str | None, list[str], dict[str, Mastery], dict[str, datetime]]:
        """Goal, mastery rows and due times read in one transaction (a consistent view)."""
        with self._store.transaction(read=True) as s:
            goal = s.execute(select(Learner.goal, Learner.goal_concepts).where(Learner.id == self._id)).one()
            rows = {m.concept: m for m in s.scalars(select(Mastery).where(Mastery.learner_id == self._id))}
            due = {
                r.concept: r.due
                for r in s.execute(select(Review.concept, Review.due).where(Review.learner_id == self._id))
            }
        ids = [c for c in (goal.goal_concepts or "").split(",") if c in self._store.graph]
        return goal.goal, ids, rows, due

    def study_path(self, concept_ids: Iterable[str]) -> list[frontier.PathStep]:
        """Mark each concept of a study path with this learner's mastery."""
        ids = list(concept_ids)
        for cid in ids:
            self._store.graph.get(cid)
        return frontier.mark_path(ids, self.mastery(), prior=lambda cid: self._store.params_for(cid).prior)

    def goal_progress(self) -> dict[str, Any]:
        """The goal's study path with mastery marked, what remains of it, and the count mastered."""
        text, ids = self.goal()
        steps = self.study_path(self._store.graph.learning_path(ids)) if ids else []
        return {
            "goal": text,
            "concepts": ids,
            "path": [{"concept": s.concept, "mastery": s.mastery, "mastered": s.mastered} for s in steps],
            "remaining": [s.concept for s in steps if not s.mastered],
            "mastered": sum(s.mastered for s in steps),
            "total": len(steps),
        }

    def progress(self, *, now: datetime | None = None, limit: int = 5, cite: frontier.Cite | None = None) -> dict:
        """The progress view: ``learner``, ``goal``, ``concepts`` and ``next`` (JSON-ready)."""
        graph = self._store.graph
        goal_text, goal_ids, rows, due = self._snapshot()
        wanted = set(rows) | (set(graph.learning_path(goal_ids)) if goal_ids else set())
        order = {cid: i for i, cid in enumerate(graph.ids)}
        concepts = []
        for cid in sorted((c for c in wanted if c in order), key=order.__getitem__):
            row = rows.get(cid)
            p = row.p_known if row is not None else self._store.params_for(cid).prior
            concepts.append(
                {
                    "concept": cid,
                    "mastery": round(min(max(p, 0.0), 1.0), 4),
                    "attempts": row.attempts if row is not None else 0,
                    "due": due[cid].isoformat() if cid in due else None,
                }
            )
        suggestions = frontier.what_next(
            graph, {c: r.p_known for c, r in rows.items()}, due, goal_ids, now=now or utcnow(), limit=limit, cite=cite
        )
        return {
            "learner": self.name,
            "goal": goal_text,
            "concepts": concepts,
            "next": [item.as_json() for item in suggestions],
        }

    # -- export / import ------------------------------------------------------------------------

    def export(self, *, now: datetime | None = None) -> dict[str, Any]:
        """Progress plus the attempts it came from, for :meth:`import_progress` elsewhere."""
        return export_document(self.progress(now=now), self.attempts())

    def export_json(self, *, now: datetime | None = None) -> str:
        return json.dumps(self.export(now=now), ensure_ascii=False, indent=2)

    def import_progress(self, data: bytes | str) -> ImportResult:
        """Add the attempts of an export file (known attempt ids are skipped) and recompute progress."""
        doc = parse_export(data)
        unknown = sorted({a.concept for a in doc.attempts} - set(self._store.graph.ids))
        if unknown:
            raise ImportRefused(f"The progress file names concepts this tutor does not know: {', '.join(unknown[:5])}.")
        with self._store.transaction() as s:
            self._lock(s)
            have = set(s.scalars(select(Attempt.attempt_id).where(Attempt.learner_id == self._id)))
            new = [a for a in doc.attempts if a.attempt_id not in have]
            for a in new:
                s.add(
                    Attempt(
                        learner_id=self._id,
                        attempt_id=a.attempt_id,
                        concept=a.concept,
                        correct=a.correct,
                        kind=a.kind,
                        at=a.at,
                        seconds=a.seconds,
                    )
                )
            learner = s.get(Learner, self._id)
            assert learner is not None
            if doc.goal and learner.goal is None:
                try:
                    ids = frontier.resolve_goal(self._store.graph, doc.goal)
                    learner.goal, learner.goal_concepts = " ".join(doc.goal.split()), ",".join(ids)
                except LearningError:
                    pass  # a goal this graph cannot map is not a reason to lose the attempts
            if new:
                s.flush()
                self._replay(s)
        return ImportResult(added=len(new), skipped=len(doc.attempts) - len(new))

    def _replay(self, s: OrmSession) -> None:
        """Recompute mastery and review cards from all attempts, in time order."""
        s.execute(delete(Mastery).where(Mastery.learner_id == self._id))
        s.execute(delete(Review).where(Review.learner_id == self._id))
        s.flush()
        state = _Loaded({}, {}, set(), set(), {}, {})
        for a in s.scalars(select(Attempt).where(Attempt.learner_id == self._id).order_by(Attempt.at, Attempt.id)):
            ev = tracking.Evidence(a.concept, a.correct, a.kind, a.at, a.seconds)
            if a.concept in self._store.graph:
                tracking.apply(state, self._store.graph, ev, self._store.params_for)
        self._save_state(s, state)

    # -- feedback -------------------------------------------------------------------------------

    def add_feedback(self, target: str, *, rating: int | None = None, comment: str = "") -> int:
        """Store feedback on an answer (``target`` names it); returns the feedback id."""
        if not isinstance(target, str) or not 1 <= len(target) <= 200 or has_control(target):
            raise LearningError("Feedback must say what it is about (1-200 printable characters).")
        if rating is not None and (isinstance(rating, bool) or rating not in (-1, 0, 1, 2, 3, 4, 5)):
            raise LearningError("A rating is a whole number from -1 to 5.")
        if not isinstance(comment, str) or len(comment) > MAX_FEEDBACK_CHARS or has_control(comment, allow="\n\t"):
            raise LearningError(f"A feedback comment is text of at most {MAX_FEEDBACK_CHARS} printable characters.")
        with self._store.transaction() as s:
            row = Feedback(learner_id=self._id, target=target, rating=rating, comment=comment, created_at=utcnow())
            s.add(row)
            s.flush()
            return row.id

    def feedback(self) -> list[dict[str, Any]]:
        """This learner's feedback, oldest first."""
        with self._store.transaction(read=True) as s:
            rows = s.scalars(select(Feedback).where(Feedback.learner_id == self._id).order_by(Feedback.id))
            return [
                {
                    "id": f.id,
                    "target": f.target,
                    "rating": f.rating,
                    "comment": f.comment,
                    "created_at": f.created_at.isoformat(),
                }
                for f in rows
            ]

    def delete_feedback(self, feedback_id: int) -> bool:
        """Delete one of this learner's feedback rows; another learner's id deletes nothing."""
        with self._store.transaction() as s:
            result = s.execute(delete(Feedback).where(Feedback.learner_id == self._id, Feedback.id == feedback_id))
            return bool(result.rowcount)

    # -- picture --------------------------------------------------------------------------------

    def learner_map(self, *, fmt: str = "svg", hops: int = 2, now: datetime | None = None) -> bytes:
        """The topic graph around the goal, coloured by mastery, as SVG or PNG bytes."""
        from mathtutor.learning.picture import render_map

        _, goal_ids = self.goal()
        now = now or utcnow()
        due_now = {c for c, when in self.due_reviews().items() if when <= now}
        return render_map(self._store.graph, goal_ids, self.mastery(), due_now, hops=hops, fmt=fmt)
