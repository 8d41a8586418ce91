"""Fixtures for the learner-progress tests: the real topic graph, a SQLite store, a real PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mathtutor.knowledge.topics import TopicGraph, load_topics
from mathtutor.learning import LearnerStore

from .pgserver import PgServer, PgUnavailable

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def graph() -> TopicGraph:
    return load_topics()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "learners.sqlite"


@pytest.fixture
def store(sqlite_path: Path, graph: TopicGraph) -> Iterator[LearnerStore]:
    s = LearnerStore(f"sqlite:///{sqlite_path}", graph=graph)
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer()
        server.start()
    except PgUnavailable as exc:
        pytest.fail(f"PostgreSQL is needed for these tests: {exc}", pytrace=False)
    yield server
    server.destroy()


_db_counter = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    if not pg_server.running():  # a previous test stopped it and failed before restarting
        pg_server.start()
    return pg_server.create_database(f"mathtutor_test_{next(_db_counter)}")
