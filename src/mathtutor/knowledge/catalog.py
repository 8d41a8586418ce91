"""The curated catalog of free "math for ML" resources (corpus/catalog.yaml).

Study paths must cite real things, so every resource and every part (chapter,
lecture, episode, section) gets a stable id here, together with the addresses
people actually use for it.  This module loads and validates the catalog and
answers two questions the rest of mathtutor keeps asking:

* "what is this id?"  -> :meth:`Catalog.get`, :meth:`Catalog.resource_of`
* "which catalog entry is this file / link / name?" -> :meth:`Catalog.match`

Only pydantic, PyYAML and the standard library are imported, so the loader is
cheap enough to call from anywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from mathtutor.knowledge.names import (
    COURSE_CODE,
    CommonNames,
    is_abbreviation,
    is_cued,
    names_format,
    surname,
    tokens,
)
from mathtutor.links import check_http_url, normalize_url

__all__ = [
    "STYLES",
    "Catalog",
    "CatalogError",
    "CatalogMatch",
    "CommonNames",
    "Format",
    "Level",
    "Part",
    "Resource",
    "Style",
    "default_catalog_path",
    "load_catalog",
    "normalize_url",
]

Format = Literal["book", "video-series", "course", "interactive", "article", "channel"]
Level = Literal["beginner", "practitioner", "researcher"]
PartKind = Literal["chapter", "section", "lecture", "recitation", "video", "page"]
#: What a resource is like, the way learners ask for it ("with exercises and solutions", "short videos").
#: Set only from what the resource's own material or the seed lists say, never guessed.
Style = Literal[
    "exercises", "solutions", "proofs", "code", "interactive", "short", "long", "visual", "lectures", "problem-sets"
]
STYLES: tuple[str, ...] = Style.__args__  # type: ignore[attr-defined]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_CONCEPT_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Name matching: a free-text resource name must cover at least this share of the
# tokens of some title of a resource (see Catalog.match).
NAME_MATCH_THRESHOLD = 0.6


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the offending id."""


def _check_slug(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"ids are lower-case slugs ([a-z0-9.-]): {value!r}")
    return value


