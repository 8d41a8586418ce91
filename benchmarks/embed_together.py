"""One pass for an ask's texts: two short texts embedded together against one after the other.

    python benchmarks/embed_together.py [--rounds 3]

For each of the 65 benchmark questions (benchmarks/queries.jsonl plus the study-plan questions), the question and
the question with two concept names appended (what a retrieval query looks like) are embedded one after the other
and then together, alternating, with the sentence-transformers embedder (a padded batch) and the NumPy query encoder
(``embed_together``: stacked rows, nothing padded). Reports p50/p95 of each and the median per-question ratio, and
how far the vectors embedded together are from those embedded alone. Records the machine (benchmarks/machine.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import finish_and_write, machine_info  # noqa: E402
from query import load_queries  # noqa: E402

SUFFIX = " Matrices Eigenvalues, eigenvectors"


def measure(alone, together, queries: list[str], rounds: int) -> dict:
    for q in queries[:5]:  # warm-up
        together([q, q + SUFFIX])
    apart_ms, together_ms, diff = [], [], 0.0
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            a = np.stack([alone([q])[0], alone([q + SUFFIX])[0]])
            apart_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            b = together([q, q + SUFFIX])
            together_ms.append((time.perf_counter() - t) * 1000)
            diff = max(diff, float(np.abs(a - b).max()))
    ratio = np.median(np.asarray(together_ms) / np.asarray(apart_ms))
    pct = lambda v, p: round(float(np.percentile(v, p)), 2)  # noqa: E731
    return {
        "apart_p50_ms": pct(apart_ms, 50),
        "apart_p95_ms": pct(apart_ms, 95),
        "together_p50_ms": pct(together_ms, 50),
        "together_p95_ms": pct(together_ms, 95),
        "median_ratio": round(float(ratio), 3),
        "max_abs_difference": diff,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "embed_together.json")
    args = ap.parse_args()
    from mathtutor.ingest.embedding import Embedder
    from mathtutor.ingest.query_encoder import QueryEncoder
    from mathtutor.settings import Settings

    machine = machine_info()
    queries = load_queries()
    settings = Settings()
    full = Embedder(settings.model_copy(update={"embed_precision": "float32"}))
    light = QueryEncoder(settings)
    result = {
        "machine": machine,
        "queries": len(queries),
        "rounds": args.rounds,
        "full": measure(full.embed, full.embed, queries, args.rounds),
        "light": measure(light.embed, light.embed_together, queries, args.rounds),
    }
    for name in ("full", "light"):
        print(name, json.dumps(result[name]), flush=True)
    finish_and_write(result, machine, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
