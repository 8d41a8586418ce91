"""``LearnerStore``: the one entry point to stored progress, accounts and sessions.

Learner data is reachable only through :meth:`LearnerStore.for_learner` (or :meth:`for_session`), which
returns a :class:`~mathtutor.learning.handle.LearnerHandle` bound to one learner id; every query it
runs filters on that id. There is no method that takes a learner id from the caller.

The database is opened lazily: constructing a store never fails on an unreachable server, and the
first call that needs it migrates the schema (or raises :class:`ProgressUnavailable`,
:class:`StoreCorrupt` or :class:`SchemaTooNew`). After an outage the next call simply tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session as OrmSession

from mathtutor.knowledge.topics import TopicGraph, load_topics
from mathtutor.learning import accounts, bkt, db
from mathtutor.learning.bkt import DEFAULT_PARAMS, BKTParams
from mathtutor.learning.errors import AccountError, ProgressUnavailable, UnknownLearner
from mathtutor.learning.handle import LearnerHandle
from mathtutor.learning.models import Attempt, Learner, Session, User, utcnow
from mathtutor.learning.names import validate_name

__all__ = ["DEFAULT_SESSION_TTL", "LearnerStore", "open_store"]

DEFAULT_SESSION_TTL = timedelta(hours=12)


class LearnerStore:
    """Progress storage on SQLite (default) or PostgreSQL; safe to share between threads."""

    def __init__(
        self,
        url: str | None = None,
        *,
        graph: TopicGraph | None = None,
        data_dir: Path | None = None,
        params: Mapping[str, BKTParams] | None = None,
        default_params: BKTParams = DEFAULT_PARAMS,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> None:
        if url is None or data_dir is None:
            from mathtutor.settings import get_settings

            settings = get_settings()
            data_dir = data_dir if data_dir is not None else settings.data_dir
            url = url if url is not None else settings.database_url
        self._url = url or db.default_url(data_dir)
        self.graph = graph if graph is not None else load_topics()
        self._params = dict(params or {})
        self._default_params = default_params
        self.session_ttl = session_ttl
        self._engine: Engine | None = None
        self._read_engine: Engine | None = None
        self._ready = False
        self._lock = threading.Lock()

    # -- connection -----------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql" (never the URL: it may hold a password)."""
        return "postgresql" if self._url.startswith("postgresql") else "sqlite"

    def ensure_ready(self) -> None:
        """Create the engine and migrate to head once; raise a learner-facing error if impossible."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            if self._engine is None:
                self._engine = db.make_engine(self._url)
                self._read_engine = self._engine.execution_options(**{db.READ_ONLY: True})
            db.upgrade(self._engine)
            self._ready = True

    def close(self) -> None:
        """Release pooled connections (the store can be used again afterwards)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()

    @contextmanager
    def transaction(self, *, read: bool = False) -> Iterator[OrmSession]:
        """One database transaction; driver errors become :class:`ProgressUnavailable`.

        ``read=True`` promises no writes: on SQLite it then does not take the write lock.
        """
        self.ensure_ready()
        engine = self._read_engine if read else self._engine
        assert engine is not None
        with db.guard(), OrmSession(engine, expire_on_commit=False) as session, session.begin():
            yield session

    def params_for(self, concept: str) -> BKTParams:
        """BKT parameters of a concept (a per-concept override, else the defaults)."""
        return self._params.get(concept, self._default_params)

    # -- learners -------------------------------------------------------------------------------

    def for_learner(self, name: str, *, create: bool = True) -> LearnerHandle:
        """A handle on one learner's progress (created on first use unless ``create=False``)."""
        name = validate_name(name)
        with self.transaction(read=True) as s:
            learner_id = s.scalar(select(Learner.id).where(Learner.name == name))
        if learner_id is None:
            if not create:
                raise UnknownLearner(f"No progress is stored for learner {name!r} yet.")
            learner_id = self._create_learner(name)
        return LearnerHandle(self, learner_id, name)

    def _create_learner(self, name: str) -> int:
        try:
            with self.transaction() as s:
                learner = Learner(name=name, created_at=utcnow())
                s.add(learner)
                s.flush()
                return learner.id
        except db.WriteConflict:
            pass
        with self.transaction() as s:  # another process created it between our two transactions
            learner_id = s.scalar(select(Learner.id).where(Learner.name == name))
        if learner_id is None:
            raise ProgressUnavailable()
        return learner_id

    # -- accounts and sessions ------------------------------------------------------------------

    def create_user(self, name: str, password: str) -> None:
        """Create a sign-in account; it owns the learner of the same name (created if new)."""
        name = validate_name(name, what="user name")
        password_hash = accounts.hash_password(password)  # slow on purpose: outside the transaction
        learner_id = self.for_learner(name).learner_id
        try:
            with self.transaction() as s:
                if s.scalar(select(User.id).where(User.name == name)) is not None:
                    raise AccountError(f"The user name {name!r} is already taken.")
                s.add(User(name=name, password_hash=password_hash, learner_id=learner_id, created_at=utcnow()))
        except db.WriteConflict:
            raise AccountError(f"The user name {name!r} is already taken.") from None

    def verify(self, name: str, password: str) -> bool:
        """True if the name and password match an account; same cost and answer for unknown names."""
        try:
            name = validate_name(name, what="user name")
        except ValueError:
            accounts.verify_password(None, password)
            return False
        with self.transaction() as s:
            user = s.scalar(select(User).where(User.name == name))
            stored = user.password_hash if user is not None else None
        ok = accounts.verify_password(stored, password)
        if ok and stored is not None and accounts.needs_rehash(stored):
            with self.transaction() as s:
                fresh = s.get(User, user.id)  # type: ignore[union-attr]
                if fresh is not None:
                    fresh.password_hash = accounts.hash_password(password)
        return ok

    def open_session(self, name: str, *, ttl: timedelta | None = None, now: datetime | None = None) -> str:
        """A new session token for an existing account (verify the password first)."""
        name = validate_name(name, what="user name")
        now = now or utcnow()
        token = accounts.new_token()
        token_hash = accounts.hash_token(token)
        assert token_hash is not None
        with self.transaction() as s:
            user_id = s.scalar(select(User.id).where(User.name == name))
            if user_id is None:
                raise AccountError(f"There is no account named {name!r}.")
            expires = now + (ttl or self.session_ttl)
            s.add(Session(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires))
        return token

    def sign_in(self, name: str, password: str) -> str | None:
        """Verify and open a session in one step: a token, or None if the name or password is wrong."""
        return self.open_session(name) if self.verify(name, password) else None

    def session_learner(self, token: str, *, now: datetime | None = None) -> str | None:
        """The learner name a live session belongs to; None if unknown, expired or closed."""
        token_hash = accounts.hash_token(token)
        if token_hash is None:
            return None
        now = now or utcnow()
        with self.transaction() as s:
            row = s.execute(
                select(Learner.name, Session.expires_at)
                .join(User, User.learner_id == Learner.id)
                .join(Session, Session.user_id == User.id)
                .where(Session.token_hash == token_hash)
            ).first()
            if row is None:
                return None
            if row.expires_at <= now:
                s.execute(delete(Session).where(Session.token_hash == token_hash))
                return None
            return row.name

    def for_session(self, token: str, *, now: datetime | None = None) -> LearnerHandle | None:
        """The handle of the signed-in learner, or None for a dead session."""
        name = self.session_learner(token, now=now)
        return None if name is None else self.for_learner(name)

    def purge_sessions(self, *, now: datetime | None = None) -> int:
        """Delete expired sessions (housekeeping); returns how many went."""
        with self.transaction() as s:
            return s.execute(delete(Session).where(Session.expires_at <= (now or utcnow()))).rowcount or 0

    def fit_concept(self, concept: str, *, min_learners: int = 5) -> BKTParams:
        """BKT parameters for one concept fitted from every learner's practice log (an admin task).

        Returns only parameters, never anyone's attempts; with fewer than ``min_learners`` learners the
        current parameters are kept, since a grid fit on a handful of sequences is mostly noise.
        """
        self.graph.get(concept)
        logs: dict[int, list[bool]] = {}
        with self.transaction() as s:
            rows = s.execute(
                select(Attempt.learner_id, Attempt.correct)
                .where(Attempt.concept == concept, Attempt.kind == "practice")
                .order_by(Attempt.learner_id, Attempt.at, Attempt.id)
            )
            for row in rows:
                logs.setdefault(row.learner_id, []).append(row.correct)
        if len(logs) < min_learners:
            return self.params_for(concept)
        return bkt.fit({str(k): v for k, v in logs.items()})

    def close_session(self, token: str) -> None:
        """Sign out: the token stops working immediately."""
        token_hash = accounts.hash_token(token)
        if token_hash is None:
            return
        with self.transaction() as s:
            s.execute(delete(Session).where(Session.token_hash == token_hash))


def open_store(url: str | None = None, **kwargs: object) -> LearnerStore:
    """A store that is ready now: migrated, or a learner-facing error raised."""
    store = LearnerStore(url, **kwargs)  # type: ignore[arg-type]
    store.ensure_ready()
    return store
