"""Practice inside the web chat: "give me a practice problem on X", "hint", "I got ...", 出一道题.

Each message goes first to :func:`mathtutor.practice.dialogue.respond` with the chat session's open
problem (a signed state kept in ``gr.State``), the concept the conversation is about and the level. When
it is about practice the reply becomes the chat turn and the tutor is not asked; otherwise the tutor
answers as usual. A checked answer that counts is returned as an :class:`Attempt` so the caller records
it for the signed-in learner only.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from mathtutor.apps.ui.practice_panel import Attempt, attempt_for, concepts
from mathtutor.apps.ui.render import Links, render_answer

__all__ = ["PracticeReply", "current_concept", "practice_reply"]

_READ_MORE = re.compile(r"\n(Read more|参考): (\[[^\]\n]*\]\([^)\s]*\)|[^\n]*)\s*$")


def current_concept(turns: list[dict[str, Any]] | None) -> str | None:
    """The concept the conversation is on: the latest turn's practised or detected concept, else its goal."""
    names = dict(concepts())
    for turn in reversed(turns or []):
        for c in turn.get("concepts") or []:
            if c in names:
                return c
        steps = [s.get("concept") for s in turn.get("study_path") or [] if s.get("concept") in names]
        if steps:
            return steps[-1]
    return None


class PracticeReply:
    """A practice turn for the chat: the turn dict, the new problem state and the attempt to record."""

    def __init__(self, turn: dict[str, Any], state: str | None, attempt: Attempt | None) -> None:
        self.turn = turn
        self.state = state
        self.attempt = attempt


def _citations(record: dict[str, Any]) -> list[dict[str, Any]]:
    problem = record.get("problem") or (record.get("solution") if isinstance(record.get("solution"), dict) else None)
    out = []
    for i, c in enumerate((problem or {}).get("citations") or [], start=1):
        page = c.get("page")
        out.append(
            {
                "n": i,
                "resource_id": c.get("resource_id", ""),
                "title": c.get("title", ""),
                "url": c.get("url"),
                "locator": f"p. {page}" if page else "",
                "snippet": "",
                "score": 0.0,
            }
        )
    return out


def practice_reply(
    message: str, state: str | None, turns: list[dict[str, Any]], level: str | None, links: Links | None = None
) -> PracticeReply | None:
    """The practice turn for ``message``, or None when the message is not about practice."""
    from mathtutor.practice import dialogue

    lvl = level if level in ("beginner", "practitioner", "researcher") else "practitioner"
    turn = dialogue.respond(message, state=state or None, current_concept=current_concept(turns), level=lvl)
    if turn.intent == "none":
        return None
    attempt = None
    if turn.intent == "answer" and state:
        fb = turn.record.get("feedback") or {}
        attempt = attempt_for(state, message, turn.state, bool(fb.get("correct")))
    cites = _citations(turn.record)
    text = turn.reply
    if cites:
        text = _READ_MORE.sub("", text) + "\n\nRead more: " + " ".join(f"[{c['n']}]" for c in cites)
    problem = turn.record.get("problem") or {}
    out: dict[str, Any] = {
        "question": message,
        "in_scope": True,
        "answer": text,
        "citations": cites,
        "study_path": [],
        "concepts": [problem["concept"]] if problem.get("concept") else [],
        "backend": "practice",
        "practice": turn.intent,
    }
    if not out["concepts"] and turn.state:
        from mathtutor.practice import state as practice_state

        with contextlib.suppress(ValueError):
            out["concepts"] = [practice_state.decode(turn.state).concept]
    out["display"] = render_answer(out, links or Links(), fold_sources=True)
    return PracticeReply(out, turn.state, attempt)
