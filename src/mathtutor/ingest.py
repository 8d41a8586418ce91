"""The ingest pipeline: files -> sections -> chunks -> embeddings -> a new index generation.

Unchanged files (same SHA-256) cost nothing: a no-op re-ingest reads the manifest, hashes the
files and returns without loading the model. Parsing runs in a worker process while the main
process embeds, and every failure is per file: the batch goes on and nothing indexed is lost.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .chunking import Chunker, embedding_text, load_token_counter, text_hash
from .loading import SOURCES_FILENAME, TOPICS_FILENAME, LoadError, kind_for, load_sections
from .records import Chunk, Source
from .settings import Settings, get_settings
from .sources import HOUSEKEEPING, MANIFEST_NAME, ManifestCache, ManifestEntry, SourceResolver, is_video_url
from .store import IndexWriter, check_compatible, read_manifest

#: Embed this many chunks per model call: the model sorts a call by length, so big calls pad little.
EMBED_GROUP = 1024
_STEM_SUFFIXES = re.compile(r"(\.(captions|transcript|subtitles|subs|en|english))+$", re.IGNORECASE)


@dataclass(slots=True)
class FileIssue:
    file: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What an ingest did; ``to_dict()`` is what ``mathtutor ingest --json`` prints."""

    index_dir: str
    files_seen: int = 0
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    pages: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    duplicates_dropped: int = 0
    skipped: list[FileIssue] = field(default_factory=list)
    errors: list[FileIssue] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    model_load_seconds: float = 0.0
    embed_precision: str | None = None  # float32, bfloat16 or int8, as calibration or the settings chose
    embed_config: dict[str, Any] | None = None  # the calibration choice: layout, source, what each candidate measured
    embed_summary: str | None = None  # that choice in one line, for the CLI summary
    calibration_seconds: float = 0.0
    chunks_per_second: float = 0.0
    noop: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Candidate:
    path: Path
    kind: str
    entry: ManifestEntry | None

    @property
    def key(self) -> str:
        return str(self.path.resolve())


# ---------------------------------------------------------------- discovery


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
        if path.name in (MANIFEST_NAME, TOPICS_FILENAME, SOURCES_FILENAME) and not explicit:
            return  # read as the folder's sources manifest / by the catalog reader, not content
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
        entry = manifests.entry_for(path)
        if entry is not None and entry.is_license_text:
            skipped.append(FileIssue(str(path), "licence text"))
            return
        cand = Candidate(path, kind, entry)
        found.setdefault(cand.key, cand)

    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file():
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
            errors.append(FileIssue(str(path), "not a regular file or folder"))
        else:
            errors.append(FileIssue(str(path), "no such file or folder"))
    for where, reason in manifests.errors:
        errors.append(FileIssue(where, reason))
    kept, dropped = drop_untimed_duplicates(list(found.values()))
    skipped.extend(dropped)
    return kept, skipped, errors


def _video_identity(c: Candidate) -> tuple[str, str]:
    if c.entry is not None and is_video_url(c.entry.canonical_url):
        from .catalog import normalize_url

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
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- parsing (runs in a worker process)

_worker: dict[str, Any] = {}


