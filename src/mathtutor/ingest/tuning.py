"""What ingest and the tutor call: the cached per-machine choice, measured once when missing.

The cache is JSON in ``settings.data_dir`` keyed by the machine; a changed key or an unreadable file means
measuring again. On a busy machine (a high load average, or other processes using the cores while the timing ran)
the measured choice is used for the run but not cached.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mathtutor.ingest.calibration import (
    BUSY_LOAD_PER_CORE,
    CACHE_NAME,
    CACHE_VERSION,
    INGEST_PROBE_TEXTS,
    Constraints,
    EmbedChoice,
    ModelProbe,
    Probe,
    calibrate_query,
)
from mathtutor.ingest.ingest_choice import MemoryBase, calibrate_ingest, ingest_layouts
from mathtutor.ingest.machine import OtherWork, current_load, machine_key, usable_cores
from mathtutor.settings import Settings

#: Cores other processes may keep busy while a choice is measured for it still to be cached.
OTHER_WORK_CORES = 0.5


def _warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


class CalibrationCache:
    """Choices per constraint slot, in one JSON file per data folder, valid for one machine key."""

    def __init__(self, path: Path, key: dict[str, Any]):
        self.path = path
        self.key = key
        self._slots: dict[str, Any] = {}
        self._load()

    def _load(self) -> None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            _warn(f"cannot read the calibration cache {self.path} ({exc.strerror or exc}); measuring again")
            return
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("choices"), dict):
                raise ValueError("not a calibration cache")
        except ValueError as exc:
            _warn(f"ignoring the unreadable calibration cache {self.path} ({exc}); it will be rewritten")
            return
        if data.get("version") != CACHE_VERSION or data.get("key") != self.key:
            return  # another machine, library or model: measure again
        self._slots = data["choices"]

    def get(self, slot: str) -> EmbedChoice | None:
        record = self._slots.get(slot)
        if record is None:
            return None
        try:
            choice = EmbedChoice.from_dict(record)
        except ValueError as exc:
            _warn(f"ignoring a bad entry in the calibration cache {self.path} ({exc}); it will be rewritten")
            self._slots.pop(slot, None)
            return None
        choice.source = "cache"
        return choice

    def put(self, slot: str, choice: EmbedChoice) -> None:
        """Record ``choice`` and rewrite the file atomically (a failure to write is a warning only)."""
        self._slots[slot] = choice.to_dict()
        data = {"version": CACHE_VERSION, "key": self.key, "choices": self._slots}
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            _warn(f"cannot write the calibration cache {self.path} ({exc.strerror or exc}); will measure again")
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- what ingest and the tutor call


class Tuner:
    """The choice for one purpose ("ingest" or "query"): from settings, the cache, or a measurement."""

    def __init__(
        self,
        settings: Settings,
        purpose: str,
        *,
        key: dict[str, Any] | None = None,
        cores: int | None = None,
    ):
        if purpose not in ("ingest", "query"):
            raise ValueError(f"unknown purpose {purpose!r}")
        self.settings = settings
        self.purpose = purpose
        self.cores = cores or usable_cores()
        self.constraints = Constraints.from_settings(settings, purpose)
        self.slot = self.constraints.slot(purpose)
        self.cache = CalibrationCache(settings.data_dir / CACHE_NAME, key or machine_key(settings.embedding_model))

    def fixed(self) -> EmbedChoice | None:
        """The choice when the settings fix everything (nothing to measure)."""
        c = self.constraints
        if self.purpose == "ingest":
            layouts = ingest_layouts(c, self.cores)
            if c.precision and len(layouts) == 1:
                return EmbedChoice("ingest", c.precision, *layouts[0], source="settings")
        elif c.precision and c.threads:
            return EmbedChoice("query", c.precision, 1, c.threads, source="settings")
        return None

    def known(self) -> EmbedChoice | None:
        """Fixed by settings or cached for this machine: no timing needed."""
        return self.fixed() or self.cache.get(self.slot)

    def default(self, why: str) -> EmbedChoice:
        """What to run when nothing could be measured (not cached): float32, one process, all cores."""
        c = self.constraints
        threads = c.threads or (self.cores if self.purpose == "ingest" else 1)
        processes = c.processes or 1
        return EmbedChoice(
            self.purpose, c.precision or "float32", processes, threads, "default", notes={"default": why}
        )

    def measure(
        self, probe: Probe, reference: np.ndarray | None = None, memory: MemoryBase | None = None
    ) -> EmbedChoice:
        """Time the candidates with ``probe`` and return the winner; cached unless the machine was busy.

        ``memory`` (ingest): what the tree holds now, for the candidates' memory estimates.
        """
        load = current_load()
        with OtherWork() as others:
            if self.purpose == "ingest":
                choice = calibrate_ingest(probe, self.constraints, self.cores, memory)
            else:
                choice = calibrate_query(probe, self.constraints, self.cores, reference)
        choice.load_avg = load
        if load is not None and load > BUSY_LOAD_PER_CORE * self.cores:
            choice.notes["cache"] = (
                f"not cached: load average {load} on {self.cores} cores when measured; measured again next time"
            )
        elif others.cores is not None and others.cores > OTHER_WORK_CORES:
            # a calibration taken while another job ran: 2 threads timed 389 ms against 22 ms on 1 thread, and
            # the cached choice then cost every later warm ask (p95 58 ms instead of 37 ms)
            choice.notes["cache"] = (
                f"not cached: other processes kept {others.cores} cores busy while it was measured; measured again"
                " next time"
            )
        else:
            self.cache.put(self.slot, choice)
        return choice


def choose(
    tuner: Tuner,
    make_probe: Callable[[], Probe],
    reference: np.ndarray | None = None,
    memory: Callable[[], MemoryBase | None] | None = None,
) -> EmbedChoice:
    """The known choice, else a measured (and cached) one; ``make_probe`` and ``memory`` are only called
    to measure."""
    known = tuner.known()
    if known is not None:
        return known
    probe = make_probe()
    try:
        return tuner.measure(probe, reference, memory() if memory is not None else None)
    finally:
        close = getattr(probe, "close", None)
        if close is not None:
            close()


def probe_sample(texts: Sequence[str], n: int = INGEST_PROBE_TEXTS) -> list[str]:
    """``n`` texts spread evenly over ``texts`` (so one long file does not make the whole probe)."""
    if len(texts) <= n:
        return list(texts)
    step = len(texts) / n
    return [texts[int(i * step)] for i in range(n)]


def tune_query_embedder(embedder, settings: Settings, reference: np.ndarray | None = None) -> EmbedChoice:
    """Configure an in-process :class:`~mathtutor.ingest.embedding.Embedder` for single queries; returns the choice."""
    tuner = Tuner(settings, "query")

    def make_probe() -> ModelProbe:
        model = embedder.float_model()  # None: quantised because the settings fix int8
        return ModelProbe(
            model if model is not None else embedder.model,
            batch_size=settings.embed_batch_size,
            quantized=model is None,
        )

    choice = choose(tuner, make_probe, reference)
    embedder.configure(choice.precision, choice.threads)
    return choice
