"""The bilingual term table behind the Chinese query rewrite: its entries, loading and validation.

``corpus/terms_zh.yaml`` (and its parts ``corpus/terms_zh_*.yaml``) map Chinese terms to English phrases and
to what they say about a question (concept, format, level, intent, trait). Loading checks every entry
against ``topics.yaml`` and names the file and line of each problem; :mod:`mathtutor.knowledge.zh` cuts
questions into these terms. Standalone like that module: it reads the tables and the topic ids itself.
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
#: Further parts of the table, read after TERMS_FILE from the same folder (``terms_zh_books.yaml``).
TERMS_PARTS = "terms_zh_*.yaml"
TOPICS_FILE = "topics.yaml"

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
#: A Latin token: letters and digits, with inner dots, hyphens, plus signs or apostrophes (L2, 18.06, t-SNE).
LATIN_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.\-+'][A-Za-z0-9]+)*\+*")


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
    #: First character of a key -> the lengths of the keys starting with it, longest first (built once), so
    #: matching at a position tries only lengths that exist instead of every length up to max_len.
    lengths: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.terms)

    def lookup(self, text: str) -> Term | None:
        """The entry for exactly this Chinese term, if any."""
        return self.by_key.get(_key(text))


# ---------------------------------------------------------------------------------------------
# Text helpers


def has_cjk(text: str) -> bool:
    """True when the text contains at least one Chinese character."""
    return bool(_CJK.search(text or ""))


def fold(text: str) -> str:
    """Full-width forms to ASCII (ＰＣＡ -> PCA, ？ -> ?), so matching sees one spelling."""
    return unicodedata.normalize("NFKC", text)


def _key(text: str) -> str:
    return "".join(c if len(low := c.lower()) != 1 else low for c in fold(text).strip())


# ---------------------------------------------------------------------------------------------
# Loading and validation


def _default_dir() -> Path:
    return Path(get_settings().corpus_dir)


def load_terms(path: Path | str | None = None) -> TermTable:
    """The term table (default: ``corpus/terms_zh.yaml``), validated and cached per file.

    A file named ``terms_zh.yaml`` comes with its parts: every ``terms_zh_*.yaml`` beside it, in name order.
    A zh may appear only once across all of them.
    """
    resolved = Path(path) if path is not None else _default_dir() / TERMS_FILE
    return _load_terms_cached(resolved.resolve())


def table_files(path: Path) -> list[Path]:
    """The file and, for the main table, its parts."""
    parts = sorted(path.parent.glob(TERMS_PARTS)) if path.name == TERMS_FILE else []
    return [path, *(p for p in parts if p != path)]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TermTableError(f"{path.name}: the Chinese term table is missing") from None
    except UnicodeDecodeError as exc:
        raise TermTableError(f"{path.name}: not UTF-8 text ({exc.reason})") from None


@lru_cache(maxsize=8)
def _load_terms_cached(path: Path) -> TermTable:
    topics = read_topics(path.parent / TOPICS_FILE)
    return parse_tables([(f.name, _read(f)) for f in table_files(path)], topics)


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
            elif LATIN_TOKEN.fullmatch(alias):
                words.setdefault(alias.casefold(), cid)
    return TopicVocabulary(frozenset(ids), names, aliases, words)


def parse_terms(text: str, topics: TopicVocabulary | Iterable[str], *, source: str = TERMS_FILE) -> TermTable:
    """Validate table text; every problem is reported as ``source line N: what is wrong``.

    A term that is also a Chinese alias in topics.yaml must name the same concept. Chinese aliases
    of topics.yaml that the table lacks are added (English: the concept's name), so a new alias
    works before the table catches up.
    """
    return parse_tables([(source, text)], topics)


def parse_tables(files: Iterable[tuple[str, str]], topics: TopicVocabulary | Iterable[str]) -> TermTable:
    """Validate the texts of several table files as one table (a zh may appear once across all of them)."""
    if not isinstance(topics, TopicVocabulary):
        topics = TopicVocabulary(frozenset(topics))
    terms: list[Term] = []
    seen: dict[str, tuple[str, int]] = {}
    names: list[str] = []
    for source, text in files:
        names.append(source)
        terms.extend(_parse_text(text, topics, source, seen))
    by_key = {_key(t.zh): t for t in terms}
    for key, cid in topics.zh_aliases.items():
        if key not in by_key:
            by_key[key] = Term(zh=key, en=topics.names.get(cid, cid).lower(), kind="concept", line=0, concept=cid)
    lengths: dict[str, set[int]] = {}
    for key in by_key:
        lengths.setdefault(key[0], set()).add(len(key))
    return TermTable(
        tuple(terms),
        by_key,
        max(map(len, by_key)),
        "+".join(names),
        dict(topics.latin_words),
        {first: tuple(sorted(ns, reverse=True)) for first, ns in lengths.items()},
    )


def _parse_text(text: str, topics: TopicVocabulary, source: str, seen: dict[str, tuple[str, int]]) -> list[Term]:
    """The entries of one file; ``seen`` (folded zh -> file and line) spans all files of the table."""
    known = topics.ids
    loader = _YAML_LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise TermTableError(f"{source}: the table is empty")
        if not isinstance(root, yaml.SequenceNode):
            raise TermTableError(f"{source} line {root.start_mark.line + 1}: expected a list of entries")
        terms: list[Term] = []
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
                first_source, first_line = seen[key]
                where = f"line {first_line}" if first_source == source else f"{first_source} line {first_line}"
                raise TermTableError(f"{source} line {line}: duplicate zh {term.zh!r} (first on {where})")
            alias_of = topics.zh_aliases.get(key)
            if alias_of is not None and term.concept != alias_of:
                raise TermTableError(
                    f"{source} line {line}: {term.zh!r} is an alias of {alias_of!r} in {TOPICS_FILE}, "
                    f"but the table gives concept {term.concept!r}"
                )
            seen[key] = (source, line)
            terms.append(term)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TermTableError(f"{source}{where}: not valid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise TermTableError(f"{source}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    return terms


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
