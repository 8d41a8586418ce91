from __future__ import annotations

import json

import numpy as np
import pytest

from mathtutor.index.store import (
    IndexBusyError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStore,
    index_info,
    live_generation,
)
from mathtutor.index.writer import IndexWriter
from mathtutor.types import Chunk

MODEL, DIM = "test-model", 8


def _chunks(key: str, n: int) -> list[Chunk]:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    return [
        Chunk(
            text=f"{key} passage {i} {words[i]}",
            file_key=key,
            kind="text",
            title=key,
            ordinal=i,
            page=i + 1,
            meta={"concept": "pca"} if i == 0 else {},
        )
        for i in range(n)
    ]


def _vecs(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _write(index_dir, key="a", n=3, seed=0):
    with IndexWriter(index_dir, model=MODEL, dim=DIM) as w:
        chunks = _chunks(key, n)
        w.add_chunks(chunks, _vecs(n, seed), [f"h{key}{i}" for i in range(n)])
        w.set_file(key, {"sha256": "x", "chunks": n, "pages": n, "kind": "text"})
        w.commit()


def test_roundtrip_search_and_records(tmp_path):
    _write(tmp_path, n=4)
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    assert len(store) == 4
    query = _vecs(4, 0)[2]
    scores, ids = store.search(query, 2)
    assert ids[0][0] == 2 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    (chunk,) = store.get_chunks([2])
    assert chunk.text == "a passage 2 gamma" and chunk.page == 3 and chunk.id == 2
    assert store.get_chunks([0])[0].meta == {"concept": "pca"}
    gen = live_generation(tmp_path)
    assert sorted(p.name for p in gen.iterdir()) == ["bm25", "chunks.sqlite", "index.faiss", "manifest.json"]
    assert not [p for p in gen.rglob("*") if p.suffix in (".pkl", ".pickle")]
    hits = store.lexical.search("what about gamma?", 2)
    assert [h[0] for h in hits] == [2]
    info = index_info(tmp_path)
    assert info["chunks"] == 4 and info["files"] == 1 and info["embedding_model"] == MODEL and info["bytes"] > 0


def test_other_model_or_dimension_is_refused(tmp_path):
    _write(tmp_path)
    with pytest.raises(IndexMismatchError, match="built with test-model"):
        IndexStore.open(tmp_path, model="other-model", dim=DIM)
    with pytest.raises(IndexMismatchError):
        IndexStore.open(tmp_path, model=MODEL, dim=16)
    with pytest.raises(IndexMismatchError):
        IndexWriter(tmp_path, model="other-model", dim=DIM).__enter__()


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="mathtutor ingest"):
        IndexStore.open(tmp_path / "nope", model=MODEL, dim=DIM)


def test_failure_before_commit_leaves_previous_generation(tmp_path):
    _write(tmp_path, n=3)
    before = live_generation(tmp_path)
    with pytest.raises(RuntimeError), IndexWriter(tmp_path, model=MODEL, dim=DIM) as w:
        w.remove_file("a")
        w.add_chunks(_chunks("b", 5), _vecs(5, 1), [f"hb{i}" for i in range(5)])
        raise RuntimeError("crash")
    assert live_generation(tmp_path) == before
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    assert len(store) == 3 and store.get_chunks([0])[0].file_key == "a"
    assert not list(tmp_path.glob(".tmp-*"))


def test_replace_file_and_generations(tmp_path):
    _write(tmp_path, key="a", n=3)
    with IndexWriter(tmp_path, model=MODEL, dim=DIM) as w:
        assert w.remove_file("a") == 3
        w.add_chunks(_chunks("a", 2), _vecs(2, 5), ["n1", "n2"])
        w.set_file("a", {"sha256": "y", "chunks": 2})
        w.commit()
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    assert len(store) == 2
    assert [c.id for c in store.iter_chunks()] == [3, 4]  # ids are never reused
    assert live_generation(tmp_path).name == "gen-000002"
    _write_more = IndexWriter(tmp_path, model=MODEL, dim=DIM)
    with _write_more as w:
        w.commit()
    # live and previous generation kept, older ones removed
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == ["gen-000002", "gen-000003"]


