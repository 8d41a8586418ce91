"""Errors a learner may see: every message is a plain sentence with no URL, password, path or traceback.

They all derive from :class:`LearningError` (a ``ValueError``) so a caller can catch one type, print
``str(exc)`` and keep chatting.
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "BadEvidence",
    "ImportRefused",
    "InvalidName",
    "LearningError",
    "NothingToDraw",
    "ProgressUnavailable",
    "SchemaTooNew",
    "StoreCorrupt",
    "UnknownGoal",
    "UnknownLearner",
]


class LearningError(ValueError):
    """Base class: the message is safe to show to a learner as is."""


class ProgressUnavailable(LearningError):
    """The progress database cannot be reached (or is busy); chat keeps working without saving progress."""

    def __init__(
        self,
        message: str = "Progress is not being saved right now: the progress database is unreachable. "
        "Your answers are still checked; try again in a moment.",
    ) -> None:
        super().__init__(message)


class StoreCorrupt(LearningError):
    """The SQLite file is not a readable mathtutor progress database. It is left exactly as it is."""


class SchemaTooNew(LearningError):
    """The database was written by a newer mathtutor (a migration this code does not know). Left untouched."""


class InvalidName(LearningError):
    """A learner or user name that is empty, too long or has characters that are not allowed."""


class AccountError(LearningError):
    """Sign-up or sign-in problem (name taken, password too short or too long)."""


class ImportRefused(LearningError):
    """A progress file that is malformed, too large or not a mathtutor progress export."""


class UnknownGoal(LearningError):
    """A goal in which no concept of the topic graph could be recognised."""


class NothingToDraw(LearningError):
    """The learner map has no concept to show (no goal and no practice yet)."""


class UnknownLearner(LearningError):
    """No progress is stored under this learner name."""


class BadEvidence(LearningError):
    """An attempt that cannot be recorded (unknown concept, bad kind, id or time)."""
