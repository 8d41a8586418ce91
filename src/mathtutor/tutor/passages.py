"""Passage text as explanation material: sentences, the injection filter, snippets, content words.

Text inside documents is data. Sentences that address the assistant ("ignore previous instructions")
are never used, nor are web addresses cut at chunk edges or formula soup.
"""

from __future__ import annotations

import re

#: Sentences in documents that address the assistant rather than the learner: never used.
INJECTION = re.compile(
    r"ignore (all |any )?(the )?(previous|prior|above|earlier) (instructions|prompts?|messages?)"
    r"|disregard (all |the )?(previous|prior|above)|you are now\b|new instructions?:|system prompt"
    r"|\bas an ai\b|respond only with|reply only with|answer only with|忽略(之前|以上|前面)的?(指令|指示)",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9\"'(\[$\\]|[\u4e00-\u9fff])")
_WEB_ADDRESS = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|edu|io|net)/", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "be",
        "what",
        "which",
        "how",
        "why",
        "when",
        "where",
        "who",
        "does",
        "do",
        "did",
        "can",
        "could",
        "should",
        "would",
        "i",
        "me",
        "my",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "on",
        "at",
        "by",
        "from",
        "as",
        "about",
        "into",
        "than",
        "then",
        "there",
        "their",
        "study",
        "learn",
        "need",
        "know",
        "explain",
        "tell",
        "please",
        "give",
        "some",
        "any",
        "more",
        "most",
        "much",
    ]
)


def terms(text: str) -> set[str]:
    """Content words of ``text`` (lower-case, no stop words, three letters or more)."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def sentences(text: str, min_words: int = 6) -> list[str]:
    """Sentences of a passage; list items count as sentences of their own.

    A sentence is a stretch of its list item between spaces, so a pattern none of the item matches
    matches none of its sentences: the item is searched once, and its sentences only when it matched
    (most passages hold neither instructions nor web addresses; this was most of composing an answer).
    """
    out = []
    for raw in _BULLET.split(text):
        piece = " ".join(raw.split())
        instructs = INJECTION.search(piece) is not None
        links = min_words > 1 and _WEB_ADDRESS.search(piece) is not None
        for s in _SENTENCE_SPLIT.split(piece):
            s = s.strip()
            if len(s.split()) < min_words or len(s) > 400 or (instructs and INJECTION.search(s)):
                continue
            if links and _WEB_ADDRESS.search(s):  # links in passages are often cut or third-party
                continue
            if sum(map(str.isalpha, s)) < 0.5 * len(s):  # formula soup, tables, code
                continue
            out.append(s)
    return out


def clean_text(text: str) -> str:
    """A passage without the sentences that try to instruct the assistant (:func:`sentences` drops them)."""
    return " ".join(sentences(text, min_words=1))


def usable(text: str) -> bool:
    """False for a passage that tries to instruct the assistant and has nothing else in it."""
    return not INJECTION.search(text) or bool(clean_text(text))


def snippet(text: str, limit: int = 300) -> str:
    """The cleaned passage, cut at a word boundary to at most ``limit`` characters."""
    flat = clean_text(text) or " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
