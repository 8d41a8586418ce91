"""Transfer failures: which are worth retrying, and which hosts are down for the rest of a run.

A host that refuses connections or whose name does not resolve will do the same a second later; retrying
it with backoff for every item only makes an offline run take minutes to say it is offline. Such a host
is marked down at its first failure, and every later item for it fails at once with one clear line.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

#: Connection errors that mean "this host cannot be reached now", not "try again in a moment".
_UNREACHABLE = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name",
    "getaddrinfo failed",
    "no address associated",
    "network is unreachable",
    "connection refused",
    "errno 111",
    "no route to host",
)


class Retry(Exception):
    """A transient failure: try this address again (resuming what arrived)."""

    def __init__(self, message: str, *, offline: bool = False):
        super().__init__(message)
        self.offline = offline


class Fail(Exception):
    """A failure that another attempt at the same address would repeat."""

    def __init__(self, message: str, *, offline: bool = False, keep_part: bool = False, host_down: bool = False):
        super().__init__(message)
        self.offline = offline
        self.keep_part = keep_part  #: True only when interrupted: the next run resumes
        self.host_down = host_down  #: the whole host is unreachable: skip its other items
        self.attempts = 1


def host_of(url: str) -> str:
    """The host part of a URL, for messages and the down-hosts table."""
    return urlsplit(url).netloc or url


def connect_error(exc: Exception, url: str) -> Fail:
    """A failed connection: unreachable hosts (refused, unresolvable, no route) are down for this run."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    host = host_of(url)
    if any(s in low for s in _UNREACHABLE):
        why = "connection refused" if ("refused" in low or "errno 111" in low) else text
        return Fail(f"cannot reach {host} ({why}); offline?", offline=True, host_down=True)
    return Fail(f"cannot connect to {host} ({text}); offline?", offline=True)


class DownHosts:
    """Hosts found unreachable in this run, shared by the download threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}

    def mark(self, url: str, reason: str) -> None:
        with self._lock:
            self._down.setdefault(host_of(url), reason)

    def reason(self, url: str) -> str | None:
        """Why the URL's host is down, or None when it is not known to be."""
        with self._lock:
            return self._down.get(host_of(url))
