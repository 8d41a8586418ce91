"""Choose embedding precision and parallelism by timing them on this machine, once.

CPU flags do not predict speed: on a 2-core Xeon with ``avx512_bf16`` but no AMX, bfloat16 autocast ran
at 0.7x float32, and two single-threaded processes were slower than one process with two threads while
holding the model twice (issue 14). So at the first ingest and the first query on a machine, a few real
batches are timed under each candidate and the fastest is kept:

- precision: float32, bfloat16 autocast, or dynamic int8 (Linear layers; torch's ``quantize_dynamic``),
  int8 only if its vectors keep top-10 neighbour overlap >= 0.95 with float32 on the probe set;
- layout (ingest): one process with N or 1 threads, or N single-threaded processes (N = usable cores),
  chosen by speed within a memory budget (:mod:`mathtutor.ingest.ingest_choice`);
- threads (queries): 1 or N, by p50 latency of one-sentence encodes.

The choice is cached as JSON in ``settings.data_dir`` under a machine key (CPU model, cores, library
versions, model name); a changed key or an unreadable file means measuring again. Settings fixed by the
environment (``MATHTUTOR_EMBED_PRECISION`` / ``_EMBED_WORKERS`` / ``_EMBED_THREADS``) are not measured;
``MATHTUTOR_EMBED_MEMORY_MB`` is the ingest's memory budget (part of the cache slot).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from mathtutor.ingest.embedding import PRECISIONS, encode, quantize_int8, set_torch_threads
from mathtutor.ingest.machine import peak_rss_mb, reset_peak_rss, rss_mb
from mathtutor.settings import Settings

CACHE_NAME = "embed-calibration.json"
CACHE_VERSION = 1
#: int8 is a candidate only if each probe's 10 nearest neighbours stay this much the same as float32's.
INT8_MIN_OVERLAP = 0.95
NEIGHBOURS = 10
#: Ingest probes this many of the chunks being ingested (fewer: no calibration, nothing cached), embedded
#: in batches of INGEST_PROBE_STEP texts of similar length (as ingest's length-sorted batches are), so a
#: slow candidate can be cut short after any batch.
INGEST_PROBE_TEXTS = 32
MIN_INGEST_PROBE_TEXTS = 16
INGEST_PROBE_STEP = 8
#: The untimed warm-up embeds this many of the longest probe texts in one batch; its memory growth, scaled
#: to ingest's batch size, is the candidate's peak estimate (activations grow with the batch).
INGEST_WARMUP_TEXTS = 4
#: Seconds of timing at most (plus one batch per candidate once spent): with the six ingest candidates'
#: untimed warm-ups (~2 s) and the query timings, the whole calibration stays within 10 s on a quiet machine.
INGEST_BUDGET_S = 4.5
QUERY_BUDGET_S = 3.0
#: Query latency: p50 of this many one-sentence encodes, after a few untimed ones.
QUERY_TIMED = 20
QUERY_WARMUP = 3
#: Above this 1-minute load average per usable core, timings say more about the neighbours than about
#: the candidates: the choice is used for this run but not cached (measured again next time).
BUSY_LOAD_PER_CORE = 1.0
#: CPU features that bear on the choice (recorded, never used to decide).

#: One-sentence questions for query calibration (our own wording; they stand in for learners' questions).
QUERY_PROBES = (
    "What does an eigenvalue tell me about a matrix?",
    "How is the gradient of a loss computed with the chain rule?",
    "Why do we normalise features before gradient descent?",
    "What is the difference between variance and standard deviation?",
    "How does singular value decomposition relate to PCA?",
    "When is a square matrix invertible?",
    "What does Bayes' theorem say about a posterior?",
    "How do I pick a learning rate?",
    "What is a probability density function?",
    "Why is the softmax output a probability distribution?",
    "What is the dot product used for in machine learning?",
    "How does backpropagation reuse intermediate results?",
    "What is the expected value of a random variable?",
    "What does convexity guarantee for optimisation?",
    "How do the mean and the covariance describe a Gaussian?",
    "What is an orthogonal matrix?",
    "Why does regularisation reduce overfitting?",
    "What is the Jacobian of a vector function?",
    "How is maximum likelihood estimation done?",
    "What does the central limit theorem state?",
    "What is the rank of a matrix?",
    "How does stochastic gradient descent differ from batch gradient descent?",
    "What is cross-entropy loss?",
    "What are basis vectors of a vector space?",
)


# ---------------------------------------------------------------- the choice


@dataclass
class EmbedChoice:
    """How to embed here, and the evidence: ``measured`` maps candidate labels to their figure in ``unit``."""

    purpose: str  # "ingest" or "query"
    precision: str
    processes: int
    threads: int
    source: str  # "measured", "cache", "settings" (all fixed by the environment) or "default"
    unit: str = ""  # "chunks/s" (ingest, higher is better) or "ms" (query p50, lower is better)
    measured: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    calibration_seconds: float = 0.0
    load_avg: float | None = None  # 1-minute load average when measuring started
    memory_mb: dict[str, float] = field(default_factory=dict)  # ingest: estimated peak MB of the process tree
    memory_budget_mb: int | None = None

    def label(self) -> str:
        return f"{self.precision} {self.processes}x{self.threads}"

    def describe(self) -> str:
        """One line for summaries, e.g. ``float32, 1 process x 2 threads (measured in 6.1 s)``."""
        procs = f"{self.processes} process{'es' if self.processes > 1 else ''}"
        threads = f"{self.threads} thread{'s' if self.threads > 1 else ''}"
        busy = " on a busy machine, not cached" if "cache" in self.notes else ""
        how = {
            "measured": f"measured in {self.calibration_seconds:.1f} s{busy}",
            "cache": "measured earlier on this machine",
            "settings": "fixed by settings",
        }.get(self.source, self.notes.get("default", "not measured"))
        mem = self.memory_mb.get(self.label())
        if mem is not None and self.memory_budget_mb:
            how += f"; est. {mem:,.0f} MB peak, budget {self.memory_budget_mb:,} MB"
        if self.notes.get("choice"):
            how += f"; {self.notes['choice']}"
        return f"{self.precision}, {procs} x {threads} ({how})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> EmbedChoice:
        """Validate a cached record; ValueError on anything unexpected."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        try:
            choice = cls(
                purpose=str(data["purpose"]),
                precision=str(data["precision"]),
                processes=int(data["processes"]),
                threads=int(data["threads"]),
                source=str(data["source"]),
                unit=str(data.get("unit", "")),
                measured={str(k): float(v) for k, v in dict(data.get("measured", {})).items()},
                notes={str(k): str(v) for k, v in dict(data.get("notes", {})).items()},
                calibration_seconds=float(data.get("calibration_seconds", 0.0)),
                load_avg=None if data.get("load_avg") is None else float(data["load_avg"]),
                memory_mb={str(k): float(v) for k, v in dict(data.get("memory_mb", {})).items()},
                memory_budget_mb=None if data.get("memory_budget_mb") is None else int(data["memory_budget_mb"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad choice record ({exc})") from None
        if choice.precision not in PRECISIONS or choice.processes < 1 or choice.threads < 1:
            raise ValueError("bad choice record (precision or counts out of range)")
        return choice


@dataclass(frozen=True)
class Constraints:
    """What the settings fix (None: measure it)."""

    precision: str | None = None
    processes: int | None = None
    threads: int | None = None
    memory_mb: int | None = None  # ingest: the whole tree's budget (None: no limit)

    @classmethod
    def from_settings(cls, settings: Settings, purpose: str) -> Constraints:
        precision = settings.embed_precision if settings.embed_precision != "auto" else None
        threads = settings.embed_threads or settings.torch_threads
        processes = settings.embed_workers if purpose == "ingest" else 1
        memory = settings.embed_memory_mb if purpose == "ingest" else None
        return cls(precision, processes, threads, memory)

    def slot(self, purpose: str) -> str:
        def v(x: object) -> str:
            return "auto" if x is None else str(x)

        slot = f"{purpose}|precision={v(self.precision)}|processes={v(self.processes)}|threads={v(self.threads)}"
        return slot + (f"|memory={self.memory_mb}" if self.memory_mb is not None else "")


# ---------------------------------------------------------------- measuring


class Probe(Protocol):
    """Times the model under one candidate (tests inject fakes)."""

    def throughput(self, precision: str, threads: int, max_seconds: float) -> tuple[float, np.ndarray, float | None]:
        """Texts per second embedding probe texts in this process (stopping after about ``max_seconds``,
        at least one batch), the vectors of the texts it embedded, and this process's peak RSS in MB
        while it ran (None where it cannot be read)."""
        ...

    def latency_ms(self, precision: str, threads: int, max_seconds: float, give_up_ms: float | None) -> float:
        """p50 milliseconds to embed one short query (fewer samples once ``max_seconds`` are spent, or
        once even the fastest run is above ``give_up_ms``: it cannot win)."""
        ...

    def vectors(self, precision: str) -> np.ndarray:
        """The probe queries' vectors at ``precision`` (for the int8 quality gate)."""
        ...


def top_k_overlap(ref: np.ndarray, test: np.ndarray, k: int = NEIGHBOURS, against: np.ndarray | None = None) -> float:
    """Mean share of each row's k nearest neighbours that ``test`` keeps from ``ref`` (1.0: same sets).

    Neighbours are found among ``against`` when given (e.g. an index's vectors), else among the other
    rows of the same matrix.
    """
    if ref.shape != test.shape or len(ref) == 0:
        raise ValueError("need two non-empty vector sets of the same shape")

    def neighbours(q: np.ndarray) -> np.ndarray:
        sims = q @ (q if against is None else against).T
        if against is None:
            np.fill_diagonal(sims, -np.inf)
        kk = min(k, sims.shape[1] - (1 if against is None else 0))
        return np.argsort(-sims, axis=1, kind="stable")[:, :kk]

    a, b = neighbours(ref), neighbours(test)
    if a.shape[1] == 0:
        raise ValueError("too few vectors to compare neighbours")
    return float(np.mean([len(set(x) & set(y)) / a.shape[1] for x, y in zip(a, b, strict=True)]))


def gate_int8(ref: np.ndarray, int8: np.ndarray, notes: dict[str, str], against: np.ndarray | None = None) -> bool:
    """Whether int8 keeps float32's neighbours (on the rows both embedded; a cut-short probe has fewer)."""
    n = min(len(ref), len(int8))
    if against is None and n < 8:
        notes["int8"] = f"rejected: only {n} probe vectors to compare neighbours on"
        return False
    overlap = top_k_overlap(ref[:n], int8[:n], against=against)
    ok = overlap >= INT8_MIN_OVERLAP
    verdict = "kept" if ok else "rejected"
    notes["int8"] = f"top-{NEIGHBOURS} overlap with float32 {overlap:.3f} ({verdict}; needs >= {INT8_MIN_OVERLAP})"
    return ok


class Budget:
    """Splits a time budget over the candidates still to time (each gets at least ``floor`` seconds)."""

    def __init__(self, seconds: float, timer: Callable[[], float], floor: float = 0.25):
        self.timer = timer
        self.deadline = timer() + seconds
        self.floor = floor

    def share(self, candidates_left: int) -> float:
        return max(self.floor, (self.deadline - self.timer()) / max(candidates_left, 1))

    def spent(self) -> bool:
        return self.timer() >= self.deadline


def calibrate_query(
    probe: Probe,
    c: Constraints,
    cores: int,
    reference: np.ndarray | None = None,
    timer: Callable[[], float] = time.perf_counter,
    budget_s: float = QUERY_BUDGET_S,
) -> EmbedChoice:
    """Lowest p50 latency for one short query over precision x {1, N} threads.

    ``reference`` (an index's vectors) is where the int8 gate looks for neighbours, if given. A candidate
    already 3x slower than the best so far stops being timed (its p50 cannot win).
    """
    t0 = timer()
    budget = Budget(budget_s, timer, floor=0.15)
    precisions = [c.precision] if c.precision else list(PRECISIONS)
    thread_options = [c.threads] if c.threads else sorted({1, cores})
    notes: dict[str, str] = {}
    if "int8" in precisions and len(precisions) > 1:
        try:
            against = reference if reference is not None and len(reference) >= NEIGHBOURS else None
            if not gate_int8(probe.vectors("float32"), probe.vectors("int8"), notes, against=against):
                precisions.remove("int8")
        except Exception as exc:
            notes["int8"] = f"failed: {type(exc).__name__}: {exc}"
            precisions.remove("int8")
    measured: dict[str, float] = {}
    total = len(precisions) * len(thread_options)

    def time_one(p: str, t: int) -> None:
        label = f"{p} 1x{t}"
        if label in measured or label in notes:
            return
        if measured and budget.spent():
            notes[label] = "skipped: calibration time budget spent"
            return
        best = min(measured.values(), default=None)
        try:
            ms = probe.latency_ms(p, t, budget.share(total - len(measured)), None if best is None else 3 * best)
        except Exception as exc:
            notes[p] = f"failed: {type(exc).__name__}: {exc}"
            return
        measured[label] = round(ms, 2)

    # thread counts first (with the first precision), then every precision at the better count, then the rest
    for t in thread_options:
        time_one(precisions[0], t)
    by_threads = sorted(thread_options, key=lambda t: measured.get(f"{precisions[0]} 1x{t}", float("inf")))
    for t in by_threads:
        for p in precisions[1:]:
            time_one(p, t)
    if not measured:
        raise RuntimeError(f"no embedding configuration ran: {notes}")
    best_label = min(measured, key=lambda label: measured[label])
    p, layout = best_label.split(" ")
    threads = int(layout.split("x")[1])
    return EmbedChoice("query", p, 1, threads, "measured", "ms", measured, notes, round(timer() - t0, 2))


def probe_batches(texts: Sequence[str], size: int = INGEST_PROBE_STEP) -> list[list[str]]:
    """``texts`` in batches of ``size`` similar lengths (ingest's batches are length-sorted too), ordered
    from the median length outwards so that any first few batches span the lengths."""
    ordered = sorted(texts, key=len)
    batches = [ordered[at : at + size] for at in range(0, len(ordered), size)]
    mid = (len(batches) - 1) // 2
    order = sorted(range(len(batches)), key=lambda i: (abs(i - mid), -i))
    return [batches[i] for i in order]


class ModelProbe:
    """Times a loaded SentenceTransformer under each candidate, in this process.

    ``texts`` (ingest: chunks being ingested) are embedded in the batches of :func:`probe_batches`, the same
    for every candidate, after an untimed warm-up batch; int8 runs on a quantised copy made on first use.
    """

    def __init__(
        self,
        model,
        texts: Sequence[str] = (),
        *,
        batch_size: int = 64,
        queries: Sequence[str] = QUERY_PROBES,
        quantized: bool = False,
        timer: Callable[[], float] = time.perf_counter,
    ):
        self.model = model
        self.texts = list(texts)
        self.batches = probe_batches(self.texts)
        self.batch_size = batch_size
        self.queries = list(queries)
        self.quantized = quantized  # the model is int8 already (settings fixed it): only int8 can run
        self.timer = timer
        self._int8 = None

    def _model_for(self, precision: str):
        if self.quantized:
            if precision != "int8":
                raise ValueError("the model is quantised to int8; other precisions need a reload")
            return self.model
        if precision != "int8":
            return self.model
        if self._int8 is None:
            self._int8 = quantize_int8(self.model, inplace=False)
        return self._int8

    def _with_threads(self, threads: int):
        import torch

        before = torch.get_num_threads()
        set_torch_threads(threads)
        return before

    def throughput(
        self, precision: str, threads: int, max_seconds: float = 60.0
    ) -> tuple[float, np.ndarray, float | None]:
        """Chunks/s over the batches done in ``max_seconds`` (at least one), weighted by their length (a
        candidate cut short after the short batches is not flattered), the vectors, and this process's
        peak RSS at ingest's batch size: the warm-up's growth on the longest texts, scaled to it."""
        import torch

        before = self._with_threads(threads)
        try:
            model = self._model_for(precision)  # int8: quantised here, before the clock starts
            warm = sorted(self.texts, key=len)[-INGEST_WARMUP_TEXTS:]
            encode(model, warm[:1], precision, 1)  # one-time set-up (thread pool, kernels): not scaled below
            reset_peak_rss()
            start = rss_mb()
            encode(model, warm, precision, len(warm))  # warm-up: kernels, thread pool, the memory figure
            peak, peak_mb = peak_rss_mb(), None
            if start is not None and peak is not None:
                peak_mb = round(start[0] + max(peak - start[0], 0.0) * self.batch_size / max(len(warm), 1), 1)
            parts, done, t = [], 0, self.timer()
            for batch in self.batches:
                parts.append(encode(model, batch, precision, self.batch_size))
                done += sum(map(len, batch))
                if self.timer() - t > max_seconds:
                    break
            elapsed = max(self.timer() - t, 1e-9)
            mean_len = max(sum(map(len, self.texts)) / max(len(self.texts), 1), 1.0)
            return done / mean_len / elapsed, np.concatenate(parts), peak_mb
        finally:
            torch.set_num_threads(before)

    def latency_ms(
        self, precision: str, threads: int, max_seconds: float = 60.0, give_up_ms: float | None = None
    ) -> float:
        import torch

        before = self._with_threads(threads)
        try:
            model = self._model_for(precision)
            for q in self.queries[:QUERY_WARMUP]:
                encode(model, [q], precision, 1)
            times: list[float] = []
            start = self.timer()
            for q in (self.queries * 2)[:QUERY_TIMED]:
                t = self.timer()
                encode(model, [q], precision, 1)
                times.append((self.timer() - t) * 1000)
                if give_up_ms is not None and len(times) >= 2 and min(times) > give_up_ms:
                    break  # even its fastest run is far behind the best p50: it cannot win
                if len(times) >= 5 and self.timer() - start > max_seconds:
                    break
            return statistics.median(times)
        finally:
            torch.set_num_threads(before)

    def vectors(self, precision: str) -> np.ndarray:
        import torch

        before = self._with_threads(1)  # one thread: never slowed by waiting for a busy core
        try:
            return encode(self._model_for(precision), self.queries, precision, self.batch_size)
        finally:
            torch.set_num_threads(before)

    def close(self) -> None:
        self._int8 = None
