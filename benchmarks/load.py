"""Load test of the web UI: concurrent chat sessions against ``python app.py`` on loopback.

    python benchmarks/load.py [--index DIR] [--sessions 20] [--questions 5] [--timeout 120]
                              [--deadline 900] [--out FILE.json]

Starts the server exactly as a learner does (``app.py``, its own process, 127.0.0.1, a free port, a
throw-away data directory), waits until it answers, then runs ``--sessions`` sessions at once, each a
``gradio_client`` client asking ``--questions`` questions in turn through the ``chat`` API (the questions
of ``benchmarks/queries.jsonl`` plus study-path questions, spread so sessions ask different things).
Reports completed/failed questions, latency p50/p95/max per question, throughput, and the server's
peak resident memory (``VmHWM``) before and after the load. Bounded: every question has ``--timeout``
seconds and the whole run ``--deadline``; the server is stopped at the end whatever happens.

Without ``--index`` it uses ``settings.index_dir``, or builds a temporary index of ``corpus/`` when that
does not exist. Exit status 1 when any question failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAN_QUESTIONS = [
    "What should I study for PCA?",
    "What should I study before backpropagation?",
    "How do I learn gradient descent from scratch?",
    "What do I need to know for the singular value decomposition?",
    "What should I study for attention in transformers?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _questions() -> list[str]:
    qs = [json.loads(line)["q"] for line in (ROOT / "benchmarks" / "queries.jsonl").read_text().splitlines() if line]
    out = []
    for i, q in enumerate(qs):  # one study-path question in every six
        out.append(q)
        if i % 5 == 4:
            out.append(PLAN_QUESTIONS[(i // 5) % len(PLAN_QUESTIONS)])
    return out


def _proc_kb(pid: int, field: str) -> int:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of a process, in kB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _ensure_index(index: Path | None, work: Path) -> Path:
    if index is not None:
        return index
    sys.path.insert(0, str(ROOT / "src"))
    from mathtutor.settings import get_settings

    default = get_settings().index_dir
    if (default / "CURRENT").exists():
        return default
    built = work / "index"
    print(f"load: no index at {default}; building one of corpus/ in {built}", file=sys.stderr)
    cmd = [sys.executable, "-m", "mathtutor.apps.cli", "ingest", str(ROOT / "corpus"), "--index", str(built)]
    subprocess.run([*cmd, "--no-progress"], check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return built


def _start_server(index: Path, port: int, data: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "MATHTUTOR_DATA_DIR": str(data), "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, str(ROOT / "app.py"), "--index", str(index), "--port", str(port), "--no-browser"]
    with open(log, "w") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=data)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> float:
    t0 = time.monotonic()
    while f"Running on local URL:  {url}" not in log.read_text():
        if proc.poll() is not None:
            raise SystemExit(f"load: the server exited early:\n{log.read_text()}")
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"load: the server was not ready within {timeout:.0f} s:\n{log.read_text()}")
        time.sleep(0.25)
    return time.monotonic() - t0


def _session(url: str, questions: list[str], timeout: float, stop_at: float) -> list[dict]:
    """One learner: a client of its own asking its questions one after another."""
    from gradio_client import Client

    results = []
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    except Exception as exc:
        return [{"q": q, "ok": False, "error": f"connect: {exc}", "seconds": 0.0} for q in questions]
    for q in questions:
        if time.monotonic() > stop_at:
            results.append({"q": q, "ok": False, "error": "deadline passed before it was asked", "seconds": 0.0})
            continue
        t0 = time.perf_counter()
        try:
            answer = client.submit(q, api_name="/chat").result(timeout=timeout)
            ok = isinstance(answer, str) and ("**Sources**" in answer or "don't cover" in answer)
            error = None if ok else f"unexpected answer: {str(answer)[:200]!r}"
        except Exception as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        results.append({"q": q, "ok": ok, "error": error, "seconds": time.perf_counter() - t0})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="index folder (default: settings.index_dir, else built)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5, help="questions per session")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one question may take")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds the whole load may take")
    parser.add_argument("--out", type=Path, help="write the report here as JSON")
    args = parser.parse_args(argv)

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    with tempfile.TemporaryDirectory(prefix="mathtutor-load-") as tmp:
        work = Path(tmp)
        index = _ensure_index(args.index, work)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        (work / "data").mkdir()
        log = work / "server.log"
        proc = _start_server(index, port, work / "data", log)
        try:
            startup = _wait_ready(proc, url, log, timeout=300)
            idle_kb = _proc_kb(proc.pid, "VmRSS")
            pool = _questions()
            plans = [
                [pool[(s * args.questions + j) % len(pool)] for j in range(args.questions)]
                for s in range(args.sessions)
            ]
            peak_rss = [idle_kb]
            done = threading.Event()

            def sample() -> None:  # VmHWM is the true peak; this also shows when it happens
                while not done.wait(0.5):
                    peak_rss.append(_proc_kb(proc.pid, "VmRSS"))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            print(
                f"load: server ready in {startup:.1f} s (RSS {idle_kb / 1024:.0f} MB); "
                f"{args.sessions} sessions x {args.questions} questions…",
                file=sys.stderr,
            )
            t0 = time.perf_counter()
            stop_at = time.monotonic() + args.deadline
            with ThreadPoolExecutor(max_workers=args.sessions) as ex:
                futures = [ex.submit(_session, url, plan, args.timeout, stop_at) for plan in plans]
                results = [r for f in futures for r in f.result()]
            wall = time.perf_counter() - t0
            done.set()
            peak_kb = _proc_kb(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    ok = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    lat = [r["seconds"] for r in ok]
    report = {
        "sessions": args.sessions,
        "questions_per_session": args.questions,
        "asked": len(results),
        "completed": len(ok),
        "failed": len(failed),
        "latency_s": {
            "p50": round(_percentile(lat, 50), 3),
            "p95": round(_percentile(lat, 95), 3),
            "max": round(max(lat), 3) if lat else None,
            "mean": round(sum(lat) / len(lat), 3) if lat else None,
        },
        "wall_s": round(wall, 2),
        "throughput_qps": round(len(ok) / wall, 2) if wall else None,
        "server_startup_s": round(startup, 1),
        "server_rss_idle_mb": round(idle_kb / 1024, 1),
        "server_rss_peak_mb": round(peak_kb / 1024, 1),
        "server_rss_sampled_max_mb": round(max(peak_rss) / 1024, 1),
        "cpus": os.cpu_count(),
        "index": str(index),
        "errors": [f"{r['q'][:60]}: {r['error']}" for r in failed][:20],
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(
        f"\n| sessions x questions | completed | failed | p50 | p95 | max | throughput | peak server RSS |\n"
        f"|---|---|---|---|---|---|---|---|\n"
        f"| {args.sessions} x {args.questions} | {len(ok)} | {len(failed)} | {report['latency_s']['p50']:.2f} s | "
        f"{report['latency_s']['p95']:.2f} s | {report['latency_s']['max'] or 0:.2f} s | "
        f"{report['throughput_qps']} q/s | {report['server_rss_peak_mb']:.0f} MB |"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
