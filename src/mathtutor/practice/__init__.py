"""Practice that teaches: seeded problems over the topic graph, graduated hints, exact answer checking.

Public API::

    make_problem(concept, level="practitioner", seed=None) -> Problem
    check(state_or_problem, answer) -> Feedback
    hint(state_or_problem) -> HintReply
    solution(state_or_problem) -> Solution
    preview(state_or_problem, answer) -> str      # LaTeX of how the answer is read
    list_concepts() -> list[dict]

All errors a learner can cause are PracticeError subclasses whose message can be shown as is.
"""

from __future__ import annotations

from mathtutor.practice.engine import check, hint, list_concepts, make_problem, preview, resolve_concept, solution
from mathtutor.practice.types import (
    AnswerParseError,
    BadLevelError,
    BadSeedError,
    Citation,
    Feedback,
    HintReply,
    PracticeError,
    Problem,
    Solution,
    StateError,
    UnknownConceptError,
)

__all__ = [
    "AnswerParseError",
    "BadLevelError",
    "BadSeedError",
    "Citation",
    "Feedback",
    "HintReply",
    "PracticeError",
    "Problem",
    "Solution",
    "StateError",
    "UnknownConceptError",
    "check",
    "hint",
    "list_concepts",
    "make_problem",
    "preview",
    "resolve_concept",
    "solution",
]
