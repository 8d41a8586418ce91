"""links.note_url: study notes are addressed by a web path or their repository path, never a server path."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from pydantic import ValidationError

from mathtutor.links import is_note_location, note_url
from mathtutor.settings import Settings


@pytest.mark.parametrize(
    ("location", "base", "expected"),
    [
        ("file:///srv/app/corpus/notes/concepts/pca.md", None, "corpus/notes/concepts/pca.md"),
        (Path("/srv/app/corpus/notes/guides/learning-tracks.md"), None, "corpus/notes/guides/learning-tracks.md"),
        ("corpus/notes/concepts/pca.md", "http://127.0.0.1:7860", "http://127.0.0.1:7860/notes/pca"),
        ("corpus/notes/concepts/pca.md", "http://127.0.0.1:7860/", "http://127.0.0.1:7860/notes/pca"),
        ("file:///srv/app/corpus/notes/concepts/my%20note.md", "https://t.org", "https://t.org/notes/my%20note"),
        (PurePosixPath("/elsewhere/pca.md"), None, "corpus/notes/pca.md"),  # outside a notes folder: its name
    ],
)
def test_note_url(location, base, expected):
    assert note_url(location, base) == expected


def test_note_url_refuses_web_urls():
    with pytest.raises(ValueError, match="not a file location"):
        note_url("https://example.org/corpus/notes/pca.md")


def test_note_locations():
    assert is_note_location("file:///srv/app/corpus/notes/concepts/pca.md")
    assert is_note_location("corpus/notes/guides/learning-tracks.md")
    assert not is_note_location("file:///srv/app/data/uploads/notes.md")
    assert not is_note_location("https://example.org/corpus/notes/pca.md")


def test_public_url_setting(monkeypatch):
    assert Settings().public_url is None
    monkeypatch.setenv("MATHTUTOR_PUBLIC_URL", "http://127.0.0.1:7860/")
    assert Settings().public_url == "http://127.0.0.1:7860"
    with pytest.raises(ValidationError, match="not an http"):
        Settings(public_url="file:///srv")
