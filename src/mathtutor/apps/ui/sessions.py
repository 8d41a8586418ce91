"""Per-session state and the limits that keep one visitor from starving the others.

Who a visitor is comes from :func:`owner_key`: the signed-in learner when there is one (Gradio's
``request.username`` with ``--auth``, or an account signed in on the page), the browser session otherwise. Everything
private hangs off that key: the collection of uploads, the request rate, the upload volume. The shared
tutor (one loaded model for everybody) and the model-generation slots live in :class:`TutorHolder`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.apps.ui.uploads import Collection
from mathtutor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from mathtutor.llm import BackendStatus
    from mathtutor.settings import Settings
    from mathtutor.tutor import Tutor

BACKEND_STATUS_TTL_S = 15.0
DATA_DIR_ENV = "MATHTUTOR_DATA_DIR"


def default_data_dir() -> Path:
    """Where private uploads and feedback live: ``$MATHTUTOR_DATA_DIR`` or ``<checkout>/data`` (git-ignored)."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else PROJECT_ROOT / "data"


@dataclass(frozen=True)
class Limits:
    """What one session may do; the server-wide cap on model generations (two cores: one at a time)."""

    requests_per_minute: int = 30
    upload_mb_per_session: float = 50.0
    files_per_session: int = 30
    max_upload_mb: float = 50.0  #: one file
    max_generations: int = 1
    idle_session_s: float = 6 * 3600


def owner_key(request: Any, signed_in: Callable[[str | None], str | None] | None = None) -> str:
    """``user:<name>`` for a signed-in learner, ``session:<hash>`` for a browser session.

    The learner is Gradio's ``request.username`` (``--auth``), else whoever signed in on this browser
    session (``signed_in(session_hash)``, i.e. :meth:`accounts.Learners.name_for`), so a learner's private
    uploads follow them from tab to tab.
    """
    user = getattr(request, "username", None)
    if user:
        return f"user:{user}"
    session = getattr(request, "session_hash", None)
    learner = signed_in(session) if signed_in is not None and session else None
    if learner:
        return f"user:{learner}"
    return f"session:{session or 'anonymous'}"


class RateLimiter:
    """At most ``per_minute`` calls per key in any sliding minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True


@dataclass
class Session:
    collection: Collection
    last_seen: float = field(default_factory=time.monotonic)


class Sessions:
    """Every live session's private collection, made on first use and removed when the session ends."""

    def __init__(self, root: Path, settings: Settings, embedder: Any, opener: Callable[[Path], Tutor]) -> None:
        self.root = Path(root)
        self.settings = settings
        self.embedder = embedder
        self.opener = opener
        self._by_key: dict[str, Session] = {}
        self._by_token: dict[str, Collection] = {}
        self._lock = threading.Lock()
        # Sessions do not survive a restart: what a previous run left behind belongs to no one now.
        shutil.rmtree(self.root, ignore_errors=True)

    def get(self, key: str) -> Collection:
        with self._lock:
            s = self._by_key.get(key)
            if s is None:
                token = secrets.token_urlsafe(24)
                col = Collection(self.root / token, self.settings, self.embedder, self.opener, token=token)
                s = self._by_key[key] = Session(col)
                self._by_token[col.token] = col
            s.last_seen = time.monotonic()
            return s.collection

    def peek(self, key: str) -> Collection | None:
        """The session's collection if it has one (answers never create one)."""
        with self._lock:
            s = self._by_key.get(key)
            return s.collection if s is not None else None

    def by_token(self, token: str) -> Collection | None:
        with self._lock:
            return self._by_token.get(token)

    def drop(self, key: str) -> None:
        with self._lock:
            s = self._by_key.pop(key, None)
            if s is not None:
                self._by_token.pop(s.collection.token, None)
        if s is not None:
            s.collection.close()

    def prune(self, max_idle_s: float) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [k for k, s in self._by_key.items() if now - s.last_seen > max_idle_s]
        for key in idle:
            self.drop(key)


class TutorHolder:
    """The shared tutor (the model is loaded once), backend checks, feedback and the generation slots."""

    def __init__(self, tutor: Tutor, *, data_dir: Path, limits: Limits | None = None) -> None:
        self.tutor = tutor
        self.data_dir = Path(data_dir)
        self.limits = limits or Limits()
        self.max_upload_bytes = int(self.limits.max_upload_mb * 1e6)
        self.rate = RateLimiter(self.limits.requests_per_minute)
        self.generations = threading.BoundedSemaphore(self.limits.max_generations)
        self._feedback_lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._status_cache: dict[str, tuple[float, BackendStatus]] = {}
        self._warming: threading.Thread | None = None

    @property
    def settings(self) -> Settings:
        return self.tutor.settings

    @property
    def feedback_file(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    # -- backends
    def backend_status(self, name: str) -> BackendStatus:
        """``llm.backend_status`` cached for a few seconds: it may wait up to a second on a server."""
        from mathtutor.llm import backend_status

        now = time.monotonic()
        with self._status_lock:
            hit = self._status_cache.get(name)
            if hit is not None and now - hit[0] < BACKEND_STATUS_TTL_S:
                return hit[1]
        status = backend_status(name, self.settings)
        with self._status_lock:
            self._status_cache[name] = (time.monotonic(), status)
        return status

    def warm_local_model(self, load: Callable[[], Any] | None = None) -> None:
        """Load the local model in a background thread, so the first visitor does not wait for it."""

        def default_load() -> Any:
            from mathtutor.llm import get_chat_model

            return get_chat_model(self.settings, "local")

        def run() -> None:
            with contextlib.suppress(Exception):
                (load or default_load)()

        self._warming = threading.Thread(target=run, name="mathtutor-warm-model", daemon=True)
        self._warming.start()

    @property
    def local_model_loading(self) -> bool:
        return self._warming is not None and self._warming.is_alive()

    # -- feedback
    def record_feedback(self, turn: dict[str, Any], rating: str) -> dict[str, Any]:
        """Append one rating with its question, answer and citations to ``feedback.jsonl``."""
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "question": turn["question"],
            "answer": turn["answer"],
            "citations": turn["citations"],
            "study_path": turn.get("study_path", []),
            "backend": turn.get("backend"),
            "level": turn.get("level"),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._feedback_lock:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with open(self.feedback_file, "a", encoding="utf-8") as f:
                f.write(line)
        return record


class Exports:
    """Exported study paths, kept in memory for a while under an unguessable id (served at /exports/<id>)."""

    def __init__(self, max_age_s: float, max_items: int = 1000) -> None:
        self.max_age_s = max_age_s
        self.max_items = max_items
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def put(self, text: str) -> str:
        key = secrets.token_urlsafe(18)
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if now - v[0] < self.max_age_s}
            while len(self._items) >= self.max_items:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (now, text)
        return key

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] >= self.max_age_s:
            return None
        return hit[1]
