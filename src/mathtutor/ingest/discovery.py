"""Which files to ingest: walking the paths, their kinds and manifest entries, timed captions over transcripts."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mathtutor.ingest.linking import HOUSEKEEPING, MANIFEST_NAME, ManifestCache, ManifestEntry
from mathtutor.ingest.readers import (
    SCOPE_MODEL_FILENAMES,
    SENSES_FILENAME,
    SOURCES_FILENAME,
    TERMS_FILENAME,
    TERMS_PART_GLOB,
    TOPICS_FILENAME,
    file_problem,
    kind_for,
    open_regular,
)
from mathtutor.links import is_video_url

_STEM_SUFFIXES = re.compile(r"(\.(captions|transcript|subtitles|subs|en|english))+$", re.IGNORECASE)


@dataclass(slots=True)
class FileIssue:
    file: str
    reason: str


@dataclass(slots=True)
class Candidate:
    path: Path
    kind: str
    entry: ManifestEntry | None

    @property
    def key(self) -> str:
        return str(self.path.resolve())


def discover(
    paths: Iterable[Path], manifests: ManifestCache
) -> tuple[list[Candidate], list[FileIssue], list[FileIssue]]:
    """Files to ingest under ``paths``; plus skipped files and errors, each with a reason.

    A file named explicitly that mathtutor cannot read is an error; one met while walking a
    folder is skipped with its reason.
    """
    found: dict[str, Candidate] = {}
    skipped: list[FileIssue] = []
    errors: list[FileIssue] = []

    def consider(path: Path, explicit: bool) -> None:
        tables = (MANIFEST_NAME, TOPICS_FILENAME, SOURCES_FILENAME, TERMS_FILENAME, SENSES_FILENAME)
        is_table = path.name in tables or path.name in SCOPE_MODEL_FILENAMES
        if (is_table or fnmatch.fnmatchcase(path.name, TERMS_PART_GLOB)) and not explicit:
            return  # the project's own tables (sources manifest, topic graph, term table, scope check), not content
        if HOUSEKEEPING.match(path.name):
            if explicit:
                errors.append(
                    FileIssue(str(path), "a folder description (manifest, README or licence), not course material")
                )
            else:
                skipped.append(FileIssue(str(path), "folder description (manifest, README or licence)"))
            return
        kind = kind_for(path)
        if kind is None:
            reason = f"unsupported file type {path.suffix or '(no extension)'}; mathtutor reads .pdf .srt .vtt .txt .md"
            (errors if explicit else skipped).append(FileIssue(str(path), reason))
            return
        problem = file_problem(path)
        if problem is not None:  # FIFO, socket, device, symlink loop: never opened
            is_error = explicit or "symlink" in problem
            (errors if is_error else skipped).append(FileIssue(str(path), problem))
            return
        entry = manifests.entry_for(path)
        if entry is not None and entry.is_license_text:
            skipped.append(FileIssue(str(path), "licence text"))
            return
        cand = Candidate(path, kind, entry)
        found.setdefault(cand.key, cand)

    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file() or (os.path.islink(path) and not path.exists()):  # a loop or dangling link: reported
            consider(path, explicit=True)
        elif path.is_dir():
            for folder, dirs, files in os.walk(
                path, onerror=lambda e: errors.append(FileIssue(e.filename, e.strerror))
            ):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        consider(Path(folder) / name, explicit=False)
        elif path.exists():
            errors.append(FileIssue(str(path), file_problem(path) or "not a regular file or folder"))
        else:
            errors.append(FileIssue(str(path), "no such file or folder"))
    for where, reason in manifests.errors:
        errors.append(FileIssue(where, reason))
    kept, dropped = drop_untimed_duplicates(list(found.values()))
    skipped.extend(dropped)
    return kept, skipped, errors


def _video_identity(c: Candidate) -> tuple[str, str]:
    if c.entry is not None and is_video_url(c.entry.canonical_url):
        from mathtutor.links import normalize_url

        return ("url", normalize_url(c.entry.canonical_url or ""))
    return ("stem", str(c.path.parent / _STEM_SUFFIXES.sub("", c.path.name.rsplit(".", 1)[0])))


def drop_untimed_duplicates(cands: Sequence[Candidate]) -> tuple[list[Candidate], list[FileIssue]]:
    """Same video as both captions and plain transcript: keep the timed one (it deep-links to ?t=)."""
    timed: dict[tuple[str, str], Candidate] = {}
    for c in cands:
        if c.kind == "captions":
            timed.setdefault(_video_identity(c), c)
    kept, dropped = [], []
    for c in cands:
        twin = timed.get(_video_identity(c)) if c.kind == "text" else None
        if twin is not None:
            dropped.append(FileIssue(str(c.path), f"same video as {twin.path.name}; kept the timed captions"))
        else:
            kept.append(c)
    return kept, dropped


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
