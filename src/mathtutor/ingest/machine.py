"""This machine, as the calibration sees it: usable cores, CPU model and flags, load, library versions."""

from __future__ import annotations

import os
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
