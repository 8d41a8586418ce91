"""Ingest benchmark: ``mathtutor ingest`` against the tutorial LangChain pipeline, on the real corpus.

    python benchmarks/ingest.py [--corpus PATH] [--out benchmarks/results/ingest.json]
                                [--skip-baseline] [--limit N]

1. Ours: ``python -m mathtutor.apps.cli ingest CORPUS --index TMP --json --no-progress`` in a fresh temporary
   index, timed from outside (wall seconds, peak memory of the process tree), then the same command
   again (the no-op re-ingest, target < 2 s).
2. Baseline: ``benchmarks/baseline_langchain.py`` in its own process (see its docstring).
3. Retrieval quality of both indexes on ``benchmarks/queries.jsonl`` (dense top-10 for both): a hit is a
   retrieved chunk whose source path (relative to the corpus) contains one of the case's ``relevant``
   substrings; hit@1, hit@5, MRR@10 and every query's rank.
4. Ratios (baseline / ours), everything written to ``--out`` as JSON, and a markdown table on stdout.

``--limit N`` runs both pipelines on the first N files of ``manifest.jsonl`` only (a quick check; our CLI
is given those files explicitly) and keeps only the queries with a relevant file in that subset.

The full run takes about 15 minutes and wants a quiet machine: every figure is wall-clock. The result
records the CPU model and the flags that bear on the embedding choice, the usable cores, the load average
at start and end, and the configuration calibration chose; a run starting above load 0.5 is labelled
"loaded" (benchmarks/machine.py), never "quiet".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from machine import finish_machine_info, machine_info, machine_line  # benchmarks/machine.py

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus-real"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "ingest.json"
QUERIES_FILE = REPO / "benchmarks" / "queries.jsonl"
BASELINE_SCRIPT = REPO / "benchmarks" / "baseline_langchain.py"
K = 10
NOOP_TARGET_SECONDS = 2.0
#: all-MiniLM-L6-v2 reads at most 256 tokens, two of them [CLS] and [SEP]: the rest is cut off.
MODEL_CONTENT_TOKENS = 254


class BenchmarkError(RuntimeError):
    pass


# ---------------------------------------------------------------- corpus and queries


def manifest_files(corpus: Path) -> list[str]:
    """Paths (relative to the corpus) of every file listed in ``manifest.jsonl``, in manifest order."""
    manifest = corpus / "manifest.jsonl"
    if not manifest.is_file():
        raise BenchmarkError(f"no manifest.jsonl in {corpus}")
    files = []
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                files.append(json.loads(line)["file"])
            except (json.JSONDecodeError, KeyError) as exc:
                raise BenchmarkError(f"{manifest}:{n}: not a manifest record ({exc})") from exc
    return files


def load_queries(path: Path) -> list[dict[str, Any]]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchmarkError(f"{path}:{n}: invalid JSON ({exc})") from exc
        if not isinstance(case.get("q"), str) or not case["q"].strip():
            raise BenchmarkError(f"{path}:{n}: missing 'q'")
        rel = case.get("relevant")
        if not isinstance(rel, list) or not rel or not all(isinstance(r, str) and r for r in rel):
            raise BenchmarkError(f"{path}:{n}: 'relevant' must be a non-empty list of path substrings")
        cases.append({"q": case["q"], "relevant": rel, "line": n})
    return cases


def check_queries(cases: list[dict[str, Any]], files: list[str], corpus: Path, where: Path) -> None:
    """Every ``relevant`` substring must match a manifest file that exists on disk; fail loudly otherwise."""
    problems = []
    seen: dict[str, int] = {}
    for case in cases:
        key = case["q"].strip().lower()
        if key in seen:
            problems.append(f"line {case['line']}: same question as line {seen[key]}")
        seen[key] = case["line"]
        for sub in case["relevant"]:
            matches = [f for f in files if sub in f]
            if not matches:
                problems.append(f"line {case['line']}: {sub!r} matches no file in manifest.jsonl")
            elif not any((corpus / f).is_file() for f in matches):
                problems.append(f"line {case['line']}: {sub!r} matches only files missing from {corpus}")
    if problems:
        raise BenchmarkError(f"{where} has {len(problems)} problem(s):\n  " + "\n  ".join(problems))


def is_hit(rel_path: str, relevant: list[str]) -> bool:
    return any(sub in rel_path for sub in relevant)


# ---------------------------------------------------------------- measuring a child process


def _proc_tree(root: int) -> list[int]:
    """``root`` and every live descendant (scans /proc: no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMonitor(threading.Thread):
    """Samples a process tree: the largest per-process VmHWM, and the peak of the tree's summed PSS.

    VmHWM is the kernel's own high-water mark (exact); the tree PSS is sampled every ``interval`` s
    (PSS splits pages a forked worker shares with its parent, so the sum does not double count).
    """

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_hwm_kb = 0
        self.peak_tree_pss_kb = 0
        self.max_processes = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        if not Path("/proc").is_dir():
            return
        tree = _proc_tree(self.pid)
        self.max_processes = max(self.max_processes, len(tree))
        pss = 0
        for pid in tree:
            self.max_hwm_kb = max(self.max_hwm_kb, _status_kb(pid, "VmHWM:"))
            pss += _pss_kb(pid)
        self.peak_tree_pss_kb = max(self.peak_tree_pss_kb, pss)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


@dataclass
class Measured:
    cmd: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    spawn_wall: float
    peak_rss_mb: float
    peak_tree_pss_mb: float
    max_processes: int

    def json_stdout(self) -> dict[str, Any]:
        lines = [ln for ln in self.stdout.splitlines() if ln.strip()]
        try:
            return json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError) as exc:
            raise BenchmarkError(
                f"{' '.join(self.cmd[:4])}... exited {self.returncode} without a JSON summary on stdout\n"
                f"--- stderr (tail) ---\n{self.stderr[-3000:]}"
            ) from exc


