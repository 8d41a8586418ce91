from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import LearnerStore, ProgressUnavailable, SchemaTooNew, StoreCorrupt, db
from mathtutor.learning.db import make_engine

from .conftest import T0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_a_file_that_is_not_sqlite_is_refused_and_left_byte_for_byte(sqlite_path: Path, graph: TopicGraph) -> None:
    sqlite_path.write_bytes(b"this is not a database\n" * 100)
    before = _digest(sqlite_path)
    store = LearnerStore(f"sqlite:///{sqlite_path}", graph=graph)
    for _ in range(2):  # asking again does not "repair" it either
        with pytest.raises(StoreCorrupt) as info:
            store.for_learner("ann")
    assert "left untouched" in str(info.value)
    assert str(sqlite_path.parent) not in str(info.value)
    assert _digest(sqlite_path) == before
    assert _siblings(sqlite_path) == ["learners.sqlite"]


def test_a_damaged_sqlite_file_is_refused_and_left_byte_for_byte(sqlite_path: Path, graph: TopicGraph) -> None:
    store = LearnerStore(f"sqlite:///{sqlite_path}", graph=graph)
    store.for_learner("ann").record("vectors", True, "a1", at=T0)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    data = bytearray(sqlite_path.read_bytes())
    page = 4096
    data[page : page + 2048] = b"\xff" * 2048  # smash the second page, keep the valid header
    sqlite_path.write_bytes(bytes(data))
    before = _digest(sqlite_path)
    with pytest.raises(StoreCorrupt, match="damaged"):
        LearnerStore(f"sqlite:///{sqlite_path}", graph=graph).for_learner("ann")
    assert _digest(sqlite_path) == before


def test_a_database_from_a_newer_version_is_refused_and_left_byte_for_byte(
    sqlite_path: Path, graph: TopicGraph
) -> None:
    store = LearnerStore(f"sqlite:///{sqlite_path}", graph=graph)
    store.for_learner("ann").record("vectors", True, "a1", at=T0)
    store.close()
    conn = sqlite3.connect(sqlite_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest(sqlite_path)
    with pytest.raises(SchemaTooNew) as info:
        LearnerStore(f"sqlite:///{sqlite_path}", graph=graph).for_learner("ann")
    assert "newer version of mathtutor" in str(info.value)
    assert "'9999_from_the_future'" in str(info.value)
    assert _digest(sqlite_path) == before
    conn = sqlite3.connect(sqlite_path)
    assert conn.execute("SELECT count(*) FROM attempts").fetchone() == (1,)
    conn.close()


def test_another_programs_database_is_not_taken_over(sqlite_path: Path, graph: TopicGraph) -> None:
    conn = sqlite3.connect(sqlite_path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = _digest(sqlite_path)
    with pytest.raises(StoreCorrupt, match="not a mathtutor progress database"):
        LearnerStore(f"sqlite:///{sqlite_path}", graph=graph).for_learner("ann")
    assert _digest(sqlite_path) == before


def test_upgrading_twice_is_a_no_op(store: LearnerStore) -> None:
    store.for_learner("ann").record("vectors", True, "a1", at=T0)
    store.ensure_ready()
    again = LearnerStore(store._url, graph=store.graph)
    assert again.for_learner("ann").attempt_count() == 1
    assert db.head_revision() == "0001"
    again.close()


@pytest.mark.parametrize("url", ["mysql://u:secret@h/db", "not a url", "sqlite://"])
def test_unsupported_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ProgressUnavailable) as info:
        make_engine(url)
    assert "secret" not in str(info.value) and url not in str(info.value)


def test_the_migrations_build_exactly_the_models(store: LearnerStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mathtutor.learning.models import Base

    store.ensure_ready()
    with store.transaction(read=True) as s:
        assert compare_metadata(MigrationContext.configure(s.connection()), Base.metadata) == []


def test_no_alembic_ini_is_needed(store: LearnerStore) -> None:
    assert not (db.MIGRATIONS_DIR.parent / "alembic.ini").exists()
    assert (db.MIGRATIONS_DIR / "env.py").is_file()
    store.ensure_ready()
