"""Validation of learner and user names.

A name becomes a database key, a CLI argument and a line in the UI, so it is checked once, here: 1-64
characters after Unicode NFC normalisation; letters and digits of any script (so CJK names work),
plus ``.``, ``_`` and ``-``; no leading dot (no hidden-file or ``..`` look-alikes), no path separators,
spaces, quotes, control or format characters. Over-long input is refused before it is normalised.
"""

from __future__ import annotations

import unicodedata

from mathtutor.learning.errors import InvalidName

__all__ = ["MAX_NAME_CHARS", "has_control", "validate_name"]

MAX_NAME_CHARS = 64
_ALLOWED_PUNCT = frozenset("._-")
_RULE = "use 1-64 letters or digits (any language), '.', '_' or '-', not starting with '.'"


def validate_name(name: object, *, what: str = "learner name") -> str:
    """Return the NFC-normalised name, or raise :class:`InvalidName` saying what is wrong."""
    if not isinstance(name, str):
        raise InvalidName(f"The {what} must be text; {_RULE}.")
    if len(name) > 4 * MAX_NAME_CHARS:  # cheap refusal of huge input before any normalisation
        raise InvalidName(f"The {what} is too long ({len(name)} characters); {_RULE}.")
    value = unicodedata.normalize("NFC", name)
    if not value:
        raise InvalidName(f"The {what} is empty; {_RULE}.")
    if len(value) > MAX_NAME_CHARS:
        raise InvalidName(f"The {what} is too long ({len(value)} characters); {_RULE}.")
    if value.startswith("."):
        raise InvalidName(f"The {what} must not start with '.'; {_RULE}.")
    for char in value:
        if char in _ALLOWED_PUNCT:
            continue
        category = unicodedata.category(char)
        if category[0] in "LN" and category != "Nl":  # letters and decimal/other digits of any script
            continue
        raise InvalidName(f"The {what} contains a character that is not allowed ({_describe(char)}); {_RULE}.")
    return value


def _describe(char: str) -> str:
    if unicodedata.category(char)[0] in "CZ":  # controls, format characters, spaces: show the code point only
        return f"U+{ord(char):04X}"
    return repr(char)


def has_control(text: str, *, allow: str = "") -> bool:
    """Whether text holds control or format characters (NUL, escapes, bidi overrides) not in ``allow``.

    PostgreSQL refuses NUL in text and terminals act on escapes, so stored free text is checked too.
    """
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in allow for c in text)
