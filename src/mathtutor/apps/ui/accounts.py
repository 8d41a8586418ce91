"""Sign-in for the web UI: who a browser session belongs to, checked against the learner store.

A learner signs in with the name and password of an account made by ``mathtutor users add NAME``. The
session token the store hands out is kept server-side in the page's ``gr.State`` (a client cannot write
that), and, encrypted, in the browser's storage so a reload stays signed in; a token coming back from
the browser is checked with the store before it is trusted, so a forged or expired one signs no one in.

Progress is reached only through :meth:`Learners.handle`, which asks the store for the handle of the
token's own learner (or of the ``--auth`` user): there is no way to name another learner. When the
database is unreachable the store raises ``ProgressUnavailable``; the UI says progress is not being saved
and simply tries again on the next action.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

from mathtutor.learning import LearnerStore, LearningError, ProgressUnavailable

if TYPE_CHECKING:
    from mathtutor.learning import LearnerHandle

__all__ = ["NEEDS_SIGN_IN", "NOT_SAVED", "Learners", "signed_in_line"]

NOT_SAVED = "⚠️ Progress is not being saved right now: the progress database is unreachable. The chat still works."
NEEDS_SIGN_IN = (
    "Sign in (top of the page) to keep your progress: practice results, mastery, reviews and your goal. "
    "Accounts are made by whoever runs the tutor, with `mathtutor users add NAME`. The chat works without one."
)
WRONG = "That name and password do not match an account. Accounts are made with `mathtutor users add NAME`."
MAX_FIELD = 200
RECHECK_S = 30.0


def signed_in_line(name: str | None) -> str:
    """The header's account line."""
    from mathtutor.apps.ui.render import md_text

    return f"👤 Signed in as **{md_text(name)}**." if name else "👤 Not signed in: progress is not kept."


class Learners:
    """The learner store seen from the web UI, plus which browser session is whose (for private uploads)."""

    def __init__(self, store: LearnerStore) -> None:
        self.store = store
        self._names: dict[str, tuple[str, str, float]] = {}  # session hash -> (token, name, when checked)
        self._lock = threading.Lock()

    # -- signing in and out
    def sign_in(self, name: Any, password: Any, session: str | None) -> tuple[str | None, str]:
        """(token, message): a token only for a matching name and password."""
        if not isinstance(name, str) or not isinstance(password, str) or not name.strip() or not password:
            return None, "Type your name and your password."
        if len(name) > MAX_FIELD or len(password) > MAX_FIELD:
            return None, WRONG
        try:
            token = self.store.sign_in(name.strip(), password)
            learner = self.store.session_learner(token) if token else None
        except ProgressUnavailable:
            return None, "Signing in is not possible right now: the progress database is unreachable. Try again soon."
        except LearningError:  # a name the store refuses is just a wrong name here
            token, learner = None, None
        if token is None or learner is None:
            return None, WRONG
        self._remember(session, token, learner)
        return token, signed_in_line(learner)

    def restore(self, token: Any, session: str | None) -> tuple[str | None, str | None]:
        """(token, name) for a token the browser kept, if it is still a live session; else (None, None)."""
        if not isinstance(token, str) or not token or len(token) > MAX_FIELD:
            return None, None
        try:
            name = self.store.session_learner(token)
        except LearningError:
            return None, None
        if name is None:
            return None, None
        self._remember(session, token, name)
        return token, name

    def sign_out(self, token: Any, session: str | None) -> None:
        """Close the session in the store (the token stops working everywhere) and forget it here."""
        with self._lock:
            if session:
                self._names.pop(session, None)
            for key in [k for k, (t, _, _) in self._names.items() if t == token]:
                self._names.pop(key, None)
        if isinstance(token, str) and token:
            with contextlib.suppress(LearningError):  # unreachable: the session still expires on its own
                self.store.close_session(token)

    def forget(self, session: str | None) -> None:
        """The page was closed: stop mapping its session hash (the token stays valid for a reload)."""
        with self._lock:
            self._names.pop(session or "", None)

    def _remember(self, session: str | None, token: str, name: str) -> None:
        if session:
            with self._lock:
                self._names[session] = (token, name, time.monotonic())

    # -- who is this
    def name_for(self, session: str | None) -> str | None:
        """The learner signed in on this browser session, for :func:`sessions.owner_key`.

        Re-checked with the store at most every ``RECHECK_S`` seconds, so an expired or closed session stops
        owning anything; while the database is unreachable the last answer stands.
        """
        with self._lock:
            hit = self._names.get(session or "")
        if hit is None:
            return None
        token, name, checked = hit
        if time.monotonic() - checked < RECHECK_S:
            return name
        try:
            live = self.store.session_learner(token)
        except LearningError:
            return name
        with self._lock:
            if live is None:
                self._names.pop(session or "", None)
            elif session in self._names:
                self._names[session] = (token, live, time.monotonic())
        return live

    def handle(self, token: Any, username: str | None = None) -> LearnerHandle | None:
        """The signed-in learner's handle: the token's learner, else the ``--auth`` user; None if neither.

        Raises ``ProgressUnavailable`` when the database cannot be reached.
        """
        if isinstance(token, str) and token:
            h = self.store.for_session(token)
            if h is not None:
                return h
            with self._lock:  # expired or closed: no session keeps mapping to it
                for key in [k for k, (t, _, _) in self._names.items() if t == token]:
                    self._names.pop(key, None)
        if username:
            return self.store.for_learner(username)
        return None
