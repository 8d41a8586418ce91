"""Misconception names: the issue's five exist, feedback is distinct and learner-facing."""

from __future__ import annotations

from mathtutor.practice.bank import concepts
from mathtutor.practice.misconceptions import MISCONCEPTIONS, describe


def test_issue_misconceptions_exist():
    for name in (
        "chain-rule-no-inner-derivative",
        "elementwise-product",
        "conditional-inverted",
        "population-variance",
        "row-swap-sign",
        "transpose-order",
        "forgot-1-over-n",
    ):
        assert name in MISCONCEPTIONS


def test_describe_has_label_and_feedback():
    text = describe("row-swap-sign")
    assert text.startswith("This looks like determinant sign of a row swap.")
    assert "Swapping two rows" in text


def test_every_wrong_option_is_tagged():
    for q in concepts.QUESTIONS:
        right = [o for o in q.options if o.misconception is None]
        assert len(right) == 1
        for o in q.options:
            if o.misconception:
                assert o.misconception in MISCONCEPTIONS and o.feedback and o.label
