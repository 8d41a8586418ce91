"""``/api/ask`` for the CLI on this machine: one question in JSON, ``Answer.to_dict()`` (and its markdown) out.

A running ``mathtutor serve`` has the index open and the model loaded, so a CLI ``ask`` that finds it (through
:mod:`mathtutor.apps.discovery`) is answered in a fraction of a second. The route demands the token from the
server file (0600): without it, any local user could use the route to get around ``--auth``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mathtutor.apps.discovery import LOOPBACK_HOSTS, announce, withdraw
from mathtutor.apps.remote import ROUTE, TOKEN_HEADER

FORMATS = ("video", "book", "course", "interactive")
BACKENDS = ("extractive", "local", "ollama", "openai")
MAX_BODY_BYTES = 256 * 1024


def add_ask_route(demo: Any, token: str) -> None:
    """Add ``POST /api/ask`` to the launched app; it answers only requests that carry ``token``."""
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    from mathtutor.tutor import QuestionError

    holder = demo.holder

    def refuse(status: int, message: str) -> Any:
        return JSONResponse({"error": message}, status_code=status)

    async def ask(request: Any) -> Any:
        given = request.headers.get(TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            return refuse(403, "this route is for the mathtutor CLI of the user who started the server")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return refuse(413, "the request is too large")
        try:
            data = json.loads(body)
            question = data["question"]
            formats = set(data.get("formats") or ())
            backend = data.get("backend") or None
        except (ValueError, KeyError, TypeError, AttributeError):
            return refuse(400, 'send JSON like {"question": "...", "history": [], "level": null}')
        if not formats <= set(FORMATS) or (backend is not None and backend not in BACKENDS):
            return refuse(400, f"formats must be among {', '.join(FORMATS)}; backend one of {', '.join(BACKENDS)}")
        try:
            answer = await run_in_threadpool(
                holder.tutor.ask,
                question,
                history=data.get("history") or None,
                level=data.get("level") or None,
                formats=formats,
                backend=backend,
            )
        except (QuestionError, ValueError, TypeError) as exc:
            return refuse(400, str(exc))
        return JSONResponse({"answer": answer.to_dict(), "markdown": answer.to_markdown()})

    demo.app.router.routes.insert(0, Route(ROUTE, ask, methods=["POST"]))  # type: ignore[attr-defined]


@contextlib.contextmanager
def cli_access(demo: Any, url: str, data_dir: Path) -> Iterator[None]:
    """While the server runs: the route, and the server file the CLI finds it by (removed on the way out).

    Only a loopback server is announced. SIGTERM is turned into the Ctrl-C Gradio already handles, so a
    ``kill`` also removes the file.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    if host not in LOOPBACK_HOSTS or port is None:
        yield
        return
    tutor = demo.holder.tutor
    info = announce(
        data_dir,
        host=host,
        port=port,
        index_dir=tutor.settings.index_dir,
        generation=tutor.store.gen_dir.name,
        corpus_dir=tutor.settings.corpus_dir,
    )
    add_ask_route(demo, info.token)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        withdraw(data_dir, info)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
