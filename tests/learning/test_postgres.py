"""The store on a real PostgreSQL 15 (started by the pg_server fixture on a loopback port)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import LearnerStore, ProgressUnavailable, db

from .conftest import T0
from .pgserver import PgServer


@pytest.fixture
def pg_store(pg_url: str, graph: TopicGraph):
    store = LearnerStore(pg_url, graph=graph)
    yield store
    store.close()


def test_migrates_to_head(pg_store: LearnerStore) -> None:
    pg_store.ensure_ready()
    with pg_store.transaction() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [db.head_revision()]
        tables = set(s.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert {"learners", "attempts", "mastery", "reviews", "users", "sessions", "feedback"} <= tables
    assert pg_store.backend == "postgresql"


def test_record_read_and_isolation(pg_store: LearnerStore) -> None:
    ann, bob = pg_store.for_learner("ann"), pg_store.for_learner("李雷")
    assert ann.record("vectors", True, "1", at=T0).mastery == 0.6
    assert not ann.record("vectors", True, "1", at=T0).recorded
    bob.record("matrices", False, "1", at=T0)
    assert [a["concept"] for a in ann.attempts()] == ["vectors"]
    assert [a["concept"] for a in bob.attempts()] == ["matrices"]
    assert ann.progress(now=T0)["concepts"][-1]["concept"] == "vectors"
    fid = ann.add_feedback("answer-1", rating=5)
    assert bob.delete_feedback(fid) is False and len(ann.feedback()) == 1


def test_two_engines_see_each_others_attempts(pg_url: str, graph: TopicGraph) -> None:
    one, two = LearnerStore(pg_url, graph=graph), LearnerStore(pg_url, graph=graph)
    try:
        one.for_learner("ann").record("vectors", True, "from-one", at=T0)
        two.for_learner("ann").record("vectors", True, "from-two", at=T0 + timedelta(seconds=1))
        assert [a["attempt_id"] for a in one.for_learner("ann").attempts()] == ["from-one", "from-two"]
        assert two.for_learner("ann").mastery()["vectors"] == one.for_learner("ann").mastery()["vectors"]
        two.create_user("bob", "correct horse")
        assert one.verify("bob", "correct horse")
        token = one.open_session("bob")
        assert two.session_learner(token) == "bob"
    finally:
        one.close()
        two.close()


def test_concurrent_writes_of_one_learner_lose_nothing(pg_url: str, graph: TopicGraph) -> None:
    stores = [LearnerStore(pg_url, graph=graph), LearnerStore(pg_url, graph=graph)]
    errors: list[BaseException] = []

    def tab(k: int) -> None:
        handle = stores[k % 2].for_learner("ann")
        try:
            for i in range(10):
                handle.record("matrices", i % 2 == 0, f"t{k}-{i}", at=T0 + timedelta(seconds=i))
                handle.record("matrices", i % 2 == 0, f"t{k}-{i}", at=T0 + timedelta(seconds=i))  # a retry
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=tab, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        ann = stores[0].for_learner("ann")
        assert ann.attempt_count() == 60
        with stores[1].transaction() as s:
            row = s.execute(text("SELECT attempts, correct FROM mastery WHERE concept = 'matrices'")).one()
        assert tuple(row) == (60, 30)
    finally:
        for store in stores:
            store.close()


def test_unreachable_database_then_reconnect(pg_server: PgServer, pg_store: LearnerStore) -> None:
    ann = pg_store.for_learner("ann")
    ann.record("vectors", True, "before", at=T0)
    pg_server.stop()
    try:
        for call in (
            lambda: ann.record("vectors", True, "during", at=T0),
            ann.mastery,
            lambda: pg_store.for_learner("bob"),
            lambda: pg_store.verify("ann", "whatever1"),
        ):
            with pytest.raises(ProgressUnavailable) as info:
                call()
            message = str(info.value)
            assert "Progress is not being saved" in message
            assert pg_server.password not in message and "127.0.0.1" not in message and "postgresql" not in message
    finally:
        pg_server.start()
    assert ann.record("vectors", True, "after", at=T0 + timedelta(minutes=1)).recorded
    assert [a["attempt_id"] for a in ann.attempts()] == ["before", "after"]


def test_unreachable_at_first_use_then_ready(pg_server: PgServer, pg_url: str, graph: TopicGraph) -> None:
    pg_server.stop()
    store = LearnerStore(pg_url, graph=graph)  # constructing never connects
    try:
        with pytest.raises(ProgressUnavailable):
            store.for_learner("ann")
    finally:
        pg_server.start()
    assert store.for_learner("ann").attempt_count() == 0
    store.close()


def test_two_replicas_migrating_at_once_both_succeed(pg_url: str, graph: TopicGraph) -> None:
    stores = [LearnerStore(pg_url, graph=graph) for _ in range(3)]
    errors: list[BaseException] = []

    def start(store: LearnerStore) -> None:
        try:
            store.ensure_ready()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with stores[0].transaction(read=True) as s:
            assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        for store in stores:
            store.close()
