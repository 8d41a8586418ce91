"""What a page (or markdown section) is for: contents, index, front matter, chapter opener, reading
guide, references, or body text, and how much a passage defines a term.

"Where does the book explain X?" used to land on the table of contents, the back-of-book index, the
preface or a chapter opener: they name X without explaining it, and they name many things at once, so
they match many queries. These heuristics read only the text itself (no model), so they run at ingest
on every page and again at query time on passages that lack a stored role.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

__all__ = ["ROLES", "Role", "classify", "definition_score", "demote", "mentions"]

Role = Literal["contents", "index", "front", "opener", "guide", "references", "body"]
ROLES: tuple[str, ...] = ("contents", "index", "front", "opener", "guide", "references", "body")

#: Ranking multiplier per role for "where is X explained" questions. Body text is the answer; an
#: opener at least introduces the chapter's topic; lists of page numbers never explain anything.
_DEMOTE = {
    "body": 1.0,
    "opener": 0.6,
    "guide": 0.4,
    "front": 0.3,
    "references": 0.25,
    "contents": 0.15,
    "index": 0.1,
}

# A line that ends in a page number (roman or arabic), perhaps after dot leaders: a contents line.
_TRAILING_NUMBER = re.compile(r"(?:\.\s*){2,}\s*[0-9ivxlc]+\s*$|\S\s+(?:[0-9]{1,4}|[ivxlc]{1,6})\s*$", re.I)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}")
# "Jacobian, 146, 150" / "kernel, 33, 47, 58" / "pivot, 30" / "trace 103-105": an index entry.
_INDEX_ENTRY = re.compile(
    r"^[^\d\W][^0-9]{0,60}?(?:[,:]\s*|\s+)\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:\s*,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*$"
)
# A year as a reference list gives it ("2010. Title", ", 2009."), not an inline citation ("(Bishop, 2006)").
_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}[a-z]?\b(?!\s*[);,])")
_CITATION_CUES = re.compile(r"\bet al\.|\bProceedings\b|\bJournal\b|\bIn:|\bpp\.|\bvol\.|\bPress\b|\bdoi\b|arXiv", re.I)
_FRONT_HEAD = re.compile(
    r"^\s*(?:preface|foreword|acknowledge?ments?|dedication|about the authors?|copyright|list of (?:figures|tables|"
    r"illustrations|symbols)|table of symbols|notation|abbreviations|contributors)\b",
    re.I,
)
_FRONT_CUES = re.compile(
    r"©|\bcopyright\b|\bisbn\b|all rights reserved|\blicen[cs]ed under\b|\bpublished by\b|library of congress|"
    r"\bprinted in\b|\bfirst (?:published|edition)\b|\bcreative commons\b",
    re.I,
)
_FOOTER = re.compile(r"\bdraft\b|to be published|please do not (?:post|distribute)", re.I)
_GUIDE_CUES = re.compile(
    r"how to (?:use|read) this (?:book|text|course)|ways? to read (?:this|the) book|reading (?:guide|order)|"
    r"(?:who|whom) (?:is )?this book (?:is )?(?:for|written for)|this book is (?:organi[sz]ed|structured|"
    r"divided|intended)|road ?map|the (?:reader|student)s? (?:can|may|should) (?:skip|read|start)|"
    r"(?:prerequisites|background) (?:for|needed to) (?:read|follow)|(?:chapters?|parts?) \d+ (?:and|to|through) \d+ "
    r"(?:can|may) be read|can be read (?:in|independently)|in (?:any|a different) order",
    re.I,
)
_OPENER_HEAD = re.compile(r"^\s*(?:chapter|part|week|unit|module)\s+[0-9ivx]+\b|^\s*\d{1,2}\s*$", re.I)
_OPENER_CUES = re.compile(
    r"\bin this (?:chapter|part|week|unit|module)\b|\bthis (?:chapter|part|week|unit) (?:covers|introduces|"
    r"presents|describes|discusses|is about)\b|\bmind map\b|\bin th(?:e|is) (?:following|next) (?:chapter|sections)\b|"
    r"\bwe (?:will|shall) (?:first )?(?:introduce|discuss|cover|learn|study|define)\b|\bin this week.s lectures\b|"
    r"\boverview\b|\bchapter \d+ (?:covers|introduces)\b",
    re.I,
)
_REF_HEAD = re.compile(r"^\s*(?:references|bibliography|works cited|further reading|literature)\s*$", re.I)
_INDEX_HEAD = re.compile(r"^\s*(?:index|subject index|author index)\b(?:\s+\d+)?\s*$|^\s*\d+\s+index\s*$", re.I)
_CONTENTS_HEAD = re.compile(r"^\s*(?:table of )?contents\b", re.I)


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _heading_lines(lines: list[str], heading: str | None) -> list[str]:
    """The heading (markdown) and the first few lines (PDF pages: running head, chapter title)."""
    head = [heading.rsplit(" > ", 1)[-1]] if heading else []
    return head + [ln.lstrip("#").strip() for ln in lines[:3]]


def classify(text: str, heading: str | None = None) -> Role:
    """The role of one page or section from its text (and heading, for markdown).

    Order matters: lists of page numbers (contents, index) are the most certain, then references,
    front matter, reading guides and chapter openers; everything else is body text.
    """
    lines = _lines(text)
    if not lines:
        return "body"
    head = _heading_lines(lines, heading)
    n = len(lines)
    words = len(text.split())
    trailing = sum(1 for ln in lines if _TRAILING_NUMBER.search(ln) and "=" not in ln)
    index_like = sum(1 for ln in lines if len(ln) <= 70 and _INDEX_ENTRY.match(ln))
    leaders = sum(1 for ln in lines if _DOT_LEADER.search(ln))

    if any(_INDEX_HEAD.match(h) for h in head) and index_like >= max(3, 0.4 * n):
        return "index"
    if any(_CONTENTS_HEAD.match(h) for h in head) and trailing >= max(3, 0.4 * n):
        return "contents"
    commas = sum(1 for ln in lines if re.search(r",\s*\d{1,4}\s*(?:,|$)", ln))
    if n >= 8 and index_like >= 0.6 * n and commas >= 0.25 * n:
        return "index"
    if n >= 5 and (leaders >= 0.4 * n or (trailing >= 0.6 * n and words / n <= 9)):
        return "contents"

    years = len(_YEAR.findall(text))
    cites = len(_CITATION_CUES.findall(text))
    if any(_REF_HEAD.match(h) for h in head) and (years >= 3 or n <= 3):
        return "references"
    if n >= 6 and years >= 0.3 * n and cites >= 0.1 * n:
        return "references"

    if any(_FRONT_HEAD.match(h) for h in head):
        return "guide" if _GUIDE_CUES.search(text) and not _FRONT_CUES.search(text) else "front"
    # A title page: a few short lines, no numbers, not one sentence.
    if heading is None and n <= 4 and words <= 40 and not re.search(r"\d|[a-z][.!?](?:\s|$)", text):
        return "front"
    # A running footer ("Draft ... (c) 2019 ... to be published by ...") is not a copyright page.
    if words <= 150 and any(_FRONT_CUES.search(ln) and not _FOOTER.search(ln) for ln in lines):
        return "front"
    if len(_GUIDE_CUES.findall(text)) >= 1 and re.search(r"\bthis (?:book|course|text)\b", text, re.I):
        return "guide"

    opener_head = any(_OPENER_HEAD.match(h) for h in head[-3:])
    overview = len(_OPENER_CUES.findall(text))
    if opener_head and overview and words <= 450:
        return "opener"
    if overview >= 2 and words <= 200:
        return "opener"
    return "body"


def demote(role: str | None) -> float:
    """Ranking multiplier for a passage with this role (1.0: body text or unknown)."""
    return _DEMOTE.get(role or "body", 1.0)


_STOP = frozenset({"the", "a", "an", "of", "for", "in", "on", "to", "and", "or", "with"})


def _stem(word: str) -> str:
    """A loose regex for one word: long words match any ending ("independence" ~ "independent")."""
    w = re.escape(word)
    if len(word) <= 4:
        return w + r"(?:s|es)?"
    keep = max(4, len(word) - 3)
    return re.escape(word[:keep]) + r"\w*"


@lru_cache(maxsize=1024)
def _term_pattern(term: str) -> str:
    """The term as a regex: its words in order, loose endings, spaces or hyphens between them.

    "X and Y" matches either X or Y ("eigenvalues and eigenvectors"); leading articles are dropped.
    """
    parts = [p for p in re.split(r"\s+and\s+", term.strip(), flags=re.I) if p.strip()]
    alternatives = []
    for part in parts:
        words = [w for w in re.split(r"[\s\-]+", part) if w]
        while words and words[0].lower() in _STOP:
            words = words[1:]
        if words:
            alternatives.append(r"[\s\-]+".join(_stem(w) for w in words))
    if not alternatives:
        return r"(?!x)x"
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def mentions(text: str, term: str) -> bool:
    """Does the text name the term (loosely: word endings and hyphens may differ)?"""
    return bool(term.strip()) and re.search(_term_pattern(term), _fold(text), re.I) is not None


def _fold(text: str) -> str:
    """NFKC, so PDF ligatures match plain letters ("conﬁdence" -> "confidence")."""
    return unicodedata.normalize("NFKC", text)


_DEF_NEAR = (
    r"\bdefinitions?\b",
    r"\bis called\b",
    r"\bare called\b",
    r"\bwe call\b",
    r"\bwe define\b",
    r"\bis defined (?:as|by|to be)\b",
    r"\bare defined (?:as|by)\b",
    r"\bis known as\b",
    r"\bdenoted by\b",
    r"\bwe say that\b",
    r"\brefers? to\b",
)


_TITLE_LINE = re.compile(
    r"\s*(?:lecture|chapter|section|week|unit|lesson)\s+\d+[a-z]?\s*[|:.\u2013-]\s*(.{3,60})", re.I
)
_DEF_CUE = re.compile("|".join(_DEF_NEAR), re.I)


def definition_score(text: str, term: str, heading: str | None = None) -> float:
    """How much ``text`` defines or first develops ``term``: 0 (never mentions it) to 1.

    Signals, each adding to the score: the term in a heading (markdown heading or a numbered section
    line such as "2.3 Matrix inverse"); "Definition" / "is called" / "we define" / "is defined as" /
    "is known as" in the sentence that names the term; "<term> is a/an/the ..." at the start of a
    sentence; the term set in bold or italics; the term named early and several times.
    """
    if not text or not term.strip():
        return 0.0
    text, term = _fold(text), _fold(term)
    heading = _fold(heading) if heading else heading
    pat = re.compile(_term_pattern(term), re.I)
    hits = list(pat.finditer(text))
    in_heading = bool(heading and pat.search(heading))
    if not hits and not in_heading:
        return 0.0
    score = 0.0
    if in_heading:
        score += 0.3
    for ln in _lines(text)[:60]:
        if pat.search(ln) and (re.match(r"^(?:#{1,6}\s|\d+(?:\.\d+)*\.?\s+[A-Z])", ln) and len(ln) <= 90):
            score += 0.3
            break
    else:  # a lecture or chapter titled by the term ("Lecture 21 | Null space ...", not "... left null space")
        title = _TITLE_LINE.match(text)
        if title and pat.match(re.sub(r"^(?:the|an?)\s+", "", title.group(1), flags=re.I)):
            score += 0.3
    sentences = re.split(r"(?<=[.!?])\s+|\n\s*\n", text)
    is_a = _term_pattern(term) + r"\s*(?:\([^)]{0,40}\)\s*)?(?:is|are)\s+(?:a|an|the)\b"  # "X (a.k.a. Y) is a ..."
    defining = 0
    for s in sentences:
        if not pat.search(s):
            continue
        cue = _DEF_CUE.search(s) is not None
        if cue or re.search(is_a, s[:160], re.I):
            defining += 1
    score += min(0.45, 0.25 * defining)
    if re.search(r"(?:\*\*|__|\*|_)" + _term_pattern(term) + r"(?:\*\*|__|\*|_)", text, re.I):
        score += 0.15
    if hits:
        first = hits[0].start() / max(1, len(text))
        score += 0.1 if first < 0.3 else 0.0
        score += min(0.1, 0.03 * (len(hits) - 1))
    return round(min(1.0, score), 4)
