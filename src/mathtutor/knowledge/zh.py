"""Chinese questions rewritten into English query terms, from a bilingual table we write.

The retriever, the concept detector and the intent rules are all tuned on English. Rather than
listing every Chinese phrasing as an alias, a Chinese question is cut into known terms by greedy
longest match over the term table (:mod:`mathtutor.knowledge.zh_table`: ``corpus/terms_zh.yaml`` and its
parts such as the books' vocabulary, ``corpus/terms_zh_books.yaml``) and rewritten as the English phrases
of those terms, together with what the terms say about the question: concepts, wanted formats, level,
intents and resource traits. Latin tokens in the question ("PCA", "SVD") are kept as they are.

Matching costs a few dictionary look-ups per character, whatever the table's size: at each position it
tries only the lengths of the keys that start with that character (an index built once with the table).

This module and zh_table are standalone (they read the table and the concept ids of ``topics.yaml``
themselves), so they do not pull the rest of the package along. The table's names are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mathtutor.knowledge.zh_table import (
    CUES,
    FORMATS,
    INTENTS,
    KINDS,
    LATIN_TOKEN,
    LEVELS,
    TERMS_FILE,
    TERMS_PARTS,
    TOPICS_FILE,
    TRAITS,
    Term,
    TermTable,
    TermTableError,
    TopicVocabulary,
    fold,
    has_cjk,
    load_terms,
    parse_tables,
    parse_terms,
    read_topics,
    table_files,
)

__all__ = [
    "CUES",
    "FORMATS",
    "INTENTS",
    "KINDS",
    "LEVELS",
    "MAX_QUERY_CHARS",
    "TERMS_FILE",
    "TERMS_PARTS",
    "TOPICS_FILE",
    "TRAITS",
    "Term",
    "TermTable",
    "TermTableError",
    "TopicVocabulary",
    "ZhRewrite",
    "has_cjk",
    "load_terms",
    "parse_tables",
    "parse_terms",
    "read_topics",
    "segment",
    "segment_terms",
    "table_files",
    "translate_query",
]

#: Longer input is refused: a question, not a document.
MAX_QUERY_CHARS = 4000
#: Maths (or a branch of it) with a need, amount, order, start or ability cue is the mission question.
_MISSION_CUE = re.compile(
    r"需要|要不要|用不用|需不需要|必须|必要|得学|要学|够|从哪|先学|先.{0,8}还是|哪个先|先后|顺序|哪一步|什么程度|什么水平"
    r"|多少|多深|哪几块|哪些方面|哪几个|最重要|重要的|用得上|门槛|要求|补|复习|能不能|能学|学得会|希望|很差|不好|太差"
    r"|欠|缺|还差|差哪|侧重|重点|值得|有没有用|有用吗|没用"
)
_LATIN_CHAR = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class ZhRewrite:
    """What a Chinese question asks, in terms the English pipeline understands."""

    text: str
    english: str = ""
    tokens: tuple[str, ...] = ()
    matched: tuple[Term, ...] = ()
    latin: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    unknown: tuple[str, ...] = field(default=())

    @property
    def level(self) -> str | None:
        """The first level the question names (None: not said)."""
        return self.levels[0] if self.levels else None

    @property
    def empty(self) -> bool:
        """Nothing in the question was recognised."""
        return not self.english


def _is_latin(char: str) -> bool:
    return bool(_LATIN_CHAR.fullmatch(char))


# ---------------------------------------------------------------------------------------------
# Segmentation


def _segment(text: str, table: TermTable) -> list[tuple[str, Term | None]]:
    """Greedy longest match; unknown Chinese runs and Latin tokens come back with no term."""
    folded = fold(text)
    # Lower-case character by character, keeping any character whose lower case is longer ("İ"),
    # so positions in `lowered` are positions in `folded`.
    lowered = "".join(c if len(low := c.lower()) != 1 else low for c in folded)
    out: list[tuple[str, Term | None]] = []
    unknown_start: int | None = None
    i, n = 0, len(folded)

    def flush(end: int) -> None:
        nonlocal unknown_start
        if unknown_start is not None:
            out.append((folded[unknown_start:end], None))
            unknown_start = None

    while i < n:
        hit = _longest_match(lowered, i, table)
        if hit is not None:
            flush(i)
            out.append((folded[i : i + len(hit.zh)], hit))
            i += len(hit.zh)
            continue
        char = folded[i]
        if _is_latin(char):
            flush(i)
            m = LATIN_TOKEN.match(folded, i)
            end = m.end() if m else i + 1
            out.append((folded[i:end], None))
            i = end
        elif has_cjk(char):
            if unknown_start is None:
                unknown_start = i
            i += 1
        else:  # spaces and punctuation separate tokens
            flush(i)
            i += 1
    flush(n)
    return out


def _longest_match(lowered: str, i: int, table: TermTable) -> Term | None:
    if _is_latin(lowered[i]) and i > 0 and _is_latin(lowered[i - 1]):
        return None  # a table term never starts inside a Latin word
    room = len(lowered) - i
    # A table built without its length index (constructed by hand) tries every length.
    tries = table.lengths.get(lowered[i], ()) if table.lengths else range(table.max_len, 0, -1)
    for length in tries:
        if length > room:
            continue
        term = table.by_key.get(lowered[i : i + length])
        if term is None:
            continue
        end = i + length
        if _is_latin(lowered[end - 1]) and end < len(lowered) and _is_latin(lowered[end]):
            continue  # nor ends inside one ("截断SVDs" is not "截断SVD" + "s")
        return term
    return None


def segment_terms(text: str, table: TermTable | None = None) -> list[tuple[str, Term | None]]:
    """Cut text into pieces with the table term each one is (None: a Latin token or unknown Chinese)."""
    return _segment(_checked(text), table or load_terms())


def segment(text: str, table: TermTable | None = None) -> list[str]:
    """Cut text into table terms, Latin tokens and runs of unknown Chinese characters."""
    return [piece for piece, _ in segment_terms(text, table)]


# ---------------------------------------------------------------------------------------------
# The rewrite


def _checked(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("the question must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"the question is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    return text


def translate_query(text: str, table: TermTable | None = None) -> ZhRewrite:
    """Rewrite a (Chinese or mixed) question as English phrases plus what it asks for.

    Rules on top of the table:
    - a Latin token that is a one-word id or alias in topics.yaml names that concept ("PCA");
    - "what maths do I need" about a specific concept asks for its prerequisites (plan); with no
      specific concept (or only a field such as 深度学习) a plan about maths is the mission question;
    - "enough?" ("够吗", "能学…吗") with maths named is the mission question, and so is maths (or a branch
      such as 微积分) with a need, amount, order, start or ability cue and no specific concept;
    - a named format makes it a resource request, unless it asks for a page;
    - a weak cue ("有没有", "推荐", "适合") counts only with a format, trait, level, resource word
      or maths word (so "推荐一部电影" is not a resource request);
    - practice inside a resource request means "with exercises";
    - "那…呢?" or "更…" with no concept is a follow-up;
    - an interactive format is also an interactive trait.
    """
    table = table or load_terms()
    pieces = _segment(_checked(text), table)
    english: list[str] = []
    latin: list[str] = []
    unknown: list[str] = []
    matched: list[Term] = []
    for piece, term in pieces:
        if term is not None:
            matched.append(term)
            english.append(term.en)
        elif _is_latin(piece[0]):
            latin.append(piece)
            english.append(piece)
        else:
            unknown.append(piece)

    latin_concepts = [cid for word in latin if (cid := table.latin_words.get(word.casefold()))]
    concepts = _ordered([t.concept for t in matched if t.concept] + latin_concepts)
    formats = _ordered(f for t in matched for f in t.formats)
    levels = _ordered(v for t in matched for v in t.levels)
    traits = _ordered(v for t in matched for v in t.traits)
    tags = _ordered(v for t in matched for v in t.intents)
    intents = [v for v in tags if v in INTENTS]
    # "需要什么数学" is the mission question ("what maths do I need?") unless it is about a named concept,
    # where it asks for that concept's prerequisites; a whole field ("深度学习") is not such a concept.
    broad = {"field_cue", "subject_cue"}
    specific = bool(latin_concepts) or any(t.concept and not broad & set(t.intents) for t in matched)
    if specific and "mission" in intents and all("plan" in t.intents for t in matched if "mission" in t.intents):
        intents.remove("mission")

    def add(intent: str) -> None:
        if intent not in intents:
            intents.append(intent)

    if "interactive" in formats and "interactive" not in traits:
        traits.append("interactive")
    if formats and "where_explained" not in intents:
        add("resource_request")
    about_maths = any(t.kind == "concept" for t in matched) or bool(concepts) or "maths_cue" in tags
    if "request_cue" in tags and (formats or traits or levels or "resource_cue" in tags or about_maths):
        add("resource_request")
    if "plan" in intents and "maths_cue" in tags and not specific:  # "学机器学习要哪些数学"
        add("mission")
    if "enough_cue" in tags and about_maths:
        add("mission")
    if not specific and {"maths_cue", "subject_cue"} & set(tags) and _MISSION_CUE.search(text):
        add("mission")  # maths, or a branch of it, with a need / amount / order / start / ability cue
    if "ellipsis_cue" in tags and not concepts:
        add("follow_up")
    if "resource_request" in intents and "practice" in intents:
        intents.remove("practice")
    # Traits that only came with a practice word count only when a resource is being asked for.
    if "resource_request" not in intents and "practice" in intents:
        practice_only = {v for t in matched if "practice" in t.intents for v in t.traits}
        other = {v for t in matched if "practice" not in t.intents for v in t.traits}
        traits = [v for v in traits if v not in practice_only or v in other]

    return ZhRewrite(
        text=text,
        english=" ".join(_ordered(english)),
        tokens=tuple(piece for piece, _ in pieces),
        matched=tuple(matched),
        latin=tuple(latin),
        concepts=tuple(concepts),
        formats=tuple(formats),
        levels=tuple(levels),
        intents=tuple(sorted(intents, key=INTENTS.index)),
        traits=tuple(sorted(traits, key=TRAITS.index)),
        unknown=tuple(unknown),
    )


def _ordered(values: Iterable[str]) -> list[str]:
    """First occurrences, in order."""
    return list(dict.fromkeys(values))
