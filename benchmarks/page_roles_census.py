"""Count page roles per file of a corpus folder (PDF pages and markdown sections), for spot checks.

PYTHONPATH=src python benchmarks/page_roles_census.py /work/shared/corpus-real [--show ROLE]
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from mathtutor.ingest.page_roles import ROLES, classify
from mathtutor.ingest.readers import kind_for, load_sections


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--show", help="print file:page of every page with this role")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    per_book: dict[str, collections.Counter] = {}
    shown = []
    for path in sorted(args.root.rglob("*")):
        kind = kind_for(path) if path.is_file() else None
        if kind not in ("pdf", "markdown"):
            continue
        sections, _ = load_sections(path, kind, max_bytes=300_000_000)
        book = str(path.relative_to(args.root).parts[0])
        rel = str(path.relative_to(args.root))
        counter = per_book.setdefault(book, collections.Counter())
        for s in sections:
            role = classify(s.text, s.heading)
            counter[role] += 1
            if args.show == role:
                shown.append(f"{rel}:{s.page if s.page is not None else s.heading}")
    if args.json:
        print(json.dumps({b: dict(c) for b, c in per_book.items()}, indent=1))
    else:
        print(f"{'book':18s} " + " ".join(f"{r:>10s}" for r in ROLES))
        for b, c in per_book.items():
            print(f"{b:18s} " + " ".join(f"{c.get(r, 0):10d}" for r in ROLES))
    for s in shown:
        print(s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
