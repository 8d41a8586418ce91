"""``mathtutor corpus fetch``: bring the freely downloadable texts and transcripts of the catalog onto this machine.

A learner should not have to hunt for PDFs by hand, and answers should cite the page or minute of a file
that is really here.  ``corpus/sources.yaml`` (facts only) names, for catalog entries, the files that can
be downloaded: addresses, format, licence terms and, where known, a sha256.  This module

* loads and checks that registry against the catalog (:func:`load_sources`) and picks items by id
  (:func:`select`);
* downloads them in parallel (:func:`fetch_items`) with timeouts, retries with backoff, resume of
  partial files (HTTP Range), a size cap, content checks (a PDF must be a PDF, not an HTML error page),
  checksum verification (or recording on first download, in ``DEST/checksums.json``, never in the
  committed registry) and an atomic rename into place, so a failed item never stops the others and never
  touches a file that is already there;
* writes ``DEST/manifest.jsonl`` (the sources-manifest format of :mod:`mathtutor.ingest.linking`) so ingestion
  links each file to its catalog entry and address (:func:`write_manifest`);
* and implements the command (:func:`run_fetch`), optionally ingesting what it fetched.

Files live at ``DEST/<catalog id>/<file>``; a mirror (``--mirror URL`` or ``$MATHTUTOR_MIRROR``) serves
the same layout at ``URL/<catalog id>/<file>``, so a fetched folder can itself be published as a mirror.
Partial downloads wait in ``DEST/.partial/`` (hidden, so ingestion never sees them).  The environment can
point at another registry (``MATHTUTOR_SOURCES``) and tune the transfer (``MATHTUTOR_FETCH_TIMEOUT``,
``_RETRIES``, ``_BACKOFF``, ``_MAX_MB``, ``_WORKERS``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mathtutor.ingest.pipeline import file_sha256
from mathtutor.links import check_http_url
from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    import httpx

    from mathtutor.knowledge.catalog import Catalog

__all__ = [
    "DEFAULT_DEST",
    "FetchBusyError",
    "FetchOptions",
    "Item",
    "ItemResult",
    "SelectionError",
    "SourcesError",
    "check_content",
    "default_sources_path",
    "fetch_items",
    "load_sources",
    "mirror_url",
    "run_fetch",
    "select",
    "write_manifest",
]

DEFAULT_DEST = PROJECT_ROOT / "data" / "corpus"
CHECKSUMS_NAME = "checksums.json"
MANIFEST_NAME = "manifest.jsonl"
PARTIAL_DIR = ".partial"  # hidden: ingest walks skip it
MIRROR_ENV = "MATHTUTOR_MIRROR"
SOURCES_ENV = "MATHTUTOR_SOURCES"
USER_AGENT = "mathtutor-corpus-fetch/0.1 (+offline math-for-ML tutor; personal study copies)"

FileFormat = Literal["pdf", "srt", "vtt", "md", "txt"]
_SUFFIXES = {"pdf": (".pdf",), "srt": (".srt",), "vtt": (".vtt",), "md": (".md", ".markdown"), "txt": (".txt",)}
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 64 * 1024

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class SourcesError(ValueError):
    """corpus/sources.yaml is malformed or names something the catalog does not have."""


class SelectionError(ValueError):
    """An id given on the command line names nothing that can be fetched."""


class FetchBusyError(RuntimeError):
    """Another fetch is writing into the same folder (their partial files would collide)."""


# ----------------------------------------------------------------------------- registry


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


# ------------------------------------------------------------------------------ content


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_STARTS) or (start.startswith(b"<?xml") and b"<html" in start[:512])


def check_content(path: Path, fmt: str) -> None:
    """Raise ValueError when the file is not what its format says (an error page, a truncated PDF, ...)."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("the server sent an empty file")
    with path.open("rb") as f:
        head = f.read(2048)
        f.seek(max(0, size - 2048))
        tail = f.read()
    if _looks_like_html(head):
        raise ValueError(f"got an HTML page, not a {fmt} file (the address may have moved or need a login)")
    if fmt == "pdf":
        if b"%PDF-" not in head[:1024]:
            raise ValueError(f"not a PDF (it starts with {head[:16]!r})")
        if b"%%EOF" not in tail:
            raise ValueError("the PDF is incomplete (no end-of-file marker)")
        return
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError(f"binary data, not a {fmt} text file")
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if fmt == "srt" and "-->" not in text:
        raise ValueError("no caption timings (-->) in this SubRip file")
    if fmt == "vtt" and not text.lstrip().startswith("WEBVTT"):
        raise ValueError("not a WebVTT file (no WEBVTT header)")


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ChecksumRecord:
    """DEST/checksums.json: sha256 and size of each file as first downloaded (the committed registry is
    never rewritten at run time); later downloads of a file without a registry checksum must match it."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.files: dict[str, dict[str, Any]] = {}
        self.warning: str | None = None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data.get("files") if isinstance(data, dict) else None
            if isinstance(files, dict):
                self.files = {
                    k: v for k, v in files.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)
                }
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.warning = f"{path} is unreadable ({exc}); checksums will be recorded afresh"

    def sha_for(self, key: str) -> str | None:
        with self._lock:
            entry = self.files.get(key)
        return entry["sha256"] if entry else None

    def record(self, key: str, sha: str, size: int, url: str | None) -> None:
        with self._lock:
            self.files[key] = {
                "sha256": sha,
                "bytes": size,
                "url": url,
                "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            body = {"version": 1, "note": "sha256 of files as first downloaded by mathtutor corpus fetch"}
            body["files"] = dict(sorted(self.files.items()))
            _atomic_write_text(self.path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------ fetching

Status = Literal["fetched", "resumed", "present", "planned", "failed"]


@dataclass(slots=True)
class ItemResult:
    key: str
    status: Status
    bytes: int = 0
    sha256: str | None = None
    checksum: str = ""  #: "verified" (registry or earlier record), "recorded" (first download) or ""
    url: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None
    offline: bool = False

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FetchOptions:
    """How to fetch; the defaults suit a home connection. ``MATHTUTOR_FETCH_*`` variables override them."""

    dest: Path = DEFAULT_DEST
    mirror: str | None = None
    timeout: float = 30.0  #: seconds to connect, and at most between two received blocks
    retries: int = 3  #: extra attempts per address after a transient failure (timeout, 5xx, dropped)
    backoff: float = 1.0  #: first pause before a retry, doubled each time (with a little jitter)
    max_bytes: int = 300 * 1024 * 1024  #: refuse larger files
    workers: int = 4
    progress: bool | None = None  #: None: a bar only on a terminal

    @classmethod
    def from_env(cls, **overrides: Any) -> FetchOptions:
        opts = cls(**{k: v for k, v in overrides.items() if v is not None})
        env = os.environ
        if env.get("MATHTUTOR_FETCH_TIMEOUT"):
            opts.timeout = float(env["MATHTUTOR_FETCH_TIMEOUT"])
        if env.get("MATHTUTOR_FETCH_RETRIES"):
            opts.retries = int(env["MATHTUTOR_FETCH_RETRIES"])
        if env.get("MATHTUTOR_FETCH_BACKOFF"):
            opts.backoff = float(env["MATHTUTOR_FETCH_BACKOFF"])
        if env.get("MATHTUTOR_FETCH_MAX_MB"):
            opts.max_bytes = int(float(env["MATHTUTOR_FETCH_MAX_MB"]) * 1024 * 1024)
        if env.get("MATHTUTOR_FETCH_WORKERS"):
            opts.workers = max(1, int(env["MATHTUTOR_FETCH_WORKERS"]))
        return opts


class _Retry(Exception):
    """A transient failure: try this address again (resuming what arrived)."""

    def __init__(self, message: str, *, offline: bool = False):
        super().__init__(message)
        self.offline = offline


class _Fail(Exception):
    """A failure that another attempt at the same address would repeat."""

    def __init__(self, message: str, *, offline: bool = False, keep_part: bool = False):
        super().__init__(message)
        self.offline = offline
        self.keep_part = keep_part  #: True only when interrupted: the next run resumes
        self.attempts = 1


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _connect_error(exc: Exception, url: str) -> _Retry | _Fail:
    """Name-resolution failures mean no network: fail at once (retrying only slows an offline run down)."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if any(
        s in low
        for s in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name",
            "getaddrinfo failed",
            "no address associated",
            "network is unreachable",
        )
    ):
        return _Fail(f"offline? cannot reach {_host(url)} ({text})", offline=True)
    return _Retry(f"cannot connect to {_host(url)} ({text}); offline?", offline=True)


