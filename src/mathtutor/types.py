"""Records that cross module lines: what a file is, what a loader yields, what the index stores."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mathtutor.links import deep_link

#: A citation marker in answer text: ``[3]`` cites the third source. The one definition every
#: module uses (generation, evals, web UI), so they agree on what counts as a citation; ``[1](url)``
#: and ``[1][2]``-style markdown link text are not markers.
CITATION_MARKER = re.compile(r"\[(\d{1,3})\](?![(\[])")

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
        page = self.page + self.page_offset if self.page is not None else None
        return deep_link(self.url, page=page, start_s=self.start_s)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