def _init_worker(settings: Settings, resolver: SourceResolver, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        from .workers import die_with_parent

        die_with_parent(parent_pid)
    counter = load_token_counter(settings.resolved_model_path())
    _worker["chunker"] = Chunker(counter, settings.chunk_tokens, settings.chunk_overlap_tokens)
    _worker["resolver"] = resolver
    _worker["max_bytes"] = int(settings.max_file_mb * 1e6)


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
        out.chunks = _worker["chunker"].chunk(out.source, sections)
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


class _ParseStream:
    """Parsed files in input order; with parse_workers > 0 a worker pool parses ahead from creation on.

    Create it before the model loads: the pool then forks from a process without torch threads (see
    :mod:`mathtutor.workers`, which falls back to spawn otherwise).
    """

    def __init__(self, cands: list[Candidate], settings: Settings, resolver: SourceResolver):
        self.cands = cands
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Any] = []
        if settings.parse_workers == 0 or len(cands) < 2:
            _init_worker(settings, resolver)
            return
        from .workers import safe_context

        self.pool = ProcessPoolExecutor(
            settings.parse_workers,
            mp_context=safe_context(),
            initializer=_init_worker,
            initargs=(settings, resolver, os.getpid()),
        )
        self.futures = [self.pool.submit(parse_file, c) for c in cands]  # workers start now

    def __iter__(self) -> Iterator[Parsed]:
        if self.pool is None:
            yield from (parse_file(c) for c in self.cands)
            return
        for fut in self.futures:
            yield fut.result()
        self.pool.shutdown(wait=True)
        self.pool = None

    def close(self) -> None:
        """Stop parsing (on error or interrupt): queued files are dropped, workers exit."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


# ---------------------------------------------------------------- the pipeline


def _load_catalog_quietly(settings: Settings):
    try:
        from .catalog import load_catalog

        return load_catalog(settings.corpus_dir / "catalog.yaml")
    except Exception as exc:
        print(f"warning: catalog not loaded, files will not be linked to it ({exc})", file=sys.stderr)
        return None


def ingest(
    paths: Iterable[Path | str],
    settings: Settings | None = None,
    *,
    prune: bool = False,
    progress: bool | None = None,
    embedder: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Bring the index at ``settings.index_dir`` up to date with ``paths``.

    ``progress=None`` shows a bar only on a terminal; ``on_progress(done, total)`` is for UIs.
    """
    settings = settings or get_settings()
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    report = IngestReport(index_dir=str(index_dir))
    paths = [Path(p) for p in paths]

    manifest = read_manifest(index_dir)
    if manifest is not None:
        check_compatible(manifest, settings.embedding_model, settings.embedding_dim, index_dir)
    known: dict[str, dict[str, Any]] = (manifest or {}).get("files", {})

    cands, report.skipped, report.errors = discover(paths, ManifestCache())
    report.files_seen = len(cands)
    todo: list[Candidate] = []
    status: dict[str, str] = {}  # counted as new/changed only once indexed
    for c in cands:
        old = known.get(c.key)
        try:
            sha = file_sha256(c.path)
        except OSError as exc:
            report.errors.append(FileIssue(str(c.path), f"cannot read file: {exc.strerror or exc}"))
            continue
        if old is None:
            status[c.key] = "new"
            todo.append(c)
        elif old.get("sha256") != sha:
            status[c.key] = "changed"
            todo.append(c)
        else:
            report.files_unchanged += 1

    removals = [k for k in known if prune and not Path(k).exists()]
    # files whose passages were dropped as duplicates of a changed/removed file get another look
    changing = {c.key for c in todo} | set(removals)
    todo_keys = {c.key for c in todo}
    for key, entry in known.items():
        if key not in todo_keys and key not in removals and changing & set(entry.get("dup_of", [])):
            redo, _, _ = discover([Path(key)], ManifestCache())
            todo.extend(redo)
            todo_keys.update(c.key for c in redo)

    if not todo and not removals:
        report.noop = True
        report.chunks_total = (manifest or {}).get("counts", {}).get("chunks", 0)
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    resolver = SourceResolver(_load_catalog_quietly(settings))
    chunker_info = {"chunk_tokens": settings.chunk_tokens, "overlap_tokens": settings.chunk_overlap_tokens}
    with IndexWriter(
        index_dir,
        model=settings.embedding_model,
        dim=settings.embedding_dim,
        chunker=chunker_info,
        ann_min_vectors=settings.ann_min_chunks,
    ) as w:
        for key in removals:
            report.chunks_removed += w.remove_file(key)
            report.files_removed += 1
        own_embedder = embedder is None
        parsed_iter = _ParseStream(todo, settings, resolver)  # parsing starts before torch loads
        tuner = choice = None
        try:
            if own_embedder:
                from .calibration import Tuner

                tuner = Tuner(settings, "ingest")
                choice = tuner.known()  # None: measured on the first batch of real chunks
                embedder = _embedder_for(choice, settings)
            t_load = time.perf_counter()
            _ = embedder.model  # load now (the parse worker is already running) so embed timings are pure
        except BaseException:
            parsed_iter.close()
            raise
        report.model_load_seconds = round(time.perf_counter() - t_load, 3)

        def record_choice() -> None:
            report.embed_precision = getattr(embedder, "precision", None)
            if report.embed_precision:
                w.manifest["embed_precision"] = report.embed_precision
            if choice is not None:
                report.embed_config = choice.to_dict()
                report.embed_summary = choice.describe()
                w.manifest["embed_config"] = report.embed_config

        record_choice()
        bar = _progress_bar(len(todo), progress)
        pending: list[tuple[Parsed, list[Chunk], list[str], set[str]]] = []
        run_hashes: dict[str, str] = {}
        done = 0

        def flush() -> None:
            nonlocal embedder, choice
            chunks = [c for _, cs, _, _ in pending for c in cs]
            texts = [embedding_text(c) for c in chunks]
            if tuner is not None and choice is None:
                t = time.perf_counter()
                embedder, choice = _calibrate(tuner, embedder, texts, settings)
                report.calibration_seconds = round(time.perf_counter() - t, 3)
                record_choice()
            t = time.perf_counter()
            vectors = embedder.embed(texts)
            report.embed_seconds += time.perf_counter() - t
            at = 0
            for parsed, cs, hashes, dup_of in pending:
                src = parsed.source
                assert src is not None
                if parsed.candidate.key in w.files:
                    report.chunks_removed += w.remove_file(parsed.candidate.key)
                w.add_chunks(cs, vectors[at : at + len(cs)], hashes)
                at += len(cs)
                w.set_file(
                    parsed.candidate.key,
                    {
                        "path": src.path,
                        "sha256": parsed.sha256,
                        "kind": src.kind,
                        "title": src.title,
                        "resource_id": src.resource_id,
                        "part_id": src.part_id,
                        "url": src.url,
                        "chunks": len(cs),
                        "pages": parsed.pages,
                        "dup_of": sorted(dup_of),
                    },
                )
                report.chunks_added += len(cs)
                report.pages += parsed.pages
                if status.get(parsed.candidate.key) == "new":
                    report.files_new += 1
                elif status.get(parsed.candidate.key) == "changed":
                    report.files_changed += 1
            pending.clear()

        try:
            for parsed in parsed_iter:
                done += 1
                if parsed.error is not None:
                    report.errors.append(FileIssue(str(parsed.candidate.path), parsed.error))
                else:
                    key = parsed.candidate.key
                    kept, hashes, dup_of = [], [], set()
                    for c in parsed.chunks:
                        h = text_hash(c.text)
                        owner = run_hashes.get(h)
                        if owner is None:
                            owner = w.owner_of_hash(h)
                        if owner is not None and owner != key and owner not in removals:
                            dup_of.add(owner)
                            report.duplicates_dropped += 1
                            continue
                        run_hashes.setdefault(h, key)
                        kept.append(c)
                        hashes.append(h)
                    pending.append((parsed, kept, hashes, dup_of))
                    if sum(len(p[1]) for p in pending) >= EMBED_GROUP:
                        flush()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(chunks=report.chunks_added, errors=len(report.errors), refresh=False)
                if on_progress is not None:
                    on_progress(done, len(todo))
            if pending:
                flush()
        finally:
            parsed_iter.close()
            if bar is not None:
                bar.close()
            if own_embedder and hasattr(embedder, "close"):
                embedder.close()
        if report.chunks_added or report.chunks_removed or report.files_removed:
            w.commit()
        report.chunks_total = int(w.faiss.ntotal)
    report.seconds = round(time.perf_counter() - t0, 3)
    report.embed_seconds = round(report.embed_seconds, 3)
    if report.embed_seconds > 0:
        report.chunks_per_second = round(report.chunks_added / report.embed_seconds, 1)
    return report