def run_measured(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run ``cmd``; wall seconds, and peak memory from wait4() and from sampling its process tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        spawn_wall = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        monitor = TreeMonitor(proc.pid)
        monitor.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            monitor.stop()
            monitor.join()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    # Linux ru_maxrss is in KiB: the child's own peak (or a reaped descendant's, if larger)
    peak_kb = max(usage.ru_maxrss, monitor.max_hwm_kb)
    return Measured(
        cmd=cmd,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        wall_seconds=round(wall, 3),
        spawn_wall=spawn_wall,
        peak_rss_mb=round(peak_kb / 1024, 1),
        peak_tree_pss_mb=round(monitor.peak_tree_pss_kb / 1024, 1),
        max_processes=monitor.max_processes,
    )


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUTF8", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def warm_caches(corpus: Path, files: list[str], model_path: Path, env: dict[str, str]) -> None:
    """Read the corpus and model files and import the heavy libraries once, untimed.

    Whichever pipeline runs first would otherwise pay for a cold page cache alone.
    """
    for rel in files:
        with contextlib.suppress(OSError):
            (corpus / rel).read_bytes()
    for p in model_path.rglob("*"):
        if p.is_file():
            p.read_bytes()
    subprocess.run(
        [sys.executable, "-c", "import faiss, pypdf, sentence_transformers, langchain_community.vectorstores"],
        env=env,
        cwd=REPO,
        check=False,
        capture_output=True,
    )


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rel(path: str, corpus: Path) -> str:
    try:
        rel = os.path.relpath(Path(path).resolve(), corpus.resolve())
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# ---------------------------------------------------------------- the two pipelines


def run_ours(corpus: Path, paths: list[Path], work: Path, queries: list[dict[str, Any]], env: dict[str, str]):
    from mathtutor.index.store import IndexStore, live_generation
    from mathtutor.ingest.chunking import embedding_text, load_token_counter
    from mathtutor.ingest.embedding import Embedder
    from mathtutor.ingest.tuning import tune_query_embedder
    from mathtutor.settings import get_settings

    settings = get_settings()
    index_dir = work / "mathtutor-index"
    cmd = [sys.executable, "-m", "mathtutor.apps.cli", "ingest", *map(str, paths), "--index", str(index_dir)]
    cmd += ["--json", "--no-progress"]

    print(f"[ours] ingest {len(paths)} path(s) into {index_dir} ...", file=sys.stderr, flush=True)
    first = run_measured(cmd, env)
    report = first.json_stdout()
    if first.returncode not in (0, 1):  # 1 = some files failed: reported below, the rest is indexed
        raise BenchmarkError(f"mathtutor ingest exited {first.returncode}\n{first.stderr[-3000:]}")
    print(f"[ours] {first.wall_seconds:.1f} s; no-op re-ingest ...", file=sys.stderr, flush=True)
    second = run_measured(cmd, env)
    noop = second.json_stdout()

    gen = live_generation(index_dir)
    if gen is None:
        raise BenchmarkError(f"mathtutor ingest left no index in {index_dir}")
    store = IndexStore.open(index_dir, model=settings.embedding_model, dim=settings.embedding_dim)
    try:
        count = load_token_counter(settings.resolved_model_path())
        raw = [count(embedding_text(c)) for c in store.iter_chunks()]

        retrieved: list[list[str]] = []
        query_seconds = 0.0
        query_choice = None
        if queries:
            embedder = Embedder(settings)
            _ = embedder.model  # load outside the query timing
            query_choice = tune_query_embedder(embedder, settings)  # as Tutor.open configures it
            t = time.perf_counter()
            vectors = embedder.embed([c["q"] for c in queries])
            _, ids = store.search(vectors, K)
            for row in ids:
                retrieved.append([_rel(c.file_key, corpus) for c in store.get_chunks(row)])
            query_seconds = time.perf_counter() - t
    finally:
        store.close()

    result = {
        "pipeline": "mathtutor",
        "command": " ".join([*cmd[1:3], "ingest", "<paths>", "--index", "<tmp>", "--json", "--no-progress"]),
        "files": report.get("files_seen", 0),
        "files_new": report.get("files_new", 0),
        "pages": report.get("pages", 0),
        "chunks": report.get("chunks_total", 0),
        "chunks_added": report.get("chunks_added", 0),
        "duplicates_dropped": report.get("duplicates_dropped", 0),
        "skipped": len(report.get("skipped", [])),
        "errors": report.get("errors", []),
        "seconds": first.wall_seconds,
        "seconds_in_process": report.get("seconds"),
        "embed_seconds": report.get("embed_seconds"),
        "model_load_seconds": report.get("model_load_seconds"),
        "chunks_per_second": report.get("chunks_per_second"),
        "tokens_embedded": sum(min(n, MODEL_CONTENT_TOKENS) for n in raw),
        "tokens_uncapped": sum(raw),
        "chunks_over_model_limit": sum(1 for n in raw if n > MODEL_CONTENT_TOKENS),
        "peak_rss_mb": first.peak_rss_mb,
        "peak_tree_pss_mb": first.peak_tree_pss_mb,
        "max_processes": first.max_processes,
        "index_bytes": _dir_bytes(gen),
        "noop_seconds": second.wall_seconds,
        "noop_seconds_in_process": noop.get("seconds"),
        "noop": bool(noop.get("noop")),
        "noop_target_seconds": NOOP_TARGET_SECONDS,
        "noop_within_target": bool(noop.get("noop")) and second.wall_seconds < NOOP_TARGET_SECONDS,
        "noop_peak_rss_mb": second.peak_rss_mb,
        "query_seconds": round(query_seconds, 3),
        "embed_config": report.get("embed_config"),
        "calibration_seconds": report.get("calibration_seconds"),
        "query_embed_config": query_choice.to_dict() if query_choice is not None else None,
        "ingest_report": report,
    }
    return result, retrieved


def run_baseline(corpus: Path, limit: int | None, queries: list[dict[str, Any]], work: Path, env: dict[str, str]):
    qfile = work / "queries.jsonl"
    qfile.write_text("".join(json.dumps({"q": c["q"]}) + "\n" for c in queries), encoding="utf-8")
    cmd = [sys.executable, str(BASELINE_SCRIPT), "--corpus", str(corpus), "--queries", str(qfile), "-k", str(K)]
    if limit:
        cmd += ["--limit", str(limit)]
    print("[baseline] LangChain tutorial pipeline ...", file=sys.stderr, flush=True)
    m = run_measured(cmd, env)
    if m.returncode != 0:
        raise BenchmarkError(f"baseline exited {m.returncode}\n--- stderr (tail) ---\n{m.stderr[-3000:]}")
    out = m.json_stdout()
    retrieved = out.pop("answers")
    # Same clock as ours: from the driver's spawn to the moment the index was saved (the process then
    # goes on to answer the queries, which ours does in the driver instead).
    out["seconds"] = round(out["index_done_wall"] - m.spawn_wall, 3)
    out["process_wall_seconds"] = m.wall_seconds
    out["peak_rss_mb"] = m.peak_rss_mb
    out["peak_tree_pss_mb"] = m.peak_tree_pss_mb
    out["max_processes"] = m.max_processes
    out["embed_seconds"] = out["embed_index_seconds"]
    print(f"[baseline] {out['seconds']:.1f} s", file=sys.stderr, flush=True)
    return out, retrieved


# ---------------------------------------------------------------- scoring and report


def score(queries: list[dict[str, Any]], retrieved: list[list[str]]) -> tuple[dict[str, Any], list[int | None]]:
    ranks: list[int | None] = []
    for case, paths in zip(queries, retrieved, strict=True):
        ranks.append(next((i for i, p in enumerate(paths[:K], 1) if is_hit(p, case["relevant"])), None))
    n = len(ranks) or 1
    metrics = {
        "queries": len(ranks),
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        f"mrr@{K}": round(sum(1 / r for r in ranks if r is not None) / n, 3),
        f"miss@{K}": sum(r is None for r in ranks),
    }
    return metrics, ranks


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or (isinstance(b, float) and math.isnan(b)):
        return None
    return round(a / b, 2)


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _describe(cfg: dict[str, Any]) -> str:
    from mathtutor.ingest.calibration import EmbedChoice

    choice = EmbedChoice.from_dict(cfg)
    figures = "; ".join(f"{k} {v:g} {choice.unit}" for k, v in choice.measured.items())
    return choice.describe() + (f" [{figures}]" if figures else "")


def markdown(result: dict[str, Any]) -> str:
    ours, base = result["ours"], result.get("baseline")
    rows: list[tuple[str, Any, Any, Any]] = []

    def row(label: str, key: str | None = None, o: Any = None, b: Any = None, ratio: bool = False, digits: int = 1):
        o = ours.get(key) if key else o
        bv = (base or {}).get(key) if key else b
        rows.append(
            (label, _fmt(o, digits), _fmt(bv, digits) if base else "–", _fmt(_ratio(bv, o), 2) if ratio else "")
        )

    row("files indexed", "files")
    row("files skipped (caption twins, licences, other types)", o=ours["skipped"], b=0 if base else None)
    row("PDF pages", o=ours["pages"], b=(base or {}).get("pdf_pages"))
    row("chunks", "chunks", ratio=True)
    row("duplicate passages dropped", o=ours["duplicates_dropped"], b=0 if base else None)
    row("tokens embedded (≤254 per chunk)", "tokens_embedded", ratio=True)
    row("total seconds (spawn → index on disk)", "seconds", ratio=True)
    row("load + split seconds (ours: overlapped with embedding)", o=None, b=(base or {}).get("load_split_seconds"))
    row("model load seconds", "model_load_seconds")
    row("embed seconds", "embed_seconds", ratio=True)
    row("chunks/s embedded", "chunks_per_second")
    row("peak RSS MB (largest process)", "peak_rss_mb", ratio=True)
    row("peak PSS MB (whole process tree)", "peak_tree_pss_mb")
    row("index MB", o=ours["index_bytes"] / 1e6, b=base["index_bytes"] / 1e6 if base else None, ratio=True)
    row("no-op re-ingest seconds (target < 2)", o=ours["noop_seconds"], digits=2)
    q = result["retrieval"]
    if q["queries"]:
        for m in ("hit@1", "hit@5", f"mrr@{K}"):
            row(f"{m} ({q['queries']} queries)", o=q["ours"][m], b=(q.get("baseline") or {}).get(m), digits=3)
    lines = [machine_line(result["machine"]), ""]
    cfg = ours.get("embed_config")
    if cfg:
        lines += [f"Embedding configuration chosen: {_describe(cfg)}.", ""]
    lines += ["| | mathtutor | LangChain tutorial | baseline / ours |", "|---|---:|---:|---:|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if base:
        lines.append("")
        lines.append(
            f"Speedup: **{_fmt(result['ratios']['speedup'], 2)}×** faster end to end; "
            f"{_fmt(result['ratios']['tokens_ratio'], 2)}× the tokens embedded by the baseline."
        )
    diff = [p for p in q["per_query"] if base and p["ours_rank"] != p["baseline_rank"]]
    if diff:
        lines += ["", "Queries ranked differently (rank of the first relevant chunk, – = not in top 10):", ""]
        lines += ["| query | ours | baseline |", "|---|---:|---:|"]
        lines += [f"| {p['q']} | {_fmt(p['ours_rank'])} | {_fmt(p['baseline_rank'])} |" for p in diff]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default: {DEFAULT_OUT})")
    ap.add_argument("--skip-baseline", action="store_true", help="only run mathtutor")
    ap.add_argument("--limit", type=int, metavar="N", help="only the first N files of manifest.jsonl")
    ap.add_argument("--queries", type=Path, default=QUERIES_FILE, help=argparse.SUPPRESS)
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed page-cache/import warm-up")
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")

    try:
        corpus = args.corpus.expanduser().resolve()
        files = manifest_files(corpus)
        cases = load_queries(args.queries)
        check_queries(cases, files, corpus, args.queries)  # on the whole manifest, even with --limit

        subset = files[: args.limit] if args.limit else files
        queries = [c for c in cases if any(is_hit(f, c["relevant"]) for f in subset)]
        paths = [corpus / f for f in subset] if args.limit else [corpus]
        env = child_env()

        from mathtutor.settings import get_settings

        if not args.no_warmup:
            print("[warm-up] page cache and imports (untimed) ...", file=sys.stderr, flush=True)
            warm_caches(corpus, subset, get_settings().resolved_model_path(), env)

        work = Path(tempfile.mkdtemp(prefix="mathtutor-bench-"))
        try:
            started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            machine = machine_info()
            ours, ours_paths = run_ours(corpus, paths, work, queries, env)
            base = base_paths = baseline_error = None
            if not args.skip_baseline:
                try:
                    base, base_paths = run_baseline(corpus, args.limit, queries, work, env)
                except BenchmarkError as exc:  # keep our figures: they took minutes to get
                    baseline_error = str(exc)
                    print(f"error: baseline failed, writing our figures only: {exc}", file=sys.stderr)
            finish_machine_info(machine)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    ours_metrics, ours_ranks = score(queries, ours_paths)
    retrieval: dict[str, Any] = {"queries": len(queries), "k": K, "ours": ours_metrics}
    base_ranks: list[int | None] = [None] * len(queries)
    if base is not None and base_paths is not None:
        retrieval["baseline"], base_ranks = score(queries, base_paths)
    retrieval["skipped_queries"] = len(cases) - len(queries)
    retrieval["per_query"] = [
        {
            "q": c["q"],
            "relevant": c["relevant"],
            "ours_rank": r_o,
            "baseline_rank": r_b if base else None,
            "ours_top": ours_paths[i],
            "baseline_top": base_paths[i] if base_paths else None,
        }
        for i, (c, r_o, r_b) in enumerate(zip(queries, ours_ranks, base_ranks, strict=True))
    ]

    result: dict[str, Any] = {
        "benchmark": "ingest",
        "started": started,
        "corpus": str(corpus),
        "limit": args.limit,
        "manifest_files": len(subset),
        "machine": machine,
        "ours": ours,
        "baseline": base,
        "baseline_error": baseline_error,
        "retrieval": retrieval,
    }
    if base is not None:
        result["ratios"] = {
            "speedup": _ratio(base["seconds"], ours["seconds"]),
            "tokens_ratio": _ratio(base["tokens_embedded"], ours["tokens_embedded"]),
            "chunks_ratio": _ratio(base["chunks"], ours["chunks"]),
            "embed_seconds_ratio": _ratio(base["embed_seconds"], ours["embed_seconds"]),
            "peak_rss_ratio": _ratio(base["peak_rss_mb"], ours["peak_rss_mb"]),
            "index_bytes_ratio": _ratio(base["index_bytes"], ours["index_bytes"]),
        }
    table = markdown(result)
    result["markdown"] = table

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table)
    print(f"\nwritten: {args.out}", file=sys.stderr)
    if ours["errors"]:
        print(f"warning: mathtutor reported {len(ours['errors'])} file error(s): see {args.out}", file=sys.stderr)
    if not ours["noop_within_target"]:
        print(
            f"warning: no-op re-ingest took {ours['noop_seconds']:.2f} s (noop={ours['noop']}), "
            f"target < {NOOP_TARGET_SECONDS} s",
            file=sys.stderr,
        )
    return 1 if baseline_error else 0


if __name__ == "__main__":
    sys.exit(main())
