"""The naive RAG baseline: the tutorial LangChain pipeline (fixed-size chunks, FAISS top-k, no catalog)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.evals.cases import NAIVE_CHUNK_CHARS, NAIVE_K, NAIVE_OVERLAP_CHARS, Case
from mathtutor.evals.configs import NAIVE
from mathtutor.evals.scoring import CaseResult, score_answer
from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog


class NaiveRag:
    """The tutorial pipeline: whole files -> 1000/200-character chunks -> FAISS (in memory) -> top 5.

    It knows nothing of the catalog or the topic graph; its "resource ids" are the resource each
    hit's source file was linked to at ingest time (index manifest ``files[key]["resource_id"]``).
    """

    def __init__(self, store: Any, resource_of: dict[str, str | None], url_of: dict[str, str | None], stats: dict):
        self.store = store
        self.resource_of = resource_of
        self.url_of = url_of
        self.stats = stats

    @classmethod
    def build(cls, index_dir: Path, embedder: Any) -> NaiveRag:
        """Load the files the index was built from, split, embed with ``embedder.as_langchain()``."""
        import logging
        import warnings

        with warnings.catch_warnings():  # the package's own "being sunset" notice: the baseline is meant to be it
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.document_loaders import PyPDFLoader, TextLoader
            from langchain_community.vectorstores import FAISS
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from mathtutor.index.store import read_manifest

        t0 = time.perf_counter()
        files = (read_manifest(Path(index_dir)) or {}).get("files") or {}
        docs, missing, failed = [], [], []
        pypdf_log = logging.getLogger("pypdf")
        level = pypdf_log.level
        pypdf_log.setLevel(logging.ERROR)  # "Ignoring wrong pointing object" noise on real-world PDFs
        try:
            for key, entry in files.items():
                path = Path(key)
                if not path.is_file():
                    alt = PROJECT_ROOT / entry.get("path", "")
                    if not alt.is_file():
                        missing.append(key)
                        continue
                    path = alt
                try:
                    if path.suffix.lower() == ".pdf":
                        loaded = PyPDFLoader(str(path)).load()
                    else:  # .md / .txt / .srt / .vtt / catalog.yaml: as plain text
                        loaded = TextLoader(str(path), autodetect_encoding=True).load()
                except Exception as exc:  # a tutorial would crash; record it and go on
                    failed.append(f"{key}: {type(exc).__name__}: {exc}")
                    continue
                for d in loaded:
                    d.metadata["file_key"] = key
                docs.extend(loaded)
        finally:
            pypdf_log.setLevel(level)
        chunks = RecursiveCharacterTextSplitter(
            chunk_size=NAIVE_CHUNK_CHARS, chunk_overlap=NAIVE_OVERLAP_CHARS
        ).split_documents(docs)
        if not chunks:
            raise RuntimeError(f"naive baseline: no text could be loaded from the files of {index_dir}")
        store = FAISS.from_documents(chunks, embedder.as_langchain())
        stats = {
            "files": len(files) - len(missing) - len(failed),
            "files_missing": missing,
            "files_failed": failed,
            "chunks": len(chunks),
            "build_seconds": round(time.perf_counter() - t0, 1),
        }
        return cls(
            store,
            {k: e.get("resource_id") for k, e in files.items()},
            {k: e.get("url") for k, e in files.items()},
            stats,
        )

    def answer(self, question: str) -> dict[str, Any]:
        """The top-5 passages as an ``Answer.to_dict()``-shaped dict (it never abstains, has no path)."""
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question, k=NAIVE_K)
        ms = (time.perf_counter() - t0) * 1000
        citations = []
        for n, d in enumerate(docs, start=1):
            key = d.metadata.get("file_key")
            citations.append(
                {
                    "n": n,
                    "resource_id": self.resource_of.get(key),
                    "title": Path(key or "").name,
                    "url": self.url_of.get(key),
                    "locator": "",
                    "snippet": d.page_content[:300],
                    "score": 0.0,
                }
            )
        text = "\n\n".join(f"{d.page_content[:200]} [{c['n']}]" for d, c in zip(docs, citations, strict=True))
        return {
            "question": question,
            "in_scope": True,
            "answer": text,
            "citations": citations,
            "study_path": [],
            "concepts": [],
            "timings_ms": {"total": round(ms, 2)},
        }


def run_naive(rag: NaiveRag, cases: Sequence[Case], catalog: Catalog | None, bar: Any = None) -> list[CaseResult]:
    """Score the baseline. Only the last question is searched: the tutorial pipeline has no memory."""
    results = []
    for case in cases:
        answer = rag.answer(case.q)
        r = score_answer(case, answer, config=NAIVE.name, catalog=catalog, facts=None)
        r.retrieved, r.ret_hit5, r.ret_rr = r.ranked, r.hit5, r.rr  # its answer is its retrieval
        if r.concept_recall is None and case.concepts:
            r.concept_recall = 0.0
        results.append(r)
        if bar is not None:
            bar.update(1)
    return results
