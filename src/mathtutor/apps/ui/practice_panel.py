"""The Practice panel: pick a concept and a level, get a problem, type an answer, check it, ask for hints.

The problem lives in a signed state string (``mathtutor.practice``): the page keeps it in ``gr.State`` and
never holds the answer. What the learner types is previewed as it is read (LaTeX) on every change. A
signed-in learner's checked answers are recorded as attempts; the attempt id is a hash of the state
before the check and the answer, so a double click (or a replayed request) counts once, and a problem
already solved or whose solution was shown no longer counts. Recording always goes to the handle of the
session's own learner (:meth:`accounts.Learners.handle`); a state carries no identity, so a state
copied from someone else can only ever count for whoever checks it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mathtutor import practice
from mathtutor.apps.ui.accounts import NEEDS_SIGN_IN, NOT_SAVED
from mathtutor.apps.ui.render import md_text
from mathtutor.learning import LearningError, ProgressUnavailable
from mathtutor.practice import state as practice_state

if TYPE_CHECKING:
    from mathtutor.learning import LearnerHandle

__all__ = [
    "PRACTICE_LEVELS",
    "Attempt",
    "attempt_for",
    "check_markdown",
    "concept_choices",
    "default_concept",
    "preview_markdown",
    "problem_markdown",
    "record",
]

PRACTICE_LEVELS = ("beginner", "practitioner", "researcher")
EMPTY = "_Pick a concept and press **New problem**._"
DUE_MARK = "⏰ review due · "
MAX_ANSWER = 2000


@lru_cache(maxsize=1)
def concepts() -> tuple[tuple[str, str], ...]:
    """(id, name) of every concept with practice problems, in topic-graph order."""
    return tuple((c["id"], c["name"]) for c in practice.list_concepts())


def concept_choices(due: list[str] | None = None) -> list[tuple[str, str]]:
    """Dropdown choices (label, id): concepts due for review first (most overdue first), then the rest."""
    names = dict(concepts())
    first = [c for c in (due or []) if c in names]
    return [(f"{DUE_MARK}{names[c]}", c) for c in first] + [(n, c) for c, n in concepts() if c not in first]


def default_concept(
    turns: list[dict[str, Any]] | None, due: list[str] | None = None, mastery: dict | None = None
) -> str:
    """The concept to offer: a due review, else the latest study path's next step, else the first concept."""
    names = dict(concepts())
    for c in due or []:
        if c in names:
            return c
    for turn in reversed(turns or []):
        steps = [s.get("concept") for s in turn.get("study_path") or [] if s.get("concept") in names]
        if steps:
            mastered = {c for c, p in (mastery or {}).items() if p >= 0.95}
            return next((c for c in steps if c not in mastered), steps[-1])
    return concepts()[0][0]


def level_of(level: str | None) -> str:
    return level if level in PRACTICE_LEVELS else "practitioner"


def problem_markdown(problem: practice.Problem, names: dict[str, str] | None = None) -> str:
    """The statement (LaTeX rendered by the page), the choices, how many hints there are, where to read."""
    name = (names or dict(concepts())).get(problem.concept, problem.concept)
    lines = [f"**{md_text(name)}** · {problem.level}", "", problem.statement]
    if problem.choices:
        lines += [""] + [f"- {c}" for c in problem.choices]
    lines += [
        "",
        f"_{problem.hints_total} hints available. Answers: plain maths (`2x cos(x^2)`, `1/3`, `[[1,2],[3,4]]`,"
        " `{-1, 2}`) or LaTeX (`\\frac{1}{3}`)._",
    ]
    if problem.citations:
        c = problem.citations[0]
        where = f", p. {c.page}" if c.page else ""
        title = md_text(c.title)
        lines.append(f"\nRead more: [{title}]({c.url}){where}" if c.url else f"\nRead more: {title}{where}")
    return "\n".join(lines)


def new_seed() -> int:
    """A fresh seed for the New problem button (tests replace it to get a known problem)."""
    return secrets.randbelow(10**6)


def new_problem(concept: str, level: str, seed: int | None = None) -> tuple[str, str]:
    """(markdown, state) of a fresh problem; a practice error becomes the markdown and an empty state."""
    try:
        problem = practice.make_problem(concept, level_of(level), seed if seed is not None else new_seed())
    except practice.PracticeError as exc:
        return f"⚠️ {md_text(str(exc))}", ""
    return problem_markdown(problem), problem.state


