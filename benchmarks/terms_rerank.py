"""'Where does BOOK explain TERM': is a defining page in the top 5, before and after rerank()?

Terms are split by a hash of their id into a tuning half (``tune``) and a held-out half (``held``);
weights in mathtutor.rerank / page_roles were only adjusted while looking at the tuning half.

    PYTHONPATH=src python benchmarks/terms_rerank.py --index /work/idx/real [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from mathtutor.evals.terms import defines, load_terms
from mathtutor.index.store import IndexStore
from mathtutor.ingest.embedding import Embedder
from mathtutor.ingest.page_roles import classify
from mathtutor.ingest.readers import kind_for, load_sections
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.knowledge.zh import translate_query
from mathtutor.rerank import rerank
from mathtutor.retrieval import Filters, HybridRetriever
from mathtutor.settings import get_settings

K = 5
DEPTH = 30


def half(term_id: str) -> str:
    return "tune" if hashlib.sha1(term_id.encode()).digest()[0] % 2 == 0 else "held"


@lru_cache(maxsize=64)
def page_roles(file_key: str) -> dict:
    """Roles of every page/section as ingest now stores them (chunk.meta['role'])."""
    path = Path(file_key)
    kind = kind_for(path) if path.is_file() else None
    if kind not in ("pdf", "markdown"):
        return {}
    sections, _ = load_sections(path, kind, max_bytes=300_000_000)
    return {(s.page, s.heading): classify(s.text, s.heading) for s in sections}


def with_roles(hits):
    for h in hits:
        role = page_roles(h.chunk.file_key).get((h.chunk.page, h.chunk.section))
        if role is not None:
            h.chunk.meta["role"] = role
    return hits


def rank(hits, term) -> int | None:
    return next((i + 1 for i, h in enumerate(hits[:K]) if defines(term, h.chunk)), None)


COLUMNS = ("filtered_before", "filtered_pool_before", "filtered_after", "open_before", "open_pool_before", "open_after")


def summarize(rows: list[dict]) -> dict:
    """hit@5 and hit@1 of every ranking column, per half (tune / held / all) and language."""
    out = {}
    for h in ("tune", "held", "all"):
        for lang in ("en", "zh"):
            rs = [r for r in rows if (h == "all" or r["half"] == h) and r["lang"] == lang]
            if rs:
                out[f"{h}/{lang}"] = {"n": len(rs)} | {
                    f"{col} hit@{cut}": round(sum(1 for r in rs if r[col] is not None and r[col] <= cut) / len(rs), 3)
                    for col in COLUMNS
                    for cut in (K, 1)
                }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dump", type=Path, help="also write the candidate pools here (JSON) for offline study")
    args = ap.parse_args()
    s = get_settings()
    store = IndexStore.open(args.index, model=s.embedding_model, dim=s.embedding_dim)
    retr = HybridRetriever(store, Embedder(), load_catalog(), load_topics())
    rows, pools = [], []
    for term in load_terms():
        for lang, q in (("en", term.q), ("zh", term.q_zh)):
            if not q:
                continue
            row = {"id": term.id, "half": half(term.id), "lang": lang}
            if lang == "zh":  # the tutor searches with the English rewrite of a Chinese question
                q = translate_query(q).english or q
            for variant, filters in (("filtered", Filters(resources={term.resource})), ("open", None)):
                before = retr.search(q, k=K, filters=filters)
                pool = with_roles(retr.search(q, k=DEPTH, filters=filters, diversify=False))
                row[f"{variant}_before"] = rank(before, term)
                pools.append(
                    {
                        "id": term.id,
                        "lang": lang,
                        "variant": variant,
                        "q": q,
                        "hits": [
                            {"score": h.score, "defines": defines(term, h.chunk)} | h.chunk.to_dict() for h in pool
                        ],
                    }
                )
                row[f"{variant}_pool_before"] = rank(pool, term)
                row[f"{variant}_after"] = rank(rerank(pool, q), term)
            rows.append(row)
    summary = summarize(rows)
    if args.dump:
        args.dump.write_text(json.dumps(pools, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({"k": K, "depth": DEPTH, "summary": summary} | ({"rows": rows} if args.json else {}), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
