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
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mathtutor.index import lexical
from mathtutor.index.generations import (  # re-exported: the names callers import from the store
    ANN_FILE,
    CURRENT,
    DB_FILE,
    FAISS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    IndexBusyError,
    IndexCorruptError,
    IndexDiskFullError,
    IndexError_,
    IndexMismatchError,
    IndexNotFoundError,
    IndexReadOnlyError,
    check_generation,
    corrupt_message,
    gen_number,
    list_generations,
    live_generation,
    read_generation_manifest,
    read_manifest,
    take_reader_lease,
)
from mathtutor.types import Chunk

__all__ = [
    "ANN_FILE",
    "CURRENT",
    "DB_FILE",
    "FAISS_FILE",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDiskFullError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReadOnlyError",
    "IndexStore",
    "build_ann",
    "check_compatible",
    "check_same_chunking",
    "index_info",
    "live_generation",
    "read_manifest",
]

#: Lists probed per query (saved in the index file): recall@10 0.986 against exact search at 1M
#: clustered vectors (benchmarks/query.py). Written from ``settings.DEFAULT_ANN_MIN_CHUNKS`` vectors on
#: (ANN_FILE); below that an exact scan is cheap (100k chunks: FAISS alone p50 5.9 ms here) and exact.
ANN_NPROBE = 16

