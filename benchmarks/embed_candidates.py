"""What each embedding candidate gives on this machine, measured directly (a check on calibration).

    python benchmarks/embed_candidates.py [--corpus PATH] [--chunks 192] [--out FILE.json]

Ingest candidates: chunks/s embedding ``--chunks`` real chunks of the corpus (read in place) as the
pipeline does (batches of settings.embed_batch_size), under float32 / bfloat16 autocast / dynamic int8,
in one process with N threads, one process with 1 thread, and N single-threaded worker processes
(spawned for real, unlike calibration, which estimates them). Query candidates: p50 ms of one-sentence
encodes (calibration's probe questions) under each precision x {1, N} threads. Then the calibration
itself is run twice on fresh cache folders and timed. The machine and its load at start and end are
recorded: on a loaded machine, read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from machine import finish_machine_info, machine_info, machine_line  # benchmarks/machine.py

REPO = Path(__file__).resolve().parents[1]


def real_chunks(corpus: Path, n: int) -> list[str]:
    """Embedding texts of the first ``n`` chunks of the corpus, parsed as ingest parses them."""
    from mathtutor.ingest.chunking import embedding_text
    from mathtutor.ingest.discovery import discover
    from mathtutor.ingest.linking import ManifestCache, SourceResolver
    from mathtutor.ingest.parsing import _init_worker, parse_file
    from mathtutor.settings import get_settings

    settings = get_settings()
    cands, _, _ = discover([corpus], ManifestCache())
    _init_worker(settings, SourceResolver(None))
    texts: list[str] = []
    for cand in cands:
        parsed = parse_file(cand)
        texts += [embedding_text(c) for c in parsed.chunks]
        if len(texts) >= n:
            break
    return texts[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus-real")
    ap.add_argument("--chunks", type=int, default=192)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from mathtutor.ingest.calibration import (
        QUERY_PROBES,
        Constraints,
        ModelProbe,
        calibrate_query,
        top_k_overlap,
    )
    from mathtutor.ingest.embedding import Embedder, ProcessEmbedder, encode
    from mathtutor.ingest.ingest_choice import MemoryBase, calibrate_ingest
    from mathtutor.ingest.machine import usable_cores
    from mathtutor.ingest.tuning import probe_sample
    from mathtutor.settings import Settings

    machine = machine_info()
    n = usable_cores()
    texts = real_chunks(args.corpus, args.chunks)
    settings = Settings()
    embedder = Embedder(settings)
    probe = ModelProbe(embedder.model, texts, batch_size=settings.embed_batch_size)

    ingest: dict[str, float] = {}
    vectors = {}
    for p in ("float32", "bfloat16", "int8"):
        for t in sorted({n, 1}, reverse=True):
            rate, vectors[(p, t)], _ = probe.throughput(p, t, float("inf"))
            ingest[f"{p} 1 process x {t} threads"] = round(rate, 1)
            print(f"ingest {p} 1x{t}: {rate:.1f} chunks/s", flush=True)
    overlap_int8 = top_k_overlap(vectors[("float32", n)], vectors[("int8", n)])
    overlap_bf16 = top_k_overlap(vectors[("float32", n)], vectors[("bfloat16", n)])
    if n > 1:
        for p in ("float32", "bfloat16"):
            pe = ProcessEmbedder(settings, n, threads=1, precision=p)
            _ = pe.model  # start and warm the workers (untimed)
            t0 = time.perf_counter()
            pe.embed(texts)
            rate = len(texts) / (time.perf_counter() - t0)
            pe.close()
            ingest[f"{p} {n} processes x 1 thread (real)"] = round(rate, 1)
            print(f"ingest {p} {n}x1 (real processes): {rate:.1f} chunks/s", flush=True)

    query: dict[str, float] = {}
    for p in ("float32", "bfloat16", "int8"):
        for t in sorted({1, n}):
            query[f"{p} {t} thread(s)"] = round(probe.latency_ms(p, t, float("inf")), 2)
            print(f"query {p} 1x{t}: p50 {query[f'{p} {t} thread(s)']} ms", flush=True)
    q32 = encode(probe._model_for("float32"), QUERY_PROBES, "float32", 64)
    q8 = encode(probe._model_for("int8"), QUERY_PROBES, "int8", 64)

    # the calibration itself, as ingest and Tutor.open run it (32 probe chunks)
    cal = {}
    for run in (1, 2):
        p2 = ModelProbe(embedder.model, probe_sample(texts), batch_size=settings.embed_batch_size)
        t0 = time.perf_counter()
        ci = calibrate_ingest(p2, Constraints(memory_mb=settings.embed_memory_mb), n, MemoryBase.measure())
        cal[f"ingest run {run}"] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "choice": ci.describe(),
            "measured": ci.measured,
            "notes": ci.notes,
        }
        t0 = time.perf_counter()
        cq = calibrate_query(p2, Constraints(processes=1), n)
        cal[f"query run {run}"] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "choice": cq.describe(),
            "measured": cq.measured,
            "notes": cq.notes,
        }
        print(
            f"calibration run {run}: ingest {cal[f'ingest run {run}']['seconds']} s -> {ci.describe()}; "
            f"query {cal[f'query run {run}']['seconds']} s -> {cq.describe()}",
            flush=True,
        )
    finish_machine_info(machine)
    result = {
        "machine": machine,
        "chunks": len(texts),
        "ingest_chunks_per_s": ingest,
        "top10_overlap_vs_float32": {
            "int8": round(overlap_int8, 3),
            "bfloat16": round(overlap_bf16, 3),
            "int8_queries": round(top_k_overlap(q32, q8), 3),
        },
        "query_p50_ms": query,
        "calibration": cal,
    }
    print(machine_line(machine))
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
