"""Parsing: one file -> sections -> chunks, in worker processes that parse ahead while the main one embeds.

Workers die with their parent (PR_SET_PDEATHSIG) and are started before torch loads, or spawned.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from mathtutor.ingest.chunking import Chunker, load_token_counter, load_token_offsets
from mathtutor.ingest.discovery import Candidate, file_sha256
from mathtutor.ingest.linking import SourceResolver
from mathtutor.ingest.readers import (
    LoadError,
    load_sections,
)
from mathtutor.settings import Settings
from mathtutor.types import Chunk, Source

_worker: dict[str, Any] = {}


def _init_worker(
    settings: Settings, resolver: SourceResolver, progress: bool | None = None, parent_pid: int | None = None
) -> None:
    if parent_pid is not None:
        from mathtutor.ingest.workers import die_with_parent

        die_with_parent(parent_pid)
    model = settings.resolved_model_path()
    _worker["chunker"] = Chunker(
        load_token_counter(model),
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        token_offsets=load_token_offsets(model),
    )
    _worker["resolver"] = resolver
    _worker["max_bytes"] = int(settings.max_file_mb * 1e6)
    _worker["progress"] = progress


@dataclass(slots=True)
class Parsed:
    candidate: Candidate
    sha256: str = ""
    source: Source | None = None
    chunks: list[Chunk] = field(default_factory=list)
    pages: int = 0
    error: str | None = None


def parse_file(cand: Candidate) -> Parsed:
    """Load and chunk one file; any failure becomes ``Parsed.error`` (never an exception)."""
    out = Parsed(cand)
    try:
        out.sha256 = file_sha256(cand.path)
        sections, front = load_sections(cand.path, cand.kind, max_bytes=_worker["max_bytes"])
        out.source = _worker["resolver"].resolve(cand.path, cand.kind, cand.entry, front)
        if front.get("concept"):
            for sec in sections:
                sec.meta.setdefault("concept", str(front["concept"]))
        out.chunks = _chunk_with_progress(cand, out.source, sections)
        out.pages = max((s.page or 0 for s in sections), default=0)
        if not out.chunks:
            out.error = "no text to index"
    except LoadError as exc:
        out.error = str(exc)
    except OSError as exc:
        out.error = f"cannot read file: {exc.strerror or exc}"
    except Exception as exc:  # a reader bug must not sink the batch; report it with its type
        out.error = f"unexpected error while reading ({type(exc).__name__}: {exc})"
    return out


def _chunk_with_progress(cand: Candidate, source: Source, sections: list) -> list[Chunk]:
    """Chunk a file; a huge text (read in windows) shows its own progress bar, window by window."""
    chunker = _worker["chunker"]
    if len(sections) < 8 or not sections[0].meta.get("window") or _worker.get("progress") is False:
        return chunker.chunk(source, sections)
    from tqdm.auto import tqdm

    chunks: list[Chunk] = []
    disable = None if _worker.get("progress") is None else False
    with tqdm(
        total=len(sections), unit="window", desc=f"parse {cand.path.name}", file=sys.stderr, disable=disable
    ) as bar:
        for sec in sections:
            chunks.extend(chunker.chunk(source, [sec]))
            bar.update(1)
    for i, c in enumerate(chunks):
        c.ordinal = i
    return chunks


class ParseStream:
    """Parsed files in input order; with parse_workers > 0 a worker pool parses ahead from creation on
    (parsing is ~4x faster than embedding, so it stays ahead). A yielded result is no longer held here.

    Create it before the model loads: the pool then forks from a process without torch threads (see
    :mod:`mathtutor.ingest.workers`, which falls back to spawn otherwise).
    """

    def __init__(
        self, cands: list[Candidate], settings: Settings, resolver: SourceResolver, progress: bool | None = None
    ):
        self.cands = cands
        self.pool: ProcessPoolExecutor | None = None
        self.futures: deque[tuple[Candidate, Future]] = deque()
        if settings.parse_workers == 0 or len(cands) < 2:
            _init_worker(settings, resolver, progress)
            return
        from mathtutor.ingest.workers import safe_context

        self.pool = ProcessPoolExecutor(
            settings.parse_workers,
            mp_context=safe_context(),
            initializer=_init_worker,
            initargs=(settings, resolver, progress, os.getpid()),
        )
        self.futures.extend((c, self.pool.submit(parse_file, c)) for c in cands)  # workers start now

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Parse nothing until the block ends (calibration then times the embedding candidates on otherwise
        idle cores, all under the same conditions): queued files are taken back and queued again after,
        in order; the few already handed to a worker are let finish first."""
        held = [(c, f) for c, f in self.futures if f.cancel()]
        wait([f for _, f in self.futures if not f.cancelled()])
        try:
            yield
        finally:
            if self.pool is not None and held:
                again = {id(f): (c, self.pool.submit(parse_file, c)) for c, f in held}
                self.futures = deque(again.get(id(f), (c, f)) for c, f in self.futures)

    def __iter__(self) -> Iterator[Parsed]:
        if self.pool is None:
            yield from (parse_file(c) for c in self.cands)
            return
        while self.futures:
            _, fut = self.futures.popleft()
            yield fut.result()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def close(self) -> None:
        """Stop parsing (on error or interrupt): queued files are dropped, workers exit."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
