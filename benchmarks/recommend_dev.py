"""hit@1 / hit@5 of the resource recommender on the dev split's resource cases (never the test split).

PYTHONPATH=src python benchmarks/recommend_dev.py [--no-dense] [--cases evals/dev.jsonl] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mathtutor.knowledge.topics import load_topics
from mathtutor.recommend import Recommender
from mathtutor.recommend_cues import is_resource_request


def expected_hit(ranked: list[str], case: dict, k: int) -> bool:
    top = ranked[:k]
    any_ok = not case.get("any_of") or any(r in top for r in case["any_of"])
    all_ok = all(r in top for r in case.get("all_of") or [])
    return any_ok and all_ok


def score_tutor(cases: list[dict], answers_path: Path) -> int:
    """hit@1/hit@5 of the tutor's cited catalog resources (parts mapped to resources, notes left out)."""
    from mathtutor.ingest.linking import NOTES_RESOURCE
    from mathtutor.knowledge.catalog import load_catalog

    catalog = load_catalog()
    by_q = {c["q"]: c for c in cases}
    out: dict[str, list[int]] = {}
    for line in answers_path.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        case = by_q.get(answer.get("question"))
        if case is None:
            continue
        ranked: list[str] = []
        for cite in answer.get("citations") or []:
            rid = cite.get("resource_id")
            if not rid or rid == NOTES_RESOURCE:
                continue
            rid = catalog.resource_of(rid).id if rid in catalog else rid
            if rid not in ranked:
                ranked.append(rid)
        for lang in ("all", case.get("lang", "en")):
            row = out.setdefault(lang, [0, 0, 0])
            row[0] += 1
            row[1] += expected_hit(ranked, case, 1)
            row[2] += expected_hit(ranked, case, 5)
    print(json.dumps({k: {"n": n, "hit@1": round(a / n, 3), "hit@5": round(b / n, 3)} for k, (n, a, b) in out.items()}))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="evals/dev.jsonl")
    ap.add_argument("--no-dense", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--tutor-answers",
        type=Path,
        help="score these answers instead (output of `mathtutor ask --batch ... --json` for the same questions)",
    )
    args = ap.parse_args()
    if Path(args.cases).name == "test.jsonl":
        print("the test split is frozen: tune on dev only", file=sys.stderr)
        return 2
    cases = [json.loads(line) for line in Path(args.cases).read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [c for c in cases if c.get("kind") == "resource"]
    if args.tutor_answers:
        return score_tutor(cases, args.tutor_answers)
    embedder = None
    if not args.no_dense:
        from mathtutor.ingest.embedding import Embedder
        from mathtutor.settings import get_settings

        embedder = Embedder()
        cache = get_settings().data_dir / "recommend"
    rec = Recommender(topics=load_topics(), embedder=embedder, cache_dir=cache if embedder else None)
    rows = []
    for c in cases:
        recs = rec.search(c["q"], k=5)
        ranked = [r.resource_id for r in recs]
        rows.append(
            {
                "id": c["id"],
                "lang": c.get("lang", "en"),
                "hit@1": expected_hit(ranked, c, 1),
                "hit@5": expected_hit(ranked, c, 5),
                "is_request": is_resource_request(c["q"]),
                "ranked": ranked,
                "expected": c.get("any_of") or c.get("all_of"),
                "reasons": list(recs[0].reasons) if recs else [],
            }
        )
    summary = {}
    for lang in ("all", "en", "zh"):
        rs = [r for r in rows if lang == "all" or r["lang"] == lang]
        if rs:
            summary[lang] = {
                "n": len(rs),
                "hit@1": round(sum(r["hit@1"] for r in rs) / len(rs), 3),
                "hit@5": round(sum(r["hit@5"] for r in rs) / len(rs), 3),
                "detected_as_request": round(sum(r["is_request"] for r in rs) / len(rs), 3),
            }
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            mark = "OK " if r["hit@1"] else ("ok5" if r["hit@5"] else "MISS")
            print(f"{mark} {r['id']:42s} {r['ranked'][:5]} want {r['expected']}  req={r['is_request']}")
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
