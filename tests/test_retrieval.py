from __future__ import annotations

import pytest

from mathtutor.index.store import IndexStore
from mathtutor.ingest.pipeline import ingest
from mathtutor.knowledge.topics import load_topics
from mathtutor.retrieval import RRF_K, Filters, HybridRetriever


@pytest.fixture
def retriever(tmp_path, settings, fake_embedder):
    d = tmp_path / "docs"
    d.mkdir()
    # one file with many similar passages, several others with one each
    (d / "big.md").write_text(
        "\n".join(f"## Part {i}\nEigenvalues and eigenvectors, passage number {i}.\n" for i in range(8))
    )
    (d / "svd.md").write_text("# SVD\nThe singular value decomposition factors a matrix into rotations.\n")
    (d / "eig.md").write_text("# Eigen\nAn eigenvector keeps its direction; eigenvalues scale it.\n")
    (d / "rare.md").write_text("# Rare\nThe zyxwquark operator is a made-up word for testing BM25.\n")
    (d / "bayes.md").write_text("# Bayes\nBayes rule turns a prior into a posterior with the likelihood.\n")
    report = ingest([d], settings, embedder=fake_embedder, progress=False)
    assert report.ok
    store = IndexStore.open(settings.index_dir, model=settings.embedding_model, dim=settings.embedding_dim)
    return HybridRetriever(store, fake_embedder, None, load_topics())


def test_rrf_adds_reciprocal_ranks(retriever):
    ids = [c.id for c in retriever.store.iter_chunks()][:3]
    a, b, c = ids
    hits = retriever.fuse([(a, 0.9), (b, 0.8)], [(b, 5.0), (c, 4.0)], k=3, diversify=False)
    score = {h.chunk.id: h.score for h in hits}
    assert score[b] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert score[a] == pytest.approx(1 / (RRF_K + 1))
    assert hits[0].chunk.id == b  # found by both rankers: first
    assert hits[0].dense == 0.8 and hits[0].lexical == 5.0


def test_one_file_cannot_fill_every_slot(retriever):
    hits = retriever.search("eigenvalues eigenvectors passage", k=5)
    files = [h.chunk.file_key for h in hits]
    assert max(files.count(f) for f in set(files)) <= 2
    assert len(hits) == 5


def test_without_alternatives_the_slots_are_filled_anyway(retriever):
    total = len(retriever.store)
    hits = retriever.search("eigenvalues eigenvectors passage", k=total)
    assert len(hits) == total  # the cap on one file gives way when nothing else is left
    assert sum(h.chunk.file_key.endswith("big.md") for h in hits) == 8


def test_resource_filter_excludes_everything_else(retriever):
    assert retriever.search("eigenvalues", k=3, filters=Filters(resources={"no-such-resource"})) == []


def test_bm25_finds_a_rare_exact_term(retriever):
    bm25 = retriever.search("zyxwquark", k=3, mode="bm25")
    assert bm25 and bm25[0].chunk.file_key.endswith("rare.md")
    hybrid = retriever.search("zyxwquark", k=3)
    assert hybrid[0].chunk.file_key.endswith("rare.md")


def test_dense_only_mode_has_no_lexical_scores(retriever):
    hits = retriever.search("singular value decomposition", k=3, mode="dense")
    assert hits and all(h.lexical is None and h.dense is not None for h in hits)
    with pytest.raises(ValueError):
        retriever.search("x", mode="fuzzy")


def test_chinese_query_is_expanded_with_english_concept_names(retriever):
    topics = retriever.topics
    concepts = topics.detect("什么是奇异值分解")
    assert concepts == ["svd"]
    expanded = retriever.expand("什么是奇异值分解", concepts)
    assert topics.get("svd").name in expanded
    hits = retriever.search("什么是奇异值分解", k=2, concepts=concepts, mode="bm25")
    assert hits and hits[0].chunk.file_key.endswith("svd.md")


def test_langchain_retriever_interface(retriever):
    docs = retriever.as_langchain(k=2).invoke("Bayes rule posterior")
    assert docs and docs[0].metadata["title"]
    assert any("posterior" in d.page_content for d in docs)


def test_fusion_reads_candidates_in_batches_and_ranks_as_if_it_read_them_all(retriever, monkeypatch):
    """Only the best candidates are read at first; when the one-file cap skips them, the next batch is read."""
    chunks = list(retriever.store.iter_chunks())
    big = [c.id for c in chunks if c.file_key.endswith("big.md")]
    others = [c.id for c in chunks if not c.file_key.endswith("big.md")]
    ranked = big + others  # all eight passages of one file first
    read: list[list[int]] = []
    real = retriever.store.get_chunks
    monkeypatch.setattr(retriever.store, "get_chunks", lambda ids: read.append(list(ids)) or real(ids))
    dense = [(cid, 1.0 - i / 100) for i, cid in enumerate(ranked)]

    hits = retriever.fuse(dense, [], k=1)
    assert [h.chunk.id for h in hits] == big[:1] and read == [big[:2]]  # 2k candidates, not all 12

    read.clear()
    hits = retriever.fuse(dense, [], k=3)
    assert [h.chunk.id for h in hits] == [big[0], big[1], others[0]]  # the cap skips six big.md passages
    assert read == [ranked[:6], ranked[6:12]]
    read.clear()
    assert [h.chunk.id for h in retriever.fuse(dense, [], k=3, diversify=False)] == ranked[:3]
