"""Spaced review of practised concepts with the FSRS scheduler (the ``fsrs`` package).

Each practised concept gets one FSRS card; every attempt on it is a review: right -> Good, wrong ->
Again, and a right first answer given quickly (under ``EASY_SECONDS``) -> Easy. Fuzzing is off so
the same history always gives the same due date (tests and two replicas agree). Cards are stored as
the package's own dictionary, serialised to JSON text.

FSRS's minute-scale learning and relearning steps are turned off: they suit flashcards, but for a
concept they would put reviews ahead of everything in "what next" ten minutes into a session. Reviews
are therefore a day apart at least (wrong: tomorrow; right first time: in 2 days; Easy: 8 days; later
intervals grow with FSRS's stability). Retrying right after a mistake is practice's job, not review's.
"""

from __future__ import annotations

import json
from datetime import datetime

from fsrs import Card, Rating, Scheduler

__all__ = ["EASY_SECONDS", "card_due", "new_card", "rating_for", "review"]

#: A first-try right answer faster than this counts as Easy.
EASY_SECONDS = 20.0
_SCHEDULER = Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())


def rating_for(correct: bool, *, first_try: bool = False, seconds: float | None = None) -> Rating:
    """The FSRS rating of one attempt."""
    if not correct:
        return Rating.Again
    if first_try and seconds is not None and 0 <= seconds < EASY_SECONDS:
        return Rating.Easy
    return Rating.Good


def new_card(at: datetime) -> str:
    """A fresh card (JSON) for a concept first practised at ``at``; its id is that time in ms."""
    return json.dumps(Card(card_id=int(at.timestamp() * 1000), due=at).to_dict())


def review(card_json: str, rating: Rating, at: datetime) -> tuple[str, datetime]:
    """Apply one review; return the updated card (JSON) and its next due time (aware UTC)."""
    card = Card.from_dict(json.loads(card_json))
    card, _log = _SCHEDULER.review_card(card, rating, review_datetime=at)
    return json.dumps(card.to_dict()), card.due


def card_due(card_json: str) -> datetime:
    """When a stored card is next due."""
    return Card.from_dict(json.loads(card_json)).due
