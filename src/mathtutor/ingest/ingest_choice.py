"""The ingest embedding configuration: the fastest measured layout whose memory fits the budget.

Every candidate is timed on the same length-grouped batches of real chunks in this process, after the same
untimed warm-up: each precision with N threads and with 1 thread (N = usable cores). From those come the
layouts: one process with N threads, one with 1 thread, or N single-threaded worker processes, whose rate
is estimated as N x the single-thread rate (spawning them to time them would cost more than the budget).

Memory is part of the choice, because a model copy per worker process is what pushed an ingest of
corpus-real to 3.2 GB of PSS (issue 14). Each timing also gives this process's peak RSS at ingest's batch
size (see ``ModelProbe.throughput``), so for a candidate

- in this process: ``rest + peak`` (``rest``: the other processes of the tree, the parse workers);
- N workers: ``rest + held + N x (peak - shared files)`` (``held``: this process as it is now, torch and
  model loaded; every worker is counted as big as this process at its single-thread peak, less the
  shared library and weight files, which the kernel maps once).

RSS counts shared pages whole, so these over-estimate the PSS a benchmark sees: a candidate that fits here
fits there. Only candidates within ``Constraints.memory_mb`` are chosen (none fits: the smallest); of those
the fastest, except that holding the model once wins when within ``PREFER_ONCE`` of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mathtutor.ingest.calibration import (
    INGEST_BUDGET_S,
    NEIGHBOURS,
    Budget,
    Constraints,
    EmbedChoice,
    Probe,
    gate_int8,
)
from mathtutor.ingest.embedding import PRECISIONS
from mathtutor.ingest.machine import children_pss_mb, rss_mb

#: One process holding the model once is kept over N worker processes unless they are this much faster.
PREFER_ONCE = 1.10


@dataclass(frozen=True)
class MemoryBase:
    """What the tree holds besides the embedding work, in MB, read when calibration starts."""

    rest_mb: float  # the other processes of the tree (parse workers), PSS
    held_mb: float  # this process now: interpreter, torch, the model loaded (RSS)
    shared_mb: float  # the file-backed part of held_mb (libraries, mapped weights): one copy for all workers

    @classmethod
    def measure(cls) -> MemoryBase | None:
        """From /proc now; None where it cannot be read (memory is then not part of the choice)."""
        rss = rss_mb()
        if rss is None:
            return None
        return cls(round(children_pss_mb(), 1), round(rss[0], 1), round(rss[1], 1))

    def estimate(self, processes: int, peak_mb: float | None) -> float | None:
        """The tree's peak for a layout whose single process peaked at ``peak_mb`` in the probe."""
        if peak_mb is None:
            return None
        if processes == 1:
            return round(self.rest_mb + peak_mb, 1)
        return round(self.rest_mb + self.held_mb + processes * max(peak_mb - self.shared_mb, 0.0), 1)


def ingest_layouts(c: Constraints, cores: int) -> list[tuple[int, int]]:
    """(processes, threads) candidates, in-process ones first."""
    if c.processes and c.threads:
        return [(c.processes, c.threads)]
    if c.processes:
        return [(c.processes, 1 if c.processes > 1 else cores)]
    if c.threads:
        return [(1, c.threads)] + ([(cores, 1)] if c.threads == 1 and cores > 1 else [])
    return [(1, cores), (1, 1), (cores, 1)] if cores > 1 else [(1, 1)]


