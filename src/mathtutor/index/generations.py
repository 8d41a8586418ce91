"""The generation layout on disk: the CURRENT pointer, health checks, reader leases and rollback.

An index folder holds complete generations (``gen-000007/``) and a ``CURRENT`` file naming the live one.
This module answers "which generation is live, is it whole, who still reads it, and what was live
before"; :mod:`mathtutor.index.store` reads and writes the contents. A check names the file at fault
and the way out, so a corrupt index is one clear line and one command to recover, never a traceback.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from mathtutor.index.lexical import BM25_DIR
from mathtutor.index.lexical import IDS_FILE as BM25_IDS

FORMAT_VERSION = 2  # 2: BM25 files in every generation
CURRENT = "CURRENT"
FAISS_FILE = "index.faiss"
DB_FILE = "chunks.sqlite"
MANIFEST_FILE = "manifest.json"
#: The IVF search index written for large indexes (see store.build_ann).
ANN_FILE = "search-ivf.faiss"
BM25_FILES = (
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


class IndexError_(Exception):
    """Base for index problems (the name avoids shadowing the builtin IndexError)."""


class IndexNotFoundError(IndexError_):
    pass


class IndexMismatchError(IndexError_):
    """The index was built with another embedding model, dimension or chunking."""


class IndexBusyError(IndexError_):
    """Another process is writing this index."""


class IndexCorruptError(IndexError_):
    """A file of the live generation is missing, truncated or unreadable."""


class IndexDiskFullError(IndexError_):
    """The disk filled up while a new generation was written (the live one is untouched)."""


class IndexReadOnlyError(IndexError_):
    """The index folder cannot be written (read-only file system or permissions)."""


def gen_number(gen: Path) -> int:
    try:
        return int(gen.name.split("-", 1)[1])
    except (IndexError, ValueError):
        return -1


def list_generations(index_dir: Path) -> list[Path]:
    """Generation folders that were completely written (they hold a manifest), oldest first."""
    gens = [g for g in Path(index_dir).glob("gen-*") if gen_number(g) >= 0 and (g / MANIFEST_FILE).is_file()]
    return sorted(gens, key=gen_number)


def live_generation(index_dir: Path) -> Path | None:
    """The folder CURRENT points at, or None when there is no index yet."""
    pointer = Path(index_dir) / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None
    except NotADirectoryError as exc:
        raise IndexNotFoundError(f"{index_dir} is a file, not an index folder") from exc
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {exc.strerror or exc}") from exc
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise IndexCorruptError(f"{pointer} is not a generation name (it holds binary data)") from None
    gen = Path(index_dir) / name
    if not name.startswith("gen-") or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"{pointer} points at {name[:40]!r}, which is not a generation folder")
    return gen


def read_generation_manifest(gen: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((gen / MANIFEST_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read {gen / MANIFEST_FILE}: {getattr(exc, 'strerror', None) or exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
        raise IndexCorruptError(f"{gen / MANIFEST_FILE} is not an index manifest")
    return manifest


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The live manifest without loading FAISS or SQLite (cheap: used by no-op re-ingest and `index info`)."""
    gen = live_generation(Path(index_dir))
    return None if gen is None else read_generation_manifest(gen)


# ---------------------------------------------------------------- checks


def _sqlite_faults(db: Path, expected: int | None) -> list[str]:
    try:
        with open(db, "rb") as fh:
            header = fh.read(100)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        return [f"cannot read {db}: {exc.strerror or exc}"]
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return [f"{db} is not an SQLite database (garbage or truncated header)"]
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and pages and size < page_size * pages:
        return [f"{db} is truncated ({size} bytes, its header says {page_size * pages})"]
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            n = con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return [f"cannot read {db}: {exc}"]
    if expected is not None and n != expected:
        return [f"{db} holds {n} chunks, the manifest says {expected}"]
    return []


