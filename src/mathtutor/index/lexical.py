"""BM25 over the chunk texts (bm25s), persisted beside the FAISS index as .npy/.json (no pickle)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

BM25_DIR = "bm25"
IDS_FILE = "chunk_ids.npy"


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer  # PyStemmer: C stemmer, so "eigenvectors" meets "eigenvector"

        return Stemmer.Stemmer("english").stemWords
    except ImportError:  # stemming is an improvement, not a requirement
        return None


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def build(texts: Iterable[str], chunk_ids: Sequence[int], out_dir: Path) -> None:
    """Index ``texts`` (one per chunk) and save to ``out_dir/bm25``."""
    import bm25s

    texts = list(texts)
    target = out_dir / BM25_DIR
    target.mkdir(parents=True, exist_ok=True)
    np.save(target / IDS_FILE, np.asarray(chunk_ids, dtype=np.int64), allow_pickle=False)
    if not texts:
        (target / "empty.json").write_text(json.dumps({"documents": 0}))
        return
    retriever = bm25s.BM25()
    retriever.index(tokenize(texts), show_progress=False)
    retriever.save(str(target), allow_pickle=False, show_progress=False)


def best_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the ``k`` highest positive scores and those scores, best first, ties by row.

    ``np.argpartition`` over a million BM25 scores takes 10 ms, and over 100 ms when most of them tie
    (a few hundred distinct values: common words only). A strided sample sets a threshold that a few
    thousand rows pass instead; the exact ranking then runs on those. Rows that tie with the k-th score
    are kept until the final cut, so the result never depends on the selection order.
    """
    n = len(scores)
    rows = None
    if n > 8192 and k < n // 64:
        step = n // 4096
        sample = np.sort(scores[::step])
        threshold = sample[-8 - k * len(sample) // n]  # ~8 sampled values at or above: a few thousand rows
        if threshold > 0:
            passed = np.flatnonzero(scores >= threshold)
            if len(passed) >= k:
                rows = passed
    if rows is None:
        rows = np.flatnonzero(scores > 0)
    values = scores[rows]
    if k < len(rows):
        keep = values >= np.sort(values)[len(values) - k]
        rows, values = rows[keep], values[keep]
    order = np.lexsort((rows, -values))[:k]
    return rows[order].astype(np.int64), values[order].astype(np.float32)


def top_k(bm25: Any, token_ids: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best documents (row numbers, scores), best first, for vocabulary ids ``token_ids``.

    Same scores as ``bm25s.BM25.retrieve`` (its precomputed per-term weights, a repeated term counted
    again), computed faster for one query: the posting lists are summed by one ``np.bincount`` instead
    of an ``np.add.at`` per term, and the top k are picked by :func:`best_rows`. On a million passages
    that took BM25 p95 from 179 ms to 10 ms (benchmarks/query.py). Documents without any query term
    are never returned.
    """
    sc = bm25.scores
    indptr, indices, data, n_docs = sc["indptr"], sc["indices"], sc["data"], int(sc["num_docs"])
    spans = [(int(indptr[t]), int(indptr[t + 1])) for t in token_ids]
    spans = [(a, b) for a, b in spans if b > a]
    if not spans or n_docs == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    docs = np.concatenate([indices[a:b] for a, b in spans])
    weights = np.concatenate([data[a:b] for a, b in spans])
    scores = np.bincount(docs, weights=weights, minlength=n_docs)
    nonocc = getattr(bm25, "nonoccurrence_array", None)
    if nonocc is not None:  # BM25L/BM25+ variants score absent terms too
        matched = np.zeros(n_docs, dtype=bool)
        matched[docs] = True
        scores = np.where(matched, scores + nonocc[np.asarray(token_ids)].sum(), 0.0)
    return best_rows(scores, min(k, n_docs))


class LexicalIndex:
    """A loaded BM25 index: ``search(query, k)`` -> [(chunk_id, score)], best first."""

    def __init__(self, gen_dir: Path):
        import bm25s

        folder = gen_dir / BM25_DIR
        self.ids = np.load(folder / IDS_FILE, allow_pickle=False)
        self._bm25 = None
        if len(self.ids):
            self._bm25 = bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        if self._bm25 is None or not query.strip():
            return []
        tokens = tokenize([query])
        if not tokens or not tokens[0]:
            return []
        vocab = self._bm25.vocab_dict
        known = [[t for t in tokens[0] if t in vocab]]
        if not known[0]:
            return []
        docs, scores = top_k(self._bm25, [vocab[t] for t in known[0]], k)
        return [(int(self.ids[d]), float(s)) for d, s in zip(docs, scores, strict=True) if s > 0]
