"""Chinese questions rewritten into English query terms, from a bilingual table we write.

The retriever, the concept detector and the intent rules are all tuned on English. Rather than
listing every Chinese phrasing as an alias, a Chinese question is cut into known terms by greedy
longest match over ``corpus/terms_zh.yaml`` and rewritten as the English phrases of those terms,
together with what the terms say about the question: concepts, wanted formats, level, intents and
resource traits. Latin tokens in the question ("PCA", "SVD") are kept as they are.

This module is standalone (it reads the table and the concept ids of ``topics.yaml`` itself) so it
can move to ``mathtutor.knowledge`` without pulling the rest of the package along.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mathtutor.settings import get_settings  # only for the corpus folder

TERMS_FILE = "terms_zh.yaml"
TOPICS_FILE = "topics.yaml"
#: Longer input is refused: a question, not a document.
MAX_QUERY_CHARS = 4000

# The C loader is several times faster; fall back to the pure-Python one where libyaml is missing.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS = frozenset({"concept", "format", "level", "intent", "resource-trait", "general"})
FORMATS = ("video", "book", "course", "interactive")
LEVELS = ("beginner", "practitioner", "researcher")
INTENTS = (
    "plan",
    "resource_request",
    "mission",
    "where_explained",
    "explain",
    "practice",
    "next_step",
    "follow_up",
)
#: Cues are never reported; translate_query combines them with the rest of the question.
CUES = ("request_cue", "resource_cue", "enough_cue", "maths_cue", "ellipsis_cue", "field_cue", "subject_cue")
#: Maths (or a branch of it) with a need, amount, order, start or ability cue is the mission question.
_MISSION_CUE = re.compile(
    r"需要|要不要|用不用|需不需要|必须|必要|得学|要学|够|从哪|先学|先.{0,8}还是|哪个先|先后|顺序|哪一步|什么程度|什么水平"
    r"|多少|多深|哪几块|哪些方面|哪几个|最重要|重要的|用得上|门槛|要求|补|复习|能不能|能学|学得会|希望|很差|不好|太差"
)
TRAITS = ("exercises", "solutions", "proofs", "code", "short", "interactive", "free")

#: Which field each kind must carry, and the values each tag field allows.
_KIND_FIELD = {"format": "format", "level": "level", "intent": "intent", "resource-trait": "trait"}
_TAG_VALUES: dict[str, tuple[str, ...]] = {
    "format": FORMATS,
    "level": LEVELS,
    "intent": INTENTS + CUES,
    "trait": TRAITS,
}
_FIELDS = frozenset({"zh", "en", "kind", "concept", *_TAG_VALUES})

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN_CHAR = re.compile(r"[A-Za-z0-9]")
#: A Latin token: letters and digits, with inner dots, hyphens, plus signs or apostrophes (L2, 18.06, t-SNE).
_LATIN_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.\-+'][A-Za-z0-9]+)*\+*")


class TermTableError(ValueError):
    """The term table cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Term:
    """One row of the table."""

    zh: str
    en: str
    kind: str
    line: int
    concept: str | None = None
    formats: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TermTable:
    """The validated table, keyed for matching (NFKC-folded, case-folded)."""

    terms: tuple[Term, ...]
    by_key: Mapping[str, Term]
    max_len: int
    source: str
    latin_words: Mapping[str, str] = field(default_factory=dict)  # one-word Latin id/alias -> concept id

    def __len__(self) -> int:
        return len(self.terms)

    def lookup(self, text: str) -> Term | None:
        """The entry for exactly this Chinese term, if any."""
        return self.by_key.get(_key(text))


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


# ---------------------------------------------------------------------------------------------
# Text helpers


def has_cjk(text: str) -> bool:
    """True when the text contains at least one Chinese character."""
    return bool(_CJK.search(text or ""))


def _fold(text: str) -> str:
    """Full-width forms to ASCII (ＰＣＡ -> PCA, ？ -> ?), so matching sees one spelling."""
    return unicodedata.normalize("NFKC", text)


