"""'Explain X' as a short lesson: what it is and why ML needs it (our study notes, cited), what the materials
say, one fully worked example and one check-your-understanding problem from the practice bank.

Our study notes are written by us in plain prose, so their "What it is" and "Why machine learning needs it"
sections give a coherent paragraph without PDF extraction noise; the materials then add one cited sentence
and the pages or minutes to read or watch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from mathtutor.ingest.linking import NOTES_RESOURCE
from mathtutor.tutor import passages
from mathtutor.tutor.coach import example_seed

if TYPE_CHECKING:
    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.types import Chunk, Context


class Cites(Protocol):
    """The part of ``compose.CitationList`` a lesson uses (compose imports this module, not the reverse)."""

    def add_chunk(self, chunk: Chunk, score: float) -> int: ...


#: Note sections used, in order, and how many of their sentences: the lesson stays short.
_SECTIONS = (("what it is", 2), ("why", 2))


def note_concept(chunk: Chunk) -> str | None:
    """The concept a chunk of our study notes is about (None for any other chunk, or a note without one)."""
    concept = chunk.meta.get("concept") if chunk.meta else None
    return str(concept) if chunk.resource_id == NOTES_RESOURCE and concept else None


def note_sections(chunks: Iterable[Chunk]) -> dict[str, dict[str, Chunk]]:
    """Our study notes by concept, then by the lower-cased last heading of the section."""
    out: dict[str, dict[str, Chunk]] = {}
    for chunk in chunks:
        concept = note_concept(chunk)
        if concept is None or not chunk.section:
            continue
        last = chunk.section.rsplit(" > ", 1)[-1].strip().lower()
        out.setdefault(concept, {}).setdefault(last, chunk)
    return out


def _note_lines(sections: dict[str, Chunk], cites: Cites) -> list[str]:
    lines = []
    for prefix, limit in _SECTIONS:
        chunk = next((c for head, c in sections.items() if head.startswith(prefix)), None)
        if chunk is None:
            continue
        text = chunk.text.split("\n", 1)[-1] if chunk.text.lstrip().startswith("#") else chunk.text
        chosen = passages.sentences(text, min_words=5)[:limit]
        if chosen:
            n = cites.add_chunk(chunk, 1.0)
            lines.append(" ".join(chosen) + f" [{n}]")
    return lines


def worked_example(concept: str, level: str, question: str) -> tuple[list[str], str | None]:
    """A fully solved problem, then a fresh one to try (its signed state goes into the answer)."""
    from mathtutor.practice import PracticeError, make_problem, solution

    try:
        shown = make_problem(concept, level=level, seed=example_seed(question, "example"))
        sol = solution(shown.state)
        trial = make_problem(concept, level=level, seed=example_seed(question, "check"))
    except PracticeError:
        return [], None
    lines = ["", "**Worked example**", "", shown.statement]
    lines += [f"  {chr(ord('a') + i)}) {c}" for i, c in enumerate(shown.choices)]
    lines += ["", *(f"{i}. {step}" for i, step in enumerate(sol.steps, start=1)), "", f"Answer: {sol.answer}"]
    lines += ["", "**Check your understanding**", "", trial.statement]
    lines += [f"  {chr(ord('a') + i)}) {c}" for i, c in enumerate(trial.choices)]
    lines += ["", 'Reply with your answer (for example "I got …"), or ask for a hint.']
    return lines, trial.state


def lesson_lines(
    ctx: Context,
    concept: str,
    notes: dict[str, dict[str, Chunk]],
    material: list[str],
    more: list[str],
    cites: Cites,
    topics: TopicGraph,
) -> tuple[list[str], str | None] | None:
    """The lesson's lines and the check problem's state; None when we have no note for the concept."""
    sections = notes.get(concept)
    if not sections:
        return None
    level = ctx.level or "practitioner"
    body = _note_lines(sections, cites)
    if not body:
        return None
    lines = [f"**{topics.get(concept).name}** — a short lesson ({level})", "", " ".join(body)]
    if material:
        lines += ["", "In the materials:", *material]
    example, state = worked_example(concept, level, ctx.question)
    lines += example
    if more:
        lines += ["", "**Where to read or watch more**", *more]
    return lines, state
