"""Engines, schema upgrades and the translation of driver errors into learner-facing ones.

* SQLite (the default, ``<data_dir>/learners.sqlite``): WAL journal, a busy timeout, foreign keys on,
  and every transaction opened with ``BEGIN IMMEDIATE`` so a read-modify-write (record an attempt,
  update mastery) from two browser tabs is serialised instead of one losing the other's update.
* PostgreSQL (``postgresql+psycopg://...``): ``pool_pre_ping`` so a connection dropped while the server
  was down is replaced when it returns; migrations take an advisory lock so two replicas starting at
  once do not both create the tables.

Before migrating, the database is inspected read-only: a file that is not SQLite, a damaged one, a
foreign database, or one stamped with a revision this code does not know (written by a newer
mathtutor) raises :class:`StoreCorrupt`/:class:`SchemaTooNew` and is never modified.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from mathtutor.learning.errors import ProgressUnavailable, SchemaTooNew, StoreCorrupt

__all__ = [
    "MIGRATIONS_DIR",
    "READ_ONLY",
    "SQLITE_HEADER",
    "WriteConflict",
    "default_url",
    "guard",
    "head_revision",
    "make_engine",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
_BUSY_TIMEOUT_MS = 10_000
#: Execution option marking a read-only transaction (SQLite then begins DEFERRED instead of IMMEDIATE).
READ_ONLY = "mathtutor_read_only"
_PG_LOCK_KEY = 7_150_013  # advisory lock id for "mathtutor learning migrations"
_CORRUPT_MARKERS = ("file is not a database", "malformed", "disk image", "file is encrypted")


class WriteConflict(ProgressUnavailable):
    """A unique key was taken by a concurrent writer (another process created the same row first)."""

    def __init__(self) -> None:
        super().__init__("That change collided with another one made at the same moment; please try again.")


def default_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file in the data folder."""
    return f"sqlite+pysqlite:///{(Path(data_dir) / 'learners.sqlite').resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for a ``sqlite:///...`` or ``postgresql+psycopg://...`` URL (never logged)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ProgressUnavailable("The progress database address is not a valid database URL.") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ProgressUnavailable("The progress database must be a file on disk.")
        engine = create_engine(
            parsed.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _sqlite_events(engine)
        return engine
    if backend == "postgresql":
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_timeout=10,
            connect_args={"connect_timeout": 5},
        )
    raise ProgressUnavailable("The progress database must be SQLite or PostgreSQL.")


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front (no lost updates); readers (READ_ONLY option) do not block.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def _check_revision(stamped: list[str], tables: set[str]) -> None:
    known = _known_revisions()
    unknown = [rev for rev in stamped if rev not in known]
    if unknown:
        raise SchemaTooNew(
            "The progress database was written by a newer version of mathtutor (schema revision "
            f"{unknown[0][:32]!r}). It was left untouched; upgrade mathtutor to use it."
        )
    if not stamped and tables - {"alembic_version"}:
        raise StoreCorrupt(
            "The progress database file holds other data and is not a mathtutor progress database. "
            "It was left untouched; point MATHTUTOR_DATABASE_URL at another file."
        )


def preflight_sqlite(path: Path) -> None:
    """Inspect an existing SQLite file without writing to it; raise if it must not be migrated."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    corrupt = StoreCorrupt(
        "The progress database file is damaged or is not a SQLite database. It was left untouched; "
        "move it aside (keep a copy) to start a new one, or restore it from a backup."
    )
    if header != SQLITE_HEADER:
        raise corrupt
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_MS / 1000)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            ok = conn.execute("PRAGMA quick_check").fetchone()
            stamped = (
                [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if any(marker in str(exc).lower() for marker in _CORRUPT_MARKERS):
            raise corrupt from None
        raise ProgressUnavailable() from None
    if not ok or ok[0] != "ok":
        raise corrupt
    _check_revision(stamped, tables)


def upgrade(engine: Engine) -> None:
    """Bring the schema to head (creating it if new); refuse damaged or newer databases untouched."""
    with guard():
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            assert database
            path = Path(database)
            preflight_sqlite(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            tables = set(inspect(conn).get_table_names())
            stamped = (
                [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
                if "alembic_version" in tables
                else []
            )
            _check_revision(stamped, tables)
            command.upgrade(_alembic_config(conn), "head")


@contextmanager
def guard() -> Iterator[None]:
    """Turn driver and connection errors into :class:`ProgressUnavailable`/:class:`StoreCorrupt`.

    The original exception is dropped (``from None``) because its text can hold the URL or a path.
    """
    try:
        yield
    except IntegrityError:
        raise WriteConflict() from None
    except DBAPIError as exc:
        message = str(getattr(exc, "orig", "") or "").lower()
        if any(marker in message for marker in _CORRUPT_MARKERS):
            raise StoreCorrupt(
                "The progress database file is damaged. It was left untouched; restore it from a backup."
            ) from None
        raise ProgressUnavailable() from None
    except (SQLAlchemyError, OSError, sqlite3.Error):
        raise ProgressUnavailable() from None
