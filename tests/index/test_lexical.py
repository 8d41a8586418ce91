from __future__ import annotations

import numpy as np
import pytest

from mathtutor.index import lexical

DOCS = [
    "eigenvalues and eigenvectors of a square matrix",
    "the chain rule for derivatives of composed functions",
    "gradient descent follows the negative gradient",
    "a matrix times its eigenvector gives a scaled eigenvector",
    "probability distributions and expected values",
    "backpropagation applies the chain rule layer by layer",
]


@pytest.fixture()
def index(tmp_path):
    lexical.build(DOCS, [10 + i for i in range(len(DOCS))], tmp_path)
    return lexical.LexicalIndex(tmp_path)


def test_search_ranks_by_bm25_and_returns_chunk_ids(index):
    hits = index.search("eigenvector of a matrix", 3)
    assert [cid for cid, _ in hits][:2] in ([13, 10], [10, 13])
    assert all(s > 0 for _, s in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_stemming_matches_word_forms(index):
    assert index.search("derivative", 5)[0][0] == 11  # "derivatives" in the passage


def test_no_known_words_and_empty_queries_give_nothing(index):
    assert index.search("lasagna recipe", 5) == []
    assert index.search("   ", 5) == []


def test_top_k_agrees_with_bm25s_retrieve(index):
    """Our bincount scoring must give bm25s's own scores, order and tie-breaking aside."""
    bm25 = index._bm25
    vocab = bm25.vocab_dict
    for query in ("chain rule", "matrix eigenvector eigenvector", "gradient probability matrix"):
        ids = [vocab[t] for t in lexical.tokenize([query])[0] if t in vocab]
        docs, scores = lexical.top_k(bm25, ids, 4)
        ref_docs, ref_scores = bm25.retrieve([ids], k=4, show_progress=False)
        matched = ref_scores[0] > 0  # top_k returns only documents that contain a query term
        assert np.allclose(np.sort(scores), np.sort(ref_scores[0][matched]), atol=1e-6)
        assert set(docs) == set(ref_docs[0][matched]) and len(docs) >= 1
        assert list(scores) == sorted(scores, reverse=True)


def test_top_k_with_k_beyond_the_corpus(index):
    vocab = index._bm25.vocab_dict
    docs, scores = lexical.top_k(index._bm25, [vocab["chain"]], 50)
    assert set(docs) == {1, 5} and np.all(scores > 0)  # only the documents with the word


def test_empty_index_searches_to_nothing(tmp_path):
    lexical.build([], [], tmp_path)
    assert lexical.LexicalIndex(tmp_path).search("matrix", 5) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.random(50_000),  # distinct scores
        lambda rng: rng.integers(0, 40, 50_000) / 7.0,  # few distinct values: ties everywhere
        lambda rng: np.where(rng.random(50_000) < 0.001, rng.random(50_000), 0.0),  # mostly zero
        lambda rng: np.where(rng.random(30_000) < 0.0005, 1.0, 0.0),  # fewer positives than k
        lambda rng: rng.random(300),  # small: no sampling
    ],
)
def test_best_rows_is_the_exact_top_k(make):
    """The sampled threshold only narrows the search: the result is a full sort's, ties by row."""
    rng = np.random.default_rng(11)
    for _ in range(5):
        scores = make(rng)
        for k in (1, 10, 40):
            rows, values = lexical.best_rows(scores, k)
            positive = np.flatnonzero(scores > 0)
            expect = positive[np.lexsort((positive, -scores[positive]))][:k]
            assert rows.tolist() == expect.tolist()
            assert np.allclose(values, scores[expect])


def test_top_k_on_common_words_only_matches_bm25s():
    """A big index where every query word is common (scores tie everywhere) still gives bm25s's ranking."""
    import bm25s
    from bm25s.tokenization import Tokenized

    rng = np.random.default_rng(5)
    docs = rng.integers(0, 12, size=(20_000, 8))  # 12 words: each in about half of all documents
    bm25 = bm25s.BM25()
    bm25.index(Tokenized(ids=docs.tolist(), vocab={f"w{i}": i for i in range(12)}), show_progress=False)
    for query in ([0, 1], [3, 3, 7], [11]):
        rows, values = lexical.top_k(bm25, query, 25)
        ref = bm25.get_scores(query)
        positive = np.flatnonzero(ref > 0)
        expect = positive[np.lexsort((positive, -ref[positive]))][:25]
        assert np.allclose(values, ref[expect], atol=1e-5)
        assert rows.tolist() == expect.tolist()
