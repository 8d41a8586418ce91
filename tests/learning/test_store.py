from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import (
    BadEvidence,
    BKTParams,
    LearnerStore,
    ProgressUnavailable,
    UnknownLearner,
    db,
)

from .conftest import T0


def test_default_database_is_learners_sqlite_in_the_data_dir(tmp_path: Path, graph: TopicGraph) -> None:
    store = LearnerStore(graph=graph, data_dir=tmp_path / "data")
    store.for_learner("ann")
    assert (tmp_path / "data" / "learners.sqlite").is_file()
    assert store.backend == "sqlite"
    store.close()


def test_sqlite_runs_in_wal_mode_at_head(store: LearnerStore, sqlite_path: Path) -> None:
    store.ensure_ready()
    conn = sqlite3.connect(sqlite_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(db.head_revision(),)]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"learners", "attempts", "mastery", "reviews", "users", "sessions", "feedback"} <= tables


def test_record_updates_mastery_prerequisites_and_schedule(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    first = ann.record("vectors", True, "a1", at=T0)
    assert first.recorded and first.concept == "vectors"
    assert first.mastery == 0.6
    assert not first.mastered
    assert first.due is not None and first.due > T0
    mastery = ann.mastery()
    assert set(mastery) == {"vectors", "algebra-precalculus"}
    assert 0.2 < mastery["algebra-precalculus"] < 0.6
    ann.record("vectors", True, "a2", at=T0 + timedelta(minutes=1))
    third = ann.record("vectors", True, "a3", at=T0 + timedelta(minutes=2))
    assert third.mastered and third.mastery == 0.9774
    assert ann.attempt_count() == 3


def test_a_retried_attempt_is_counted_once(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    once = ann.record("matrices", True, "same-id", at=T0)
    again = ann.record("matrices", False, "same-id", at=T0 + timedelta(seconds=5))
    assert not again.recorded
    assert again.mastery == once.mastery
    assert ann.attempt_count() == 1
    assert ann.progress(now=T0)["concepts"][-1] == {
        "concept": "matrices",
        "mastery": once.mastery,
        "attempts": 1,
        "due": once.due.isoformat(),
    }


def test_learners_cannot_see_or_change_each_other(store: LearnerStore) -> None:
    ann, bob = store.for_learner("ann"), store.for_learner("bob")
    ann.record("vectors", True, "x1", at=T0)
    bob.record("matrices", False, "x1", at=T0)  # the same attempt id is fine for another learner
    ann.set_goal("PCA")
    fid = bob.add_feedback("answer-7", rating=1, comment="clear")
    assert set(ann.mastery()) == {"vectors", "algebra-precalculus"}
    assert set(bob.mastery()) == {"matrices", "vectors", "algebra-precalculus"}
    assert [a["concept"] for a in ann.attempts()] == ["vectors"]
    assert bob.goal() == (None, [])
    assert ann.feedback() == []
    assert ann.delete_feedback(fid) is False
    assert [f["id"] for f in bob.feedback()] == [fid]
    assert bob.delete_feedback(fid) is True
    assert bob.feedback() == []


def test_handles_expose_no_way_to_pick_another_learner(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    with pytest.raises(AttributeError):
        ann.learner_id = 99  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ann.name = "bob"  # type: ignore[misc]


def test_unknown_learner_without_create(store: LearnerStore) -> None:
    with pytest.raises(UnknownLearner, match="No progress is stored for learner 'zoe' yet"):
        store.for_learner("zoe", create=False)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("no-such-concept", True, "a"), "Unknown concept 'no-such-concept'"),
        (("vectors", "yes", "a"), "correct or not"),
        (("vectors", True, ""), "attempt id"),
        (("vectors", True, "x" * 129), "attempt id"),
    ],
)
def test_bad_evidence_is_refused(store: LearnerStore, args: tuple, fragment: str) -> None:
    ann = store.for_learner("ann")
    with pytest.raises(BadEvidence, match=fragment):
        ann.record(*args, at=T0)
    with pytest.raises(BadEvidence, match="'practice' or 'conceptual'"):
        ann.record("vectors", True, "k", kind="quiz")
    assert ann.attempt_count() == 0


def test_per_concept_overrides(sqlite_path: Path, graph: TopicGraph) -> None:
    store = LearnerStore(f"sqlite:///{sqlite_path}", graph=graph, params={"vectors": BKTParams(prior=0.5)})
    assert store.for_learner("ann").record("vectors", True, "a", at=T0).mastery > 0.8
    store.close()


def test_progress_json_has_the_exact_keys(store: LearnerStore, graph: TopicGraph) -> None:
    ann = store.for_learner("ann")
    assert ann.set_goal("PCA") == ["pca"]
    ann.record("algebra-precalculus", True, "p1", at=T0)
    progress = ann.progress(now=T0)
    assert list(progress) == ["learner", "goal", "concepts", "next"]
    assert progress["learner"] == "ann" and progress["goal"] == "PCA"
    assert [c["concept"] for c in progress["concepts"]] == sorted(graph.learning_path(["pca"]), key=graph.ids.index)
    for item in progress["concepts"]:
        assert list(item) == ["concept", "mastery", "attempts", "due"]
        assert 0.0 <= item["mastery"] <= 1.0
    algebra = progress["concepts"][0]
    assert algebra["concept"] == "algebra-precalculus" and algebra["attempts"] == 1
    assert algebra["due"] == "2026-01-07T09:00:00+00:00"  # right first time: review in 2 days
    assert progress["concepts"][-1]["due"] is None
    assert [list(n) for n in progress["next"]] == [["concept", "why", "citations"]] * len(progress["next"])
    assert progress["next"][0]["concept"] == "algebra-precalculus"


