"""Words of resource names: tokens, ordinary subject names, and the cues that a question means one resource.

The catalog's one name matcher (:meth:`~mathtutor.knowledge.catalog.Catalog.names_in`, and
:meth:`~mathtutor.knowledge.catalog.Catalog.match_name` for whole names) is built on these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "with",
        "you",
        "your",
    }
)
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")


def tokens(text: str) -> set[str]:
    """Lower-case word tokens without stopwords; plural "s" is stripped so
    "distribution" and "distributions" agree; "18.06" stays one token."""
    # accents go, other scripts part words: "Strang的18.065" is "strang" and "18.065", not "strang18.065"
    text = "".join(
        c if c.isascii() else "" if unicodedata.combining(c) else " " for c in unicodedata.normalize("NFKD", text)
    ).lower()
    out = set()
    for tok in _TOKEN_RE.findall(text):
        if tok in _STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
            continue
        if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]
        out.add(tok)
    return out


@dataclass(frozen=True)
class CommonNames:
    """Ordinary subject names (the topic graph's concept names and aliases) and the words they use.

    A catalog title that is one of them ("Neural networks", "Bayesian Inference") does not name a
    resource on its own: see :meth:`Catalog.names_in`.
    """

    phrases: frozenset[frozenset[str]] = frozenset()
    words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, phrases: Iterable[str]) -> CommonNames:
        tokenised = [t for t in (tokens(p) for p in phrases) if t]
        return cls(frozenset(frozenset(t) for t in tokenised), frozenset().union(*tokenised))

    def is_generic(self, title: str) -> bool:
        """An ordinary subject name: one of the phrases, or at most three words that all occur in them.

        Longer titles of common words ("Information Theory, Inference, and Learning Algorithms") are a
        rare combination, so they stay distinctive.
        """
        t = tokens(title)
        return bool(t) and (frozenset(t) in self.phrases or (len(t) <= 3 and t <= self.words))


#: Course numbers such as 18.06, 18.065 or 6.431x.
COURSE_CODE = re.compile(r"\d+\.\d+[a-z]*")
_ABBREVIATION = re.compile(r"(?=[a-z0-9]*[A-Z0-9][a-z0-9]*[A-Z0-9])[A-Za-z0-9]{3,5}")


def is_abbreviation(title: str) -> bool:
    """A title that is one short word with two capitals or digits in it ("MML", "D2L", "3b1b", "ITILA"): learners
    write it as a name of the resource, where a short ordinary word ("Khan") would not be one."""
    return bool(_ABBREVIATION.fullmatch(title)) and len(tokens(title)) == 1 and not title.isdigit()


#: Words that say which kind of resource is meant, by catalog format.
_FORMAT_WORDS = {
    "article": "post|blog|blog post|article|essay",
    "video-series": "series|videos?|playlist",
    "channel": "channel|videos?",
    "course": "course|lectures?|class|mooc",
    "book": "book|textbook",
    "interactive": "site|app|visuali[sz]ations?",
}


#: Creators that are organisations or crowds, not a person a learner names ("Khan Academy", "Quora contributors").
_NOT_A_PERSON = re.compile(
    r"\(|\b(?:academy|college|university|institute|mit|microsoft|contributors|community)\b", re.IGNORECASE
)


def surname(creator: str) -> str | None:
    """The family name a learner calls a person by ("Deisenroth's book", "Starmer's channel"): the last word of a
    person's name, five letters or more (shorter ones, "Dye", "Page", are everyday words); None for organisations."""
    if _NOT_A_PERSON.search(creator):
        return None
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", creator)
    last = words[-1].lower() if words else ""
    return last if len(last) >= 5 and len(words) >= 2 else None


#: The same in Chinese (no word boundaries there).
_FORMAT_WORDS_ZH = {
    "article": "文章|博客|帖子",
    "video-series": "系列|视频",
    "channel": "频道|视频",
    "course": "课程|公开课|网课",
    "book": "书|教材|课本",
    "interactive": "网站|网页|交互",
}


def names_format(fmt: str, low: str) -> bool:
    """Does lower-cased text say the kind of resource ``fmt`` is ("book", "channel", 频道, ...)?"""
    words, zh = _FORMAT_WORDS.get(fmt), _FORMAT_WORDS_ZH.get(fmt)
    return (words is not None and re.search(rf"\b(?:{words})\b", low) is not None) or (
        zh is not None and re.search(zh, low) is not None
    )


def is_cued(r: Any, title: str, low: str, words: set[str], common: CommonNames) -> bool:
    """The text names a creator of resource ``r`` (or words of its other titles), or a format word sits at the title."""
    title_words = tokens(title)
    cues = set().union(*(tokens(c) for c in r.creators), *(tokens(t) for t in (r.title, *r.alt_titles)))
    cues = {w for w in cues - title_words - common.words if len(w) >= 3}
    if words & cues:
        return True
    fmt = _FORMAT_WORDS.get(r.format)
    if fmt is None:
        return False
    t = re.escape(title.lower())
    near = rf"\b(?:{fmt})\s+(?:on|about|called|named|titled)\s+(?:the\s+)?{t}|{t}\s+(?:{fmt})\b"
    return re.search(near, low) is not None
