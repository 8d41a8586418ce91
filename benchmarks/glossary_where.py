"""Chinese "where does MML explain TERM?" for the books' vocabulary, checked against MML's own margin notes.

MML prints each term it introduces in the margin of that page. For every English term of
``corpus/terms_zh_books.yaml`` that is also an MML margin note (read off the index's chunks), this asks
``《Mathematics for Machine Learning》在哪里讲了<zh>？`` (the term's first Chinese form) and reports how often
the answer cites anything at all, and how often its first / first five citations are a page whose margin
note names the term. No eval file is read: the reference is the book's own marking.

    PYTHONPATH=src python benchmarks/glossary_where.py --index /work/idx/real2
    # the same questions without the books' table: a copy of corpus/ without terms_zh_books.yaml
    MATHTUTOR_CORPUS_DIR=/tmp/corpus-main PYTHONPATH=src python benchmarks/glossary_where.py --index ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from mathtutor.rerank import margin_names
from mathtutor.settings import PROJECT_ROOT, get_settings
from mathtutor.tutor import Tutor

K = 5


def margin_terms(tutor: Tutor) -> set[str]:
    """Folded margin notes of MML's chapter pages."""
    notes: set[str] = set()
    for chunk in tutor.store.iter_chunks():
        if "mml-book/chapter" not in chunk.file_key.replace("\\", "/"):
            continue
        for note in (chunk.meta or {}).get("margin") or ():
            if isinstance(note, str):
                notes.add(" ".join(note.lower().split()))
    return notes


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tutor = Tutor.open(args.index, backend="extractive")
    books = yaml.safe_load((PROJECT_ROOT / "corpus" / "terms_zh_books.yaml").read_text(encoding="utf-8"))
    notes = margin_terms(tutor)
    first_zh: dict[str, str] = {}
    for entry in books:
        if entry["kind"] == "concept" and entry["en"] in notes:
            first_zh.setdefault(entry["en"], entry["zh"])
    rows = []
    for en, zh_term in sorted(first_zh.items()):
        answer = tutor.ask(f"《Mathematics for Machine Learning》在哪里讲了{zh_term}？").to_dict()
        ids = [c["chunk_id"] for c in answer.get("citations") or [] if c.get("chunk_id") is not None]
        by_id = {c.id: c for c in tutor.store.get_chunks(ids)}
        chunks = [by_id[i] for i in ids if i in by_id]
        rank = next((i + 1 for i, c in enumerate(chunks) if margin_names(c, en)), None)
        rows.append({"en": en, "zh": zh_term, "cited": len(chunks), "rank": rank})
    n = len(rows)
    summary = {
        "corpus_dir": str(get_settings().corpus_dir),
        "terms": n,
        "answered": sum(r["cited"] > 0 for r in rows) / n,
        "margin page first": sum(r["rank"] == 1 for r in rows) / n,
        f"margin page in top {K}": sum(r["rank"] is not None and r["rank"] <= K for r in rows) / n,
    }
    print(json.dumps({"summary": summary, "rows": rows} if args.json else summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