def _embedder_for(choice: Any, settings: Settings, current: Any = None) -> Any:
    """An embedder running ``choice`` (None: in-process at the defaults), reusing ``current`` if it can."""
    from .embedding import Embedder, ProcessEmbedder

    if choice is not None and choice.processes > 1:
        if isinstance(current, Embedder):
            current.release()  # the workers hold their own copies
        return ProcessEmbedder(settings, choice.processes, threads=choice.threads, precision=choice.precision)
    embedder = current if isinstance(current, Embedder) else Embedder(settings)
    if choice is not None:
        embedder.configure(choice.precision, choice.threads)
    return embedder


def _calibrate(tuner: Any, embedder: Any, texts: list[str], settings: Settings) -> tuple[Any, Any]:
    """Time the candidates on a sample of the chunks about to be embedded; the embedder that runs the winner."""
    from .calibration import MIN_INGEST_PROBE_TEXTS, ModelProbe, choose, probe_sample

    sample = probe_sample(texts)
    if len(sample) < MIN_INGEST_PROBE_TEXTS:
        choice = tuner.default(f"not measured: {len(sample)} chunks are too few to time")
    else:
        model = embedder.float_model()
        choice = choose(
            tuner,
            lambda: ModelProbe(
                model if model is not None else embedder.model,
                sample,
                batch_size=settings.embed_batch_size,
                quantized=model is None,
            ),
        )
    embedder = _embedder_for(choice, settings, embedder)
    _ = embedder.model
    return embedder, choice


def _progress_bar(total: int, progress: bool | None):
    if progress is False or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr, disable=None if progress is None else False)
