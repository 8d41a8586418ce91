"""Practice benchmark: problem generation plus one check, warm, and the rejection time of hostile answers.

    python benchmarks/practice.py [--seeds 5] [--out benchmarks/results/practice.json]

Per generator x level x seed (fresh seeds, so nothing is served from the in-process cache) it times
making the problem (generation, citations, signing the state) plus checking the worked answer with the
instance cache cleared in between, i.e. as if the check arrived at another server process. Warm means
imports and one problem per generator were done before timing. Targets: p95 <= 50 ms per problem;
each hostile answer rejected in <= 1 s. Prints the load average and CPU model, since the machine is
shared and every figure is wall-clock time. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MATHTUTOR_SECRET_KEY", "benchmark-key")

from mathtutor import practice  # noqa: E402
from mathtutor.practice import engine  # noqa: E402
from mathtutor.practice import state as st  # noqa: E402
from mathtutor.practice.bank import REGISTRY  # noqa: E402
from mathtutor.practice.types import LEVELS  # noqa: E402

HOSTILE = {
    "import-os": "__import__('os').system('touch /tmp/pwned')",
    "dunder-class": "().__class__",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "1MB-string": "x" * 1_000_000,
    "power-tower": "9**9**9**9",
    "caret-tower": "9^9^9^9",
    "nested-parens-10000": "(" * 10_000 + "1" + ")" * 10_000,
    "nested-parens-999": "(" * 999 + "1" + ")" * 999,
    "fullwidth-digits": "１/３",
    "cyrillic-letters": "ѕin(х)",
    "lone-surrogate": "\ud800",
    "nul-byte": "1\x00",
    "exp-tower": "exp(exp(exp(exp(10))))",
    "symbolic-exp-tower": "exp(exp(exp(exp(x))))",
    "big-expansion": "(x+1)^200 - x^200",
    "huge-trig-argument": "sin(10^1000)",
    "many-elements": ",".join(["1"] * 500),
}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_problems(seeds: int) -> tuple[list[float], dict[str, float]]:
    for gen in REGISTRY:  # warm-up: one problem per generator
        engine.instance(gen.name, "practitioner", 0)
    times: list[float] = []
    per_gen: dict[str, list[float]] = {}
    for gen in REGISTRY:
        for level in LEVELS:
            for seed in range(1000, 1000 + seeds):
                state = st.PracticeState(gen.concepts[0], level, seed, gen.name, gen.version)
                answer = engine.instance(gen.name, level, seed).answer_text  # untimed: the learner's answer
                engine.instance.cache_clear()
                start = time.perf_counter()
                problem = engine._problem(state)
                engine.instance.cache_clear()
                feedback = practice.check(problem.state, answer)
                elapsed = time.perf_counter() - start
                if not feedback.correct:
                    raise SystemExit(f"{gen.name}/{level}/{seed}: worked answer rejected: {feedback.feedback}")
                times.append(elapsed)
                per_gen.setdefault(gen.name, []).append(elapsed)
    return times, {name: round(_p(v, 0.95) * 1000, 1) for name, v in per_gen.items()}


def time_hostile() -> dict[str, dict[str, object]]:
    problem = practice.make_problem("chain-rule", "practitioner", 1)
    out: dict[str, dict[str, object]] = {}
    for name, text in HOSTILE.items():
        start = time.perf_counter()
        fb = practice.check(problem.state, text)
        elapsed = time.perf_counter() - start
        out[name] = {"seconds": round(elapsed, 4), "correct": fb.correct, "feedback": fb.feedback[:160]}
    if os.path.exists("/tmp/pwned"):
        raise SystemExit("a hostile answer created /tmp/pwned")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "practice.json")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    cpu = _machine_cpu()
    print(f"CPU: {cpu} x{os.cpu_count()}; load average before: {load_before[0]:.2f} {load_before[1]:.2f}")
    times, per_gen = time_problems(args.seeds)
    hostile = time_hostile()
    load_after = os.getloadavg()
    p95 = _p(times, 0.95) * 1000
    slowest_hostile = max(v["seconds"] for v in hostile.values())  # type: ignore[type-var]
    result = {
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after},
        "problems": len(times),
        "generation_plus_check_ms": {
            "p50": round(_p(times, 0.5) * 1000, 1),
            "p95": round(p95, 1),
            "max": round(max(times) * 1000, 1),
            "mean": round(statistics.fmean(times) * 1000, 1),
        },
        "p95_ms_by_generator": dict(sorted(per_gen.items(), key=lambda kv: -kv[1])),
        "hostile": hostile,
        "targets": {"p95_ms": 50, "hostile_s": 1.0, "p95_met": p95 <= 50, "hostile_met": slowest_hostile <= 1.0},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{len(times)} problems: generation + check p50 {result['generation_plus_check_ms']['p50']} ms, "
        f"p95 {p95:.1f} ms, max {result['generation_plus_check_ms']['max']} ms (target p95 <= 50 ms)"
    )
    print("slowest generators (p95 ms):", list(result["p95_ms_by_generator"].items())[:5])
    print(f"hostile answers: slowest {slowest_hostile:.3f} s (target <= 1 s)")
    for name, v in hostile.items():
        print(f"  {name:22s} {v['seconds']:.4f} s  {v['feedback'][:70]}")
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f}; written {args.out}")
    return 0 if result["targets"]["p95_met"] and result["targets"]["hostile_met"] else 1


def _machine_cpu() -> str:
    """The CPU model, read the way the calibration reads it (mathtutor.ingest.machine)."""
    from mathtutor.ingest.machine import cpu_info

    return cpu_info()["cpu"]


if __name__ == "__main__":
    sys.exit(main())
