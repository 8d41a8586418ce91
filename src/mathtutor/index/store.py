"""The on-disk index: a FAISS index (``faiss.write_index``), chunk records in SQLite, a JSON manifest.

No pickle anywhere. Each write builds a complete new *generation* folder beside the live one and then
switches the ``CURRENT`` pointer with an atomic rename, so a crash or Ctrl-C mid-ingest leaves the
previous index intact and loadable, and readers never see a half-written index.

Layout::

    <index_dir>/CURRENT          name of the live generation, e.g. "gen-000003"
    <index_dir>/gen-000003/      index.faiss, chunks.sqlite, manifest.json
    <index_dir>/.tmp-*/          a write in progress (ignored by readers, removed by the next writer)
    <index_dir>/.lock            held by the one writer allowed at a time
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mathtutor.index import lexical
from mathtutor.settings import DEFAULT_ANN_MIN_CHUNKS
from mathtutor.types import Chunk

FORMAT_VERSION = 2  # 2: BM25 files in every generation
CURRENT = "CURRENT"
FAISS_FILE = "index.faiss"
DB_FILE = "chunks.sqlite"
MANIFEST_FILE = "manifest.json"
#: Written from ``settings.DEFAULT_ANN_MIN_CHUNKS`` vectors on; searches then use it. Below that an exact
#: scan is cheap (100k chunks: FAISS alone p50 5.9 ms here), needs no training and is exact.
ANN_FILE = "search-ivf.faiss"
#: Lists probed per query (saved in the index file): recall@10 0.986 against exact search at 1M
#: clustered vectors (benchmarks/query.py).
ANN_NPROBE = 16

_COLUMNS = (
    "id",
    "file_key",
    "ordinal",
    "kind",
    "title",
    "resource_id",
    "part_id",
    "url",
    "page",
    "page_offset",
    "start_s",
    "end_s",
    "section",
    "text",
    "text_hash",
    "meta",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, file_key TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, resource_id TEXT, part_id TEXT, url TEXT, page INTEGER, page_offset INTEGER,
    start_s REAL, end_s REAL, section TEXT, text TEXT NOT NULL, text_hash TEXT, meta TEXT
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_key);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(text_hash);
"""


class IndexError_(Exception):
    """Base for index problems (the name avoids shadowing the builtin IndexError)."""


class IndexNotFoundError(IndexError_):
    pass


class IndexMismatchError(IndexError_):
    """The index was built with another embedding model or dimension."""


class IndexBusyError(IndexError_):
    """Another process is writing this index."""


class IndexCorruptError(IndexError_):
    pass


def _row_to_chunk(row: Sequence[Any]) -> Chunk:
    d = dict(zip(_COLUMNS, row, strict=True))
    d.pop("text_hash")
    d["meta"] = json.loads(d["meta"]) if d["meta"] else {}
    d["page_offset"] = d["page_offset"] or 0
    return Chunk(**d)


def _new_faiss(dim: int):
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build_ann(flat: Any, seed: int = 0) -> Any:
    """An IndexIVFFlat over the vectors (and ids) of an ``IndexIDMap2(IndexFlatIP)``.

    nlist ~ 4·sqrt(n) and k-means trained on at most 40 points per list, the usual FAISS guidance;
    the exact index stays the source of truth and is what a writer updates.
    """
    import faiss

    n = int(flat.ntotal)
    vectors = flat.index.reconstruct_n(0, n)
    ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
    nlist = max(16, int(4 * np.sqrt(n)))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(flat.d), flat.d, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = vectors if n <= 40 * nlist else vectors[np.sort(rng.choice(n, size=40 * nlist, replace=False))]
    ivf.train(sample)
    ivf.add_with_ids(vectors, ids)
    ivf.nprobe = ANN_NPROBE
    return ivf


