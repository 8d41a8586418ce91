"""Bayesian Knowledge Tracing: the probability that a learner knows a concept, updated per attempt.

The update is the classic four-parameter hidden Markov model (Corbett & Anderson, 1995), written out
here rather than taken from pyBKT: pyBKT is a fitting library (EM over whole cohorts, compiled
extensions, pandas) while the tutor needs one closed-form update per answer, in a database
transaction, in microseconds. :func:`fit` does a small grid-search fit from logged attempts instead.

Parameters (defaults from the usual BKT literature values):

* ``prior`` 0.2 - chance the concept is already known before any evidence;
* ``learn`` 0.15 - chance of learning it at each practice opportunity;
* ``guess`` 0.2 - chance of a right answer without knowing it;
* ``slip`` 0.1 - chance of a wrong answer despite knowing it.

With these, three right answers in a row take a new concept from 0.20 to 0.98 (mastered), and a wrong
answer after that drops it back under the mastery threshold. Conceptual questions (asked in chat
rather than checked exactly) are weaker evidence: their guess and slip are raised by
``CONCEPTUAL_NOISE``.

Evidence about prerequisites: an attempt on a concept says a little about what it builds on. Its
likelihood ratio is applied to each prerequisite raised to a weight (``PREREQ_WEIGHT`` for direct
prerequisites, halved per further hop, up to ``PREREQ_HOPS``), with no learning transition: a right
answer raises confidence in the prerequisites slightly, a wrong one lowers it slightly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

__all__ = [
    "CONCEPTUAL_NOISE",
    "DEFAULT_PARAMS",
    "MASTERY_THRESHOLD",
    "PREREQ_HOPS",
    "PREREQ_WEIGHT",
    "BKTParams",
    "fit",
    "is_mastered",
    "log_likelihood",
    "prereq_update",
    "update",
]

#: A concept counts as mastered from this probability of being known.
MASTERY_THRESHOLD = 0.95
#: Weight (exponent on the likelihood ratio) of an attempt's evidence for a direct prerequisite.
PREREQ_WEIGHT = 0.3
#: How many prerequisite hops an attempt's evidence reaches (the weight halves per hop).
PREREQ_HOPS = 3
#: Added to guess and slip for kind="conceptual" evidence.
CONCEPTUAL_NOISE = 0.1
_EPS = 1e-6


@dataclass(frozen=True)
class BKTParams:
    """Per-concept BKT parameters; all are probabilities, guess + slip < 1 (else answers carry no signal)."""

    prior: float = 0.2
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1

    def __post_init__(self) -> None:
        for name in ("prior", "learn", "guess", "slip"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"BKT {name} must be between 0 and 1, got {value}")
        if self.guess + self.slip >= 1.0:
            raise ValueError("BKT guess + slip must be below 1, otherwise a right answer is no evidence")

    def for_kind(self, kind: str) -> BKTParams:
        """The parameters for this kind of evidence ("practice" as is, "conceptual" noisier)."""
        if kind == "practice":
            return self
        if kind == "conceptual":
            guess = min(self.guess + CONCEPTUAL_NOISE, 0.45)
            slip = min(self.slip + CONCEPTUAL_NOISE, 0.45)
            return replace(self, guess=guess, slip=slip)
        raise ValueError(f"unknown evidence kind {kind!r}; use 'practice' or 'conceptual'")


DEFAULT_PARAMS = BKTParams()


def _clip(p: float) -> float:
    return min(max(p, _EPS), 1.0 - _EPS)


def update(p_known: float, correct: bool, params: BKTParams = DEFAULT_PARAMS) -> float:
    """Posterior after one observed answer, followed by the learning transition."""
    p = _clip(p_known)
    if correct:
        known = p * (1.0 - params.slip)
        posterior = known / (known + (1.0 - p) * params.guess)
    else:
        known = p * params.slip
        posterior = known / (known + (1.0 - p) * (1.0 - params.guess))
    return _clip(posterior + (1.0 - posterior) * params.learn)


def prereq_update(p_known: float, correct: bool, hop: int, params: BKTParams = DEFAULT_PARAMS) -> float:
    """Weak evidence for a prerequisite ``hop`` steps below the practised concept (1 = direct)."""
    if hop < 1 or hop > PREREQ_HOPS:
        return p_known
    weight = PREREQ_WEIGHT * 0.5 ** (hop - 1)
    ratio = (1.0 - params.slip) / params.guess if correct else params.slip / (1.0 - params.guess)
    p = _clip(p_known)
    odds = p / (1.0 - p) * ratio**weight
    return _clip(odds / (1.0 + odds))


def is_mastered(p_known: float) -> bool:
    """Whether a probability of knowing counts as mastered."""
    return p_known >= MASTERY_THRESHOLD


def log_likelihood(sequences: Iterable[Sequence[bool]], params: BKTParams) -> float:
    """Log-probability of answer sequences (one per learner, in time order) under the parameters."""
    total = 0.0
    for seq in sequences:
        p = params.prior
        for correct in seq:
            p_right = p * (1.0 - params.slip) + (1.0 - p) * params.guess
            total += math.log(max(p_right if correct else 1.0 - p_right, 1e-12))
            p = update(p, correct, params)
    return total


def fit(
    sequences_by_learner: Mapping[str, Sequence[bool]],
    *,
    grid: Mapping[str, Sequence[float]] | None = None,
) -> BKTParams:
    """Maximum-likelihood parameters for one concept from logged attempts, by grid search.

    A grid (about 500 points by default) is plenty for a class-sized log and, unlike EM, cannot end in a
    degenerate optimum where guess + slip >= 1.
    """
    grid = dict(grid or {})
    axes = {
        "prior": grid.get("prior", (0.05, 0.2, 0.4, 0.6)),
        "learn": grid.get("learn", (0.05, 0.1, 0.2, 0.3, 0.4)),
        "guess": grid.get("guess", (0.05, 0.15, 0.25, 0.35)),
        "slip": grid.get("slip", (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)),
    }
    sequences = [list(seq) for seq in sequences_by_learner.values() if seq]
    if not sequences:
        raise ValueError("no attempts to fit BKT parameters from")
    best: tuple[float, BKTParams] | None = None
    for prior, learn, guess, slip in itertools.product(axes["prior"], axes["learn"], axes["guess"], axes["slip"]):
        if guess + slip >= 1.0:
            continue
        params = BKTParams(prior=prior, learn=learn, guess=guess, slip=slip)
        score = log_likelihood(sequences, params)
        if best is None or score > best[0] + 1e-12:
            best = (score, params)
    assert best is not None
    return best[1]
