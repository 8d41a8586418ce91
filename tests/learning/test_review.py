from __future__ import annotations

from datetime import timedelta

from fsrs import Rating

from mathtutor.learning import review

from .conftest import T0


def test_ratings() -> None:
    assert review.rating_for(False) == Rating.Again
    assert review.rating_for(True) == Rating.Good
    assert review.rating_for(True, first_try=True, seconds=5) == Rating.Easy
    assert review.rating_for(True, first_try=False, seconds=5) == Rating.Good
    assert review.rating_for(True, first_try=True, seconds=review.EASY_SECONDS) == Rating.Good


def test_new_card_is_due_when_created() -> None:
    assert review.card_due(review.new_card(T0)) == T0


def test_a_right_answer_schedules_later_than_a_wrong_one_and_is_deterministic() -> None:
    card = review.new_card(T0)
    good_json, good_due = review.review(card, Rating.Good, T0)
    _again_json, again_due = review.review(card, Rating.Again, T0)
    assert T0 < again_due < good_due
    assert review.review(card, Rating.Good, T0) == (good_json, good_due)  # no fuzzing
    assert review.card_due(good_json) == good_due
    easy_due = review.review(card, Rating.Easy, T0)[1]
    assert easy_due - T0 >= timedelta(days=1)
    assert easy_due > good_due


def test_concept_reviews_are_days_apart() -> None:
    card = review.new_card(T0)
    assert review.review(card, Rating.Again, T0)[1] - T0 == timedelta(days=1)
    good_json, good_due = review.review(card, Rating.Good, T0)
    assert good_due - T0 == timedelta(days=2)
    assert review.review(card, Rating.Easy, T0)[1] - T0 == timedelta(days=8)
    second = review.review(good_json, Rating.Good, good_due)[1]
    assert second - good_due > timedelta(days=2)  # intervals grow with each success