COLUMNS = (
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
SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, file_key TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, resource_id TEXT, part_id TEXT, url TEXT, page INTEGER, page_offset INTEGER,
    start_s REAL, end_s REAL, section TEXT, text TEXT NOT NULL, text_hash TEXT, meta TEXT
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_key);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(text_hash);
"""


def _row_to_chunk(row: Sequence[Any]) -> Chunk:
    d = dict(zip(COLUMNS, row, strict=True))
    d.pop("text_hash")
    d["meta"] = json.loads(d["meta"]) if d["meta"] else {}
    d["page_offset"] = d["page_offset"] or 0
    return Chunk(**d)


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


def check_same_chunking(built: dict[str, Any], asked: dict[str, Any], index_dir: Path) -> None:
    """Refuse to mix chunk sizes in one index: old files would keep their chunks, new ones get others."""
    differ = {k: (built[k], v) for k, v in asked.items() if k in built and built[k] != v}
    if differ:
        was = ", ".join(f"{k} {a}" for k, (a, _) in differ.items())
        now = ", ".join(f"{k} {b}" for k, (_, b) in differ.items())
        raise IndexMismatchError(
            f"index at {index_dir} was chunked with {was}, this ingest asks for {now}; one index never mixes "
            f"chunkings: ingest with --chunk-tokens {built.get('chunk_tokens')} --overlap-tokens "
            f"{built.get('overlap_tokens')}, or build a new index in another folder"
        )


class IndexStore:
    """A read-only view of one generation of an index, loaded whole at open.

    FAISS, the BM25 arrays and the SQLite connection are opened here, and a shared lock (a *lease*) on the
    generation folder is held until :meth:`close`: a long-lived reader (``serve``) keeps answering from
    its generation however many ingests commit meanwhile, since pruning skips leased generations.
    """

    def __init__(self, gen_dir: Path, manifest: dict[str, Any], index: Any, ann: Any = None):
        self.gen_dir = gen_dir
        self.manifest = manifest
        self.index = index  # exact IndexIDMap2(IndexFlatIP): every vector, by chunk id
        self.ann = ann  # IndexIVFFlat for large indexes (see ANN_FILE), else None
        self.warning: str | None = None  # set when the live generation was unreadable and an older one opened
        self._lease: int | None = take_reader_lease(gen_dir)
        try:
            self._db = sqlite3.connect(f"file:{gen_dir / DB_FILE}?mode=ro", uri=True, check_same_thread=False)
            n = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            if n != index.ntotal:
                raise IndexCorruptError(f"{gen_dir / DB_FILE} holds {n} chunks, {FAISS_FILE} {index.ntotal} vectors")
            self._lexical = lexical.LexicalIndex(gen_dir)  # eager: never read later from a pruned folder
            if len(self._lexical.ids) != n:
                raise IndexCorruptError(f"{gen_dir / 'bm25'} lists {len(self._lexical.ids)} chunks, not {n}")
        except sqlite3.Error as exc:
            self.close()
            raise IndexCorruptError(f"cannot read {gen_dir / DB_FILE}: {exc}") from exc
        except IndexCorruptError:
            self.close()
            raise
        except Exception as exc:  # bm25s/numpy raise several types for damaged arrays
            self.close()
            raise IndexCorruptError(f"cannot read {gen_dir / 'bm25'}: {type(exc).__name__}: {exc}") from exc

    @property
    def lexical(self) -> lexical.LexicalIndex:
        """The BM25 index saved with this generation (loaded at open)."""
        return self._lexical

    @classmethod
    def open(cls, index_dir: Path, *, model: str, dim: int, fallback: bool = True) -> IndexStore:
        """Open the live generation; if it is unreadable, the newest whole one before it, with a warning.

        ``fallback=False`` raises :class:`IndexCorruptError` instead (one line: the fault and the fix).
        """
        index_dir = Path(index_dir)
        if index_dir.exists() and not index_dir.is_dir():
            raise IndexNotFoundError(f"{index_dir} is a file, not an index folder")
        live: Path | None = None
        try:
            live = live_generation(index_dir)
            if live is None:
                raise IndexNotFoundError(
                    f"no index at {index_dir}; build one with `mathtutor ingest PATH --index {index_dir}`"
                )
            return cls._load(live, model, dim)
        except IndexCorruptError as exc:
            fault = str(exc)
        if fallback:
            for older in reversed(list_generations(index_dir)):
                if live is not None and gen_number(older) >= gen_number(live):
                    continue
                try:
                    store = cls._load(older, model, dim)
                except IndexCorruptError:
                    continue
                store.warning = (
                    f"warning: the index at {index_dir} is corrupt ({fault}); answering from the previous "
                    f"generation {older.name}: run `mathtutor index rollback --index {index_dir}` to make it live"
                )
                print(store.warning, file=sys.stderr)
                return store
        raise IndexCorruptError(corrupt_message(index_dir, fault, live))

    @classmethod
    def _load(cls, gen: Path, model: str, dim: int) -> IndexStore:
        import faiss

        manifest = read_generation_manifest(gen)
        check_compatible(manifest, model, dim, gen.parent)
        faults = check_generation(gen)
        if faults:
            raise IndexCorruptError(faults[0])
        try:
            index = faiss.read_index(str(gen / FAISS_FILE))
        except RuntimeError as exc:
            raise IndexCorruptError(f"cannot read {gen / FAISS_FILE}: {str(exc).splitlines()[0]}") from exc
        if index.d != dim:
            raise IndexMismatchError(f"{gen / FAISS_FILE} holds {index.d}-d vectors, expected {dim}")
        ann = None
        if (gen / ANN_FILE).is_file():
            try:
                ann = faiss.read_index(str(gen / ANN_FILE))
            except RuntimeError as exc:
                raise IndexCorruptError(f"cannot read {gen / ANN_FILE}: {str(exc).splitlines()[0]}") from exc
            if ann.ntotal != index.ntotal:
                raise IndexCorruptError(f"{gen / ANN_FILE} holds {ann.ntotal} vectors, {FAISS_FILE} {index.ntotal}")
        return cls(gen, manifest, index, ann)

    def close(self) -> None:
        """Close the database and give up the lease (the generation may then be pruned)."""
        with contextlib.suppress(Exception):
            self._db.close()
        if self._lease is not None:
            os.close(self._lease)
            self._lease = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

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
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM chunks WHERE id IN ({marks})", ids).fetchall()
        by_id = {row[0]: _row_to_chunk(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def chunk_owners(self) -> list[tuple[int, str | None, str | None]]:
        """(chunk id, resource id, part id) for every chunk: cheap, no text."""
        return self._db.execute("SELECT id, resource_id, part_id FROM chunks ORDER BY id").fetchall()

    def iter_chunks(self) -> Iterator[Chunk]:
        for row in self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM chunks ORDER BY id"):
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
    faults = check_generation(gen)
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
        "generations": [g.name for g in list_generations(index_dir)],
        "healthy": not faults,
        "faults": faults,
    }