def _parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    m = re.match(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", value or "")
    if not m:
        return None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), total


class _Fetcher:
    def __init__(self, options: FetchOptions, client: httpx.Client, record: ChecksumRecord, bar: Any):
        self.o = options
        self.client = client
        self.record = record
        self.bar = bar
        self.stop = threading.Event()
        self._bar_lock = threading.Lock()

    # -- bookkeeping ---------------------------------------------------------

    def _advance(self, n: int) -> None:
        if self.bar is not None and n:
            with self._bar_lock:
                self.bar.update(n)

    def _expected_sha(self, item: Item) -> str | None:
        return item.sha256 or self.record.sha_for(item.key)

    def _part_paths(self, item: Item) -> tuple[Path, Path]:
        part = self.o.dest / PARTIAL_DIR / (item.key + ".part")
        return part, part.with_name(part.name + ".json")

    @staticmethod
    def _drop(*paths: Path) -> None:
        for p in paths:
            p.unlink(missing_ok=True)

    # -- one item ------------------------------------------------------------

    def fetch(self, item: Item) -> ItemResult:
        t0 = time.monotonic()
        result = self._fetch(item)
        result.seconds = round(time.monotonic() - t0, 3)
        return result

    def _fetch(self, item: Item) -> ItemResult:
        target = self.o.dest / item.key
        expected = self._expected_sha(item)
        if target.is_file():
            present = self._check_present(item, target, expected)
            if present is not None:
                return present
        urls = [mirror_url(self.o.mirror, item)] if self.o.mirror else list(item.urls)
        errors: list[str] = []
        offline = True
        attempts = 0
        for url in urls:
            if self.stop.is_set():
                errors.append("interrupted")
                break
            try:
                result = self._download(item, url, target, expected)
                result.attempts += attempts
                return result
            except _Fail as exc:
                attempts += exc.attempts
                offline = offline and exc.offline
                errors.append(str(exc) if len(urls) == 1 else f"{_host(url)}: {exc}")
        return ItemResult(
            item.key, "failed", attempts=attempts, error="; ".join(errors), offline=offline and bool(errors)
        )

    def _check_present(self, item: Item, target: Path, expected: str | None) -> ItemResult | None:
        """A file already in place that verifies (or, with nothing to verify against, passes the content
        check and gets its checksum recorded) is kept; otherwise it is re-fetched, and replaced only by a
        download that verifies."""
        try:
            sha = file_sha256(target)
            size = target.stat().st_size
        except OSError:
            return None
        if expected is not None:
            if sha != expected:
                return None
            return ItemResult(item.key, "present", bytes=size, sha256=sha, checksum="verified")
        try:
            check_content(target, item.format)
        except ValueError:
            return None
        self.record.record(item.key, sha, size, None)
        return ItemResult(item.key, "present", bytes=size, sha256=sha, checksum="recorded")

    def _download(self, item: Item, url: str, target: Path, expected: str | None) -> ItemResult:
        part, meta = self._part_paths(item)
        part.parent.mkdir(parents=True, exist_ok=True)
        resumed = False
        last: _Retry | None = None
        attempt = 0
        for attempt in range(1, self.o.retries + 2):
            if self.stop.is_set():
                raise _Fail("interrupted", keep_part=True)
            if attempt > 1:
                pause = self.o.backoff * (2 ** (attempt - 2)) * (1 + 0.25 * random.random())
                if self.stop.wait(min(pause, 30.0)):
                    raise _Fail("interrupted", keep_part=True)
            try:
                size, resumed_now = self._attempt(item, url, part, meta)
                resumed = resumed or resumed_now
                break
            except _Retry as exc:
                last = exc
            except _Fail as exc:
                exc.attempts = attempt
                if not exc.keep_part:
                    self._drop(part, meta)
                raise
        else:
            assert last is not None  # the partial file stays: the next run resumes it
            fail = _Fail(f"{last} (gave up after {attempt} attempts)", offline=last.offline, keep_part=True)
            fail.attempts = attempt
            raise fail

        # Complete: check it, verify it, then move it into place in one step.
        try:
            check_content(part, item.format)
            if item.size is not None and size != item.size:
                raise ValueError(f"size {size} bytes differs from the {item.size} bytes the registry lists")
            sha = file_sha256(part)
            if expected is not None and sha != expected:
                where = "the registry" if item.sha256 else f"{CHECKSUMS_NAME} (first download)"
                hint = "" if item.sha256 else f"; if the publisher updated it, delete its entry in {CHECKSUMS_NAME}"
                raise ValueError(f"checksum mismatch: got {sha[:12]}…, {where} says {expected[:12]}…{hint}")
        except ValueError as exc:
            self._drop(part, meta)
            fail = _Fail(str(exc))
            fail.attempts = attempt
            raise fail from None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        self._drop(meta)
        checksum = "verified"
        if expected is None:
            self.record.record(item.key, sha, size, url)
            checksum = "recorded"
        status: Status = "resumed" if resumed else "fetched"
        return ItemResult(item.key, status, bytes=size, sha256=sha, checksum=checksum, url=url, attempts=attempt)

    def _attempt(self, item: Item, url: str, part: Path, meta: Path) -> tuple[int, bool]:
        """One GET into the partial file, resuming it when the server allows; returns (size, resumed)."""
        import httpx

        offset = 0
        validators: dict[str, str] = {}
        if part.is_file():
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                info = {}
            if info.get("url") == url and part.stat().st_size > 0:
                offset = part.stat().st_size
                validators = {k: v for k, v in info.items() if k in ("etag", "last_modified") and v}
            else:
                self._drop(part, meta)  # a fragment of some other address: start over
        headers = {"Accept-Encoding": "identity"}  # byte offsets must be offsets into the file itself
        if offset:
            headers["Range"] = f"bytes={offset}-"
            validator = validators.get("etag") or validators.get("last_modified")
            if validator and not validator.startswith("W/"):
                headers["If-Range"] = validator
        received = 0
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                code = r.status_code
                if code == 416 and offset:
                    self._drop(part, meta)
                    raise _Retry("the server would not resume the partial file; starting over")
                if code in (408, 425, 429) or code >= 500:
                    raise _Retry(f"HTTP {code} {r.reason_phrase}".strip())
                if code not in (200, 206):
                    raise _Fail(f"HTTP {code} {r.reason_phrase}".strip())
                total: int | None = None
                resumed = False
                if code == 206:
                    rng = _parse_content_range(r.headers.get("content-range"))
                    if rng is None or rng[0] != offset:
                        self._drop(part, meta)
                        raise _Retry("the server answered the resume request with a different range; starting over")
                    total = rng[1]
                    resumed = offset > 0
                else:
                    offset = 0  # no Range asked, or the server ignored it: the whole file comes again
                    length = r.headers.get("content-length")
                    if length and length.isdigit() and not r.headers.get("content-encoding"):
                        total = int(length)
                ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype in ("text/html", "application/xhtml+xml"):
                    raise _Fail(f"got an HTML page ({ctype}), not a {item.format} file (the address may have moved)")
                cap = self.o.max_bytes
                if total is not None and total > cap:
                    raise _Fail(f"file is {total / 1e6:.1f} MB, over the {cap / 1e6:.0f} MB cap")
                if r.headers.get("content-encoding", "identity").lower() == "identity":
                    info = {"url": url, "etag": r.headers.get("etag"), "last_modified": r.headers.get("last-modified")}
                    meta.write_text(json.dumps(info), encoding="utf-8")
                else:
                    self._drop(meta)  # decoded bytes do not line up with the server's offsets: no resuming
                size = offset
                with part.open("ab" if offset else "wb") as f:
                    for block in r.iter_bytes():
                        if self.stop.is_set():
                            raise _Fail("interrupted (the partial file is kept for next time)", keep_part=True)
                        size += len(block)
                        if size > cap:
                            f.close()
                            self._drop(part, meta)
                            raise _Fail(f"file is over the {cap / 1e6:.0f} MB cap")
                        f.write(block)
                        received += len(block)
                        self._advance(len(block))
                    f.flush()
                    os.fsync(f.fileno())
                if total is not None and size < total:
                    raise _Retry(f"the connection closed after {size} of {total} bytes")
                return size, resumed
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.o.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise _connect_error(exc, url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Retry(f"the connection dropped after {received} bytes ({exc})") from None
        except httpx.TooManyRedirects:
            raise _Fail("too many redirects") from None
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise _Fail(f"cannot write {part}: {exc.strerror or exc}") from None


@contextmanager
def _dest_lock(dest: Path) -> Iterator[None]:
    """One fetch per folder at a time (an advisory lock; released when the process ends, however it ends)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = dest / PARTIAL_DIR / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchBusyError(
                f"another `mathtutor corpus fetch` is writing to {dest}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch_items(
    items: Sequence[Item],
    options: FetchOptions,
    *,
    client: httpx.Client | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Fetch every item (in parallel); one result per item, in the given order. Never raises for an item
    (FetchBusyError if another fetch holds the folder)."""
    options.dest.mkdir(parents=True, exist_ok=True)
    with _dest_lock(options.dest):
        return _fetch_all(items, options, client, on_result)


def _fetch_all(
    items: Sequence[Item],
    options: FetchOptions,
    client: httpx.Client | None,
    on_result: Callable[[ItemResult], None] | None,
) -> list[ItemResult]:
    import httpx

    record = ChecksumRecord(options.dest / CHECKSUMS_NAME)
    if record.warning:
        print(f"warning: {record.warning}", file=sys.stderr)
    show = options.progress if options.progress is not None else sys.stderr.isatty()
    bar = None
    if show:
        from tqdm import tqdm

        known = [i.size for i in items]
        total = sum(s for s in known if s) if all(known) else None
        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="fetch", file=sys.stderr)
    own_client = client is None
    if client is None:
        client = httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max(4, options.workers * 2)),
        )
    fetcher = _Fetcher(options, client, record, bar)
    results: list[ItemResult | None] = [None] * len(items)

    def run(index: int) -> None:
        try:
            res = fetcher.fetch(items[index])
        except Exception as exc:  # a bug must not take the other items down with it
            res = ItemResult(items[index].key, "failed", error=f"unexpected error: {type(exc).__name__}: {exc}")
        results[index] = res
        if bar is not None:
            with fetcher._bar_lock:
                bar.set_postfix_str(f"{sum(r is not None for r in results)}/{len(items)} files", refresh=False)
        if on_result is not None:
            on_result(res)

    pool = ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(items) or 1)))
    try:
        futures = [pool.submit(run, i) for i in range(len(items))]
        for fut in futures:
            fut.result()
    except BaseException:
        fetcher.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        if bar is not None:
            bar.close()
        if own_client:
            client.close()
    return [r if r is not None else ItemResult(items[i].key, "failed", error="not run") for i, r in enumerate(results)]


