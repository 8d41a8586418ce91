"""Composing answers: citation numbering, catalog citations, and study notes never cited by a server path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FakeEmbedder
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.settings import PROJECT_ROOT
from mathtutor.tutor.compose import CitationList, label, public_link, section_bias
from mathtutor.types import Chunk

NOTE = "file:///srv/app/corpus/notes/concepts/pca.md"


def _chunk(url, resource_id="mathtutor-notes", id=1, **kw):
    return Chunk("A passage about PCA. " * 3, "/srv/app/x.md", "markdown", "PCA — study note", 0, resource_id, url=url,
                 id=id, **kw)  # fmt: skip


def test_citations_are_numbered_once_per_passage_and_entry():
    cites = CitationList()
    catalog = load_catalog(PROJECT_ROOT / "corpus" / "catalog.yaml")
    mml = catalog.resource_of("mml-book")
    assert cites.add_chunk(_chunk("https://a.org/x", "mml-book", id=7), 0.51234) == 1
    assert cites.add_catalog(mml, None) == 2
    assert cites.add_chunk(_chunk("https://a.org/x", "mml-book", id=7), 0.9) == 1
    assert cites.add_catalog(mml, None) == 2
    first, second = cites.list
    assert (first.n, first.score, first.url) == (1, 0.5123, "https://a.org/x")
    assert (second.title, second.url, second.score) == ("Mathematics for Machine Learning", mml.url, 1.0)
    part = mml.parts[1]
    assert label(mml, part) == f"Mathematics for Machine Learning — {part.number} {part.title}"


def test_section_bias_prefers_what_it_is_prose():
    assert section_bias("PCA > What it is") == 0.25
    assert section_bias("PCA > Where to learn it") == -0.25
    assert section_bias("PCA > Worked example") == 0.0
    assert section_bias(None) == 0.0


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (NOTE, None, "corpus/notes/concepts/pca.md"),  # an index built before notes had a web path
        (NOTE, "http://127.0.0.1:7860", "http://127.0.0.1:7860/notes/pca"),
        ("corpus/notes/concepts/pca.md", None, "corpus/notes/concepts/pca.md"),
        ("corpus/notes/concepts/pca.md", "https://tutor.example.org/", "https://tutor.example.org/notes/pca"),
    ],
)
def test_study_notes_are_cited_at_their_web_path_or_repository_path(url, base, expected):
    cites = CitationList(base_url=base)
    cites.add_chunk(_chunk(url), 0.5)
    assert cites.list[0].url == expected
    assert cites.list[0].title == "mathtutor study note: PCA"


def test_guides_in_the_notes_folder_and_web_links_keep_their_kind():
    guide = _chunk("file:///srv/app/corpus/notes/guides/learning-tracks.md", resource_id=None)
    assert public_link(guide, "http://h:1") == "http://h:1/notes/learning-tracks"
    web = _chunk("https://www.youtube.com/watch?v=x", "3b1b-neural-networks", start_s=65.0)
    assert public_link(web, "http://h:1") == "https://www.youtube.com/watch?v=x&t=65s"
    upload = _chunk("file:///srv/app/data/uploads/mine.md", resource_id=None)
    assert public_link(upload) == "file:///srv/app/data/uploads/mine.md"  # not a note: the UI decides


QUESTIONS = [
    "What should I study for PCA?",
    "What is an eigenvector of a symmetric matrix?",
    "学习主成分分析需要什么数学基础？",
    "How does backpropagation use the chain rule?",
    "How should I use these resources, videos or books first?",
    "What are the learning tracks for a beginner?",
    "What is the capital of France?",
]


@pytest.mark.parametrize("public_url", [None, "http://127.0.0.1:7860"])
def test_no_answer_shows_a_file_url_or_a_server_path(notes_index, public_url, tmp_path):
    """Bug 2: notes were cited as file:///<server path>/corpus/notes/...; no answer may show a server path."""
    from mathtutor.tutor import Tutor

    tutor = Tutor.open(
        notes_index, embedder=FakeEmbedder(), public_url=public_url, in_scope_min_similarity=0.0, data_dir=tmp_path
    )
    stored = {c.url for c in tutor.store.iter_chunks()}
    assert stored and all(u.startswith("corpus/notes/") for u in stored), stored  # portable: no path stored
    roots = {str(PROJECT_ROOT), str(notes_index), str(Path.home()), "/tmp/", "file:"}
    note_urls = []
    for q in QUESTIONS:
        for history in (None, [{"role": "user", "content": q}, {"role": "assistant", "content": "..."}]):
            a = tutor.ask(q if history is None else "and for a beginner?", history)
            text = json.dumps(a.to_dict(), ensure_ascii=False) + a.to_markdown()
            assert not [r for r in roots if r in text], (q, [r for r in roots if r in text])
            note_urls += [c.url for c in a.citations if c.resource_id == "mathtutor-notes" or "notes" in (c.url or "")]
    assert note_urls
    prefix = f"{public_url}/notes/" if public_url else "corpus/notes/"
    assert all(u.startswith(prefix) for u in note_urls), note_urls
    if public_url:
        assert f"{public_url}/notes/pca" in note_urls and f"{public_url}/notes/learning-tracks" in note_urls
    else:
        assert "corpus/notes/concepts/pca.md" in note_urls


