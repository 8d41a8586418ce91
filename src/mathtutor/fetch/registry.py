"""The registry of downloadable files (``corpus/sources.yaml``): load, check against the catalog, select,
and write the sources manifest that ingestion reads.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mathtutor.links import check_http_url
from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog
from mathtutor.fetch.files import atomic_write_text

MANIFEST_NAME = "manifest.jsonl"
SOURCES_ENV = "MATHTUTOR_SOURCES"

FileFormat = Literal["pdf", "srt", "vtt", "md", "txt"]
_SUFFIXES = {"pdf": (".pdf",), "srt": (".srt",), "vtt": (".vtt",), "md": (".md", ".markdown"), "txt": (".txt",)}
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class SourcesError(ValueError):
    """corpus/sources.yaml is malformed or names something the catalog does not have."""


class SelectionError(ValueError):
    """An id given on the command line names nothing that can be fetched."""


class _ItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    file: str
    urls: tuple[str, ...] = Field(min_length=1)
    format: FileFormat | None = None
    sha256: str | None = None
    bytes: int | None = Field(default=None, gt=0)
    optional: bool = False
    title: str | None = None
    canonical_url: str | None = None
    note: str | None = None

    @field_validator("file")
    @classmethod
    def _file(cls, v: str) -> str:
        if not v or "/" in v or "\\" in v or v.startswith(".") or v != v.strip():
            raise ValueError(f"file is a plain file name (no folders, not hidden): {v!r}")
        return v

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_http_url(u) for u in v)

    @field_validator("canonical_url")
    @classmethod
    def _canonical(cls, v: str | None) -> str | None:
        return None if v is None else check_http_url(v)

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str | None) -> str | None:
        if v is not None and not _SHA_RE.match(v):
            raise ValueError(f"sha256 is 64 lower-case hex digits: {v!r}")
        return v


class _SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    resource: str
    format: FileFormat
    license: str
    terms: str
    items: tuple[_ItemSpec, ...] = Field(min_length=1)


class _Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    sources: tuple[_SourceSpec, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One downloadable file, with everything the fetcher, the manifest and the result table need."""

    key: str  #: ``<catalog id>/<file>``: where it lives under DEST and under a mirror
    id: str  #: catalog id of the resource or part the file teaches
    resource_id: str
    file: str
    urls: tuple[str, ...]
    format: str
    sha256: str | None
    size: int | None
    optional: bool
    title: str
    resource_title: str
    author: str
    canonical_url: str
    series_url: str
    license: str
    terms: str

    def manifest_entry(self) -> dict[str, Any]:
        """A line of DEST/manifest.jsonl (the format of shared/corpus-real/manifest.jsonl, plus ids)."""
        return {
            "file": self.key,
            "title": self.title,
            "resource": self.resource_title,
            "author": self.author,
            "canonical_url": self.canonical_url,
            "alt_urls": [u for u in self.urls if u != self.canonical_url],
            "series_url": self.series_url,
            "license": f"{self.license}. {self.terms}",
            "catalog_id": self.id,
            "format": self.format,
        }


def default_sources_path() -> Path:
    """$MATHTUTOR_SOURCES if set, else corpus/sources.yaml of this checkout."""
    env = os.environ.get(SOURCES_ENV)
    return Path(env) if env else PROJECT_ROOT / "corpus" / "sources.yaml"


def _canonical_url(spec: _ItemSpec, catalog: Catalog) -> str:
    """The address citations should use: the registry's, else the catalog part's own URL when it names
    that part alone (a video, a chapter page), else the resource's home page (shared whole-book PDFs
    would send page links to the wrong file)."""
    if spec.canonical_url:
        return spec.canonical_url
    obj = catalog.get(spec.id)
    url = getattr(obj, "url", None)
    if url and spec.id != catalog.resource_of(spec.id).id:
        hit = catalog.match(url=url)
        if hit is not None and hit.part_id == spec.id:
            return url
    return catalog.resource_of(spec.id).url