def plan(items: Sequence[Item], options: FetchOptions) -> list[ItemResult]:
    """What a fetch would do, without any network: files already in place are checked locally."""
    record = ChecksumRecord(options.dest / CHECKSUMS_NAME)
    out = []
    for item in items:
        target = options.dest / item.key
        expected = item.sha256 or record.sha_for(item.key)
        url = mirror_url(options.mirror, item) if options.mirror else item.urls[0]
        if target.is_file():
            sha = file_sha256(target)
            if expected is None or sha == expected:
                out.append(
                    ItemResult(
                        item.key,
                        "present",
                        bytes=target.stat().st_size,
                        sha256=sha,
                        url=url,
                        checksum="verified" if expected else "",
                    )
                )
                continue
        out.append(ItemResult(item.key, "planned", bytes=item.size or 0, sha256=expected, url=url))
    return out


def write_manifest(dest: Path, items: Iterable[Item]) -> Path:
    """DEST/manifest.jsonl for every registry item present under DEST (rewritten whole, atomically)."""
    lines = [json.dumps(i.manifest_entry(), ensure_ascii=False) for i in items if (dest / i.key).is_file()]
    path = dest / MANIFEST_NAME
    _atomic_write_text(path, "".join(line + "\n" for line in lines))
    return path


# ------------------------------------------------------------------------------ command


