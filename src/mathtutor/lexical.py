"""BM25 over the chunk texts (bm25s), persisted beside the FAISS index as .npy/.json (no pickle)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

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
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve(known, k=k, show_progress=False, n_threads=0)
        return [(int(self.ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
