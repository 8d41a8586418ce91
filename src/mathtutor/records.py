"""Records that cross module lines: what a file is, what a loader yields, what the index stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Loader kinds; they decide how a chunk's locator reads and links.
KINDS = ("pdf", "captions", "text", "markdown", "catalog")


@dataclass(slots=True)
class Source:
    """One ingested file and where it comes from (resource, title, URL), as the manifest/catalog say."""

    key: str  #: identity of the file in an index: its resolved absolute path
    path: str
    kind: str
    title: str
    resource_id: str | None = None
    part_id: str | None = None
    url: str | None = None
    page_offset: int = 0  #: add to a file page to get the page of ``url`` (chapter PDF -> whole book)
    license: str | None = None
    author: str | None = None


@dataclass(slots=True)
class Section:
    """A piece of a file before chunking: a PDF page, a caption cue, a markdown section, a catalog entry."""

    text: str
    page: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    heading: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def format_time(seconds: float) -> str:
    """``83.4`` -> ``"1:23"``; ``3725`` -> ``"1:02:05"``."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _is_video_url(url: str) -> bool:
    host = urlsplit(url).netloc.lower()
    return host.endswith("youtube.com") or host.endswith("youtu.be")


def _is_pdf_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".pdf")


@dataclass(slots=True)
class Chunk:
    """A retrievable passage with everything a citation needs."""

    text: str
    file_key: str
    kind: str
    title: str
    ordinal: int
    resource_id: str | None = None
    part_id: str | None = None
    url: str | None = None
    page: int | None = None
    page_offset: int = 0
    start_s: float | None = None
    end_s: float | None = None
    section: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def locator(self) -> str:
        """Human-readable position: ``p. 12``, ``3:05-4:10``, ``§ Change of basis``."""
        if self.page is not None:
            return f"p. {self.page + self.page_offset}"
        if self.start_s is not None:
            end = f"-{format_time(self.end_s)}" if self.end_s is not None else ""
            return f"{format_time(self.start_s)}{end}"
        if self.section:
            return f"§ {self.section}"
        return ""

    def link(self) -> str | None:
        """Deep link: YouTube ``?t=`` seconds, PDF ``#page=``; the plain URL otherwise."""
        if not self.url:
            return None
        if self.start_s is not None and _is_video_url(self.url):
            return _with_query(self.url.split("#")[0], t=f"{int(self.start_s)}s")
        if self.page is not None and _is_pdf_url(self.url):
            return f"{self.url.split('#')[0]}#page={self.page + self.page_offset}"
        return self.url

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
