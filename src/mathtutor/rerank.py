"""Re-rank retrieved passages for "where is X explained": prefer the page that defines X.

Hybrid retrieval scores a table of contents or a chapter opener well (they name many topics); the
learner wants the page that defines or first develops the term. Each hit's fused score is multiplied
by its page role's factor (:func:`mathtutor.ingest.page_roles.demote`) and raised by how much the
passage defines the term (:func:`mathtutor.ingest.page_roles.definition_score`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from mathtutor.ingest.page_roles import classify, definition_score, demote, mentions
from mathtutor.knowledge.zh import ZhRewrite, has_cjk, translate_query

__all__ = ["DEFINITION_WEIGHT", "EARLY_WEIGHT", "MARGIN_WEIGHT", "margin_names", "rerank", "term_of", "zh_term"]

#: A passage that fully defines the term scores (1 + DEFINITION_WEIGHT) times its retrieval score.
DEFINITION_WEIGHT = 0.6
#: A passage that never names the term, or is too short to explain anything (a running footer, a
#: caption fragment), keeps only this share of its score.
ABSENT_FACTOR = 0.8
FRAGMENT_FACTOR = 0.5
FRAGMENT_WORDS = 20
#: A page whose margin note names the term (MML's keyword notes) scores (1 + MARGIN_WEIGHT) times more.
MARGIN_WEIGHT = 1.0
#: The earliest page of a file that defines the term (definition score >= EARLY_MIN_DEFINITION, body text)
#: scores (1 + EARLY_WEIGHT) times more: later pages use the term more often than they develop it.
EARLY_WEIGHT = 0.3
EARLY_MIN_DEFINITION = 0.25
_STOP = frozenset({"the", "a", "an", "of", "for", "in", "on", "to", "and", "or", "with"})

_WHAT_IT_MEANS = re.compile(
    r"^(?:what|how)\s+(?:(?:an?|the)\s+)?(?P<t>.+?)\s+(?:(?:really|actually|exactly)\s+)?(?:means?|is|are|works?)$",
    re.I,
)
_TERM_PATTERNS = (
    r"\bwhere (?:is|are) (?!(?:it|this|that|they|these)\b)(?P<t>.+?) "
    r"(?:explained|defined|introduced|covered|discussed|derived|treated)\b",
    r"\b(?:where|which (?:page|chapter|section|part|lecture))\b.*?\b(?:explain|explains|explained|define|defines"
    r"|defined|introduce|introduces|cover|covers|discuss|discusses|treat|treats)\b[:\s]+(?P<t>.+?)\s*(?:[?!]|\.(?:\s|$)|$)",
    r"\bwhat (?:is|are)\s+(?:an?\s+|the\s+)?(?P<t>.+?)\s*[?.!]*$",
    r"\b(?:explain|define)\s+(?P<t>.+?)\s*[?.!]*$",
)


#: Chinese "where is X explained": X after the cue ("…在哪里讲了X？"), or before 在 when the cue ends the
#: question ("X在《B》的哪里讲解？"); book titles in 《》 (and a bracketed short name after them) are not X.
_ZH_CUE = r"(?:哪里|哪儿|何处|哪一页|哪页|哪一章|哪一节|哪一讲)"
_ZH_AFTER = re.compile(
    _ZH_CUE + r"(?:讲解|讲述|讲|介绍|定义|解释|讨论|推导)(?:了|过)?(?![解述])(?P<t>[^？?。！!]+?)[？?。！!\s]*$"
)
_ZH_BEFORE = re.compile(r"^(?P<t>.+?)在.*?" + _ZH_CUE)
_ZH_JOINERS = frozenset({"和", "与", "與", "及", "的", "以及"})
_ZH_TITLE = re.compile(r"《[^》]*》(?:\s*[（(][^）)]*[）)])?")


def _concepts_named(rewrite: ZhRewrite) -> list[str]:
    """The English names of the concepts a Chinese rewrite matched, once each, in the question's order."""
    return list(dict.fromkeys(t.en for t in rewrite.matched if t.concept))


def zh_term(query: str) -> str | None:
    """The term of a Chinese "where is X explained" question, in English when the term table knows some
    of it (else the Chinese words); None when it is not such a question."""
    q = _ZH_TITLE.sub(" ", " ".join(query.split()))
    m = _ZH_AFTER.search(q)
    span = m.group("t").strip() if m else ""
    if not span:
        m = _ZH_BEFORE.search(q)
        span = m.group("t").strip() if m else ""
    if not span:
        return None
    rewrite = translate_query(span)
    named = _concepts_named(rewrite)
    if len(named) == 1:  # the concept, not the gloss of the words around it ("MML那本书里梯度下降在第几章哪一节")
        return named[0]
    unknown = [p for p in rewrite.unknown if has_cjk(p) and p not in _ZH_JOINERS]
    # Chinese words the table does not know add nothing to an English search, but they are all there is
    # when it knows none of them
    return (
        rewrite.english if rewrite.english and (not unknown or rewrite.matched) else f"{span} {rewrite.english}".strip()
    )


