"""Query latency: `ask` (extractive) on real indexes, and hybrid retrieval at 10k/100k/1M synthetic chunks.

    python benchmarks/query.py --index indexes/default --index /tmp/idx-real [--sizes 10000,100000,1000000]

Figures are per-call wall times inside one warm process (the model is loaded once, and configured for
queries the way Tutor.open does it: calibration's cached choice), p50/p95 over the query set
(benchmarks/queries.jsonl plus study-plan questions). The synthetic part measures the whole
hybrid path a question takes: query embedding with the real model, FAISS search, BM25 search and rank
fusion. FAISS index type by size, as the store chooses it: exact IndexFlatIP below
``settings.DEFAULT_ANN_MIN_CHUNKS`` (200k; a brute-force scan of 100k x 384 floats takes ~10 ms, needs no training
and is exact); from there on the IVF index ``store.build_ann`` writes (IndexIVFFlat, nlist ~4·sqrt(n),
nprobe 16), since a flat scan of 1M vectors alone costs ~100 ms. Its recall@10 against exact search is
reported. Synthetic vectors are scattered around the real index's vectors, so they cluster like real ones.
The result records the machine (CPU, relevant flags, cores, load at start and end; "quiet" only at load
<= 0.5 at start, see benchmarks/machine.py) and the query embedding configuration.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mathtutor.index.store import build_ann  # noqa: E402
from mathtutor.retrieval import HybridRetriever  # noqa: E402
from mathtutor.settings import DEFAULT_ANN_MIN_CHUNKS, Settings  # noqa: E402
from mathtutor.types import Chunk  # noqa: E402

PLAN_QUESTIONS = [
    "What should I study for PCA?",
    "What should I study for backpropagation?",
    "What do I need to know before the central limit theorem?",
    "学习奇异值分解需要什么基础？",
    "How do I learn gradient descent as a beginner?",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 50), 2),
        "p95_ms": round(pct(values, 95), 2),
        "mean_ms": round(statistics.fmean(values), 2) if values else float("nan"),
    }


def load_queries() -> list[str]:
    qs = [json.loads(line)["q"] for line in (ROOT / "benchmarks" / "queries.jsonl").read_text().splitlines() if line]
    return qs + PLAN_QUESTIONS


def bench_ask(index: Path, embedder, queries: list[str], rounds: int) -> dict:
    from mathtutor.tutor import Tutor

    t = time.perf_counter()
    tutor = Tutor.open(index, embedder=embedder)
    open_s = time.perf_counter() - t
    for q in queries[:5]:  # warm-up
        tutor.ask(q)
    total, retrieve = [], []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            a = tutor.ask(q)
            total.append((time.perf_counter() - t) * 1000)
            retrieve.append(a.timings_ms["retrieve"])
    embed = []
    for q in queries:
        t = time.perf_counter()
        embedder.embed([q])  # not embed_query: its cache may hold the question from the asks above
        embed.append((time.perf_counter() - t) * 1000)
    return {
        "index": str(index),
        "chunks": len(tutor.store),
        "open_seconds": round(open_s, 2),
        "ask": summary(total),
        "retrieve": summary(retrieve),
        "query_embedding": summary(embed),
    }


class _SyntheticLexical:
    def __init__(self, bm25, vocab: dict[str, int]):
        self.bm25, self.vocab = bm25, vocab

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        from mathtutor.index.lexical import tokenize, top_k

        ids = [self.vocab[t] for t in tokenize([query])[0] if t in self.vocab]
        if not ids:
            return []
        docs, scores = top_k(self.bm25, ids, k)  # the scoring LexicalIndex uses
        return [(int(d), float(s)) for d, s in zip(docs, scores, strict=True) if s > 0]


class SyntheticStore:
    """What HybridRetriever needs from an IndexStore, over N synthetic chunks held in memory."""

    def __init__(self, index, lexical):
        self.index, self.lexical = index, lexical

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, vectors: np.ndarray, k: int):
        return self.index.search(np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32), k)

    def get_chunks(self, ids):
        return [
            Chunk(text="", file_key=f"f{int(i) // 50}", kind="text", title="t", ordinal=0, id=int(i))
            for i in ids
            if int(i) >= 0
        ]


def corpus_vocabulary(index: Path) -> list[str]:
    """Stemmed words of a real index, most frequent first (for realistic synthetic documents)."""
    from collections import Counter

    from mathtutor.index.lexical import tokenize
    from mathtutor.index.store import IndexStore

    store = IndexStore.open(index, model=Settings().embedding_model, dim=384)
    counts: Counter[str] = Counter()
    for toks in tokenize([c.text for c in store.iter_chunks()]):
        counts.update(toks)
    return [w for w, _ in counts.most_common()]


def real_vectors(index: Path) -> np.ndarray:
    """The chunk vectors of a real index: seeds for clustered synthetic vectors."""
    from mathtutor.index.store import IndexStore

    store = IndexStore.open(index, model=Settings().embedding_model, dim=384)
    return store.index.index.reconstruct_n(0, int(store.index.ntotal))


def synthetic_vectors(n: int, seeds: np.ndarray, rng) -> np.ndarray:
    """``n`` unit vectors scattered around real chunk vectors (cosine ~0.85 to their seed).

    Uniformly random unit vectors in 384-d have no neighbourhoods at all: every point is about as far
    from every other, so no approximate index can find "the" nearest ones (IVF recall@10 was 0.03
    on them). Real embeddings cluster by topic; this keeps that shape at any size.
    """
    out = np.empty((n, seeds.shape[1]), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):
        b = min(n, a + step)
        base = seeds[rng.integers(0, len(seeds), size=b - a)]
        noise = rng.standard_normal((b - a, seeds.shape[1]), dtype=np.float32) * (0.6 / np.sqrt(seeds.shape[1]))
        v = base + noise
        out[a:b] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def bench_synthetic(n: int, embedder, queries: list[str], vocab: list[str], seeds: np.ndarray, rng) -> dict:
    import bm25s
    import faiss
    from bm25s.tokenization import Tokenized

    dim = 384
    t = time.perf_counter()
    vecs = synthetic_vectors(n, seeds, rng)
    flat = faiss.IndexFlatIP(dim)
    flat.add(vecs)
    if n >= DEFAULT_ANN_MIN_CHUNKS:  # what IndexWriter.commit builds at this size
        exact = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        exact.add_with_ids(vecs, np.arange(n, dtype=np.int64))
        index = build_ann(exact)
        del exact
        kind = f"IndexIVFFlat(nlist={index.nlist}, nprobe={index.nprobe})"
    else:
        index, kind = flat, "IndexFlatIP (exact)"
    # documents of 60 tokens drawn from the real vocabulary with a Zipf-like law
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    p = 1 / ranks
    p /= p.sum()
    docs = rng.choice(len(vocab), size=(n, 60), p=p).astype(np.int32)
    bm25 = bm25s.BM25()
    bm25.index(Tokenized(ids=docs.tolist(), vocab={w: i for i, w in enumerate(vocab)}), show_progress=False)
    del docs
    build_s = time.perf_counter() - t
    lexical = _SyntheticLexical(bm25, {w: i for i, w in enumerate(vocab)})
    retriever = HybridRetriever(SyntheticStore(index, lexical), embedder, None, None)
    for q in queries[:5]:
        retriever.search(q, k=8, diversify=False)
    times, parts, recall = [], {"embed": [], "faiss": [], "bm25": []}, []
    for q in queries:
        t = time.perf_counter()
        retriever.search(q, k=8)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        qv = embedder.embed_query(q)
        parts["embed"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        _, got = index.search(qv[None, :], 10)
        parts["faiss"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        lexical.search(q, 40)
        parts["bm25"].append((time.perf_counter() - t) * 1000)
        _, exact = flat.search(qv[None, :], 10)
        recall.append(len(set(got[0]) & set(exact[0])) / 10)
    return {
        "chunks": n,
        "faiss_index": kind,
        "build_seconds": round(build_s, 1),
        "hybrid": summary(times),
        "query_embedding": summary(parts["embed"]),
        "faiss_search": summary(parts["faiss"]),
        "bm25_search": summary(parts["bm25"]),
        "faiss_recall_at_10": round(float(np.mean(recall)), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, action="append", default=[], help="index to time `ask` on (repeatable)")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--encoder",
        choices=("full", "light", "both"),
        default="both",
        help="query embedder for `ask`: the calibrated sentence-transformers one (Tutor.open's default), "
        "the NumPy one the CLI and the web app use, or both",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "query.json")
    args = ap.parse_args()

    from machine import finish_and_write, machine_info  # benchmarks/machine.py

    from mathtutor.ingest.embedding import Embedder
    from mathtutor.ingest.tuning import tune_query_embedder

    machine = machine_info()
    settings = Settings()
    embedder = Embedder(settings)
    _ = embedder.model
    choice = tune_query_embedder(embedder, settings)  # as Tutor.open configures it (cached per machine)
    print(f"query embedding: {choice.describe()} {choice.measured}", flush=True)
    queries = load_queries()
    result: dict = {
        "machine": machine,
        "query_embed_config": choice.to_dict(),
        "queries": len(queries),
        "ask": [],
        "synthetic": [],
    }
    encoders = {"full": embedder}
    if args.encoder != "full":
        from mathtutor.ingest.query_encoder import QueryEncoder

        encoders["light"] = QueryEncoder(settings)
        if args.encoder == "light":
            del encoders["full"]
    for index in args.index:
        for name, enc in encoders.items():
            r = {"encoder": name, **bench_ask(index, enc, queries, args.rounds)}
            result["ask"].append(r)
            print(
                f"ask on {index} ({r['chunks']} chunks, {name} encoder): p50 {r['ask']['p50_ms']} ms, "
                f"p95 {r['ask']['p95_ms']} ms; query embedding p50 {r['query_embedding']['p50_ms']} ms",
                flush=True,
            )
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        source = args.index[-1] if args.index else ROOT / "indexes" / "default"
        vocab = corpus_vocabulary(source)
        seeds = real_vectors(source)
        rng = np.random.default_rng(0)
        for n in sizes:
            r = bench_synthetic(n, embedder, queries, vocab, seeds, rng)
            result["synthetic"].append(r)
            print(
                f"hybrid retrieval at {n} chunks ({r['faiss_index']}): p50 {r['hybrid']['p50_ms']} ms, "
                f"p95 {r['hybrid']['p95_ms']} ms; FAISS recall@10 {r['faiss_recall_at_10']}",
                flush=True,
            )
    finish_and_write(result, machine, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
