"""Cold ``mathtutor ask``: wall time of a fresh process answering one question (issue 10, bug 11).

    PYTHONPATH=src .venv/bin/python benchmarks/cold_ask.py --index /tmp/fastask-idx [--runs 5] \
        [--baseline-src /tmp/fastask-base/src]

Each round runs, in fresh processes and one after the other (so they share the machine's load):
- ``light``: no server; the torch-free query encoder (``mathtutor.ingest.query_encoder``). Target <= 4 s.
- ``server``: a ``mathtutor serve`` started once by this script on 127.0.0.1 answers. Target <= 1 s.
- ``full``: no server; the sentence-transformers encoder forced with ``MATHTUTOR_QUERY_ENCODER=full``
  (this code otherwise: concept vectors are embedded on demand in every mode).
- ``baseline`` (with ``--baseline-src``): the code before this change, e.g. ``git archive <commit> src``.
Times are from spawn to exit (``time.perf_counter``) plus the child's user+system CPU time. The machine
is shared: the JSON records the CPU, the load average at start and end, and says ``loaded`` above 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What is an eigenvector?"
LOADED_ABOVE = 0.5
TARGETS_S = {"light": 4.0, "server": 1.0}


def env_for(src: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MATHTUTOR_QUERY_ENCODER"}
    env.update(
        PYTHONPATH=str(src),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        MATHTUTOR_DATA_DIR=str(data_dir),
        **extra,
    )
    return env


def cold_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, child CPU s, stdout) of one fresh ``python -m mathtutor.apps.cli`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "mathtutor.apps.cli", *argv], env=env, capture_output=True, text=True, timeout=600
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"ask failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def start_server(index: Path, data_dir: Path, port: int) -> subprocess.Popen:
    argv = ["serve", "--index", str(index), "--port", str(port), "--no-browser"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathtutor.apps.cli", *argv],
        env=env_for(ROOT / "src", data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = data_dir / "servers" / f"serve-{port}.json"
    deadline = time.monotonic() + 600
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.5)
    return proc


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(walls: list[float], cpus: list[float]) -> dict[str, float | list[float] | int]:
    return {
        "n": len(walls),
        "wall_s": [round(w, 3) for w in walls],
        "median_wall_s": round(statistics.median(walls), 3),
        "min_wall_s": round(min(walls), 3),
        "max_wall_s": round(max(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
    }


def compare(a: dict, b: dict) -> dict[str, object]:
    """How two answers differ: the same passages in the same order, and the largest score difference."""
    ca, cb = a.get("citations", []), b.get("citations", [])
    return {
        "same_citations_in_order": [c.get("chunk_id") for c in ca] == [c.get("chunk_id") for c in cb],
        "same_answer_text": a.get("answer") == b.get("answer"),
        "same_study_path": a.get("study_path") == b.get("study_path"),
        "max_score_diff": round(
            max((abs(x["score"] - y["score"]) for x, y in zip(ca, cb, strict=False)), default=0), 5
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--baseline-src", type=Path, help="a src/ folder of the code before (e.g. from git archive)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cold_ask.json")
    args = ap.parse_args()

    load_start = os.getloadavg()
    data_dir = Path(tempfile.mkdtemp(prefix="cold-ask-"))
    empty_dir = Path(tempfile.mkdtemp(prefix="cold-ask-noserver-"))
    base = ["ask", args.question, "--index", str(args.index), "--json"]
    modes: dict[str, tuple[list[str], dict[str, str]]] = {
        "light": (base, env_for(ROOT / "src", empty_dir)),
        "full": (base, env_for(ROOT / "src", empty_dir, MATHTUTOR_QUERY_ENCODER="full")),
        "server": (base, env_for(ROOT / "src", data_dir)),
    }
    if args.baseline_src:
        modes["baseline"] = (base, env_for(args.baseline_src, empty_dir))
    t0 = time.perf_counter()
    server = start_server(args.index, data_dir, free_port())
    server_start_s = time.perf_counter() - t0
    walls: dict[str, list[float]] = {m: [] for m in modes}
    cpus: dict[str, list[float]] = {m: [] for m in modes}
    answers: dict[str, dict] = {}
    try:
        for _ in range(args.runs):
            for mode, (argv, env) in modes.items():
                wall, cpu, stdout = cold_run(argv, env)
                walls[mode].append(wall)
                cpus[mode].append(cpu)
                answer = json.loads(stdout)
                answer.pop("timings_ms", None)
                answers.setdefault(mode, answer)
    finally:
        server.terminate()
        server.wait(timeout=60)
    load_end = os.getloadavg()
    result = {
        "question": args.question,
        "index": str(args.index),
        "runs": args.runs,
        "machine": {
            "cpu": _machine_cpu(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_start": [round(x, 2) for x in load_start],
            "load_avg_end": [round(x, 2) for x in load_end],
            "loaded": max(load_start[0], load_end[0]) > LOADED_ABOVE,
        },
        "server_start_s": round(server_start_s, 2),
        "modes": {m: stats(walls[m], cpus[m]) for m in modes},
        "targets_s": TARGETS_S,
        "within_target": {m: statistics.median(walls[m]) <= t for m, t in TARGETS_S.items()},
        "server_answer_equals_light": answers["server"] == answers["light"],
        "full_answer_equals_light": answers["full"] == answers["light"],
        "full_vs_light": compare(answers["full"], answers["light"]),
    }
    if "baseline" in answers:
        result["baseline_answer_equals_full"] = answers["baseline"] == answers["full"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def _machine_cpu() -> str:
    """The CPU model, read the way the calibration reads it (mathtutor.ingest.machine)."""
    from mathtutor.ingest.machine import cpu_info

    return cpu_info()["cpu"]


if __name__ == "__main__":
    sys.exit(main())