def term_of(query: str) -> str:
    """The term a "where does BOOK explain TERM?" / "what is TERM?" question asks about (else the query).

    A Chinese question is read through its English rewrite (the bilingual term table).
    """
    q = " ".join(query.split())
    if has_cjk(q):
        found = zh_term(q)
        if found:
            return found
        rewrite = translate_query(q)
        # the concepts it names, not the gloss of its other words ("MML那本书里梯度下降在第几章？": gradient descent)
        named = _concepts_named(rewrite)
        if named:
            return " and ".join(named)
        q = rewrite.english or q
    for pattern in _TERM_PATTERNS:
        m = re.search(pattern, q, re.I)
        if m:
            term = re.sub(r"^(?:the|an?)\s+", "", m.group("t"), flags=re.I)
            term = re.sub(r"\s+(?:in|on)\s+(?:the\s+)?(?:book|chapter|text|notes)\b.*$", "", term, flags=re.I)
            # "explains what a confidence interval really means": the interval
            term = _WHAT_IT_MEANS.sub(r"\g<t>", term)
            if term:
                return term
    return q


def role_of(chunk: Any) -> str:
    """The stored page role (set at ingest), else one read off the passage text."""
    meta = getattr(chunk, "meta", None) or {}
    role = meta.get("role")
    return role if isinstance(role, str) else classify(chunk.text, getattr(chunk, "section", None))


def margin_names(chunk: Any, term: str) -> bool:
    """Does a margin note of the chunk's page name the term? (MML prints each term beside the page that
    introduces it; ingest keeps those notes in ``meta["margin"]``.) The note is the term, or at least half of
    it ("null space" for "kernel (null space)"), never a longer phrase that contains it ("partial derivative"
    does not mark "derivative"). Compared by word stems: no regex per note."""
    meta = getattr(chunk, "meta", None) or {}
    notes = meta.get("margin") or ()
    stems = _stems(term)
    if not stems:
        return False
    for note in notes:
        if not isinstance(note, str):
            continue
        have = _stems(note)
        if have and (have == stems or (have < stems and 2 * len(have) >= len(stems))):
            return True
    return False


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    """Content words cut to a loose stem ("matrices" ~ "matrix", "spaces" ~ "space")."""
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower())
    return frozenset(w[:5] if len(w) > 5 else w.rstrip("s") for w in words if w not in _STOP)


def rerank(
    hits: Sequence[Any],
    term_or_query: str,
    *,
    weight: float = DEFINITION_WEIGHT,
    margin_weight: float = MARGIN_WEIGHT,
    early_weight: float = EARLY_WEIGHT,
) -> list[Any]:
    """The hits re-ordered for a "where is TERM explained" question, best first; scores replaced.

    ``hits`` are :class:`mathtutor.retrieval.Hit` (anything with ``chunk`` and ``score``); a question
    is reduced to its term with :func:`term_of`. Each hit's score is multiplied by its page role's factor,
    raised by how much it defines the term, by a margin note naming the term, and, for the earliest page
    of its file that defines the term at all, by ``early_weight`` (a book develops a term before it uses
    it). Ties keep the retrieval order.
    """
    term = term_of(term_or_query)
    factors: list[float] = []
    defining: list[float] = []
    for hit in hits:
        chunk = hit.chunk
        d = definition_score(chunk.text, term, chunk.section)
        factor = demote(role_of(chunk)) * (1.0 + weight * d)
        if not mentions(chunk.text, term) and not (chunk.section and mentions(chunk.section, term)):
            factor *= ABSENT_FACTOR
        if len(chunk.text.split()) < FRAGMENT_WORDS:
            factor *= FRAGMENT_FACTOR
        if margin_weight and margin_names(chunk, term):
            factor *= 1.0 + margin_weight
        factors.append(factor)
        defining.append(d)
    if early_weight:
        first: dict[str, tuple[int, int]] = {}
        for i, hit in enumerate(hits):
            page = getattr(hit.chunk, "page", None)
            if page is None or defining[i] < EARLY_MIN_DEFINITION or demote(role_of(hit.chunk)) < 1.0:
                continue
            key = hit.chunk.file_key
            if key not in first or page < first[key][0]:
                first[key] = (page, i)
        for page, i in first.values():
            for j, hit in enumerate(hits):
                if hit.chunk.file_key == hits[i].chunk.file_key and hit.chunk.page == page and defining[j] > 0:
                    factors[j] *= 1.0 + early_weight
    scored = sorted(
        ((hit.score * f, i, hit) for i, (hit, f) in enumerate(zip(hits, factors, strict=True))),
        key=lambda t: (-t[0], t[1]),
    )
    out = []
    for score, _, hit in scored:
        try:
            out.append(replace(hit, score=score))
        except TypeError:  # not a dataclass: keep the object, order is what matters
            out.append(hit)
    return out
