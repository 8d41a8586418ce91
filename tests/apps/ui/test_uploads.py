"""Uploads: only files a client really uploaded, a private collection per owner, honest messages (bug 7)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from mathtutor.apps.ui.sessions import Limits, Sessions
from mathtutor.apps.ui.uploads import NOT_UPLOADED, Collection, UploadDesk, check_origin, upload_cache_dir

DOC2 = "# Octonion walk\n\nAn Octonion walk multiplies eight-component numbers, where the order of factors matters.\n"
DOC = "# Quaternion drift\n\nThe quaternion drift rule says a rotation keeps its axis while its angle grows slowly.\n"


class FakeStore:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class Opener:
    """Opens fake tutors; fails on the calls listed in ``fail_on`` (1-based)."""

    def __init__(self, fail_on: set[int] = frozenset()) -> None:
        self.calls = 0
        self.fail_on = fail_on
        self.opened: list[SimpleNamespace] = []

    def __call__(self, index_dir: Path) -> SimpleNamespace:
        self.calls += 1
        if self.calls in self.fail_on:
            raise OSError("simulated: the new generation could not be opened")
        tutor = SimpleNamespace(store=FakeStore(), index_dir=index_dir)
        self.opened.append(tutor)
        return tutor


def _in_cache(cache: Path, name: str, text: str = DOC) -> Path:
    folder = cache / os.urandom(8).hex()
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_upload_cache_dir_is_gradios_own() -> None:
    from gradio.utils import get_upload_folder

    assert upload_cache_dir() == Path(get_upload_folder()).resolve()


@pytest.mark.parametrize("ext", [".pdf", ".md", ".txt", ".srt", ".vtt"])
def test_only_files_in_the_upload_cache_that_a_client_sent_are_accepted(tmp_path: Path, ext: str) -> None:
    cache, outside = tmp_path / "cache", tmp_path / "server"
    outside.mkdir()
    secret = outside / f"secret{ext}"
    secret.write_text("TOPSECRET", encoding="utf-8")
    uploaded = _in_cache(cache, f"notes{ext}")
    assert check_origin(uploaded, cache) is None
    assert check_origin(uploaded, cache, {str(uploaded)}) is None
    assert check_origin(secret, cache) == NOT_UPLOADED  # a file elsewhere on the server
    assert check_origin(cache / ".." / "server" / f"secret{ext}", cache) == NOT_UPLOADED
    planted = _in_cache(cache, f"planted{ext}")  # in the cache, but no client uploaded it
    assert check_origin(planted, cache, {str(uploaded)}) == NOT_UPLOADED
    link = uploaded.parent / f"link{ext}"
    link.symlink_to(secret)
    assert check_origin(link, cache, {str(link)}) == NOT_UPLOADED  # a symlink out of the cache
    (cache / f"top{ext}").write_text("x")
    assert check_origin(cache / f"top{ext}", cache) == NOT_UPLOADED  # not Gradio's <folder>/<name> layout
    assert check_origin(cache / "nope" / f"gone{ext}", cache) == "the upload could not be found; upload the file again"


def _collection(tmp_path: Path, fake_embedder, opener: Opener) -> Collection:
    from mathtutor.settings import Settings

    return Collection(tmp_path / "private" / "tok", Settings(index_dir=tmp_path / "unused"), fake_embedder, opener)


def _save(col: Collection, name: str, text: str) -> tuple[str, Path]:
    from mathtutor.apps.ui.uploads import save_upload

    src = col.root.parent / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text, encoding="utf-8")
    return name, save_upload(src, name, col.uploads_dir)


def test_a_failed_reopen_after_a_commit_is_told_truthfully_and_retried(tmp_path: Path, fake_embedder) -> None:
    """Bug 7: the commit succeeded, the reopen failed: the learner must not read "left as it was"."""
    from mathtutor.apps.ui.uploads import upload_message

    opener = Opener(fail_on={2})
    col = _collection(tmp_path, fake_embedder, opener)
    report = col.add([_save(col, "a.md", DOC)])
    assert report.chunks_added > 0 and opener.calls == 1 and not col.stale
    report = col.add([_save(col, "b.md", DOC2)])
    assert report.chunks_added > 0 and opener.calls == 2 and col.stale
    msg = upload_message(["b.md"], [], report, stale=col.stale)
    assert "left as it was" not in msg
    assert msg.startswith("✅ Added **b.md** to your material, but the updated index could not be opened yet")
    first = opener.opened[0]
    with col.lease() as tutor:  # the next question retries the reopen and gets the new generation
        assert tutor is opener.opened[1] and not col.stale
    assert first.store.closed == 1  # the old store is closed once nobody uses it


def test_old_stores_close_only_after_the_last_chat_using_them(tmp_path: Path, fake_embedder) -> None:
    opener = Opener()
    col = _collection(tmp_path, fake_embedder, opener)
    col.add([_save(col, "a.md", DOC)])
    with col.lease() as old:
        col.add([_save(col, "b.md", DOC2)])
        assert old.store.closed == 0  # a chat still reads it
        with col.lease() as new:
            assert new is not old
    assert old.store.closed == 1 and opener.opened[1].store.closed == 0
    assert [n for _, n in col.files()] == ["a.md", "b.md"]


def test_removal_drops_the_file_and_its_passages(tmp_path: Path, fake_embedder) -> None:
    opener = Opener()
    col = _collection(tmp_path, fake_embedder, opener)
    col.add([_save(col, "a.md", DOC), _save(col, "b.md", DOC2)])
    (a_id, _), (b_id, _) = col.files()
    assert not col.remove("../../etc/passwd") and not col.remove("0123456789abcdef/none.md")
    assert col.remove(a_id)
    assert [n for _, n in col.files()] == ["b.md"] and not (col.uploads_dir / a_id).exists()
    from mathtutor.index.store import IndexStore

    store = IndexStore.open(col.index_dir, model=fake_embedder.model_name, dim=fake_embedder.dim)
    try:
        texts = [c.text for c in store.iter_chunks()]
        assert texts and all("Octonion" in t for t in texts)
    finally:
        store.close()
    assert col.remove(b_id)
    assert col.files() == [] and not col.index_dir.exists()
    with col.lease() as tutor:
        assert tutor is None
    assert all(t.store.closed == 1 for t in opener.opened)


def test_upload_desk_refuses_files_not_uploaded_and_keeps_sessions_apart(tmp_path: Path, fake_embedder) -> None:
    from mathtutor.settings import Settings

    cache = tmp_path / "cache"
    holder = SimpleNamespace(limits=Limits(upload_mb_per_session=0.001, files_per_session=5), max_upload_bytes=10**6)
    sessions = Sessions(tmp_path / "private", Settings(index_dir=tmp_path / "x"), fake_embedder, Opener())
    good = _in_cache(cache, "mine.md")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    desk = UploadDesk(holder, sessions, cache_dir=lambda: cache, uploaded=lambda: {str(good)})
    result = desk.add("session:a", [str(secret), str(good)])
    assert result.added == ["mine.md"]
    assert result.rejected == [f"secret.txt: {NOT_UPLOADED}"]
    assert str(tmp_path) not in result.message
    assert [n for _, n in sessions.get("session:a").files()] == ["mine.md"]
    assert sessions.get("session:b").files() == []
    big = _in_cache(cache, "big.md", DOC * 20)
    desk.uploaded = lambda: {str(big)}
    result = desk.add("session:a", [str(big)])
    assert result.rejected == ["big.md: your material would exceed 0.001 MB; remove a file first"]
    assert desk.add("session:a", [{"path": "/etc/passwd"}]).rejected == ["bad request"]
    sessions.drop("session:a")
    assert not (tmp_path / "private").exists() or not any((tmp_path / "private").iterdir())
