"""Generations on disk: fsync before publishing, leases against pruning, rollback, the quick and full checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mathtutor.index import generations, writer
from mathtutor.index.generations import (
    IndexCorruptError,
    check_generation,
    live_generation,
    rollback,
)
from mathtutor.index.store import IndexStore
from mathtutor.index.writer import IndexWriter
from mathtutor.types import Chunk

MODEL, DIM = "test-model", 8


def _write(index_dir: Path, key: str, n: int = 3) -> Path:
    chunks = [Chunk(text=f"{key} passage {i}", file_key=key, kind="text", title=key, ordinal=i) for i in range(n)]
    v = np.random.default_rng(len(key)).normal(size=(n, DIM)).astype(np.float32)
    with IndexWriter(index_dir, model=MODEL, dim=DIM) as w:
        w.add_chunks(chunks, v / np.linalg.norm(v, axis=1, keepdims=True), [f"h{key}{i}" for i in range(n)])
        w.set_file(key, {"sha256": "x", "chunks": n, "pages": 0, "kind": "text"})
        return w.commit()


def test_every_file_and_folder_is_fsynced_before_current_moves(tmp_path, monkeypatch):
    """Issue 10 bug 5: bm25/ files and the generation folder were not fsynced before the rename."""
    synced: list[str] = []
    real = generations.fsync_path

    def spy(path: Path) -> None:
        synced.append(os.path.relpath(path, tmp_path))
        real(path)

    real_replace = os.replace

    def replace(src, dst):
        synced.append(f"replace {os.path.basename(dst)}")
        real_replace(src, dst)

    monkeypatch.setattr(generations, "fsync_path", spy)
    monkeypatch.setattr(writer, "fsync_path", spy)
    monkeypatch.setattr(generations.os, "replace", replace)
    _write(tmp_path, "a")
    published = synced.index("replace CURRENT")
    before = [p.split("/", 1)[1] if "/" in p else p for p in synced[:published] if p.startswith(".tmp-")]
    for name in (
        "bm25/chunk_ids.npy",
        "bm25/vocab.index.json",
        "bm25/data.csc.index.npy",
        "bm25",
        "chunks.sqlite",
        "index.faiss",
        "manifest.json",
    ):
        assert name in before, (name, synced)
    assert any(p.startswith(".tmp-") and "/" not in p for p in synced[:published])  # the generation folder


def test_a_leased_generation_survives_pruning_until_closed(tmp_path):
    _write(tmp_path, "a")
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    for key in ("bb", "ccc", "dddd"):
        _write(tmp_path, key)
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == ["gen-000001", "gen-000003", "gen-000004"]
    assert store.get_chunks([0])[0].text == "a passage 0"
    assert store.lexical.search("passage", 5)
    store.close()
    _write(tmp_path, "eeeee")
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == ["gen-000004", "gen-000005"]


def test_rollback_moves_current_back_and_refuses_when_nothing_is_whole(tmp_path):
    _write(tmp_path, "a")
    with pytest.raises(IndexCorruptError, match="no whole generation before gen-000001"):
        rollback(tmp_path)
    _write(tmp_path, "bb")
    assert rollback(tmp_path) == ("gen-000002", "gen-000001")
    assert live_generation(tmp_path).name == "gen-000001"


@pytest.mark.parametrize(
    ("damage", "fault"),
    [
        (lambda g: (g / "manifest.json").write_text("{"), "cannot read"),
        (lambda g: (g / "index.faiss").unlink(), "index.faiss is missing"),
        (lambda g: (g / "bm25" / "params.index.json").write_text('{"k1": 1'), "params.index.json: truncated"),
        (lambda g: (g / "chunks.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84), "cannot read"),
    ],
)
def test_quick_check_names_the_file_at_fault(tmp_path, damage, fault):
    gen = _write(tmp_path, "a")
    assert check_generation(gen) == [] and check_generation(gen, full=True) == []
    damage(gen)
    faults = check_generation(gen)
    assert len(faults) >= 1 and fault in faults[0], faults
    with pytest.raises(IndexCorruptError):
        IndexStore.open(tmp_path, model=MODEL, dim=DIM)
