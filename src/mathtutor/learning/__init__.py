"""Learner progress: mastery per concept (BKT), spaced review (FSRS), what to study next, accounts.

Start from :class:`LearnerStore` (or :func:`open_store`): ``store.for_learner(name)`` gives a
:class:`LearnerHandle` whose methods read and change that learner's progress only. Errors a learner
may see derive from :class:`LearningError` and their messages are safe to display.
"""

from mathtutor.learning.bkt import DEFAULT_PARAMS, MASTERY_THRESHOLD, BKTParams
from mathtutor.learning.errors import (
    AccountError,
    BadEvidence,
    ImportRefused,
    InvalidName,
    LearningError,
    NothingToDraw,
    ProgressUnavailable,
    SchemaTooNew,
    StoreCorrupt,
    UnknownGoal,
    UnknownLearner,
)
from mathtutor.learning.frontier import PathStep, Suggestion, resolve_goal
from mathtutor.learning.handle import ImportResult, LearnerHandle, RecordResult
from mathtutor.learning.names import validate_name
from mathtutor.learning.store import LearnerStore, open_store

__all__ = [
    "DEFAULT_PARAMS",
    "MASTERY_THRESHOLD",
    "AccountError",
    "BKTParams",
    "BadEvidence",
    "ImportRefused",
    "ImportResult",
    "InvalidName",
    "LearnerHandle",
    "LearnerStore",
    "LearningError",
    "NothingToDraw",
    "PathStep",
    "ProgressUnavailable",
    "RecordResult",
    "SchemaTooNew",
    "StoreCorrupt",
    "Suggestion",
    "UnknownGoal",
    "UnknownLearner",
    "open_store",
    "resolve_goal",
    "validate_name",
]
