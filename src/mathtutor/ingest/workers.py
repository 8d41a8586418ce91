"""Worker processes that are safe to start and never outlive their parent.

Forking a process after torch (or any library) has started threads copies locks in whatever state
those threads held them, and the child can hang; so workers start with "fork" only while this process
is still single-threaded and torch-free, and with "spawn" otherwise (a fresh interpreter whose parent is
this process, so the parent-death signal below points at the right process). Every worker asks the kernel
to kill it when its parent dies (PR_SET_PDEATHSIG), so a killed ingest leaves no orphans behind.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.context import BaseContext

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def safe_context(prefer_fork: bool = True) -> BaseContext:
    """ "fork" (cheap: the child inherits what is loaded) only when that cannot deadlock, else "spawn"."""
    if prefer_fork and sys.platform.startswith("linux") and _fork_is_safe():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _fork_is_safe() -> bool:
    return threading.active_count() == 1 and "torch" not in sys.modules


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGTERM when the parent exits; exit now if it already has (a start-up race).

    Call first thing in a worker's initializer, with the parent's pid taken before the worker started.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the pool's own shutdown still applies
            pass
    if os.getppid() != parent_pid:
        os._exit(0)