def test_one_writer_at_a_time(tmp_path):
    _write(tmp_path)
    with IndexWriter(tmp_path, model=MODEL, dim=DIM), pytest.raises(IndexBusyError):
        IndexWriter(tmp_path, model=MODEL, dim=DIM).__enter__()


def test_stale_temp_folder_from_a_killed_writer_is_ignored_and_cleaned(tmp_path):
    _write(tmp_path)
    stale = tmp_path / ".tmp-999-1"
    stale.mkdir()
    (stale / "index.faiss").write_bytes(b"half written")
    assert len(IndexStore.open(tmp_path, model=MODEL, dim=DIM)) == 3
    with IndexWriter(tmp_path, model=MODEL, dim=DIM):
        assert not stale.exists()


def test_manifest_is_plain_json(tmp_path):
    _write(tmp_path)
    manifest = json.loads((live_generation(tmp_path) / "manifest.json").read_text())
    assert manifest["embedding_model"] == MODEL and manifest["dimension"] == DIM
    assert manifest["files"]["a"]["sha256"] == "x"
    assert manifest["counts"] == {"files": 1, "chunks": 3, "pages": 3}


def test_index_in_an_older_format_is_refused_clearly(tmp_path):
    _write(tmp_path)
    manifest_path = live_generation(tmp_path) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 1  # before BM25 was stored with the index
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version 1"):
        IndexStore.open(tmp_path, model=MODEL, dim=DIM)


def test_large_index_gets_an_ivf_search_index_that_finds_what_exact_search_finds(tmp_path):
    """From ``ann_min_vectors`` on, a commit writes an IVF index; searches use it and agree with exact ones."""
    import faiss

    from mathtutor.index.store import ANN_FILE

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(40, DIM)).astype(np.float32)
    vecs = centres[rng.integers(0, 40, size=3000)] + 0.3 * rng.normal(size=(3000, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    chunks = [
        Chunk(text=f"passage {i}", file_key=f"f{i // 100}", kind="text", title="t", ordinal=i) for i in range(3000)
    ]
    with IndexWriter(tmp_path, model=MODEL, dim=DIM, ann_min_vectors=1000) as w:
        w.add_chunks(chunks[:100], vecs[:100], [f"h{i}" for i in range(100)])  # ids 0..99, removed below
        w.remove_file("f0")
        w.add_chunks(chunks[100:], vecs[100:], [f"g{i}" for i in range(100, 3000)])
        for i in range(1, 30):
            w.set_file(f"f{i}", {"sha256": "x", "chunks": 100, "pages": 0, "kind": "text"})
        w.commit()
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    assert (live_generation(tmp_path) / ANN_FILE).is_file() and store.ann is not None
    assert json.loads((live_generation(tmp_path) / "manifest.json").read_text())["ann"]["nlist"] >= 16
    queries = vecs[rng.choice(np.arange(100, 3000), size=50, replace=False)]
    queries = queries + 0.05 * rng.normal(size=queries.shape).astype(np.float32)
    _, got = store.search(queries, 5)
    _, exact = store.index.search(np.ascontiguousarray(queries, dtype=np.float32), 5)
    assert np.mean(got[:, 0] == exact[:, 0]) >= 0.9
    # ids are chunk ids, not row numbers: the replaced first file's ids never come back
    assert set(got[got >= 0].tolist()) <= set(faiss.vector_to_array(store.index.id_map).tolist())
    texts = {c.id: c.text for c in store.get_chunks(got[:, 0])}
    assert all(texts[int(i)] == f"passage {int(i)}" and int(i) >= 100 for i in got[:, 0])

    with IndexWriter(tmp_path, model=MODEL, dim=DIM) as w:  # default threshold: back to exact search only
        w.remove_file("f29")
        w.commit()
    store = IndexStore.open(tmp_path, model=MODEL, dim=DIM)
    assert store.ann is None and not (live_generation(tmp_path) / ANN_FILE).exists()
