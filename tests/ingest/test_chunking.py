from __future__ import annotations

import itertools

import pytest

from mathtutor.ingest.chunking import Chunker, embedding_text, load_token_counter, text_hash
from mathtutor.settings import Settings
from mathtutor.types import Section, Source


@pytest.fixture(scope="module")
def count():
    return load_token_counter(Settings().resolved_model_path())


@pytest.fixture
def chunker(count):
    return Chunker(count, chunk_tokens=60, overlap_tokens=10)


def _source(kind: str) -> Source:
    return Source(key="/k", path="/k", kind=kind, title="T", url="https://youtu.be/abc")


def test_token_counter_uses_the_model_vocabulary(count):
    assert count("eigenvalue") >= 1
    assert count("the the the") == 3


def test_chunks_fit_the_budget_and_keep_pages(chunker, count):
    long_page = " ".join(f"Sentence {i} explains the gradient of a loss with respect to weights." for i in range(40))
    sections = [Section(text="Short first page.", page=1), Section(text=long_page, page=2)]
    chunks = chunker.chunk(_source("pdf"), sections)
    assert chunks[0].page == 1 and chunks[0].text == "Short first page."
    assert len(chunks) > 3
    assert all(c.page == 2 for c in chunks[1:])
    assert all(count(c.text) <= 60 for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    # every sentence survives somewhere
    joined = " ".join(c.text for c in chunks)
    for i in range(40):
        assert f"Sentence {i} " in joined


def test_markdown_chunks_keep_heading(chunker):
    chunks = chunker.chunk(_source("markdown"), [Section(text="Some text.", heading="A > B")])
    assert chunks[0].section == "A > B"
    assert chunks[0].locator() == "§ A > B"


def test_caption_windows_have_increasing_times_and_bounded_size(chunker, count):
    cues = [Section(text=f"cue number {i} talks about limits", start_s=i * 2.0, end_s=i * 2.0 + 1.9) for i in range(60)]
    chunks = chunker.chunk(_source("captions"), cues)
    assert len(chunks) > 3
    starts = [c.start_s for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for c in chunks:
        assert c.start_s < c.end_s
        assert count(c.text) <= 60 + 5
    # the last cue is in the last chunk, and every cue appears at least once
    assert chunks[-1].end_s == pytest.approx(59 * 2.0 + 1.9)
    joined = " ".join(c.text for c in chunks)
    assert all(f"cue number {i} " in joined for i in range(60))


def test_caption_overlap_is_small(chunker):
    cues = [Section(text=f"word{i} " * 5, start_s=float(i), end_s=i + 0.9) for i in range(50)]
    chunks = chunker.chunk(_source("captions"), cues)
    for a, b in itertools.pairwise(chunks):
        assert b.start_s <= a.end_s + 1.0  # contiguous
        assert b.start_s > a.start_s


def test_section_meta_overrides_source_fields(chunker):
    sec = Section(
        text="MML chapter entry",
        meta={
            "resource_id": "mml-book",
            "part_id": "mml-book/ch02",
            "url": "https://mml-book.github.io/",
            "title": "MML",
        },
    )
    (chunk,) = chunker.chunk(Source(key="k", path="p", kind="catalog", title="catalog"), [sec])
    assert (chunk.resource_id, chunk.part_id, chunk.title) == ("mml-book", "mml-book/ch02", "MML")


def test_text_hash_ignores_case_and_spacing():
    assert text_hash("A  vector\nspace") == text_hash("a vector space")
    assert text_hash("a vector space") != text_hash("a vector spaces")


def test_embedding_text_adds_context_only_where_it_is_missing(chunker):
    (chunk,) = chunker.chunk(_source("markdown"), [Section(text="Body.", heading="Linear Algebra > Norms")])
    assert embedding_text(chunk) == "Norms\nBody."
    (chunk,) = chunker.chunk(_source("captions"), [Section(text="so we take this one", start_s=1.0, end_s=2.0)])
    assert embedding_text(chunk) == "T\nso we take this one"
    (chunk,) = chunker.chunk(_source("pdf"), [Section(text="Page text.", page=1)])
    assert embedding_text(chunk) == "Page text."


def test_overlap_must_be_smaller(count):
    with pytest.raises(ValueError):
        Chunker(count, chunk_tokens=50, overlap_tokens=50)


def test_pdf_and_markdown_chunks_carry_their_page_role(chunker):
    contents = "Contents\n1 Arrows 1\n2 Grids 9\n3 Turns 17\n4 Volumes 31\n5 Spaces 40\n"
    body = "A vector is an arrow with a length and a direction; we add arrows tip to tail."
    chunks = chunker.chunk(_source("pdf"), [Section(text=contents, page=3), Section(text=body, page=9)])
    assert [c.meta.get("role") for c in chunks] == ["contents", "body"]
    (md,) = chunker.chunk(_source("markdown"), [Section(text="Some thanks to friends.", heading="Book > Preface")])
    assert md.meta["role"] == "front"
    (cue,) = chunker.chunk(_source("captions"), [Section(text="so we take this one", start_s=1.0, end_s=2.0)])
    assert "role" not in cue.meta
    given = Section(text=body, page=2, meta={"role": "guide"})  # a reader's own role is kept
    assert chunker.chunk(_source("pdf"), [given])[0].meta["role"] == "guide"
