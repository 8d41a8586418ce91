"""The Progress panel's pieces against a real SQLite learner store in a temp folder."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import pytest

from mathtutor.apps.ui import progress_panel as prog
from mathtutor.learning import LearnerStore


@pytest.fixture
def ann(tmp_path: Path):
    store = LearnerStore(url=f"sqlite:///{tmp_path / 'learners.sqlite'}", data_dir=tmp_path)
    return store.for_learner("ann")


def test_view_without_a_learner_asks_to_sign_in() -> None:
    view = prog.progress_view(None)
    assert "Sign in" in view.message and view.svg is None and view.export is None and view.map_html == ""
    assert "Sign in" in prog.set_goal(None, "PCA")


def test_view_shows_map_table_next_and_downloads(ann) -> None:
    ann.record("chain-rule", False, "a1")
    ann.record("chain-rule", True, "a2")
    assert prog.set_goal(ann, "  PCA ") == "🎯 Goal set: Principal component analysis."
    view = prog.progress_view(ann, "note")
    assert view.message == "note\n\n**ann** · goal: PCA" and view.goal == "PCA"
    assert view.table.startswith("| Concept | Mastery | Attempts | Next review |")
    assert "| Chain rule |" in view.table and "| 2 |" in view.table
    assert "Not practised yet on the way to your goal" in view.table and "Principal component analysis" in view.table
    assert view.next_steps.startswith("1. **")
    src = view.map_html.split('src="', 1)[1].split('"', 1)[0]
    assert src.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(src.split(",", 1)[1])
    assert svg.lstrip().startswith(b"<?xml") and b"<script" not in svg
    assert Path(view.svg).read_bytes() == svg and Path(view.png).read_bytes().startswith(b"\x89PNG")
    exported = json.loads(Path(view.export).read_text(encoding="utf-8"))
    assert [a["attempt_id"] for a in exported["attempts"]] == ["a1", "a2"]


def test_goal_errors_are_words(ann) -> None:
    assert prog.set_goal(ann, "x" * 201) == "⚠️ A goal is at most 200 characters."
    assert prog.set_goal(ann, "basket weaving").startswith("⚠️ ")
    assert prog.set_goal(ann, "") == "Goal cleared."


def test_mastery_table_and_next_escape_text() -> None:
    progress = {
        "concepts": [{"concept": "<b>x</b>", "mastery": 0.5, "attempts": 1, "due": None}],
        "next": [{"concept": "svd", "why": "because <script>", "citations": [{"title": "T*", "url": None, "page": 3}]}],
    }
    table = prog.mastery_table(progress)
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>" not in table and "| 50% | 1 | – |" in table
    assert prog.next_markdown(progress) == "1. **Singular value decomposition**: because &lt;script&gt; · T\\*, p. 3"
    assert prog.mastery_table({"concepts": []}).startswith("_No practice recorded yet.")


def test_download_folders_are_private_and_pruned(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(prog.tempfile, "gettempdir", lambda: str(tmp_path))
    first = prog.download_folder()
    assert first.parent == tmp_path / "mathtutor-progress" and oct(first.stat().st_mode & 0o777) == "0o700"
    old = time.time() - 7200
    os.utime(first, (old, old))
    second = prog.download_folder()
    assert not first.exists() and second.exists()