def test_study_path_marks_mastered(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    for i in range(3):
        ann.record("vectors", True, f"v{i}", at=T0 + timedelta(minutes=i))
    steps = ann.study_path(["vectors", "matrices"])
    assert [(s.concept, s.mastered) for s in steps] == [("vectors", True), ("matrices", False)]
    assert steps[1].mastery == 0.2


def test_two_threads_of_one_learner_lose_no_attempt(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    errors: list[BaseException] = []

    def tab(tag: str) -> None:
        try:
            for i in range(15):
                ann.record("vectors", i % 3 != 0, f"{tag}-{i}", at=T0 + timedelta(seconds=i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tab, args=(t,)) for t in ("tab1", "tab2", "tab3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ann.attempt_count() == 45
    with store.transaction() as s:
        row = s.execute(text("SELECT attempts, correct FROM mastery WHERE concept = 'vectors'")).one()
    assert tuple(row) == (45, 30)


def test_an_unusable_location_raises_progress_unavailable_without_the_path(tmp_path: Path, graph: TopicGraph) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = LearnerStore(f"sqlite:///{blocker}/sub/learners.sqlite", graph=graph)
    with pytest.raises(ProgressUnavailable) as info:
        store.for_learner("ann")
    assert str(tmp_path) not in str(info.value)
    assert "not being saved" in str(info.value)


def test_goal_progress_marks_and_shortens_the_path(store: LearnerStore, graph: TopicGraph) -> None:
    ann = store.for_learner("ann")
    assert ann.goal_progress()["total"] == 0
    ann.set_goal("vectors")
    for i in range(3):
        ann.record("algebra-precalculus", True, f"a{i}", at=T0 + timedelta(minutes=i))
    gp = ann.goal_progress()
    assert gp["goal"] == "vectors" and gp["concepts"] == ["vectors"]
    assert [(p["concept"], p["mastered"]) for p in gp["path"]] == [("algebra-precalculus", True), ("vectors", False)]
    assert gp["remaining"] == ["vectors"] and (gp["mastered"], gp["total"]) == (1, 2)


def test_goal_and_attempt_ids_with_control_characters_are_refused(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    with pytest.raises(ValueError, match="control characters"):
        ann.set_goal("PCA\x00")
    with pytest.raises(BadEvidence, match="printable"):
        ann.record("vectors", True, "id\x00", at=T0)
    with pytest.raises(ValueError, match="printable"):
        ann.add_feedback("answer\x1b[31m", rating=1)
    assert ann.goal() == (None, [])


def test_easy_first_answers_are_kept_through_export(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    quick = ann.record("vectors", True, "q", at=T0, seconds=4.0)
    slow = store.for_learner("bob").record("vectors", True, "q", at=T0, seconds=60.0)
    assert quick.due > slow.due  # Easy schedules further out than Good
    assert ann.attempts()[0]["seconds"] == 4.0


def test_fit_concept_needs_enough_learners(store: LearnerStore) -> None:
    for k in range(3):
        store.for_learner(f"l{k}").record("vectors", True, "a", at=T0)
    assert store.fit_concept("vectors") == store.params_for("vectors")
    for k in range(3, 8):
        h = store.for_learner(f"l{k}")
        for i, ok in enumerate([False, True, True, True]):
            h.record("vectors", ok, f"a{i}", at=T0 + timedelta(minutes=i))
    fitted = store.fit_concept("vectors")
    assert fitted != store.params_for("vectors")
    assert fitted.guess + fitted.slip < 1


def test_settings_read_the_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mathtutor.settings import Settings

    monkeypatch.setenv("MATHTUTOR_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:5999/class")
    monkeypatch.setenv("MATHTUTOR_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u:secret@127.0.0.1:5999/class"
    assert settings.data_dir == tmp_path
    assert "secret" not in repr(settings)


def test_sqlite_readers_are_not_blocked_by_a_writer(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    ann.record("vectors", True, "a", at=T0)
    seen: list[dict] = []
    with store.transaction() as s:  # holds SQLite's write lock (BEGIN IMMEDIATE)
        s.execute(text("UPDATE learners SET goal = 'x' WHERE name = 'nobody'"))
        reader = threading.Thread(target=lambda: seen.append(ann.mastery()))
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive()
    assert set(seen[0]) == {"vectors", "algebra-precalculus"}


def test_due_concepts_most_overdue_first(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    ann.record("vectors", True, "v", at=T0)
    ann.record("matrices", False, "m", at=T0 + timedelta(hours=1))
    due = ann.due_reviews()
    assert due["matrices"] < due["vectors"]  # a wrong answer comes back sooner
    assert ann.due_concepts(now=T0) == []
    assert ann.due_concepts(now=due["matrices"]) == ["matrices"]
    assert ann.due_concepts(now=T0 + timedelta(days=60)) == ["matrices", "vectors"]
    assert [s.concept for s in ann.what_next(now=T0 + timedelta(days=60))][:2] == ["matrices", "vectors"]
