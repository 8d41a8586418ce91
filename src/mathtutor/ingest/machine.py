"""This machine, as the calibration sees it: usable cores, CPU model and flags, load, library versions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

RELEVANT_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cpu_info() -> dict[str, Any]:
    """CPU model and the flags in :data:`RELEVANT_FLAGS` it has, from /proc/cpuinfo (empty elsewhere)."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {"cpu": model, "flags": [f for f in RELEVANT_FLAGS if f in flags]}


def current_load() -> float | None:
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cpu_busy_seconds() -> float | None:
    """CPU seconds every process on the machine has spent busy since boot (Linux ``/proc/stat``; None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        ticks = [int(x) for x in fields[1:9]]
        per_second = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    if fields[0] != "cpu" or len(ticks) < 5:
        return None
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / per_second


class OtherWork:
    """How many cores *other* processes kept busy while the ``with`` block ran: the load average lags a minute
    behind, so a calibration started as another job starts reads as quiet by it, and its timings are not.

    ``cores`` is None where the machine's busy time cannot be read.
    """

    def __init__(
        self,
        busy: Callable[[], float | None] = cpu_busy_seconds,
        own: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._busy, self._own, self._clock = busy, own, clock
        self.cores: float | None = None

    def __enter__(self) -> OtherWork:
        self._start = (self._busy(), self._own(), self._clock())
        return self

    def __exit__(self, *exc: object) -> None:
        busy0, own0, t0 = self._start
        busy1, wall = self._busy(), self._clock() - t0
        if busy0 is None or busy1 is None or wall <= 0:
            return
        self.cores = round(max(0.0, (busy1 - busy0) - (self._own() - own0)) / wall, 2)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def machine_key(model_name: str) -> dict[str, Any]:
    """What a cached choice depends on; any change means measuring again."""
    return {
        "cpu": cpu_info()["cpu"],
        "cores": usable_cores(),
        "torch": _version("torch"),
        "sentence_transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "model": model_name,
    }


# ---------------------------------------------------------------- memory (Linux /proc; None elsewhere)


def _status_mb(pid: int | str, *fields: str) -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                key = line.split(":", 1)[0]
                if key in fields:
                    out[key] = int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def pss_mb(pid: int | str = "self") -> float | None:
    """Proportional set size of one process (shared pages split among their users), in MB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def rss_mb() -> tuple[float, float] | None:
    """This process's resident memory and the file-backed part of it (shared libraries, mapped weights), MB."""
    got = _status_mb("self", "VmRSS", "RssFile")
    return (got["VmRSS"], got.get("RssFile", 0.0)) if "VmRSS" in got else None


def reset_peak_rss() -> bool:
    """Restart this process's peak-RSS mark (VmHWM) from its current RSS, so a step's own peak can be read."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    """This process's peak RSS (VmHWM) since it started or since :func:`reset_peak_rss`, in MB."""
    return _status_mb("self", "VmHWM").get("VmHWM")


def children_pss_mb() -> float:
    """Summed PSS of this process's descendants (e.g. parse workers), in MB; 0 where /proc is missing."""
    total, todo = 0.0, [str(os.getpid())]
    while todo:
        pid = todo.pop()
        kids: list[str] = []
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():  # a child belongs to the thread that started it
                kids += (task / "children").read_text().split()
        except OSError:
            pass
        for kid in kids:
            total += pss_mb(kid) or 0.0
            todo.append(kid)
    return total