def load_sources(path: Path | str | None = None, catalog: Catalog | None = None) -> list[Item]:
    """Read and check the registry against the catalog; raises SourcesError naming the bad entry."""
    from mathtutor.knowledge.catalog import load_catalog

    p = Path(path) if path is not None else default_sources_path()
    catalog = catalog if catalog is not None else load_catalog()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesError(f"cannot read sources registry {p}: {exc}") from exc
    try:
        reg = _Registry.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SourcesError(f"{p}: {where}: {first['msg']}") from exc
    items: list[Item] = []
    seen: set[str] = set()
    for src in reg.sources:
        if src.resource not in catalog or catalog.resource_of(src.resource).id != src.resource:
            raise SourcesError(f"{p}: source {src.resource!r} is not a resource of the catalog")
        for spec in src.items:
            if spec.id not in catalog:
                raise SourcesError(f"{p}: item {spec.id}/{spec.file}: {spec.id!r} is not in the catalog")
            resource = catalog.resource_of(spec.id)
            if resource.id != src.resource:
                raise SourcesError(f"{p}: item {spec.id}/{spec.file} belongs to {resource.id!r}, not {src.resource!r}")
            fmt = spec.format or src.format
            if not spec.file.lower().endswith(_SUFFIXES[fmt]):
                raise SourcesError(f"{p}: item {spec.id}/{spec.file}: a {fmt} file needs a {_SUFFIXES[fmt][0]} name")
            key = f"{spec.id}/{spec.file}"
            if key in seen:
                raise SourcesError(f"{p}: item {key} is listed twice")
            seen.add(key)
            obj = catalog.get(spec.id)
            items.append(
                Item(
                    key=key,
                    id=spec.id,
                    resource_id=resource.id,
                    file=spec.file,
                    urls=spec.urls,
                    format=fmt,
                    sha256=spec.sha256,
                    size=spec.bytes,
                    optional=spec.optional,
                    title=spec.title or obj.title,
                    resource_title=resource.title,
                    author=", ".join(resource.creators),
                    canonical_url=_canonical_url(spec, catalog),
                    series_url=resource.url,
                    license=src.license,
                    terms=src.terms,
                )
            )
    return items


def select(items: Sequence[Item], ids: Iterable[str], catalog: Catalog) -> list[Item]:
    """Items named by ``ids`` (all non-optional items when none are given), in registry order.

    An id may be an item key (``<id>/<file>``, the only way to ask for an optional file), a catalog
    part id, a resource id (all its parts) or a parent resource such as ``3blue1brown`` (its series).
    """
    ids = [i.strip().strip("/") for i in ids if i.strip().strip("/")]
    if not ids:
        return [i for i in items if not i.optional]
    chosen: set[str] = set()
    problems: list[str] = []
    for want in ids:
        hits = [i for i in items if i.key == want]
        if not hits:
            family = {want}
            if want in catalog and catalog.resource_of(want).id == want:
                family |= {r.id for r in catalog.children(want)}
            hits = [
                i
                for i in items
                if not i.optional and (i.id == want or i.id.startswith(want + "/") or i.resource_id in family)
            ]
        if hits:
            chosen.update(i.key for i in hits)
        elif want in catalog:
            problems.append(f"{want!r} is in the catalog but has nothing freely downloadable in corpus/sources.yaml")
        else:
            problems.append(f"{want!r} is neither a catalog id nor an item (<id>/<file>) of corpus/sources.yaml")
    if problems:
        raise SelectionError("; ".join(problems))
    return [i for i in items if i.key in chosen]


def mirror_url(mirror: str, item: Item) -> str:
    """``MIRROR/<catalog id>/<file name>``."""
    return f"{mirror.rstrip('/')}/{quote(item.key)}"


def write_manifest(dest: Path, items: Iterable[Item]) -> Path:
    """DEST/manifest.jsonl for every registry item present under DEST (rewritten whole, atomically)."""
    lines = [json.dumps(i.manifest_entry(), ensure_ascii=False) for i in items if (dest / i.key).is_file()]
    path = dest / MANIFEST_NAME
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return path
