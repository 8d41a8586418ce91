"""Readers: turn one file into :class:`~mathtutor.types.Section` records, keeping each locator.

Each reader raises :class:`LoadError` with a message written for the person who owns the file
(what is wrong and what to do); the ingest pipeline reports it per file and goes on with the batch.
Readers know nothing about the index or the catalog (that is :mod:`mathtutor.ingest.linking`).
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from mathtutor.types import Section

#: File suffix -> loader kind.
SUFFIX_KINDS = {
    ".pdf": "pdf",
    ".srt": "captions",
    ".vtt": "captions",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
}
CATALOG_FILENAME = "catalog.yaml"
TOPICS_FILENAME = "topics.yaml"  # read with the catalog (concept names), not indexed itself
SOURCES_FILENAME = "sources.yaml"  # the download registry of `mathtutor corpus fetch`, not content
TERMS_FILENAME = "terms_zh.yaml"  # the Chinese term table of the query rewrite (knowledge/zh.py), not content
TERMS_PART_GLOB = "terms_zh_*.yaml"  # further parts of that table (terms_zh_books.yaml)
SENSES_FILENAME = "offtopic.yaml"  # other domains' descriptions and cue words (knowledge/senses.py), not content
#: the scope model's training questions and fitted weights (tutor/scope_model.py), not content
SCOPE_MODEL_FILENAMES = ("scope_examples.jsonl", "scope_model.json")


class LoadError(Exception):
    """A file could not be read; the message says why, in words meant for its owner."""


def kind_for(path: Path) -> str | None:
    """The loader kind for ``path``, or None when mathtutor does not read that type of file."""
    if path.name == CATALOG_FILENAME:
        return "catalog"
    return SUFFIX_KINDS.get(path.suffix.lower())


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a regular file mathtutor may open (a FIFO, socket, device, symlink loop...), or None.

    Checked with ``os.stat`` before anything is opened: opening a FIFO blocks until a writer appears.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link points back at itself); fix or remove the link"
        if exc.errno == errno.ENOENT:
            return "broken symlink (its target does not exist)" if os.path.islink(path) else "file not found"
        if exc.errno == errno.ENAMETOOLONG:
            return "path too long"
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a file"
    for test, what in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(st.st_mode):
            return f"not a regular file: {what}"
    return "not a regular file"


def open_regular(path: Path) -> io.BufferedReader:
    """Open ``path`` for reading only if it is a regular file; never blocks (O_NONBLOCK, then fstat).

    Raises :class:`LoadError` with the reason otherwise: the file may have been swapped for a FIFO
    between discovery and reading.
    """
    problem = file_problem(path)
    if problem is not None:
        raise LoadError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LoadError("symlink loop (the link points back at itself); fix or remove the link") from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LoadError("not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a file whole, refusing empty, oversized, unreadable and non-regular ones with a clear message."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise LoadError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (max_file_mb)")
            data = fh.read(max_bytes + 1)
    except PermissionError as exc:
        raise LoadError(f"cannot read file: permission denied ({exc.strerror})") from exc
    except IsADirectoryError as exc:
        raise LoadError("is a directory, not a file") from exc
    except FileNotFoundError as exc:
        raise LoadError("file not found") from exc
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise LoadError(f"file grew over the {max_bytes / 1e6:.0f} MB limit (max_file_mb) while being read")
    if not data.strip():
        raise LoadError("file is empty")
    return data


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused, not guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(f"invalid UTF-16 text at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save the file as UTF-8"
        ) from exc


def load_sections(path: Path, kind: str, *, max_bytes: int) -> tuple[list[Section], dict[str, Any]]:
    """Read ``path`` with the reader for ``kind``: its sections and file-level metadata (front matter)."""
    data = read_bytes(path, max_bytes)
    if kind == "pdf":
        return load_pdf(data), {}
    if kind == "catalog":
        return load_catalog(path), {}
    text = decode_text(data)
    if kind == "captions":
        return load_captions(text, path.suffix.lower()), {}
    if kind == "markdown":
        return load_markdown(text)
    if kind == "text":
        sections = load_text(text)
        return sections, {}
    raise LoadError(f"unsupported file type {path.suffix or path.name!r}")


# ---------------------------------------------------------------- PDF

_DIGITS = re.compile(r"\d+")


def _clean_pdf_text(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines())


def _drop_running_lines(pages: list[str]) -> list[str]:
    """Drop headers/footers that repeat across pages (page numbers aside): noise for retrieval."""
    if len(pages) < 4:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln for ln in page.splitlines() if ln.strip()]
        for ln in {*lines[:2], *lines[-2:]}:
            counts[_DIGITS.sub("#", ln.strip())] += 1
    running = {ln for ln, n in counts.items() if n >= max(3, len(pages) // 3)}
    if not running:
        return pages
    out = []
    for page in pages:
        lines = page.splitlines()
        edge = set(range(min(2, len(lines)))) | set(range(max(0, len(lines) - 2), len(lines)))
        kept = [ln for i, ln in enumerate(lines) if not (i in edge and _DIGITS.sub("#", ln.strip()) in running)]
        out.append("\n".join(kept))
    return out


def load_pdf(data: bytes) -> list[Section]:
    """One section per page, numbered as the PDF numbers its pages (1-based).

    Margin notes (small text beside the body column) never enter the body's sentences: all of them go to
    ``Section.meta["margin"]`` (a list of strings, the page's key terms), and the longer ones (asides,
    captions) also follow the body as paragraphs of their own (:meth:`mathtutor.ingest.pdftext.PageText.text`).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from mathtutor.ingest.pdftext import PageText, extract_pages

    # pypdf logs every xref repair it makes ("Ignoring wrong pointing object ..."): hundreds of lines for
    # one real book, about damage it has already recovered from. Real failures still raise below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise LoadError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not ok:
                raise LoadError("encrypted PDF: it needs a password; save an unencrypted copy and ingest that")
        pages = extract_pages(reader.pages)  # a page pypdf cannot read comes back empty, the rest are kept
        texts = [_clean_pdf_text(p.body) for p in pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not texts:
        raise LoadError("PDF has no pages")
    if not any(t.strip() for t in texts):
        raise LoadError("PDF has no extractable text (scanned or image-only?); run OCR first")
    texts = _drop_running_lines(texts)  # before the notes are appended: headers and footers are at the edges
    texts = [PageText(body=t, margin=p.margin).text() for t, p in zip(texts, pages, strict=True)]
    return [
        Section(text=t, page=i, meta={"margin": p.margin} if p.margin else {})
        for i, (t, p) in enumerate(zip(texts, pages, strict=True), start=1)
        if t.strip()
    ]


# ---------------------------------------------------------------- captions

_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_TAGS = re.compile(r"<[^>]+>")


def _seconds(stamp: str) -> float:
    m = _TIMESTAMP.fullmatch(stamp.strip())
    if not m:
        raise LoadError(f"malformed caption timestamp {stamp!r}")
    h, mnt, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def load_captions(text: str, suffix: str) -> list[Section]:
    """One section per caption cue, with start/end seconds (parsed by webvtt-py)."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=suffix[1:]).captions
    except (MalformedCaptionError, MalformedFileError, ValueError, IndexError) as exc:
        raise LoadError(f"malformed {suffix[1:]} captions ({exc})") from exc
    sections = []
    for cue in captions:
        body = " ".join(_TAGS.sub("", cue.text).split())
        if body:
            sections.append(Section(text=body, start_s=_seconds(cue.start), end_s=_seconds(cue.end)))
    if not sections:
        raise LoadError(f"no caption cues found in this {suffix[1:]} file")
    return sections


# ---------------------------------------------------------------- text and markdown


#: A text longer than this is cut into windows of at most TEXT_WINDOW_CHARS, each chunked on its own, so
#: memory and time stay linear (one 50 MB line took minutes and 3.4 GB in one piece).
LARGE_TEXT_CHARS = 1_000_000
TEXT_WINDOW_CHARS = 32_000
_BREAKS = ("\n\n", "\n", ". ", " ", "\t")


def text_windows(body: str, size: int = TEXT_WINDOW_CHARS) -> list[str]:
    """``body`` cut into pieces of at most ``size`` characters, at a paragraph, line, sentence or word break
    in the last fifth of each window when there is one."""
    out, start, n = [], 0, len(body)
    while start < n:
        end = min(start + size, n)
        if end < n:
            floor = start + size * 4 // 5
            for sep in _BREAKS:
                cut = body.rfind(sep, floor, end)
                if cut > 0:
                    end = cut + len(sep)
                    break
        piece = body[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out


def load_text(text: str) -> list[Section]:
    body = text.strip()
    if not body:
        raise LoadError("file has no text")
    if len(body) <= LARGE_TEXT_CHARS:
        return [Section(text=body)]
    return [Section(text=piece, meta={"window": True}) for piece in text_windows(body)]


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_FENCE = re.compile(r"^(```+|~~~+)(.*)$")
_BEGIN_TAB = re.compile(r"^:begin_tab:`?([\w-]+)`?")
_DIRECTIVE_LINE = re.compile(r"^:(label|eqlabel|numref|width|maxdepth|end_tab):.*$")
_INLINE_ROLE = re.compile(r":(?:numref|eqref|ref|cite|label):`([^`]*)`")
_DISCUSSION = re.compile(r"^\[Discussions?\]\(.*\)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

#: Of per-framework code tabs (d2l), keep prose for this one only.
KEEP_TAB = "pytorch"


def strip_boilerplate(markdown: str) -> str:
    """Drop executable code cells, per-framework tabs other than one, labels and discussion links.

    d2l repeats each example in four frameworks; embedding all of them costs time and drowns the math.
    """
    out: list[str] = []
    fence: str | None = None
    skip_fence = False
    skip_tab = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence) and stripped.strip("`~") == "":
                fence, was_skipped = None, skip_fence
                skip_fence = False
                if was_skipped:
                    continue
            if skip_fence:
                continue
            out.append(line)
            continue
        m = _FENCE.match(stripped)
        if m:
            fence = m.group(1)
            info = m.group(2)
            skip_fence = ".input" in info or info.strip().startswith("{") or skip_tab
            if not skip_fence:
                out.append(line)
            continue
        tab = _BEGIN_TAB.match(stripped)
        if tab:
            skip_tab = tab.group(1) != KEEP_TAB
            continue
        if stripped.startswith(":end_tab:"):
            skip_tab = False
            continue
        if skip_tab or _DIRECTIVE_LINE.match(stripped) or _DISCUSSION.match(stripped):
            continue
        out.append(_INLINE_ROLE.sub(r"\1", line))
    return "\n".join(out)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (``---`` block at the top) and the body; bad YAML is reported, not ignored."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML front matter ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter must be a YAML mapping")
    return meta, text[m.end() :]


def load_markdown(text: str) -> tuple[list[Section], dict[str, Any]]:
    """One section per heading, the heading path (``Linear Algebra > Norms``) kept as its locator."""
    meta, body = split_front_matter(text)
    body = strip_boilerplate(body)
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []
    in_fence = False

    def flush() -> None:
        chunk = "\n".join(buf).strip()
        buf.clear()
        if chunk:
            heading = " > ".join(title for _, title in path) or None
            sections.append(Section(text=chunk, heading=heading))

    for line in body.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            path = [(lv, t) for lv, t in path if lv < level]
            path.append((level, m.group(2).strip()))
            continue
        buf.append(line)
    flush()
    if not sections:
        if path:  # headings only: still worth a record
            sections.append(Section(text=" > ".join(t for _, t in path), heading=path[0][1]))
        else:
            raise LoadError("markdown file has no text")
    return sections, meta


# ---------------------------------------------------------------- catalog


def load_catalog(path: Path) -> list[Section]:
    """One section per catalog resource and per part, so the catalog itself is searchable."""
    from mathtutor.knowledge.catalog import CatalogError
    from mathtutor.knowledge.catalog import load_catalog as _load
    from mathtutor.knowledge.topics import load_topics

    try:
        catalog = _load(path)
    except CatalogError as exc:
        raise LoadError(f"invalid catalog: {exc}") from exc
    try:
        names = {c.id: c.name for c in load_topics().concepts}
    except Exception:  # the catalog stays searchable even if the topic graph is broken
        names = {}

    def concept_names(ids: list[str]) -> str:
        return ", ".join(names.get(i, i.replace("-", " ")) for i in ids)

    sections: list[Section] = []
    for res in catalog.resources:
        creators = ", ".join(res.creators)
        lines = [
            f"{res.title} ({res.format.replace('-', ' ')}) by {creators}." if creators else f"{res.title}.",
            res.description or "",
            f"Level: {', '.join(res.levels)}." if res.levels else "",
            f"Topics: {concept_names(res.topics)}." if res.topics else "",
            f"Note: {res.note}" if res.note else "",
        ]
        sections.append(
            Section(
                text="\n".join(ln for ln in lines if ln),
                heading=res.title,
                meta={"resource_id": res.id, "url": res.url, "title": res.title},
            )
        )
        for part in res.parts:
            label = f"{part.number}. {part.title}" if part.number else part.title
            lines = [f"{res.title}: {label}."]
            if part.concepts:
                lines.append(f"Covers: {concept_names(part.concepts)}.")
            if part.page:
                lines.append(f"Starts on page {part.page}.")
            sections.append(
                Section(
                    text="\n".join(lines),
                    heading=label,
                    meta={"resource_id": res.id, "part_id": part.id, "url": part.url or res.url, "title": res.title},
                )
            )
    return sections
