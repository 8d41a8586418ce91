"""The ingest pipeline: files -> sections -> chunks -> embeddings -> a new index generation.

Unchanged files (same SHA-256) cost nothing: a no-op re-ingest reads the manifest, hashes the
files and returns without loading the model. Parsing runs in a worker process while the main
process embeds, and every failure is per file: the batch goes on and nothing indexed is lost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mathtutor.index.generations import ensure_healthy
from mathtutor.index.store import check_compatible, check_same_chunking, read_manifest
from mathtutor.index.writer import IndexWriter
from mathtutor.ingest.chunking import embedding_text, text_hash
from mathtutor.ingest.discovery import Candidate, FileIssue, discover, file_sha256
from mathtutor.ingest.linking import ManifestCache, SourceResolver
from mathtutor.ingest.parsing import Parsed, ParseStream
from mathtutor.ingest.readers import (
    LoadError,
)
from mathtutor.ingest.relink import catalog_sha, link_fingerprint, relink_all
from mathtutor.settings import Settings, get_settings
from mathtutor.types import Chunk

#: Embed this many chunks per model call: the model sorts a call by length, so big calls pad little.
EMBED_GROUP = 1024


@dataclass(slots=True)
class IngestReport:
    """What an ingest did; ``to_dict()`` is what ``mathtutor ingest --json`` prints."""

    index_dir: str
    files_seen: int = 0
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    files_relinked: int = 0  # unchanged files whose catalog/manifest entry changed: re-linked, not re-embedded
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


# ---------------------------------------------------------------- the pipeline


def _load_catalog_quietly(settings: Settings):
    try:
        from mathtutor.knowledge.catalog import load_catalog

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

    ensure_healthy(index_dir)  # a corrupt index is refused, never reported as "nothing to do"
    manifest = read_manifest(index_dir)
    if manifest is not None:
        check_compatible(manifest, settings.embedding_model, settings.embedding_dim, index_dir)
    chunker_info = {
        "chunk_tokens": settings.chunk_tokens,
        "overlap_tokens": settings.chunk_overlap_tokens,
        "tokenizer": settings.embedding_model,
    }
    if manifest is not None:
        check_same_chunking(manifest.get("chunker") or {}, chunker_info, index_dir)
    known: dict[str, dict[str, Any]] = (manifest or {}).get("files", {})

    cands, report.skipped, report.errors = discover(paths, ManifestCache())
    report.files_seen = len(cands)
    todo: list[Candidate] = []
    relinks: list[Candidate] = []  # unchanged files whose catalog or sources-manifest entry changed
    catalog_fp = catalog_sha(settings)
    status: dict[str, str] = {}  # counted as new/changed only once indexed
    for c in cands:
        old = known.get(c.key)
        try:
            sha = file_sha256(c.path)
        except LoadError as exc:
            report.errors.append(FileIssue(str(c.path), str(exc)))
            continue
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
            if c.kind != "catalog" and old.get("link") != link_fingerprint(catalog_fp, c):
                relinks.append(c)

    removals = [k for k in known if prune and not Path(k).exists()]
    # files whose passages were dropped as duplicates of a changed/removed file get another look
    changing = {c.key for c in todo} | set(removals)
    todo_keys = {c.key for c in todo}
    for key, entry in known.items():
        if key not in todo_keys and key not in removals and changing & set(entry.get("dup_of", [])):
            redo, _, _ = discover([Path(key)], ManifestCache())
            todo.extend(redo)
            todo_keys.update(c.key for c in redo)

    if not todo and not removals and not relinks:
        report.noop = True
        report.chunks_total = (manifest or {}).get("counts", {}).get("chunks", 0)
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    resolver = SourceResolver(_load_catalog_quietly(settings))
    if relinks:  # its own generation: a catalog or manifest edit costs no embedding
        report.chunks_total, report.files_relinked, failed = relink_all(
            relinks, resolver, catalog_fp, settings, chunker_info
        )
        report.errors.extend(FileIssue(f, r) for f, r in failed)
    if not todo and not removals:
        report.seconds = round(time.perf_counter() - t0, 3)
        return report
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
        parsed_iter = ParseStream(todo, settings, resolver, progress)  # parsing starts before torch loads
        tuner = choice = None
        try:
            if own_embedder:
                from mathtutor.ingest.tuning import Tuner

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
                with parsed_iter.paused():  # every candidate timed on otherwise idle cores
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
                        "link": link_fingerprint(catalog_fp, parsed.candidate),
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
        except BaseException:  # Ctrl-C, SIGTERM, a failure: stop the embedding workers at once
            if own_embedder and hasattr(embedder, "close"):
                embedder.close(now=True)
            raise
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
    from mathtutor.ingest.embedding import Embedder, ProcessEmbedder

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
    from mathtutor.ingest.calibration import MIN_INGEST_PROBE_TEXTS, ModelProbe
    from mathtutor.ingest.ingest_choice import MemoryBase
    from mathtutor.ingest.tuning import choose, probe_sample

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
            memory=MemoryBase.measure,
        )
    embedder = _embedder_for(choice, settings, embedder)
    _ = embedder.model
    return embedder, choice


def _progress_bar(total: int, progress: bool | None):
    if progress is False or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr, disable=None if progress is None else False)
