"""Learner input and terminal output made safe: checked before any model loads, printed without escapes.

A question can arrive with lone surrogates (JSON ``"\\ud800"``, or invalid UTF-8 in argv, which Python
decodes with ``surrogateescape``) or control characters; the tokenizer raises on the first and the
second can drive a terminal. Both are normalised here, and the checks run before the tutor opens so a
bad question costs milliseconds, not a model load. Document text printed to a terminal goes through
:func:`terminal_safe`: an ingested file must not be able to clear the screen or retitle the window.
"""

from __future__ import annotations

import re
from typing import Any

LEVELS = ("beginner", "practitioner", "researcher")
MAX_QUESTION_CHARS = 2000
ROLES = ("user", "assistant")
MAX_HISTORY_TURNS = 50

_SURROGATES = re.compile("[\ud800-\udfff]")
#: C0 controls except tab/newline/carriage return, DEL, and C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Terminal escape sequences: OSC (ESC ] ... BEL or ST), CSI (ESC [ ... final, or 8-bit CSI), DCS/SOS/PM/APC
#: strings, and two-character escapes. Removed whole, so no parameter bytes are left behind as text.
_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


class InputError(ValueError):
    """The question or history is not something the tutor can take; the message says why."""


def clean_text(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD and control characters (tab and newlines kept) as spaces."""
    text = _SURROGATES.sub("\ufffd", text)
    return _CONTROLS.sub(" ", _ESCAPES.sub(" ", text))


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines and tabs kept): safe to print."""
    return _CONTROLS.sub("", _ESCAPES.sub("", _SURROGATES.sub("\ufffd", text)))


def check_question(question: Any) -> str:
    """The question, normalised; :class:`InputError` when it is not text, empty or too long."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    q = " ".join(clean_text(question).split())
    if not q:
        raise InputError("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(q)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return q


def check_history(history: Any) -> list[dict[str, str]]:
    """Earlier turns as ``[{"role": "user"|"assistant", "content": str}]``, normalised; else :class:`InputError`."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise InputError("history must be a list of {'role', 'content'} messages")
    if len(history) > MAX_HISTORY_TURNS:
        raise InputError(f"history has {len(history)} turns; the limit is {MAX_HISTORY_TURNS}")
    out = []
    for i, msg in enumerate(history):
        if not isinstance(msg, dict) or msg.get("role") not in ROLES or not isinstance(msg.get("content"), str):
            raise InputError(f"history[{i}] must be {{'role': 'user'|'assistant', 'content': str}}")
        content = clean_text(msg["content"])
        if len(content) > 10 * MAX_QUESTION_CHARS:
            raise InputError(f"history[{i}] is {len(content)} characters long; the limit is {10 * MAX_QUESTION_CHARS}")
        out.append({"role": msg["role"], "content": content})
    return out


def check_level(level: Any) -> str | None:
    if level is not None and level not in LEVELS:
        raise InputError(f"level must be one of {', '.join(LEVELS)}")
    return level
