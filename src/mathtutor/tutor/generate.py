"""Answers written by a language model, grounded in the extractive draft's numbered sources.

The model sees only the numbered snippets (cleaned of text that tries to instruct it), is told that
they are data, and its output is checked afterwards: citations that point at nothing are removed
and reported. If the model fails or times out, the extractive answer is returned with a note.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import TYPE_CHECKING

from mathtutor.tutor.prompts import build_messages
from mathtutor.types import CITATION_MARKER, Answer, Context

if TYPE_CHECKING:
    from mathtutor.settings import Settings


def check_citations(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop ``[n]`` markers that resolve to no source; return the text and the numbers removed."""
    removed: list[int] = []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            return m.group(0)
        removed.append(n)
        return ""

    return CITATION_MARKER.sub(keep, text), removed


def generate(settings: Settings, ctx: Context, draft: Answer, backend: str) -> Generator[str, None, Answer]:
    """Stream the model's answer; return the checked :class:`Answer` (or the draft, on failure)."""
    from mathtutor.llm import LLMError, get_chat_model, stream_chat

    pieces: list[str] = []
    try:
        model = get_chat_model(settings, backend)
        for piece in stream_chat(model, build_messages(ctx, draft), timeout_s=settings.llm_timeout_s):
            pieces.append(piece)
            yield piece
    except (LLMError, ValueError) as exc:
        note = f"_The {backend} model could not answer ({exc}); here is the extractive answer instead._"
        yield f"\n\n{note}\n\n"
        yield draft.answer
        draft.answer = f"{note}\n\n{draft.answer}"
        return draft
    text, removed = check_citations("".join(pieces).strip(), len(draft.citations))
    if not text:
        note = f"_The {backend} model returned nothing; here is the extractive answer instead._"
        yield f"\n\n{note}\n\n{draft.answer}"
        draft.answer = f"{note}\n\n{draft.answer}"
        return draft
    body = [text]
    if draft.study_path:
        marker = draft.answer.find("**Study path for")
        if marker >= 0:
            path = draft.answer[marker:]
            body.append(path)
            yield "\n\n" + path
    if removed:
        note = f"_Removed citation(s) {', '.join(f'[{n}]' for n in removed)} that pointed at no source._"
        body.append(note)
        yield "\n\n" + note
    return Answer(
        question=draft.question,
        in_scope=True,
        answer="\n\n".join(body),
        citations=draft.citations,
        study_path=draft.study_path,
        concepts=draft.concepts,
        backend=backend,
        timings_ms=draft.timings_ms,
    )