def _bm25_faults(gen: Path, expected: int | None) -> list[str]:
    import numpy as np

    folder = gen / BM25_DIR
    try:
        ids = np.load(folder / BM25_IDS, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        return [f"cannot read {folder / BM25_IDS}: {getattr(exc, 'strerror', None) or exc}"]
    if expected is not None and len(ids) != expected:
        return [f"{folder / BM25_IDS} lists {len(ids)} chunks, the manifest says {expected}"]
    if not len(ids):
        return []
    faults = [f"{folder / name} is missing" for name in BM25_FILES if not (folder / name).is_file()]
    if faults:
        return faults
    for name in ("params.index.json", "vocab.index.json"):
        try:
            json.loads((folder / name).read_bytes())
        except (OSError, ValueError) as exc:
            faults.append(f"cannot read {folder / name}: truncated or not JSON ({exc})")
    return faults


def check_generation(gen: Path, *, full: bool = False) -> list[str]:
    """What is wrong with one generation, one line per fault (empty: healthy).

    The quick check (what ``ask``, ``serve`` and ``ingest`` run) reads headers, counts and the small files;
    ``full=True`` (``mathtutor index check``) also runs SQLite's integrity check and loads FAISS and BM25.
    """
    try:
        manifest = read_generation_manifest(gen)
    except IndexCorruptError as exc:
        return [str(exc)]
    counts = manifest.get("counts") or {}
    expected = counts.get("chunks") if isinstance(counts.get("chunks"), int) else None
    faults = _sqlite_faults(gen / DB_FILE, expected)
    if not (gen / FAISS_FILE).is_file():
        faults.append(f"{gen / FAISS_FILE} is missing")
    if manifest.get("ann") and not (gen / ANN_FILE).is_file():
        faults.append(f"{gen / ANN_FILE} is missing")
    faults += _bm25_faults(gen, expected)
    if full and not faults:
        faults += _deep_faults(gen, manifest, expected)
    return faults


def _deep_faults(gen: Path, manifest: dict[str, Any], expected: int | None) -> list[str]:
    import bm25s
    import faiss
    import numpy as np

    faults: list[str] = []
    con = sqlite3.connect(f"file:{gen / DB_FILE}?mode=ro", uri=True)
    try:
        verdict = con.execute("PRAGMA integrity_check").fetchall()
        if [tuple(r) for r in verdict] != [("ok",)]:
            faults.append(f"{gen / DB_FILE} fails SQLite's integrity check: {verdict[0][0]}")
        db_ids = np.asarray([r[0] for r in con.execute("SELECT id FROM chunks ORDER BY id")], dtype=np.int64)
    except sqlite3.Error as exc:
        return [f"cannot read {gen / DB_FILE}: {exc}"]
    finally:
        con.close()
    for name in (FAISS_FILE, ANN_FILE):
        if not (gen / name).is_file():
            continue
        try:
            index = faiss.read_index(str(gen / name))
        except RuntimeError as exc:
            faults.append(f"cannot read {gen / name}: {str(exc).splitlines()[0]}")
            continue
        if index.ntotal != len(db_ids):
            faults.append(f"{gen / name} holds {index.ntotal} vectors, {DB_FILE} {len(db_ids)} chunks")
        if index.d != manifest.get("dimension"):
            faults.append(f"{gen / name} holds {index.d}-d vectors, the manifest says {manifest.get('dimension')}")
        if name == FAISS_FILE and index.ntotal == len(db_ids) and index.ntotal:
            vec_ids = np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))
            if not np.array_equal(vec_ids, db_ids):
                faults.append(f"{gen / name} and {DB_FILE} hold different chunk ids")
    bm25_ids = np.load(gen / BM25_DIR / BM25_IDS, allow_pickle=False)
    if not np.array_equal(np.sort(bm25_ids), db_ids):
        faults.append(f"{gen / BM25_DIR / BM25_IDS} and {DB_FILE} hold different chunk ids")
    if len(bm25_ids):
        try:
            bm = bm25s.BM25.load(str(gen / BM25_DIR), mmap=False, allow_pickle=False, show_progress=False)
            if int(bm.scores["num_docs"]) != len(bm25_ids):
                faults.append(f"{gen / BM25_DIR} scores {bm.scores['num_docs']} documents, not {len(bm25_ids)}")
        except Exception as exc:  # bm25s raises several types for damaged arrays
            faults.append(f"cannot read {gen / BM25_DIR}: {type(exc).__name__}: {exc}")
    if expected is not None and expected != len(db_ids):
        faults.append(f"{gen / DB_FILE} holds {len(db_ids)} chunks, the manifest says {expected}")
    return faults


