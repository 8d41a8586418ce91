"""Alias matching for the topic graph: normalising text and one regex that finds every alias at once.

Latin aliases match whole words (a trailing s/es plural is allowed; spaces, hyphens, underscores and
apostrophes are interchangeable); aliases with Chinese characters match as substrings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)
SEP_CHARS = re.compile(r"[\s\-_']+")
_SEP_RE = r"[\s\-_']*"  # spaces, hyphens, underscores, apostrophes are interchangeable/optional
_LATIN_BEFORE = r"(?<![a-z0-9])"
_LATIN_AFTER = r"(?![a-z0-9])"
_PLURAL = r"(?:e?s)?"
_SEP = "\x00sep"  # trie key for an optional separator run
_END = "\x00end"  # trie key marking the end of a term (value: the end-of-term pattern)


def normalize(text: str) -> str:
    """Case-fold, fold full-width forms and strip accents, so "Naïve" and "naive" compare equal."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)
    return text.casefold()


def canonical(text: str) -> str:
    """Identity key of an alias: normalised, separators removed ("Back-Prop" == "backprop")."""
    return SEP_CHARS.sub("", normalize(text))


def singular_forms(key: str) -> Iterator[str]:
    """``key``, then ``key`` without the plural ending a detector match may carry ("es", then "s").

    A canonical match is looked up through these, so "matrices"/"gradients" find "matrix"/"gradient"
    wherever a table is keyed by canonical terms.
    """
    yield key
    for suffix in ("es", "s"):
        if key.endswith(suffix):
            yield key[: -len(suffix)]


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x2E80 <= code <= 0x2FFF
        or 0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
    )


def _char_class(char: str) -> str:
    if char.isascii() and char.isalnum():
        return "word"
    if _is_cjk(char):
        return "cjk"
    return "sym"


def _units(term: str) -> list[str]:
    """Split a normalised term into literal chars and optional-separator markers.

    A separator slot goes wherever the term has a space/hyphen and wherever the script changes
    (so "KL散度" also matches "KL 散度" and "Ax=b" matches "Ax = b").
    """
    units: list[str] = []
    prev_class = ""
    pending_sep = False
    for char in term:
        if SEP_CHARS.fullmatch(char):
            pending_sep = bool(units)
            continue
        cls = _char_class(char)
        if units and (pending_sep or cls != prev_class or cls == "sym"):
            units.append(_SEP)
        units.append(char)
        prev_class = cls
        pending_sep = False
    return units


def _end_pattern(last_char: str) -> str:
    """Latin terms end on a word boundary (plural s/es allowed); CJK terms match as substrings."""
    if last_char.isascii() and last_char.isalpha():
        return _PLURAL + _LATIN_AFTER
    if last_char.isascii() and last_char.isdigit():
        return _LATIN_AFTER
    return ""


def _trie_regex(node: Mapping[str, Any]) -> str:
    """Render a trie as a regex whose greedy alternation prefers the longest term at a position."""
    branches = [re.escape(key) + _trie_regex(child) for key, child in sorted(node.items()) if key not in (_SEP, _END)]
    if _SEP in node:
        branches.append(_SEP_RE + _trie_regex(node[_SEP]))
    if _END in node:
        branches.append(node[_END])  # last: only when nothing longer matches here
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def compile_detector(terms: Iterable[str]) -> re.Pattern[str]:
    latin: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for term in terms:
        units = _units(normalize(term))
        if not units:
            continue
        node = latin if _char_class(units[0]) == "word" else other
        for unit in units:
            node = node.setdefault(unit, {})
        node[_END] = _end_pattern(units[-1])
    parts = []
    if latin:
        parts.append(_LATIN_BEFORE + _trie_regex(latin))
    if other:
        parts.append(_trie_regex(other))
    return re.compile("|".join(parts) if parts else r"(?!)")