def live_generation(index_dir: Path) -> Path | None:
    """The folder CURRENT points at, or None when there is no index yet."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    gen = index_dir / name
    if not name.startswith("gen-") or not gen.is_dir():
        raise IndexCorruptError(f"{pointer} points at {name!r}, which is not a generation folder")
    return gen


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The live manifest without loading FAISS or SQLite (cheap: used by no-op re-ingest and `index info`)."""
    gen = live_generation(Path(index_dir))
    if gen is None:
        return None
    try:
        return json.loads((gen / MANIFEST_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"cannot read {gen / MANIFEST_FILE}: {exc}") from exc


def check_compatible(manifest: dict[str, Any], model: str, dim: int, where: Path) -> None:
    """Refuse an index built by another embedding model or dimension, saying how to fix it."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {where} has format version {manifest.get('format_version')}, this mathtutor reads "
            f"{FORMAT_VERSION}; rebuild it with `mathtutor ingest --index {where} PATH...` into a new folder"
        )
    if manifest.get("embedding_model") != model or manifest.get("dimension") != dim:
        raise IndexMismatchError(
            f"index at {where} was built with {manifest.get('embedding_model')} "
            f"({manifest.get('dimension')}-d) but mathtutor is set to {model} ({dim}-d); "
            "use the same embedding model, or build a new index in another folder"
        )


class IndexStore:
    """A read-only view of one generation of an index."""

    def __init__(self, gen_dir: Path, manifest: dict[str, Any], index: Any, ann: Any = None):
        self.gen_dir = gen_dir
        self.manifest = manifest
        self.index = index  # exact IndexIDMap2(IndexFlatIP): every vector, by chunk id
        self.ann = ann  # IndexIVFFlat for large indexes (see ANN_FILE), else None
        self._db = sqlite3.connect(f"file:{gen_dir / DB_FILE}?mode=ro", uri=True, check_same_thread=False)
        self._lexical: lexical.LexicalIndex | None = None

    @property
    def lexical(self) -> lexical.LexicalIndex:
        """The BM25 index saved with this generation (loaded on first use)."""
        if self._lexical is None:
            self._lexical = lexical.LexicalIndex(self.gen_dir)
        return self._lexical

    @classmethod
    def open(cls, index_dir: Path, *, model: str, dim: int) -> IndexStore:
        import faiss

        index_dir = Path(index_dir)
        gen = live_generation(index_dir)
        if gen is None:
            raise IndexNotFoundError(
                f"no index at {index_dir}; build one with `mathtutor ingest PATH --index {index_dir}`"
            )
        manifest = read_manifest(index_dir)
        assert manifest is not None
        check_compatible(manifest, model, dim, index_dir)
        try:
            index = faiss.read_index(str(gen / FAISS_FILE))
        except RuntimeError as exc:
            raise IndexCorruptError(f"cannot read {gen / FAISS_FILE}: {exc}") from exc
        if index.d != dim:
            raise IndexMismatchError(f"{gen / FAISS_FILE} holds {index.d}-d vectors, expected {dim}")
        ann = None
        if (gen / ANN_FILE).is_file():
            try:
                ann = faiss.read_index(str(gen / ANN_FILE))
            except RuntimeError as exc:
                raise IndexCorruptError(f"cannot read {gen / ANN_FILE}: {exc}") from exc
            if ann.ntotal != index.ntotal:
                raise IndexCorruptError(f"{gen / ANN_FILE} holds {ann.ntotal} vectors, {FAISS_FILE} {index.ntotal}")
        return cls(gen, manifest, index, ann)

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Inner-product search; returns (scores, ids) arrays of shape (n_queries, k).

        Approximate (IVF) on large indexes, exact otherwise; missing results have id -1.
        """
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        return (self.ann if self.ann is not None else self.index).search(vectors, min(k, max(len(self), 1)))

    def get_chunks(self, ids: Iterable[int]) -> list[Chunk]:
        """Chunks for ``ids`` in the order asked (unknown ids are left out)."""
        ids = [int(i) for i in ids if int(i) >= 0]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM chunks WHERE id IN ({marks})", ids).fetchall()
        by_id = {row[0]: _row_to_chunk(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def chunk_owners(self) -> list[tuple[int, str | None, str | None]]:
        """(chunk id, resource id, part id) for every chunk: cheap, no text."""
        return self._db.execute("SELECT id, resource_id, part_id FROM chunks ORDER BY id").fetchall()

    def iter_chunks(self) -> Iterator[Chunk]:
        for row in self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM chunks ORDER BY id"):
            yield _row_to_chunk(row)


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_info(index_dir: Path) -> dict[str, Any]:
    """What an index holds: model, dimension, files, chunks, bytes (no FAISS load)."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexNotFoundError(f"no index at {index_dir}")
    gen = live_generation(index_dir)
    assert gen is not None
    files = manifest.get("files", {})
    kinds: dict[str, int] = {}
    for entry in files.values():
        kinds[entry.get("kind", "?")] = kinds.get(entry.get("kind", "?"), 0) + 1
    return {
        "index_dir": str(index_dir),
        "generation": gen.name,
        "embedding_model": manifest["embedding_model"],
        "dimension": manifest["dimension"],
        "files": len(files),
        "files_by_kind": kinds,
        "pages": sum(e.get("pages", 0) for e in files.values()),
        "chunks": manifest.get("counts", {}).get("chunks", 0),
        "bytes": _dir_bytes(gen),
        "updated": manifest.get("updated"),
    }


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
            for stale in self.index_dir.glob(".tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
            self.tmp = self.index_dir / f".tmp-{os.getpid()}-{time.time_ns()}"
            self.tmp.mkdir()
            live = live_generation(self.index_dir)
            if live is not None:
                manifest = read_manifest(self.index_dir)
                assert manifest is not None
                check_compatible(manifest, self.model, self.dim, self.index_dir)
                self.manifest = manifest
                src = sqlite3.connect(f"file:{live / DB_FILE}?mode=ro", uri=True)
                self.db = sqlite3.connect(self.tmp / DB_FILE)
                with self.db:
                    src.backup(self.db)
                src.close()
                self.faiss = faiss.read_index(str(live / FAISS_FILE))
                self.generation = int(live.name.split("-")[1]) + 1
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
            self.db.executescript(_SCHEMA)
        except BaseException:
            self._cleanup()
            raise
        return self

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
        self.db.executemany(
            f"INSERT INTO chunks ({', '.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})", rows
        )
        self.manifest["next_id"] = start + len(chunks)

    def set_file(self, key: str, entry: dict[str, Any]) -> None:
        self.files[key] = entry

    # -- commit
    def commit(self) -> Path:
        """Write everything, then make the new generation live with one atomic rename."""
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
            _fsync(self.tmp / ANN_FILE)
            self.manifest["ann"] = {"type": "IndexIVFFlat", "nlist": int(ann.nlist), "nprobe": int(ann.nprobe)}
        self.manifest["updated"] = _now()
        self.manifest["chunker"] = self.chunker
        self.manifest["counts"] = {
            "files": len(self.files),
            "chunks": int(n_chunks),
            "pages": sum(e.get("pages", 0) for e in self.files.values()),
        }
        (self.tmp / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=1, sort_keys=True))
        for name in (FAISS_FILE, DB_FILE, MANIFEST_FILE):
            _fsync(self.tmp / name)
        gen_name = f"gen-{self.generation:06d}"
        target = self.index_dir / gen_name
        if target.exists():  # left by a crash between rename and pointer switch: never live
            shutil.rmtree(target)
        os.rename(self.tmp, target)
        self.tmp = None
        pointer_tmp = self.index_dir / f".{CURRENT}.tmp"
        pointer_tmp.write_text(gen_name + "\n")
        _fsync(pointer_tmp)
        os.replace(pointer_tmp, self.index_dir / CURRENT)
        _fsync_dir(self.index_dir)
        self.committed = True
        self._prune_old_generations(keep={gen_name, f"gen-{self.generation - 1:06d}"})
        return target

    def _prune_old_generations(self, keep: set[str]) -> None:
        """Keep the live generation and the one before (a reader may still have it open)."""
        for gen in self.index_dir.glob("gen-*"):
            if gen.name not in keep:
                shutil.rmtree(gen, ignore_errors=True)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
