"""A class on one PostgreSQL: 50 simulated learners x 10 practice interactions across 2 replica processes.

    python benchmarks/class.py [--learners 50] [--interactions 10] [--threads 4] [--database-url URL]

Without ``--database-url`` a throw-away PostgreSQL 15 is started on a loopback port (as the tests do).
Each replica is a separate process with its own ``LearnerStore`` (its own engine and pool), standing for
one ``mathtutor serve``. Interaction j of learner i goes to replica (i + j) mod 2, so every learner is
served by both; every third interaction is sent twice (a retried request). Each interaction records the
attempt (BKT + prerequisites + FSRS in one transaction) and then asks "what next". Afterwards every
learner must have exactly ``interactions`` attempts and mastery counts that agree: zero lost, zero
duplicated. Timed: record+update and what-next, per call, p50/p95. The answer check itself belongs to
mathtutor.practice and is not part of these figures.

Also: SQLite single-user record+update, warm, p95 (target <= 20 ms). Writes benchmarks/results/class.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from mathtutor.learning import LearnerStore  # noqa: E402

CONCEPTS = ["vectors", "matrices", "dot-product", "derivatives", "probability-basics"]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _replica(url: str, tasks: list[tuple[int, int]], threads: int, out: mp.Queue) -> None:
    store = LearnerStore(url)
    store.ensure_ready()
    record_ms: list[float] = []
    next_ms: list[float] = []

    def one(task: tuple[int, int]) -> None:
        learner, j = task
        handle = store.for_learner(f"learner{learner:03d}")
        concept = CONCEPTS[(learner + j) % len(CONCEPTS)]
        correct = (learner * 7 + j * 3) % 4 != 0
        for _ in range(2 if j % 3 == 0 else 1):  # every third request is retried
            t = time.perf_counter()
            handle.record(concept, correct, f"l{learner}-i{j}", at=T0 + timedelta(seconds=j))
            record_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        handle.what_next(now=T0 + timedelta(days=1))
        next_ms.append((time.perf_counter() - t) * 1000)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, tasks))
    store.close()
    out.put({"record_ms": record_ms, "next_ms": next_ms})


def _class_run(url: str, learners: int, interactions: int, threads: int) -> dict:
    tasks: list[list[tuple[int, int]]] = [[], []]
    for j in range(interactions):
        for i in range(learners):
            tasks[(i + j) % 2].append((i, j))
    LearnerStore(url).ensure_ready()  # migrate once before the replicas start
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    start = time.perf_counter()
    procs = [ctx.Process(target=_replica, args=(url, tasks[k], threads, out)) for k in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - start
    store = LearnerStore(url)
    lost = duplicated = 0
    for i in range(learners):
        handle = store.for_learner(f"learner{i:03d}")
        n = handle.attempt_count()
        lost += max(0, interactions - n)
        duplicated += max(0, n - interactions)
        with store.transaction() as s:
            from sqlalchemy import text

            total = s.execute(
                text("SELECT coalesce(sum(attempts), 0) FROM mastery WHERE learner_id = :id"), {"id": handle.learner_id}
            ).scalar_one()
        if total != n:
            duplicated += abs(total - n)
    store.close()
    record_ms = [x for r in results for x in r["record_ms"]]
    next_ms = [x for r in results for x in r["next_ms"]]
    return {
        "learners": learners,
        "interactions_per_learner": interactions,
        "replicas": 2,
        "threads_per_replica": threads,
        "record_calls": len(record_ms),
        "retried_requests": len(record_ms) - learners * interactions,
        "lost_attempts": lost,
        "duplicated_attempts": duplicated,
        "wall_s": round(wall, 2),
        "record_update_ms": {"p50": _pct(record_ms, 0.5), "p95": _pct(record_ms, 0.95)},
        "what_next_ms": {"p50": _pct(next_ms, 0.5), "p95": _pct(next_ms, 0.95)},
    }


def _sqlite_single_user(calls: int = 200) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = LearnerStore(f"sqlite:///{tmp}/learners.sqlite")
        handle = store.for_learner("solo")
        for w in range(10):  # warm-up
            handle.record("vectors", True, f"w{w}", at=T0)
        times = []
        for i in range(calls):
            t = time.perf_counter()
            handle.record(CONCEPTS[i % len(CONCEPTS)], i % 4 != 0, f"a{i}", at=T0 + timedelta(seconds=i))
            times.append((time.perf_counter() - t) * 1000)
        store.close()
    return {
        "calls": calls,
        "record_update_ms": {"p50": _pct(times, 0.5), "p95": _pct(times, 0.95)},
        "target_p95_ms": 20.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=50)
    ap.add_argument("--interactions", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4, help="concurrent requests per replica")
    ap.add_argument("--database-url", default=None, help="an existing PostgreSQL (default: start one)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "class.json")
    args = ap.parse_args()
    server = None
    url = args.database_url
    if url is None:
        from tests.learning.pgserver import PgServer

        server = PgServer()
        server.start()
        url = server.create_database("mathtutor_class")
    try:
        load_before = os.getloadavg()
        pg = _class_run(url, args.learners, args.interactions, args.threads)
        solo = _sqlite_single_user()
        load_after = os.getloadavg()
    finally:
        if server is not None:
            server.destroy()
    result = {
        "postgresql_class": pg,
        "sqlite_single_user": solo,
        "machine": {
            "cpu": _machine_cpu(),
            "cores": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "note": "record_update = record attempt + BKT (concept and prerequisites) + FSRS, one transaction; "
        "the practice answer check is not included.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if pg["lost_attempts"] or pg["duplicated_attempts"]:
        sys.exit("FAIL: attempts were lost or duplicated")


def _machine_cpu() -> str:
    """The CPU model, read the way the calibration reads it (mathtutor.ingest.machine)."""
    from mathtutor.ingest.machine import cpu_info

    return cpu_info()["cpu"]


if __name__ == "__main__":
    main()
