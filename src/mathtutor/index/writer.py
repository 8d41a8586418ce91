"""Writing an index: each ingest builds a complete new generation beside the live one, then publishes it.

Every file of the new generation (``bm25/`` included) and its folder are fsynced before ``CURRENT`` is
switched with an atomic rename, so a crash or power loss leaves the previous index whole. Disk full and a
read-only folder are each one clear error (:class:`IndexDiskFullError`, :class:`IndexReadOnlyError`);
pruning keeps any generation a reader still holds (see :func:`generations.take_reader_lease`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mathtutor.index import lexical
from mathtutor.index.generations import (
    ANN_FILE,
    DB_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    IndexBusyError,
    IndexCorruptError,
    IndexDiskFullError,
    IndexReadOnlyError,
    ensure_healthy,
    fsync_path,
    fsync_tree,
    gen_number,
    read_generation_manifest,
    unused,
    write_pointer,
)
from mathtutor.index.store import COLUMNS, SCHEMA, build_ann, check_compatible
from mathtutor.settings import DEFAULT_ANN_MIN_CHUNKS
from mathtutor.types import Chunk


def _new_faiss(dim: int):
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


class IndexWriter:
    """Builds the next generation from the live one; ``commit()`` switches to it atomically.

    Use as a context manager: leaving the block with an exception (or Ctrl-C) discards the new
    generation and leaves the live one untouched.
    """

    def __init__(
        self,
        index_dir: Path,
        *,
        model: str,
        dim: int,
        chunker: dict[str, Any] | None = None,
        ann_min_vectors: int = DEFAULT_ANN_MIN_CHUNKS,
    ):
        self.index_dir = Path(index_dir)
        self.model, self.dim = model, dim
        self.chunker = chunker or {}
        self.ann_min_vectors = ann_min_vectors
        self._lock_fh = None
        self.tmp: Path | None = None
        self.committed = False

    # -- lifecycle
    def __enter__(self) -> IndexWriter:
        import faiss

        with self._writing():
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self._lock_fh = open(self.index_dir / ".lock", "a+")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._lock_fh.close()
            raise IndexBusyError(
                f"another process is writing the index at {self.index_dir}; try again when it ends"
            ) from exc
        try:
            live = ensure_healthy(self.index_dir)  # never build on a corrupt generation
            with self._writing():
                for stale in self.index_dir.glob(".tmp-*"):
                    shutil.rmtree(stale, ignore_errors=True)
                self.tmp = self.index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"
                self.tmp.mkdir()
                if live is not None:
                    manifest = read_generation_manifest(live)
                    check_compatible(manifest, self.model, self.dim, self.index_dir)
                    self.manifest = manifest
                    src = sqlite3.connect(f"file:{live / DB_FILE}?mode=ro", uri=True)
                    self.db = sqlite3.connect(self.tmp / DB_FILE)
                    with self.db:
                        src.backup(self.db)
                    src.close()
                    self.faiss = faiss.read_index(str(live / FAISS_FILE))
                    self.generation = gen_number(live) + 1
                else:
                    self.manifest = {
                        "format_version": FORMAT_VERSION,
                        "embedding_model": self.model,
                        "dimension": self.dim,
                        "normalized": True,
                        "metric": "inner_product",
                        "created": _now(),
                        "next_id": 0,
                        "files": {},
                    }
                    self.db = sqlite3.connect(self.tmp / DB_FILE)
                    self.faiss = _new_faiss(self.dim)
                    self.generation = 1
                self.db.executescript(SCHEMA)
        except BaseException:
            self._cleanup()
            raise
        return self

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Disk full and read-only become one clear error each (the live generation is never touched)."""
        try:
            yield
        except (OSError, sqlite3.Error, RuntimeError) as exc:
            kind = _write_fault(exc, self.index_dir)
            if kind == "full":
                raise IndexDiskFullError(
                    f"disk full while writing the index at {self.index_dir}: free space and run again; "
                    "the previous index is untouched"
                ) from exc
            if kind == "read-only":
                raise IndexReadOnlyError(
                    f"the index folder {self.index_dir} is read-only ({_reason(exc)}): make it writable or use "
                    "--index DIR elsewhere; the index is untouched"
                ) from exc
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        if self.tmp is not None and self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._lock_fh is not None:
            with contextlib.suppress(Exception):
                fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    # -- edits
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.manifest["files"]

    def remove_file(self, key: str) -> int:
        """Drop a file's chunks and entry; returns how many chunks went."""
        import faiss

        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE file_key = ?", (key,))]
        if ids:
            self.faiss.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))
            self.db.execute("DELETE FROM chunks WHERE file_key = ?", (key,))
        self.files.pop(key, None)
        return len(ids)

    def owner_of_hash(self, text_hash: str) -> str | None:
        row = self.db.execute("SELECT file_key FROM chunks WHERE text_hash = ? LIMIT 1", (text_hash,)).fetchone()
        return row[0] if row else None

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, hashes: Sequence[str]) -> None:
        with self._writing():
            self._add_chunks(chunks, vectors, hashes)

    def _add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, hashes: Sequence[str]) -> None:
        if len(chunks) != len(vectors) or len(chunks) != len(hashes):
            raise ValueError("chunks, vectors and hashes must have the same length")
        if not chunks:
            return
        start = int(self.manifest["next_id"])
        ids = np.arange(start, start + len(chunks), dtype=np.int64)
        self.faiss.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        rows = []
        for cid, c, h in zip(ids.tolist(), chunks, hashes, strict=True):
            c.id = cid
            rows.append(
                (
                    cid,
                    c.file_key,
                    c.ordinal,
                    c.kind,
                    c.title,
                    c.resource_id,
                    c.part_id,
                    c.url,
                    c.page,
                    c.page_offset,
                    c.start_s,
                    c.end_s,
                    c.section,
                    c.text,
                    h,
                    json.dumps(c.meta) if c.meta else None,
                )
            )
        self.db.executemany(f"INSERT INTO chunks ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})", rows)
        self.manifest["next_id"] = start + len(chunks)

    def relink_file(
        self,
        key: str,
        *,
        title: str,
        resource_id: str | None,
        part_id: str | None,
        url: str | None,
        page_offset: int = 0,
    ) -> int:
        """Point a file's chunks at a new title/resource/part/URL (a catalog or manifest edit): no re-embedding."""
        with self._writing():
            cur = self.db.execute(
                "UPDATE chunks SET title = ?, resource_id = ?, part_id = ?, url = ?, "
                "page_offset = CASE WHEN page IS NULL THEN 0 ELSE ? END WHERE file_key = ?",
                (title, resource_id, part_id, url, page_offset, key),
            )
        return cur.rowcount

    def set_file(self, key: str, entry: dict[str, Any]) -> None:
        self.files[key] = entry

    # -- commit
    def commit(self) -> Path:
        """Write everything, then make the new generation live with one atomic rename."""
        with self._writing():
            return self._commit()

    def _commit(self) -> Path:
        import faiss

        assert self.tmp is not None
        n_chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if n_chunks != self.faiss.ntotal:
            raise IndexCorruptError(f"internal error: {n_chunks} chunk records but {self.faiss.ntotal} vectors")
        self.db.commit()
        rows = self.db.execute("SELECT id, title, section, text FROM chunks ORDER BY id").fetchall()
        lexical.build((f"{t} {s or ''} {x}" for _, t, s, x in rows), [r[0] for r in rows], self.tmp)
        self.db.close()
        faiss.write_index(self.faiss, str(self.tmp / FAISS_FILE))
        self.manifest.pop("ann", None)
        if self.faiss.ntotal >= self.ann_min_vectors:
            ann = build_ann(self.faiss)
            faiss.write_index(ann, str(self.tmp / ANN_FILE))
            self.manifest["ann"] = {"type": "IndexIVFFlat", "nlist": int(ann.nlist), "nprobe": int(ann.nprobe)}
        self.manifest["updated"] = _now()
        self.manifest["chunker"] = self.chunker
        self.manifest["counts"] = {
            "files": len(self.files),
            "chunks": int(n_chunks),
            "pages": sum(e.get("pages", 0) for e in self.files.values()),
        }
        (self.tmp / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        fsync_tree(self.tmp)  # every file (bm25/ too) and folder on disk before the rename publishes them
        gen_name = f"gen-{self.generation:06d}"
        target = self.index_dir / gen_name
        if target.exists():  # left by a crash between rename and pointer switch, or rolled back: never live
            shutil.rmtree(target)
        os.rename(self.tmp, target)
        self.tmp = None
        with contextlib.suppress(OSError):
            fsync_path(self.index_dir)
        write_pointer(self.index_dir, gen_name)
        self.committed = True
        self._prune_old_generations(keep={gen_name, f"gen-{self.generation - 1:06d}"})
        return target

    def _prune_old_generations(self, keep: set[str]) -> None:
        """Keep the live generation, the one before, and any a reader still holds (its lease)."""
        for gen in self.index_dir.glob("gen-*"):
            if gen.name in keep:
                continue
            fd = unused(gen)
            if fd is None:
                continue  # a reader holds it: a later writer prunes it
            try:
                shutil.rmtree(gen, ignore_errors=True)
            finally:
                os.close(fd)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0]


def _write_fault(exc: BaseException, where: Path) -> str | None:
    """Classify an error raised while writing under ``where``: "full", "read-only" or None."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "no space left" in text:
        return "full"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly database" in text or "read-only" in text:
        return "read-only"
    with contextlib.suppress(OSError):  # FAISS and bm25s word it their own way: ask the file system
        st = os.statvfs(where)
        if st.f_bavail * st.f_frsize < 64 * 1024:
            return "full"
    return None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