def _key(text: str) -> str:
    return "".join(c if len(low := c.lower()) != 1 else low for c in _fold(text).strip())


def _is_latin(char: str) -> bool:
    return bool(_LATIN_CHAR.fullmatch(char))


# ---------------------------------------------------------------------------------------------
# Loading and validation


def _default_dir() -> Path:
    return Path(get_settings().corpus_dir)


def load_terms(path: Path | str | None = None) -> TermTable:
    """The term table (default: ``corpus/terms_zh.yaml``), validated and cached per file."""
    resolved = Path(path) if path is not None else _default_dir() / TERMS_FILE
    return _load_terms_cached(resolved.resolve())


@lru_cache(maxsize=8)
def _load_terms_cached(path: Path) -> TermTable:
    topics = read_topics(path.parent / TOPICS_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TermTableError(f"{path.name}: the Chinese term table is missing") from None
    except UnicodeDecodeError as exc:
        raise TermTableError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    return parse_terms(text, topics, source=path.name)


@dataclass(frozen=True, slots=True)
class TopicVocabulary:
    """What the table is checked against: concept ids, names and Chinese aliases of topics.yaml."""

    ids: frozenset[str]
    names: Mapping[str, str] = field(default_factory=dict)
    zh_aliases: Mapping[str, str] = field(default_factory=dict)  # folded alias -> concept id
    latin_words: Mapping[str, str] = field(default_factory=dict)  # one-word id or alias ("svd", "pca") -> id


def read_topics(topics_path: Path) -> TopicVocabulary:
    """Read topics.yaml directly (this module does not import topics.py)."""
    try:
        data = yaml.load(topics_path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # a safe loader
    except FileNotFoundError:
        raise TermTableError(f"{topics_path.name}: needed to check concept ids, but it is missing") from None
    except yaml.YAMLError as exc:
        raise TermTableError(f"{topics_path.name}: not valid YAML ({exc})") from None
    if not isinstance(data, list):
        raise TermTableError(f"{topics_path.name}: expected a list of concepts")
    ids: set[str] = set()
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    words: dict[str, str] = {}
    for item in data:
        if not isinstance(item, dict) or "id" not in item:
            continue
        cid = str(item["id"])
        ids.add(cid)
        names[cid] = str(item.get("name") or cid.replace("-", " "))
        words.setdefault(cid.casefold(), cid)
        for alias in item.get("aliases") or ():
            if not isinstance(alias, str):
                continue
            if has_cjk(alias):
                aliases.setdefault(_key(alias), cid)
            elif _LATIN_TOKEN.fullmatch(alias):
                words.setdefault(alias.casefold(), cid)
    return TopicVocabulary(frozenset(ids), names, aliases, words)


def parse_terms(text: str, topics: TopicVocabulary | Iterable[str], *, source: str = TERMS_FILE) -> TermTable:
    """Validate table text; every problem is reported as ``source line N: what is wrong``.

    A term that is also a Chinese alias in topics.yaml must name the same concept. Chinese aliases
    of topics.yaml that the table lacks are added (English: the concept's name), so a new alias
    works before the table catches up.
    """
    if not isinstance(topics, TopicVocabulary):
        topics = TopicVocabulary(frozenset(topics))
    known = topics.ids
    loader = _YAML_LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise TermTableError(f"{source}: the table is empty")
        if not isinstance(root, yaml.SequenceNode):
            raise TermTableError(f"{source} line {root.start_mark.line + 1}: expected a list of entries")
        terms: list[Term] = []
        seen: dict[str, int] = {}
        for node in root.value:
            line = node.start_mark.line + 1
            if not isinstance(node, yaml.MappingNode):
                raise TermTableError(f"{source} line {line}: each entry must be a mapping like {{zh: ..., en: ...}}")
            keys = [k.value for k, _ in node.value]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise TermTableError(f"{source} line {line}: field {dupes[0]!r} is given twice")
            entry = loader.construct_mapping(node, deep=True)
            term = _parse_entry(entry, line, known, source)
            key = _key(term.zh)
            if key in seen:
                raise TermTableError(f"{source} line {line}: duplicate zh {term.zh!r} (first on line {seen[key]})")
            alias_of = topics.zh_aliases.get(key)
            if alias_of is not None and term.concept != alias_of:
                raise TermTableError(
                    f"{source} line {line}: {term.zh!r} is an alias of {alias_of!r} in {TOPICS_FILE}, "
                    f"but the table gives concept {term.concept!r}"
                )
            seen[key] = line
            terms.append(term)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TermTableError(f"{source}{where}: not valid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise TermTableError(f"{source}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    by_key = {_key(t.zh): t for t in terms}
    for key, cid in topics.zh_aliases.items():
        if key not in by_key:
            by_key[key] = Term(zh=key, en=topics.names.get(cid, cid).lower(), kind="concept", line=0, concept=cid)
    return TermTable(tuple(terms), by_key, max(map(len, by_key)), source, dict(topics.latin_words))


def _parse_entry(entry: dict[Any, Any], line: int, known: frozenset[str], source: str) -> Term:
    def fail(why: str) -> TermTableError:
        return TermTableError(f"{source} line {line}: {why}")

    unknown = sorted(str(k) for k in entry if k not in _FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_FIELDS))})")
    for name in ("zh", "en", "kind"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{name!r} is missing or not text (quote it in YAML)")
    zh, en, kind = entry["zh"].strip(), " ".join(entry["en"].split()), entry["kind"].strip()
    if not has_cjk(zh):
        raise fail(f"zh {zh!r} has no Chinese character")
    if has_cjk(en):
        raise fail(f"en {en!r} must be English")
    if kind not in KINDS:
        raise fail(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    concept = entry.get("concept")
    if concept is not None:
        if not isinstance(concept, str) or concept not in known:
            raise fail(f"concept {concept!r} is not an id in {TOPICS_FILE}")
        if kind != "concept":
            raise fail(f"concept is set but kind is {kind!r} (use kind: concept)")
    tags: dict[str, tuple[str, ...]] = {}
    for name, allowed in _TAG_VALUES.items():
        raw = entry.get(name)
        if raw is None:
            tags[name] = ()
            continue
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise fail(f"{name!r} must be a value or a list of values")
        bad = [v for v in values if v not in allowed]
        if bad:
            raise fail(f"{name} {bad[0]!r} is not one of {', '.join(allowed)}")
        tags[name] = tuple(dict.fromkeys(values))
    needed = _KIND_FIELD.get(kind)
    if needed and not tags[needed]:
        raise fail(f"kind {kind!r} needs a {needed!r} field")
    return Term(
        zh=zh,
        en=en,
        kind=kind,
        line=line,
        concept=concept,
        formats=tags["format"],
        levels=tags["level"],
        intents=tags["intent"],
        traits=tags["trait"],
    )


# ---------------------------------------------------------------------------------------------
# Segmentation


def _segment(text: str, table: TermTable) -> list[tuple[str, Term | None]]:
    """Greedy longest match; unknown Chinese runs and Latin tokens come back with no term."""
    folded = _fold(text)
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
            m = _LATIN_TOKEN.match(folded, i)
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
    for length in range(min(table.max_len, len(lowered) - i), 0, -1):
        term = table.by_key.get(lowered[i : i + length])
        if term is None:
            continue
        end = i + length
        if _is_latin(lowered[end - 1]) and end < len(lowered) and _is_latin(lowered[end]):
            continue  # nor ends inside one ("截断SVDs" is not "截断SVD" + "s")
        return term
    return None


def segment(text: str, table: TermTable | None = None) -> list[str]:
    """Cut text into table terms, Latin tokens and runs of unknown Chinese characters."""
    return [piece for piece, _ in _segment(_checked(text), table or load_terms())]


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
