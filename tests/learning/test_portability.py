from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import ImportRefused, LearnerStore
from mathtutor.learning.portability import MAX_IMPORT_BYTES

from .conftest import T0


def _practised(store: LearnerStore) -> str:
    ann = store.for_learner("ann")
    ann.set_goal("PCA")
    answers = [("vectors", True), ("vectors", True), ("matrices", False), ("vectors", True), ("matrices", True)]
    for i, (concept, correct) in enumerate(answers):
        ann.record(concept, correct, f"a{i}", at=T0 + timedelta(minutes=i))
    return ann.export_json(now=T0)


def test_export_then_import_elsewhere_reproduces_progress(
    store: LearnerStore, tmp_path: Path, graph: TopicGraph
) -> None:
    data = _practised(store)
    doc = json.loads(data)
    assert doc["format"] == "mathtutor-progress" and doc["version"] == 1
    assert [a["attempt_id"] for a in doc["attempts"]] == ["a0", "a1", "a2", "a3", "a4"]
    other = LearnerStore(f"sqlite:///{tmp_path / 'other.sqlite'}", graph=graph)
    ann2 = other.for_learner("ann")
    result = ann2.import_progress(data)
    assert (result.added, result.skipped) == (5, 0)
    assert ann2.progress(now=T0) == store.for_learner("ann").progress(now=T0)
    again = ann2.import_progress(data.encode())
    assert (again.added, again.skipped) == (0, 5)
    assert ann2.attempt_count() == 5
    other.close()


def test_import_merges_new_attempts_only(store: LearnerStore) -> None:
    data = json.loads(_practised(store))
    data["attempts"].append(
        {
            "attempt_id": "z9",
            "concept": "vectors",
            "correct": False,
            "kind": "practice",
            "at": (T0 + timedelta(hours=1)).isoformat(),
        }
    )
    ann = store.for_learner("ann")
    before = ann.mastery()["vectors"]
    result = ann.import_progress(json.dumps(data))
    assert (result.added, result.skipped) == (1, 5)
    assert ann.attempt_count() == 6
    assert ann.mastery()["vectors"] < before


def _doc(**changes: object) -> str:
    doc = {
        "format": "mathtutor-progress",
        "version": 1,
        "learner": "ann",
        "goal": None,
        "attempts": [
            {
                "attempt_id": "a",
                "concept": "vectors",
                "correct": True,
                "kind": "practice",
                "at": "2026-01-05T09:00:00+00:00",
            }
        ],
    }
    doc.update(changes)
    return json.dumps(doc)


def _attempt(**changes: object) -> list[dict]:
    attempt = {
        "attempt_id": "a",
        "concept": "vectors",
        "correct": True,
        "kind": "practice",
        "at": "2026-01-05T09:00:00+00:00",
    }
    attempt.update(changes)
    return [attempt]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        (b"\xff\xfe\x00", "not UTF-8"),
        ("[1, 2]", "not a mathtutor progress export"),
        (_doc(format="other"), "not a mathtutor progress export"),
        (_doc(version=2), "has version '2'"),
        (_doc(attempts="lots"), "malformed: attempts"),
        (_doc(attempts=_attempt(correct="true")), "malformed: attempts.0.correct"),
        (_doc(attempts=_attempt(kind="quiz")), "malformed: attempts.0.kind"),
        (_doc(attempts=_attempt(at="yesterday")), "malformed: attempts.0.at"),
        (_doc(attempts=_attempt(at="2026-01-05T09:00:00")), "needs a timezone"),
        (_doc(attempts=_attempt() + _attempt()), "attempt id appears twice"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_files_are_refused_with_the_reason(store: LearnerStore, data: str | bytes, reason: str) -> None:
    ann = store.for_learner("ann")
    with pytest.raises(ImportRefused) as info:
        ann.import_progress(data)
    assert reason in str(info.value)
    assert ann.attempt_count() == 0


def test_unknown_concepts_are_refused(store: LearnerStore) -> None:
    with pytest.raises(ImportRefused, match="concepts this tutor does not know: quantum-gravity"):
        store.for_learner("ann").import_progress(_doc(attempts=_attempt(concept="quantum-gravity")))


def test_oversized_files_are_refused_before_parsing(store: LearnerStore) -> None:
    big = _doc(goal=None, padding="x" * MAX_IMPORT_BYTES)
    with pytest.raises(ImportRefused, match=r"too large \(5.0 MB\); the limit is 5 MB"):
        store.for_learner("ann").import_progress(big)


def test_import_sets_the_goal_only_when_none_is_set(store: LearnerStore) -> None:
    ann = store.for_learner("ann")
    ann.import_progress(_doc(goal="PCA"))
    assert ann.goal() == ("PCA", ["pca"])
    ann.import_progress(_doc(goal="backpropagation"))
    assert ann.goal() == ("PCA", ["pca"])
