from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_pdf, make_srt
from mathtutor.index.store import IndexStore, live_generation
from mathtutor.ingest.pipeline import ingest
from mathtutor.settings import Settings


def _open(settings: Settings) -> IndexStore:
    return IndexStore.open(settings.index_dir, model=settings.embedding_model, dim=settings.embedding_dim)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "materials"
    d.mkdir()
    (d / "pca.md").write_text(
        "# PCA\nPrincipal component analysis finds directions of largest variance.\n"
        "## Steps\nCentre the data, compute the covariance, take its eigenvectors.\n"
    )
    (d / "book.pdf").write_bytes(make_pdf(["Page one is about vectors.", "Page two is about matrices."]))
    cues = [(i * 3.0, i * 3.0 + 2.5, f"Line {i} of the talk on derivatives.") for i in range(12)]
    (d / "talk.captions.srt").write_text(make_srt(cues))
    (d / "talk.transcript.txt").write_text("\n".join(t for _, _, t in cues))
    (d / "plain.txt").write_text("Bayes' rule updates beliefs with evidence.")
    (d / "figure.png").write_bytes(b"\x89PNG\r\n")
    (d / "LICENSE").write_text("license text")
    return d


def test_ingest_a_mixed_folder(folder, settings, fake_embedder):
    report = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert report.ok, report.errors
    assert report.files_seen == 4 and report.files_new == 4
    assert report.pages == 2
    skipped = {Path(s.file).name: s.reason for s in report.skipped}
    assert "timed captions" in skipped["talk.transcript.txt"]
    assert "unsupported file type .png" in skipped["figure.png"]
    assert "LICENSE" in skipped
    store = _open(settings)
    assert len(store) == report.chunks_total == report.chunks_added
    chunks = list(store.iter_chunks())
    by_kind = {c.kind for c in chunks}
    assert by_kind == {"markdown", "pdf", "captions", "text"}
    pdf_pages = sorted(c.page for c in chunks if c.kind == "pdf")
    assert pdf_pages == [1, 2]
    caps = [c for c in chunks if c.kind == "captions"]
    assert caps[0].start_s == 0.0 and all(c.end_s > c.start_s for c in caps)
    assert {c.section for c in chunks if c.kind == "markdown"} == {"PCA", "PCA > Steps"}


def test_reingest_unchanged_is_a_noop_that_embeds_nothing(folder, settings, fake_embedder):
    ingest([folder], settings, embedder=fake_embedder, progress=False)
    gen = live_generation(settings.index_dir)
    calls = fake_embedder.calls
    report = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert report.noop and report.chunks_added == 0 and report.files_unchanged == 4
    assert fake_embedder.calls == calls
    assert live_generation(settings.index_dir) == gen  # nothing rewritten


def test_changed_file_replaces_its_chunks_only(folder, settings, fake_embedder):
    ingest([folder], settings, embedder=fake_embedder, progress=False)
    before = {c.file_key: c.text for c in _open(settings).iter_chunks() if c.kind == "pdf"}
    (folder / "plain.txt").write_text("Bayes' rule, rewritten: posterior is prior times likelihood.")
    report = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert report.files_changed == 1 and report.files_unchanged == 3
    assert report.chunks_added == 1 and report.chunks_removed == 1
    texts = [c.text for c in _open(settings).iter_chunks()]
    assert any("posterior is prior" in t for t in texts)
    assert not any(t == "Bayes' rule updates beliefs with evidence." for t in texts)
    assert {c.file_key: c.text for c in _open(settings).iter_chunks() if c.kind == "pdf"} == before


def test_prune_removes_deleted_files(folder, settings, fake_embedder):
    ingest([folder], settings, embedder=fake_embedder, progress=False)
    (folder / "plain.txt").unlink()
    kept = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert kept.noop  # without --prune nothing is removed
    report = ingest([folder], settings, embedder=fake_embedder, progress=False, prune=True)
    assert report.files_removed == 1 and report.chunks_removed == 1
    assert not any(c.kind == "text" for c in _open(settings).iter_chunks())