def _human(n: int) -> str:
    if not n:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _table(results: Sequence[ItemResult], items: Sequence[Item]) -> str:
    by_key = {i.key: i for i in items}
    rows = [("ITEM", "STATUS", "SIZE", "CHECKSUM", "FROM / WHY")]
    for r in results:
        why = r.error if r.status == "failed" else (_host(r.url) if r.url else "")
        if r.status == "planned":
            why = r.url or ""
        checksum = r.checksum or ("to verify" if r.status == "planned" and r.sha256 else "")
        size = r.bytes or (by_key[r.key].size or 0 if r.key in by_key else 0)
        rows.append((r.key, r.status, _human(size), checksum, why or ""))
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row[:4])) + "  " + row[4] for row in rows
    ).rstrip()


def _licences(items: Sequence[Item]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in items:
        out.setdefault(i.resource_id, f"{i.license}. {i.terms}")
    return out


def run_fetch(args: argparse.Namespace, *, embedder: Any = None) -> int:
    """The ``mathtutor corpus fetch`` command. ``embedder`` is for tests (ingest loads the model otherwise)."""
    from mathtutor.knowledge.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
        items = load_sources(catalog=catalog)
        chosen = select(items, getattr(args, "ids", None) or [], catalog)
    except (CatalogError, SourcesError, SelectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    mirror = getattr(args, "mirror", None) or os.environ.get(MIRROR_ENV) or None
    if mirror and urlsplit(mirror).scheme not in ("http", "https"):
        print(f"error: --mirror must be an http(s) URL, not {mirror!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        options = FetchOptions.from_env(dest=getattr(args, "dest", None), mirror=mirror)
    except ValueError as exc:
        print(f"error: bad MATHTUTOR_FETCH_* setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options.dest = options.dest.expanduser()
    as_json = bool(getattr(args, "json", False))
    if as_json:
        options.progress = False
    licences = _licences(chosen)

    if getattr(args, "dry_run", False):
        results = plan(chosen, options)
        if as_json:
            print(
                json.dumps(
                    {
                        "dest": str(options.dest),
                        "dry_run": True,
                        "results": [r.to_dict() for r in results],
                        "licences": licences,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            todo = sum(r.status == "planned" for r in results)
            print(_table(results, chosen))
            print(
                f"\nDry run: {todo} to fetch, {len(results) - todo} already in {options.dest}; nothing was downloaded."
            )
            _print_licences(licences)
        return EXIT_OK

    try:
        options.dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create {options.dest}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        results = fetch_items(chosen, options)
    except FetchBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BaseException:  # interrupted: the files already in place still get their manifest lines
        write_manifest(options.dest, items)
        raise
    manifest = write_manifest(options.dest, items)
    failed = [r for r in results if not r.ok]
    report: dict[str, Any] = {
        "dest": str(options.dest),
        "manifest": str(manifest),
        "results": [r.to_dict() for r in results],
        "licences": licences,
    }
    if not as_json:
        print(_table(results, chosen))
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        print(f"\n{summary}. Files in {options.dest} (sources manifest: {manifest.name}).")
        if failed and all(r.offline for r in failed) and len(failed) == len(results):
            print("No download worked: this machine seems to be offline (or the sources are unreachable).")
        _print_licences(licences)

    ingest_ok = True
    if getattr(args, "ingest", False):
        from mathtutor.ingest.pipeline import ingest
        from mathtutor.settings import get_settings

        paths = [options.dest / i.key for i in chosen if (options.dest / i.key).is_file()]
        if paths:
            settings = get_settings(index_dir=getattr(args, "index", None))
            rep = ingest(paths, settings, progress=False if as_json else None, embedder=embedder)
            ingest_ok = rep.ok
            report["ingest"] = rep.to_dict()
            if not as_json:
                print(
                    f"\nIngested into {settings.index_dir}: {rep.files_new} new, {rep.files_changed} changed, "
                    f"{rep.files_unchanged} unchanged; {rep.chunks_total} chunks in the index."
                )
                for issue in rep.errors:
                    print(f"  failed: {issue.file}: {issue.reason}", file=sys.stderr)
        elif not as_json:
            print("\nNothing to ingest: no fetched file is in place.")
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    return EXIT_OK if not failed and ingest_ok else EXIT_FAILED


def _print_licences(licences: dict[str, str]) -> None:
    if not licences:
        return
    print("\nLicences and terms (as the publishers state them):")
    for rid, text in licences.items():
        print(f"  {rid}: {text}")