def calibrate_ingest(
    probe: Probe,
    c: Constraints,
    cores: int,
    base: MemoryBase | None = None,
    timer: Callable[[], float] = time.perf_counter,
    budget_s: float = INGEST_BUDGET_S,
) -> EmbedChoice:
    """Fastest (precision, processes, threads) within the memory budget, by chunks/s on the probe batches.

    Each (precision, threads) timing gets a share of ``budget_s`` but always at least one batch, so every
    candidate that may be chosen is measured (on a busy machine that takes longer than the budget).
    """
    t0 = timer()
    budget = Budget(budget_s, timer)
    layouts = ingest_layouts(c, cores)
    precisions = [c.precision] if c.precision else list(PRECISIONS)
    thread_counts = sorted({t for _, t in layouts}, reverse=True)
    timings = [(p, t) for p in precisions for t in thread_counts]
    notes: dict[str, str] = {}
    rate: dict[tuple[str, int], float] = {}
    vecs: dict[tuple[str, int], np.ndarray] = {}
    peak: dict[tuple[str, int], float | None] = {}
    for i, (p, t) in enumerate(timings):
        try:
            rate[(p, t)], vecs[(p, t)], peak[(p, t)] = probe.throughput(p, t, budget.share(len(timings) - i))
        except Exception as exc:  # e.g. no quantised engine for int8 on this CPU
            notes[f"{p} 1x{t}"] = f"failed: {type(exc).__name__}: {exc}"
    if not rate:
        raise RuntimeError(f"no embedding configuration ran: {notes}")
    if any(p == "int8" for p, _ in rate) and not _int8_keeps_neighbours(probe, vecs, notes):
        dropped = {k: r for k, r in rate.items() if k[0] == "int8"}
        ran = ", ".join(f"{r:.1f} chunks/s with {t} thread(s)" for (_, t), r in dropped.items())
        notes["int8"] += f"; it ran at {ran}"
        for k in dropped:
            del rate[k]

    speed: dict[tuple[str, int, int], float] = {}
    memory: dict[tuple[str, int, int], float | None] = {}
    for procs, t in layouts:
        for p in precisions:
            if (p, t) in rate:
                speed[(p, procs, t)] = procs * rate[(p, t)]
                memory[(p, procs, t)] = None if base is None else base.estimate(procs, peak[(p, t)])
    if not speed:
        raise RuntimeError(f"no measured candidate fits the layouts {layouts}: {notes}")
    key, why = pick(speed, memory, c.memory_mb)
    if why:
        notes["choice"] = why

    def label(k: tuple[str, int, int]) -> str:
        return f"{k[0]} {k[1]}x{k[2]}"

    for k in speed:
        if k[1] > 1 and c.processes is None:
            notes[label(k)] = f"estimate: {k[1]} x the single-thread rate measured in one process"
    p, procs, threads = key
    return EmbedChoice(
        "ingest",
        p,
        procs,
        threads,
        "measured",
        "chunks/s",
        {label(k): round(v, 1) for k, v in speed.items()},
        notes,
        round(timer() - t0, 2),
        memory_mb={label(k): m for k, m in memory.items() if m is not None},
        memory_budget_mb=c.memory_mb,
    )


def _int8_keeps_neighbours(probe: Probe, vecs: dict[tuple[str, int], np.ndarray], notes: dict[str, str]) -> bool:
    """int8's quality gate on the probe chunks both precisions embedded, if enough of them for the top-k
    sets to mean something (a cut-short timing embeds only a batch or two), else on the query sentences."""
    ref = max((v for (p, _), v in vecs.items() if p == "float32"), key=len, default=None)
    int8 = max((v for (p, _), v in vecs.items() if p == "int8"), key=len, default=None)
    if ref is not None and int8 is not None and min(len(ref), len(int8)) > 2 * NEIGHBOURS:
        return gate_int8(ref, int8, notes)
    try:
        ok = gate_int8(probe.vectors("float32"), probe.vectors("int8"), notes)
    except Exception as exc:
        notes["int8"] = f"failed: {type(exc).__name__}: {exc}"
        return False
    notes["int8"] += " (on the query sentences: too few probe chunks embedded at both precisions)"
    return ok


def pick(
    speed: dict[tuple[str, int, int], float], memory: dict[tuple[str, int, int], float | None], budget_mb: int | None
) -> tuple[tuple[str, int, int], str]:
    """The (precision, processes, threads) to run and why, from measured speeds and memory estimates."""
    fits = [k for k in speed if budget_mb is None or memory.get(k) is None or memory[k] <= budget_mb]  # type: ignore[operator]
    if not fits:
        smallest = min(speed, key=lambda k: memory[k])  # type: ignore[arg-type,return-value]
        return smallest, f"no candidate fits the {budget_mb} MB budget: the smallest, est. {memory[smallest]:.0f} MB"
    over = len(speed) - len(fits)
    why = f"fastest of {len(fits)} within {budget_mb} MB ({over} over)" if budget_mb is not None and over else ""
    best = max(fits, key=lambda k: speed[k])
    if best[1] > 1:
        once = [k for k in fits if k[1] == 1 and speed[k] * PREFER_ONCE >= speed[best]]
        if once:
            kept = max(once, key=lambda k: speed[k])
            share = speed[kept] / speed[best]
            return kept, f"model held once: {share:.0%} of the fastest, {best[0]} {best[1]}x{best[2]}"
    return best, why
