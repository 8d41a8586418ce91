"""Records and errors of the practice package (plain dataclasses so callers can serialise them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["beginner", "practitioner", "researcher"]
LEVELS: tuple[str, ...] = ("beginner", "practitioner", "researcher")
AnswerType = Literal["number", "expression", "vector", "matrix", "set", "choice"]
ANSWER_TYPES: tuple[str, ...] = ("number", "expression", "vector", "matrix", "set", "choice")


class PracticeError(ValueError):
    """Base of every practice error; ``str(err)`` is a message fit to show the learner."""


class UnknownConceptError(PracticeError):
    """The concept is not in the topic graph, or nothing in the bank practises it."""


class BadLevelError(PracticeError):
    """A level other than beginner / practitioner / researcher."""


class BadSeedError(PracticeError):
    """A seed that is not a whole number in the allowed range."""


class AnswerParseError(PracticeError):
    """The answer could not be read (or was refused as unsafe); the message says how to write it."""


class StateError(PracticeError):
    """A practice state that is forged, garbled, too long, from an old bank version or unknown."""


@dataclass(frozen=True)
class Citation:
    """Where the catalog teaches the concept; page/minute refinement happens against an index later."""

    resource_id: str
    part_id: str | None
    title: str
    url: str | None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Instance:
    """What a generator returns: everything about one problem, including its answer (never sent out).

    ``wrong`` maps a misconception name to the answer that misconception produces; the checker names
    the misconception when the learner's answer matches it, and the self-check scripts it.
    """

    statement: str
    answer_type: str
    answer: Any
    answer_text: str
    hints: tuple[str, ...]
    steps: tuple[str, ...]
    symbols: tuple[str, ...] = ()
    wrong: tuple[tuple[str, Any], ...] = ()
    choices: tuple[str, ...] = ()
    up_to_scale: bool = False
    rewrites: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """A practice problem as shown to the learner: the answer is not in it, only in the seed."""

    id: str
    concept: str
    level: str
    statement: str
    answer_type: str
    hints_total: int
    citations: tuple[Citation, ...]
    state: str
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "concept": self.concept,
            "level": self.level,
            "statement": self.statement,
            "answer_type": self.answer_type,
            "hints_total": self.hints_total,
            "citations": [c.to_dict() for c in self.citations],
            "state": self.state,
        }
        if self.answer_type == "choice":
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True)
class Solution:
    """The worked solution: ``answer`` is a string the checker accepts as correct."""

    problem: Problem
    answer: str
    steps: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = self.problem.to_dict()
        out["answer"] = self.answer
        out["steps"] = list(self.steps)
        return out


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``hint`` is the next hint (None when none is left or it was right)."""

    correct: bool
    feedback: str
    misconception: str | None = None
    hint: str | None = None
    state: str | None = None
    solution: Solution | None = None
    read_as: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "correct": self.correct,
            "feedback": self.feedback,
            "misconception": self.misconception,
            "hint": self.hint,
        }
        if self.state is not None:
            out["state"] = self.state
        if self.solution is not None:
            out["solution"] = {"answer": self.solution.answer, "steps": list(self.solution.steps)}
        return out


@dataclass(frozen=True)
class HintReply:
    """The next hint (None when all are shown) and the state that remembers it was shown."""

    hint: str | None
    index: int
    total: int
    state: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