def preview_markdown(state: str | None, answer: str | None) -> str:
    """How the answer is read, as display maths, or what is wrong with it in words."""
    text = (answer or "").strip()
    if not state:
        return ""
    if not text:
        return "_Your answer will be shown here as it is read._"
    if len(text) > MAX_ANSWER:
        return f"⚠️ The answer is too long (over {MAX_ANSWER} characters)."
    try:
        latex = practice.preview(state, text)
    except practice.PracticeError as exc:
        return f"⚠️ {md_text(str(exc))}"
    return f"Read as: $${latex}$$" if latex else ""


@dataclass(frozen=True)
class Attempt:
    """One checked answer that counts as evidence."""

    concept: str
    correct: bool
    attempt_id: str
    kind: str


def attempt_id(state: str, answer: str) -> str:
    """The same answer to the same problem at the same point is the same attempt (double clicks count once)."""
    digest = hashlib.sha256(f"{state}\x1f{' '.join(answer.split())}".encode()).hexdigest()
    return f"ui-{digest[:40]}"


def attempt_for(before: str, answer: str, after: str | None, correct: bool) -> Attempt | None:
    """The attempt a check made, or None when it does not count (unreadable answer, solved, solution shown)."""
    try:
        old = practice_state.decode(before)
        new = practice_state.decode(after) if after else old
    except practice.PracticeError:
        return None
    if old.solved or old.revealed or new.tries <= old.tries:
        return None
    kind = "conceptual" if old.generator.startswith("concept.") else "practice"
    return Attempt(old.concept, bool(correct), attempt_id(before, answer), kind)


def record(handle: LearnerHandle | None, attempt: Attempt | None) -> str:
    """Record an attempt for the signed-in learner; a line saying what happened to it."""
    if attempt is None:
        return ""
    if handle is None:
        return f"_{NEEDS_SIGN_IN}_"
    try:
        result = handle.record(attempt.concept, attempt.correct, attempt.attempt_id, kind=attempt.kind)
    except ProgressUnavailable:
        return NOT_SAVED
    except LearningError as exc:
        return f"⚠️ {md_text(str(exc))}"
    if not result.recorded:
        return "_Already counted._"
    done = " Mastered! 🎉" if result.mastered else ""
    return f"📈 Saved to your progress: mastery of this concept is now {result.mastery:.0%}.{done}"


def check_markdown(state: str | None, answer: str | None) -> tuple[str, str | None, Attempt | None]:
    """(feedback markdown, new state, attempt) for one press of Check."""
    text = (answer or "").strip()
    if not state:
        return "Get a problem first: press **New problem**.", state, None
    if not text:
        return "Type your answer first.", state, None
    if len(text) > MAX_ANSWER:
        return f"⚠️ The answer is too long (over {MAX_ANSWER} characters).", state, None
    try:
        fb = practice.check(state, text)
    except practice.PracticeError as exc:
        return f"⚠️ {md_text(str(exc))}", state, None
    parts = [("✅ " if fb.correct else "❌ ") + fb.feedback]
    if fb.hint:
        parts.append(f"**Hint:** {fb.hint}")
    if fb.solution is not None:
        parts.append(solution_text(fb.solution))
    return "\n\n".join(parts), fb.state, attempt_for(state, text, fb.state, fb.correct)


def hint_markdown(state: str | None) -> tuple[str, str | None]:
    if not state:
        return "Get a problem first: press **New problem**.", state
    try:
        h = practice.hint(state)
    except practice.PracticeError as exc:
        return f"⚠️ {md_text(str(exc))}", state
    if h.hint is None:
        return "No hints left: press **Solution** to see the worked answer.", h.state
    return f"**Hint {h.index}/{h.total}:** {h.hint}", h.state


def solution_text(sol: practice.Solution) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(sol.steps, start=1))
    return f"**Solution**\n\n{steps}\n\n**Answer:** `{sol.answer}`"


def solution_markdown(state: str | None) -> tuple[str, str | None]:
    if not state:
        return "Get a problem first: press **New problem**.", state
    try:
        sol = practice.solution(state)
    except practice.PracticeError as exc:
        return f"⚠️ {md_text(str(exc))}", state
    return solution_text(sol), sol.problem.state