def test_where_answers_list_the_ranked_pages_once_each_in_order():
    from mathtutor.retrieval import Hit
    from mathtutor.settings import Settings
    from mathtutor.tutor.compose import WHERE_CITES, Composer
    from mathtutor.types import Context

    def page(n: int, text: str, resource: str = "mml-book", cid: int | None = None) -> Hit:
        chunk = Chunk(text, "mml-book/chapter02.pdf", "pdf", "MML", n, resource, page=n, id=cid or n)
        return Hit(chunk, 1.0 / n)

    defining = "Some words first to make a sentence. A matrix B is called the inverse of a matrix A when AB = I."
    hits = [
        page(8, defining),
        page(8, "The inverse of a matrix is unique, as we show on this very page with a short proof.", cid=99),
        page(3, "This chapter is about many things and names no term at all in its first sentence here."),
        page(40, "We use the inverse of a matrix again when we change bases in a later section of the book."),
        page(2, "A study note on the inverse of a matrix, which must never be cited here.", "mathtutor-notes"),
        *(page(50 + i, f"Another later page {i} that uses the inverse of a matrix in passing only.") for i in range(5)),
    ]
    q = "Where does the MML book explain the inverse of a matrix?"
    ctx = Context(q, [], False, set(), None, {"mml-book"}, intent="where")
    cites = CitationList()
    lines = Composer(Settings(), None, None, None).where(ctx, hits, cites)
    assert lines[0].startswith("Where the materials explain **inverse of a matrix**")
    pages = [c.locator for c in cites.list]
    assert pages == ["p. 8", "p. 3", "p. 40", "p. 50", "p. 51"][:WHERE_CITES]  # one per page, notes left out
    assert "is called the inverse of a matrix A" in lines[1] and lines[1].endswith(
        "[1]"
    )  # the sentence naming the term


def _composer():
    from mathtutor.knowledge.topics import load_topics
    from mathtutor.settings import Settings
    from mathtutor.tutor.compose import Composer

    corpus = PROJECT_ROOT / "corpus"
    return Composer(Settings(), load_catalog(corpus / "catalog.yaml"), load_topics(corpus / "topics.yaml"), None)


def test_a_stated_level_favours_passages_of_resources_made_for_it():
    from mathtutor.retrieval import Hit

    composer = _composer()
    rids = ["khan-calculus", "hajek-random-processes"]
    hits = [Hit(_chunk("https://a.org/x", rid, id=i), 0.5) for i, rid in enumerate(rids)]
    bias = composer.settings.compose_level_bias
    assert composer.level_fit("beginner", hits) == {"khan-calculus": bias, "hajek-random-processes": -bias}
    assert composer.level_fit(None, hits) == {}  # no stated level: the passages' own order


def test_a_question_naming_no_concept_borrows_the_concepts_of_the_notes_it_matched():
    from mathtutor.retrieval import Hit
    from mathtutor.types import Context

    composer = _composer()
    bar = composer.settings.note_concept_min_similarity

    def note(concept: str, dense: float, i: int) -> Hit:
        path = f"/x/corpus/notes/concepts/{concept}.md"
        chunk = Chunk("A note.", path, "markdown", concept, 0, "mathtutor-notes", id=i, meta={"concept": concept})
        return Hit(chunk, 0.1, dense=dense)

    hits = [note("central-limit-theorem", bar + 0.1, 1), note("gaussian-distribution", bar + 0.05, 2),
            note("svd", bar - 0.1, 3), note("no-such-concept", bar + 0.2, 4)]  # fmt: skip
    ctx = Context("why do averages of many dice look bell-shaped?", [], False, set(), None, set())
    assert composer.implied_concepts(ctx, hits) == ["central-limit-theorem", "gaussian-distribution"]
    ctx.intent = "mission"  # the mission and resource paths have their own reading lists
    assert composer.implied_concepts(ctx, hits) == []
