"""Do two versions of the code give the same answers? Dump every answer with one, compare with the other.

    PYTHONPATH=<old src> python benchmarks/same_answers.py dump --index IDX --out /tmp/old.json
    PYTHONPATH=src       python benchmarks/same_answers.py dump --index IDX --out /tmp/new.json
    python benchmarks/same_answers.py compare /tmp/old.json /tmp/new.json

A speed-up must not change what the tutor says. The questions are benchmarks/queries.jsonl, the study-plan
questions benchmarks/query.py adds, and evals/dev.jsonl (with their history and level; never the held-out
test set), each asked under the evaluation configurations (hybrid with the topic graph, without it, dense
only, BM25 only). Everything ``Answer.to_dict`` returns is compared except the timings. The dump imports
``mathtutor`` from ``PYTHONPATH``, so the same script runs old and new code; fix the query embedding
(``MATHTUTOR_EMBED_PRECISION``, ``MATHTUTOR_EMBED_THREADS``) so both embed the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: (mode, use_graph): the configurations `mathtutor eval` runs.
CONFIGS = (("hybrid", True), ("hybrid", False), ("dense", True), ("bm25", True))


def cases() -> list[dict[str, Any]]:
    """Every question with its history and level, benchmark questions first (import mathtutor before this:
    benchmarks/query.py puts this checkout's src first on sys.path)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from query import load_queries  # benchmarks/query.py: queries.jsonl plus the study-plan questions

    out: list[dict[str, Any]] = [{"id": f"bench-{i}", "q": q} for i, q in enumerate(load_queries())]
    for line in (ROOT / "evals" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            out.append({k: case[k] for k in ("id", "q", "history", "level") if k in case})
    return out


def dump(index: Path, out: Path, encoder: str) -> int:
    import mathtutor
    from mathtutor.settings import Settings
    from mathtutor.tutor import Tutor

    settings = Settings()
    if encoder == "light":
        from mathtutor.ingest.query_encoder import QueryEncoder

        embedder: Any = QueryEncoder(settings)
    else:
        from mathtutor.ingest.embedding import Embedder

        embedder = Embedder(settings)
    tutor = Tutor.open(index, embedder=embedder)
    answers: dict[str, Any] = {}
    for mode, graph in CONFIGS:
        for case in cases():
            a = tutor.ask(case["q"], case.get("history"), level=case.get("level"), mode=mode, use_graph=graph)
            record = a.to_dict()
            record.pop("timings_ms")
            answers[f"{case['id']}|{mode}|{'graph' if graph else 'nograph'}"] = record
    meta = {"code": mathtutor.__file__, "index": str(index), "encoder": encoder, "precision": embedder.precision}
    out.write_text(json.dumps({"meta": meta, "answers": answers}, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(answers)} answers from {meta['code']} -> {out}")
    return 0


def compare(old: Path, new: Path) -> int:
    a = json.loads(old.read_text(encoding="utf-8"))
    b = json.loads(new.read_text(encoding="utf-8"))
    if a["answers"].keys() != b["answers"].keys():
        print("different question sets")
        return 1
    differ = [k for k in a["answers"] if a["answers"][k] != b["answers"][k]]
    for k in differ[:10]:
        x, y = a["answers"][k], b["answers"][k]
        fields = [f for f in sorted(x.keys() | y.keys()) if x.get(f) != y.get(f)]
        print(f"DIFFERENT {k}: {', '.join(fields)}")
    cited = sum(len(r["citations"]) for r in a["answers"].values())
    print(
        f"{len(a['answers']) - len(differ)} of {len(a['answers'])} answers identical "
        f"(answer text, citations, study path, concepts; {cited} citations)"
    )
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="answer every question with the code on PYTHONPATH")
    d.add_argument("--index", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument(
        "--encoder",
        choices=("full", "light"),
        default="full",
        help="full: sentence-transformers (benchmarks/query.py); light: the NumPy encoder (CLI, UI)",
    )
    c = sub.add_parser("compare", help="compare two dumps")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    args = ap.parse_args()
    if args.command == "dump":
        return dump(args.index, args.out, args.encoder)
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
