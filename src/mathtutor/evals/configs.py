"""What an eval run compares: the full tutor, its ablations (retrieval mode, topic graph) and the naive baseline."""

from __future__ import annotations

from dataclasses import dataclass

from mathtutor.evals.cases import NAIVE_K


@dataclass(frozen=True, slots=True)
class Config:
    """One ablation: a retrieval mode with or without the topic graph (or the naive baseline)."""

    name: str
    label: str
    mode: str | None = None
    use_graph: bool = True


FULL = Config("hybrid+graph", "hybrid + topic graph (full tutor)", "hybrid", True)
ABLATIONS = (
    Config("bm25", "BM25 only", "bm25", False),
    Config("dense", "dense only", "dense", False),
    Config("hybrid", "hybrid (BM25 + dense, RRF)", "hybrid", False),
    FULL,
)
NAIVE = Config("naive-rag", f"naive LangChain RAG (FAISS top-{NAIVE_K}, no catalog)")
