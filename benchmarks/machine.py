"""What a benchmark ran on: CPU model and the flags that bear on embedding speed, cores, memory and load.

A run is labelled "quiet" only when the 1-minute load average at its start is at most ``QUIET_LOAD``;
above that it is "loaded" and a warning is printed: every figure is wall-clock, so a busy machine makes
them slower than the code is.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

QUIET_LOAD = 0.5


def machine_info() -> dict[str, Any]:
    """Call at the start of a run (records the load average then and labels the run)."""
    from mathtutor.ingest.machine import cpu_info, usable_cores

    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    info.update(cpu_info())  # "cpu" and "flags" (avx512_bf16, amx_*, avx512_vnni, ...)
    info["cpus"] = os.cpu_count()
    info["usable_cores"] = usable_cores()
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    info["load_avg_at_start"] = load
    info["condition"] = "quiet" if load is not None and load[0] <= QUIET_LOAD else "loaded"
    if info["condition"] != "quiet":
        print(
            f"warning: load average {load} at start (> {QUIET_LOAD}): this run is labelled 'loaded'; "
            "its timings are slower than on a quiet machine",
            file=sys.stderr,
        )
    return info


def finish_machine_info(info: dict[str, Any]) -> None:
    """Call at the end of a run: adds the load average then."""
    with contextlib.suppress(OSError):
        info["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]


def finish_and_write(result: dict[str, Any], info: dict[str, Any], out: Path) -> None:
    """End a run: the load average now, the machine line printed, ``result`` (which holds ``info``) as JSON."""
    finish_machine_info(info)
    print(machine_line(info), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


def machine_line(info: dict[str, Any]) -> str:
    """One markdown line naming the machine and the run's condition."""
    flags = ", ".join(info.get("flags") or []) or "none of the relevant flags"
    return (
        f"Machine: {info.get('cpu', '?')}, {info.get('usable_cores', '?')} usable cores ({flags}); "
        f"load average {info.get('load_avg_at_start')} at start, {info.get('load_avg_at_end')} at end: "
        f"**{info.get('condition', '?')}** run."
    )