def test_bad_files_are_reported_and_the_batch_goes_on(folder, settings, fake_embedder):
    (folder / "empty.md").write_text("")
    (folder / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "bad.srt").write_text("no timestamps here\njust words")
    report = ingest([folder, folder / "missing.pdf"], settings, embedder=fake_embedder, progress=False)
    errors = {Path(e.file).name: e.reason for e in report.errors}
    assert set(errors) == {"empty.md", "latin1.txt", "broken.pdf", "bad.srt", "missing.pdf"}
    assert "empty" in errors["empty.md"]
    assert "UTF-8" in errors["latin1.txt"]
    assert "PDF" in errors["broken.pdf"]
    assert "caption" in errors["bad.srt"]
    assert "no such file" in errors["missing.pdf"]
    assert not report.ok
    assert report.files_new == 4 + 0  # the good files still went in
    assert len(_open(settings)) == report.chunks_added > 0


def test_explicit_unsupported_file_is_an_error(folder, settings, fake_embedder):
    report = ingest([folder / "figure.png"], settings, embedder=fake_embedder, progress=False)
    assert [Path(e.file).name for e in report.errors] == ["figure.png"]


def test_file_that_breaks_on_change_keeps_its_old_chunks(folder, settings, fake_embedder):
    ingest([folder], settings, embedder=fake_embedder, progress=False)
    (folder / "book.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert [Path(e.file).name for e in report.errors] == ["book.pdf"]
    assert sorted(c.page for c in _open(settings).iter_chunks() if c.kind == "pdf") == [1, 2]


def test_crash_mid_ingest_leaves_previous_index_loadable(folder, settings, fake_embedder, monkeypatch):
    monkeypatch.setattr("mathtutor.ingest.pipeline.EMBED_GROUP", 64)  # several embedding calls, so it dies mid-way
    ingest([folder], settings, embedder=fake_embedder, progress=False)
    gen = live_generation(settings.index_dir)
    total = len(_open(settings))
    more = folder / "more"
    more.mkdir()
    for i in range(30):
        (more / f"n{i}.md").write_text(f"# Note {i}\n" + f"Topic {i} words. " * 1000)
    fake_embedder.fail_after = fake_embedder.calls + 1  # dies on the second embedding call
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert live_generation(settings.index_dir) == gen
    assert len(_open(settings)) == total
    assert not list(settings.index_dir.glob(".tmp-*"))
    fake_embedder.fail_after = None
    report = ingest([folder], settings, embedder=fake_embedder, progress=False)
    assert report.files_new == 30 and report.ok


def test_duplicate_passages_are_dropped_and_restored_when_the_original_goes(tmp_path, settings, fake_embedder):
    d = tmp_path / "dups"
    d.mkdir()
    (d / "a-chapter.pdf").write_bytes(make_pdf(["Shared page about the determinant."]))
    (d / "b-fullbook.pdf").write_bytes(make_pdf(["Shared page about the determinant.", "Only in the full book."]))
    report = ingest([d], settings, embedder=fake_embedder, progress=False)
    assert report.duplicates_dropped == 1 and len(_open(settings)) == 2
    (d / "a-chapter.pdf").unlink()
    report = ingest([d], settings, embedder=fake_embedder, progress=False, prune=True)
    texts = sorted(c.text for c in _open(settings).iter_chunks())
    assert texts == ["Only in the full book.", "Shared page about the determinant."]


def test_sources_manifest_gives_title_and_url(tmp_path, settings, fake_embedder):
    d = tmp_path / "with-manifest"
    (d / "videos").mkdir(parents=True)
    (d / "videos" / "v.srt").write_text(make_srt([(10.0, 12.0, "hello"), (12.0, 14.0, "world")]))
    (d / "manifest.jsonl").write_text(
        json.dumps(
            {
                "file": "videos/v.srt",
                "title": "My lecture",
                "resource": "Some series",
                "canonical_url": "https://youtu.be/XYZ123",
                "license": "CC BY",
            }
        )
        + "\n"
    )
    report = ingest([d], settings, embedder=fake_embedder, progress=False)
    assert report.ok and report.skipped == []  # the manifest itself is not content
    (chunk,) = _open(settings).iter_chunks()
    assert chunk.title == "My lecture" and chunk.url == "https://youtu.be/XYZ123"
    assert chunk.link() == "https://youtu.be/XYZ123?t=10s"


def test_malformed_manifest_is_an_error_not_a_crash(tmp_path, settings, fake_embedder):
    d = tmp_path / "m"
    d.mkdir()
    (d / "n.md").write_text("# N\ntext")
    (d / "manifest.jsonl").write_text("{not json\n")
    report = ingest([d], settings, embedder=fake_embedder, progress=False)
    assert any("manifest.jsonl:1" in e.reason for e in report.errors)
    assert report.files_new == 1


def test_parse_worker_process_gives_same_result(folder, tmp_path, fake_embedder):
    a = Settings(index_dir=tmp_path / "a", parse_workers=0)
    b = Settings(index_dir=tmp_path / "b", parse_workers=1)
    ingest([folder], a, embedder=fake_embedder, progress=False)
    ingest([folder], b, embedder=fake_embedder, progress=False)
    ta = [(c.text, c.page, c.start_s, c.section) for c in _open(a).iter_chunks()]
    tb = [(c.text, c.page, c.start_s, c.section) for c in _open(b).iter_chunks()]
    assert ta == tb and ta


def test_parsing_pauses_and_resumes_in_order_and_holds_no_yielded_result(tmp_path):
    from mathtutor.ingest import parsing
    from mathtutor.ingest.discovery import discover
    from mathtutor.ingest.linking import ManifestCache, SourceResolver

    d = tmp_path / "notes"
    d.mkdir()
    body = " ".join(f"Eigenvalue fact number {j} about a matrix." for j in range(500))  # tens of ms to chunk
    for i in range(16):  # still queued when the stream pauses after two
        (d / f"n{i:02d}.md").write_text(f"# Note {i}\n\n{body}\n")
    cands, _, _ = discover([d], ManifestCache())
    stream = parsing.ParseStream(cands, Settings(parse_workers=1), SourceResolver(None), progress=False)
    try:
        seen = []
        for parsed in stream:
            seen.append(parsed.candidate.key)
            assert len(stream.futures) == len(cands) - len(seen)  # a yielded result is no longer held
            if len(seen) == 2:
                with stream.paused():
                    states = [f.done() or f.cancelled() for _, f in stream.futures]
                    assert all(states)  # nothing parses while calibrating
                    assert any(f.cancelled() for _, f in stream.futures)  # queued files were taken back
        assert seen == [c.key for c in cands]  # and parsed after, in order
    finally:
        stream.close()


def test_the_projects_own_tables_are_neither_content_nor_skipped(tmp_path, settings, fake_embedder):
    """`mathtutor ingest corpus` (the README's first command) reads the notes and lists nothing as skipped."""
    from mathtutor.knowledge.senses import SENSES_FILE
    from mathtutor.tutor import scope_model

    d = tmp_path / "corpus"
    d.mkdir()
    (d / "note.md").write_text("# Eigenvalues\n\nA note of ours about eigenvalues.\n")
    for name in ("topics.yaml", "sources.yaml", "terms_zh.yaml", "terms_zh_books.yaml", SENSES_FILE):
        (d / name).write_text("[]\n")
    (d / scope_model.EXAMPLES_FILE).write_text('{"q": "x", "scope": "in"}\n')
    (d / scope_model.MODEL_FILE).write_text("{}\n")
    (d / "other.yaml").write_text("[]\n")  # not one of ours: still listed
    report = ingest([d], settings, embedder=fake_embedder, progress=False)
    assert [Path(s.file).name for s in report.skipped] == ["other.yaml"]
    assert report.ok and [c.title for c in _open(settings).iter_chunks()] != []
