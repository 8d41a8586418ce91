"""Ask a running ``mathtutor serve`` on loopback instead of loading the index and model in this process.

Standard library only (a cold CLI must not pay for an HTTP package). Every failure is a :class:`RemoteError`,
and the caller answers locally instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from mathtutor.apps.discovery import ServerInfo

ROUTE = "/api/ask"
TOKEN_HEADER = "X-Mathtutor-Token"
#: An extractive answer takes well under a second on the server; past this, answering here is quicker.
EXTRACTIVE_TIMEOUT_S = 10.0
#: A language model writes for much longer, here as much as on the server.
GENERATE_TIMEOUT_S = 300.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class RemoteError(RuntimeError):
    """The server could not answer (gone, refused, timed out, wrong token, bad reply)."""


def ask_server(
    info: ServerInfo,
    question: str,
    *,
    history: list[dict[str, str]] | None = None,
    level: str | None = None,
    formats: set[str] | None = None,
    backend: str | None = None,
    timeout: float = EXTRACTIVE_TIMEOUT_S,
) -> dict[str, Any]:
    """POST the question; return ``{"answer": Answer.to_dict(), "markdown": Answer.to_markdown()}``."""
    payload = {
        "question": question,
        "history": history or [],
        "level": level,
        "formats": sorted(formats or ()),
        "backend": backend,
    }
    request = urllib.request.Request(
        info.url + ROUTE,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", TOKEN_HEADER: info.token},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RemoteError(f"the server at {info.url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RemoteError(f"cannot reach the server at {info.url}: {exc}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise RemoteError("the server's reply is too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RemoteError("the server's reply is not JSON") from None
    answer, markdown = (data.get("answer"), data.get("markdown")) if isinstance(data, dict) else (None, None)
    if not isinstance(answer, dict) or not isinstance(markdown, str):
        raise RemoteError("the server's reply has no answer")
    return data