class Part(BaseModel):
    """One addressable piece of a resource: a chapter, lecture, episode, section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    number: str | None = None
    title: str
    kind: PartKind | None = None
    url: str | None = None
    alias_urls: tuple[str, ...] = ()
    # Start page as printed in the resource's own page numbering (books/PDFs).
    page: int | None = Field(default=None, ge=1)
    concepts: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _part_id(cls, v: str) -> str:
        head, sep, slug = v.partition("/")
        if not sep or not head or not slug:
            raise ValueError(f"part ids look like '<resource-id>/<slug>': {v!r}")
        _check_slug(head)
        _check_slug(slug)
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else check_http_url(v)

    @field_validator("alias_urls")
    @classmethod
    def _alias_urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_http_url(u) for u in v)

    @field_validator("concepts")
    @classmethod
    def _concepts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for c in v:
            if not _CONCEPT_RE.match(c):
                raise ValueError(f"concept ids are kebab-case: {c!r}")
        return v


class Resource(BaseModel):
    """A curated resource (book, course, channel, series, article, tool)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    alt_titles: tuple[str, ...] = ()
    creators: tuple[str, ...] = Field(min_length=1)
    url: str
    alias_urls: tuple[str, ...] = ()
    format: Format
    levels: tuple[Level, ...] = Field(min_length=1)
    style: tuple[Style, ...] = ()
    topics: tuple[str, ...] = ()
    parent: str | None = None
    description: str
    license: str | None = None
    free: bool = True
    note: str | None = None
    listed_in: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_slug(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_http_url(v)

    @field_validator("alias_urls")
    @classmethod
    def _alias_urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_http_url(u) for u in v)

    @field_validator("topics")
    @classmethod
    def _topics(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for c in v:
            if not _CONCEPT_RE.match(c):
                raise ValueError(f"concept ids are kebab-case: {c!r}")
        return v

    @field_validator("style")
    @classmethod
    def _style(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        doubled = sorted({s for s in v if v.count(s) > 1})
        if doubled:
            raise ValueError(f"style lists {doubled[0]!r} twice")
        if "short" in v and "long" in v:
            raise ValueError("style cannot be both 'short' and 'long'")
        return v

    def all_urls(self) -> tuple[str, ...]:
        """Canonical URL first, then the aliases."""
        return (self.url, *self.alias_urls)

    def all_concepts(self) -> set[str]:
        """Concepts taught by the resource as a whole or by any of its parts."""
        out = set(self.topics)
        for p in self.parts:
            out.update(p.concepts)
        return out


@dataclass(frozen=True)
class CatalogMatch:
    """Result of :meth:`Catalog.match`; ``via`` says how it was found (not compared)."""

    resource_id: str
    part_id: str | None = None
    via: str = field(default="", compare=False)


# ------------------------------------------------------------------------ catalog


class Catalog(BaseModel):
    """All resources, with id and URL indexes built once at construction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: tuple[Resource, ...]

    _by_id: dict[str, Resource | Part] = PrivateAttr(default_factory=dict)
    _owner: dict[str, Resource] = PrivateAttr(default_factory=dict)
    _part_by_url: dict[str, str] = PrivateAttr(default_factory=dict)
    _res_by_url: dict[str, str] = PrivateAttr(default_factory=dict)
    _codes: dict[str, str] = PrivateAttr(default_factory=dict)
    _by_surname: dict[str, set[str]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: object) -> None:
        by_id: dict[str, Resource | Part] = {}
        owner: dict[str, Resource] = {}
        for r in self.resources:
            for obj in (r, *r.parts):
                if obj.id in by_id:
                    raise CatalogError(f"duplicate id {obj.id!r}")
                by_id[obj.id] = obj
                owner[obj.id] = r
        for r in self.resources:
            for p in r.parts:
                if not p.id.startswith(r.id + "/"):
                    raise CatalogError(f"part id {p.id!r} must start with its resource id {r.id + '/'!r}")
            if r.parent is not None:
                if r.parent == r.id:
                    raise CatalogError(f"resource {r.id!r} is its own parent")
                if not isinstance(by_id.get(r.parent), Resource):
                    raise CatalogError(f"resource {r.id!r} has unknown parent {r.parent!r}")
        for r in self.resources:  # no parent cycles
            seen = {r.id}
            cur = r
            while cur.parent is not None:
                cur = owner[cur.parent]
                if cur.id in seen:
                    raise CatalogError(f"resource {r.id!r} is in a parent cycle")
                seen.add(cur.id)

        part_urls: dict[str, set[str]] = {}
        res_urls: dict[str, set[str]] = {}
        for r in self.resources:
            for u in r.all_urls():
                res_urls.setdefault(normalize_url(u), set()).add(r.id)
            for p in r.parts:
                for u in ((p.url,) if p.url else ()) + p.alias_urls:
                    part_urls.setdefault(normalize_url(u), set()).add(p.id)
        # A URL shared by several parts (e.g. one PDF for all chapters) or several
        # resources identifies none of them, so only unambiguous keys are kept.
        self._by_id = by_id
        self._owner = owner
        self._part_by_url = {k: next(iter(v)) for k, v in part_urls.items() if len(v) == 1}
        self._res_by_url = {k: next(iter(v)) for k, v in res_urls.items() if len(v) == 1}
        codes: dict[str, set[str]] = {}
        for r in self.resources:
            for title in (r.title, *r.alt_titles):
                for tok in tokens(title):
                    if COURSE_CODE.fullmatch(tok):
                        codes.setdefault(tok, set()).add(r.id)
                if is_abbreviation(title):  # "MML", "D2L", "ITILA": what learners call the book
                    codes.setdefault(min(tokens(title)), set()).add(r.id)
        self._codes = {k: next(iter(v)) for k, v in codes.items() if len(v) == 1}
        by_surname: dict[str, set[str]] = {}
        for r in self.resources:
            for creator in r.creators:
                if (name := surname(creator)) is not None:
                    by_surname.setdefault(name, set()).add(r.id)
        self._by_surname = by_surname

    # -- lookups -------------------------------------------------------------

    def get(self, id: str) -> Resource | Part:
        """The resource or part with this id (KeyError if absent)."""
        return self._by_id[id]

    def __contains__(self, id: object) -> bool:
        return id in self._by_id

    def resource_of(self, id: str) -> Resource:
        """The resource itself for a resource id, the owning resource for a part id."""
        return self._owner[id]

    def opening(self, id: str) -> tuple[str, ...]:
        """The concepts a resource opens with ("what before 18.065?" leads there): its first part's, else its first
        two topics."""
        res = self.resource_of(id)
        return res.parts[0].concepts if res.parts and res.parts[0].concepts else res.topics[:2]

    def parts(self) -> Iterator[tuple[Resource, Part]]:
        """Every (resource, part) pair in catalog order."""
        for r in self.resources:
            for p in r.parts:
                yield r, p

    def children(self, id: str) -> list[Resource]:
        """Resources whose parent is ``id`` (e.g. the 3Blue1Brown series)."""
        return [r for r in self.resources if r.parent == id]

    def concept_ids(self) -> set[str]:
        """Every concept id referenced by resource topics or part concepts."""
        out: set[str] = set()
        for r in self.resources:
            out |= r.all_concepts()
        return out

    def teaching(self, concept: str) -> list[tuple[Resource, Part | None]]:
        """Where a concept is taught: parts listing it, then whole resources whose
        topics list it (part None), in catalog order."""
        hits: list[tuple[Resource, Part | None]] = []
        for r in self.resources:
            hits.extend((r, p) for p in r.parts if concept in p.concepts)
        hits.extend((r, None) for r in self.resources if concept in r.topics)
        return hits

    # -- matching ------------------------------------------------------------

    def match(
        self,
        url: str | None = None,
        name: str | None = None,
        alt_urls: Iterable[str] | None = (),
        series_url: str | None = None,
    ) -> CatalogMatch | None:
        """Find the catalog entry for a document described by links and/or a name.

        Order: url/alt_urls against part URLs, then against resource URLs, then
        series_url against resource URLs, then the free-text name against
        resource titles (token overlap, see :func:`_name_score`).
        """
        urls = [u for u in (url, *(alt_urls or ())) if u]
        keys = [normalize_url(u) for u in urls]
        for k in keys:
            pid = self._part_by_url.get(k)
            if pid is not None:
                return CatalogMatch(self._owner[pid].id, pid, via="part-url")
        for k in keys:
            rid = self._res_by_url.get(k)
            if rid is not None:
                return CatalogMatch(rid, None, via="resource-url")
        if series_url:
            rid = self._res_by_url.get(normalize_url(series_url))
            if rid is not None:
                return CatalogMatch(rid, None, via="series-url")
        if name:
            rid = self.match_name(name)
            if rid is not None:
                return CatalogMatch(rid, None, via="name")
        return None

    def names_in(self, text: str, common: CommonNames | None = None) -> set[str]:
        """Resources that free text (a learner's question) names.

        A resource is named by a title (or alt title) of six characters or more that occurs in the text,
        when the title is distinctive, or when the text also gives a cue: a creator ("Ward-Jones's post
        on probability distributions"), or a format word next to the title ("the series on neural
        networks"). A title is not distinctive when it is an ordinary subject name: one of ``common``'s
        phrases, or three words or fewer all used by them ("Bayesian Inference", "Information Theory").
        A course number that occurs in the titles of one resource only ("18.065") names it as well, and so does
        an abbreviation given as an alt title ("MML", "d2l": a whole word of the text, in any case).
        """
        low = text.lower()
        words = tokens(text)
        found = set()
        for r in self.resources:
            for title in (r.title, *r.alt_titles):
                if len(title) < 6 or title.lower() not in low:
                    continue
                if common is None or not common.is_generic(title) or is_cued(r, title, low, words, common):
                    found.add(r.id)
                    break
        for code in words & self._codes.keys():
            found.add(self._codes[code])
        for name in words & self._by_surname.keys():
            # "Deisenroth's book", "Josh Starmer's channel": the person's one resource, or the one of the kind
            # the text names ("Grant Sanderson's channel"); a person with several of that kind names none. A
            # family name alone is someone's only with a first name, a possessive or the kind of resource beside
            # it ("my friend Zhang" is not d2l)
            ids = sorted(self._by_surname[name])
            kind = [i for i in ids if names_format(self.get(i).format, low)]
            owned = re.search(rf"\b{re.escape(name)}\s*(?:'s|’s|的)", low) is not None
            full = any(c.lower() in low for i in ids for c in self.get(i).creators if surname(c) == name)
            after = low[low.find(name) :].split()[1:3]  # "Deisenroth book", "Lambert videos"
            beside = [i for i in kind if names_format(self.get(i).format, " ".join(after))]
            pick = (ids if len(ids) == 1 else kind) if (owned or full) else beside
            if len(pick) == 1:
                found.add(pick[0])
        return found

    def match_name(self, name: str) -> str | None:
        """Resource id whose title (or an alt title) best fits a free-text name.

        Score = share of the title's tokens found in the name (so extra words in
        the name, like "(3Blue1Brown)" or "(HKUST, Coursera)", cost nothing).
        Ties go to more shared tokens, then more shared creator tokens, then
        catalog order.  Below NAME_MATCH_THRESHOLD nothing matches.
        """
        words = tokens(name)
        if not words:
            return None
        best: tuple[float, int, int, int] | None = None
        best_id: str | None = None
        for idx, r in enumerate(self.resources):
            cover, shared = 0.0, 0
            for title in (r.title, *r.alt_titles):
                t = tokens(title)
                if not t:
                    continue
                n = len(words & t)
                cand = (n / len(t), n)
                if cand > (cover, shared):
                    cover, shared = cand
            creators = set().union(*(tokens(c) for c in r.creators)) if r.creators else set()
            key = (cover, shared, len(words & creators), -idx)
            if best is None or key > best:
                best, best_id = key, r.id
        if best is None or best[0] < NAME_MATCH_THRESHOLD or best[1] == 0:
            return None
        return best_id


# ------------------------------------------------------------------------ loading


def default_catalog_path() -> Path:
    """$MATHTUTOR_CATALOG if set, else corpus/catalog.yaml of this repository."""
    env = os.environ.get("MATHTUTOR_CATALOG")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "corpus" / "catalog.yaml"


def _describe(err: ValidationError, raw: dict) -> str:
    """Turn a pydantic error into one line per problem, naming part ids."""
    lines = []
    for e in err.errors():
        loc = list(e["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "parts" and isinstance(loc[1], int):
            parts = raw.get("parts") or []
            pid = parts[loc[1]].get("id") if loc[1] < len(parts) and isinstance(parts[loc[1]], dict) else None
            where = f"part {pid!r} " if pid else f"part #{loc[1]} "
            loc = loc[2:]
        field_name = ".".join(str(x) for x in loc) or "(item)"
        lines.append(f"{where}{field_name}: {e['msg']}")
    return "; ".join(lines)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and validate the catalog YAML (a list of resources, or a mapping
    with a ``resources`` list).  Raises CatalogError naming the bad id."""
    p = Path(path) if path is not None else default_catalog_path()
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {p}: {exc}") from exc
    if isinstance(data, dict):
        extra = set(data) - {"resources", "version"}
        if extra:
            raise CatalogError(f"catalog {p}: unknown top-level keys {sorted(extra)}")
        data = data.get("resources")
    if not isinstance(data, list):
        raise CatalogError(f"catalog {p}: expected a list of resources")
    resources = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise CatalogError(f"catalog {p}: item #{i} is not a mapping")
        rid = raw.get("id", f"#{i}")
        try:
            resources.append(Resource.model_validate(raw))
        except ValidationError as exc:
            raise CatalogError(f"resource {rid!r}: {_describe(exc, raw)}") from exc
    try:
        return Catalog(resources=tuple(resources))
    except ValidationError as exc:
        # pydantic wraps the CatalogError raised by the cross-reference checks;
        # hand the original (which names the id) back to the caller.
        for e in exc.errors():
            original = (e.get("ctx") or {}).get("error")
            if isinstance(original, CatalogError):
                raise original from None
        raise CatalogError(f"catalog {p}: {exc}") from exc