def previous_healthy(index_dir: Path, before: Path | None) -> Path | None:
    """The newest generation older than ``before`` (any, when None) that passes the quick check."""
    for gen in reversed(list_generations(index_dir)):
        if before is not None and gen_number(gen) >= gen_number(before):
            continue
        if not check_generation(gen):
            return gen
    return None


def corrupt_message(index_dir: Path, fault: str, live: Path | None = None) -> str:
    """One line: the fault, then the one command that recovers."""
    prev = previous_healthy(index_dir, live)
    if prev is not None:
        fix = f"run `mathtutor index rollback --index {index_dir}` to go back to {prev.name}"
    else:
        fix = f"no earlier generation is whole: rebuild with `mathtutor ingest PATH... --index {index_dir}-new`"
    return f"the index at {index_dir} is corrupt: {fault}; {fix}"


def ensure_healthy(index_dir: Path) -> Path | None:
    """The live generation if it passes the quick check (None: no index yet); else IndexCorruptError."""
    try:
        live = live_generation(index_dir)
    except IndexCorruptError as exc:
        raise IndexCorruptError(corrupt_message(index_dir, str(exc))) from None
    if live is not None:
        faults = check_generation(live)
        if faults:
            raise IndexCorruptError(corrupt_message(index_dir, faults[0], live))
    return live


# ---------------------------------------------------------------- leases, pointer, rollback


def take_reader_lease(gen: Path) -> int:
    """A shared lock on the generation folder, held while a reader uses it: pruning leaves it alone."""
    fd = os.open(gen, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise IndexCorruptError(f"{gen} is being deleted by a writer; open the index again") from None
    return fd


def unused(gen: Path) -> int | None:
    """An exclusive lock on a generation no reader holds (the fd to close after deleting it), else None."""
    try:
        fd = os.open(gen, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file below ``root``, then every folder (deepest first), so a rename publishes whole files."""
    folders = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fsync_path(Path(folder) / name)
        folders.append(Path(folder))
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            fsync_path(folder)


def write_pointer(index_dir: Path, gen_name: str) -> None:
    """Make ``gen_name`` live: write CURRENT beside, fsync, rename over, fsync the folder."""
    tmp = index_dir / f".{CURRENT}.tmp"
    tmp.write_text(gen_name + "\n")
    fsync_path(tmp)
    os.replace(tmp, index_dir / CURRENT)
    with contextlib.suppress(OSError):
        fsync_path(index_dir)


def rollback(index_dir: Path) -> tuple[str | None, str]:
    """Point CURRENT at the newest whole generation before the live one; returns (old, new) names.

    Takes the writer lock, so it never races an ingest.
    """
    index_dir = Path(index_dir)
    if not (index_dir / CURRENT).exists() and not list_generations(index_dir):
        raise IndexNotFoundError(f"no index at {index_dir}")
    with open(index_dir / ".lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(f"another process is writing the index at {index_dir}; try again later") from None
        try:
            live = live_generation(index_dir)
        except IndexCorruptError:
            live = None
        target = previous_healthy(index_dir, live)
        if target is None or (live is not None and target == live):
            raise IndexCorruptError(
                f"no whole generation before {live.name if live else 'the live one'} in {index_dir}; "
                f"rebuild with `mathtutor ingest PATH... --index {index_dir}-new`"
            )
        write_pointer(index_dir, target.name)
    return (live.name if live else None), target.name
