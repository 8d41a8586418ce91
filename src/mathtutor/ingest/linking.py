"""Where each ingested file comes from: the sources manifest and the link to the curated catalog.

A folder may carry a ``manifest.jsonl`` (one JSON object per file: ``file``, ``title``, ``resource``,
``author``, ``canonical_url``, ``alt_urls``, ``series_url``, ``license``), the format of
``shared/corpus-real/manifest.jsonl`` and of ``mathtutor corpus fetch``. Markdown front matter
(``title``, ``url``, ``resource``, ``concept``) is honoured as well.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mathtutor.links import is_note_location, is_pdf_url, note_url
from mathtutor.types import Source

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog

MANIFEST_NAME = "manifest.jsonl"
#: Resource id given to mathtutor's own study notes.
NOTES_RESOURCE = "mathtutor-notes"
#: Files that describe a folder rather than teach anything (a README in a notes folder included).
HOUSEKEEPING = re.compile(
    r"^(manifest\.(jsonl|json|md)|readme(\..*)?|license([-_.].*)?|copying(\..*)?|\.ds_store)$", re.IGNORECASE
)
_FILENAME_LIKE = re.compile(r"\.(md|txt|srt|vtt|pdf|json|markdown)$", re.IGNORECASE)


class ManifestError(ValueError):
    """A sources manifest line is not what the format says."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    file: str
    title: str | None = None
    resource: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    alt_urls: tuple[str, ...] = ()
    series_url: str | None = None
    license: str | None = None

    @property
    def is_license_text(self) -> bool:
        return (self.title or "").strip().lower() == "license text"


def read_sources_manifest(path: Path) -> dict[str, ManifestEntry]:
    """``file`` (relative, POSIX) -> entry. Unknown keys are allowed; bad lines are errors with line numbers."""
    entries: dict[str, ManifestEntry] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read ({exc})") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("file"), str) or not obj["file"]:
            raise ManifestError(f"{path}:{n}: each line must be an object with a non-empty 'file'")
        alt = obj.get("alt_urls") or ()
        if isinstance(alt, str):
            alt = (alt,)
        entries[obj["file"].lstrip("./")] = ManifestEntry(
            file=obj["file"],
            title=_str(obj.get("title")),
            resource=_str(obj.get("resource")),
            author=_str(obj.get("author")),
            canonical_url=_str(obj.get("canonical_url")),
            alt_urls=tuple(str(u) for u in alt),
            series_url=_str(obj.get("series_url")),
            license=_str(obj.get("license")),
        )
    return entries


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def find_manifest(start: Path) -> Path | None:
    """The nearest ``manifest.jsonl`` in ``start`` or any folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    return None


class ManifestCache:
    """Reads each manifest once per ingest and answers "what is the entry for this file?"."""

    def __init__(self) -> None:
        self._by_manifest: dict[Path, dict[str, ManifestEntry]] = {}
        self.errors: list[tuple[str, str]] = []

    def entry_for(self, path: Path) -> ManifestEntry | None:
        manifest = find_manifest(path.parent)
        if manifest is None:
            return None
        if manifest not in self._by_manifest:
            try:
                self._by_manifest[manifest] = read_sources_manifest(manifest)
            except ManifestError as exc:
                self.errors.append((str(manifest), str(exc)))
                self._by_manifest[manifest] = {}
        rel = path.relative_to(manifest.parent).as_posix()
        return self._by_manifest[manifest].get(rel)


def _part_by_file_name(resource: Any, path: Path) -> Any:
    """The part whose own URL or alias ends in this file's name (e.g. .../chapter02.pdf)."""
    name = path.name.lower()
    for part in getattr(resource, "parts", ()):
        for u in (part.url, *getattr(part, "alias_urls", ())):
            if u and urlsplit(u).path.lower().rsplit("/", 1)[-1] == name:
                return part
    return None


def _pretty_stem(path: Path) -> str:
    stem = path.name.split(".")[0]
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or path.name


class SourceResolver:
    """Builds a file's :class:`Source`: title, URL, and the catalog resource/part it belongs to."""

    def __init__(self, catalog: Catalog | None):
        self.catalog = catalog

    def resolve(
        self, path: Path, kind: str, entry: ManifestEntry | None, front: dict[str, Any] | None = None
    ) -> Source:
        front = front or {}
        key = str(path.resolve())
        resource_id = part_id = None
        part = resource = None
        if self.catalog is not None:
            wanted = front.get("resource")
            if wanted:
                try:
                    resource = self.catalog.resource_of(str(wanted))
                    resource_id = resource.id
                    if str(wanted) != resource.id:
                        part_id = str(wanted)
                        part = self.catalog.get(part_id)
                except KeyError:
                    pass
            elif entry is not None:
                match = self.catalog.match(
                    url=entry.canonical_url, name=entry.resource, alt_urls=entry.alt_urls, series_url=entry.series_url
                )
                if match is not None:
                    resource_id, part_id = match.resource_id, match.part_id
                    resource = self.catalog.resource_of(resource_id)
                    part = self.catalog.get(part_id) if part_id else _part_by_file_name(resource, path)
                    part_id = part.id if part is not None else None
        if front.get("concept") and resource_id is None:
            resource_id = NOTES_RESOURCE

        title = _str(front.get("title"))
        if not title and entry is not None and entry.title and not _FILENAME_LIKE.search(entry.title):
            title = entry.title
        if not title and part is not None:
            title = part.title
        if not title:
            title = _pretty_stem(path)
        if resource is not None and resource.title.lower() not in title.lower() and kind != "catalog":
            title = f"{resource.title}: {title}"

        url = _str(front.get("url")) or (entry.canonical_url if entry else None)
        page_offset = 0
        part_url = getattr(part, "url", None)
        if kind == "pdf" and part is not None and getattr(part, "page", None) and not is_pdf_url(url):
            # A chapter file of a book: cite the book's own page numbers (file page 1 = the part's first page).
            page_offset = int(part.page) - 1
        if not url:
            url = part_url or (resource.url if resource is not None else None)
        if not url and (resource_id == NOTES_RESOURCE or is_note_location(path.resolve())):
            # Our study notes: their repository path, portable across machines; the tutor cites the web
            # app's /notes/<slug> from it (links.note_url). Never a file: URL showing the server's folders.
            url = note_url(path.resolve())
        if not url:  # the file itself, so every citation has something to click (PDFs get #page=)
            url = path.resolve().as_uri()
        return Source(
            key=key,
            path=str(path),
            kind=kind,
            title=title,
            resource_id=resource_id,
            part_id=part_id,
            url=url,
            page_offset=page_offset,
            license=entry.license if entry else _str(front.get("license")),
            author=entry.author if entry else _str(front.get("author")),
        )
