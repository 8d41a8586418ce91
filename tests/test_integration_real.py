"""Ingest a real slice of shared/corpus-real with the real model and check what a learner relies on."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from mathtutor.index.store import IndexStore
from mathtutor.ingest.pipeline import ingest
from mathtutor.settings import Settings

pytestmark = pytest.mark.slow

SLICE = [
    "mml-book/chapter01.pdf",
    "mml-book/chapter04.pdf",
    "3blue1brown/essence-of-linear-algebra/14-eigenvalues.captions.srt",
    "3blue1brown/essence-of-linear-algebra/14-eigenvalues.transcript.txt",
    "3blue1brown/essence-of-calculus/04-chain-rule-and-product-rule.captions.srt",
    "3blue1brown/neural-networks/03-backpropagation.captions.srt",
    "d2l/chapter_preliminaries/linear-algebra.md",
    "matrix-calculus/matrix-calculus.md",
]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{4,}", text.lower())


@pytest.fixture(scope="module")
def built(real_corpus, real_embedder, tmp_path_factory):
    # Read in place: files named one by one find the corpus manifest.jsonl in a folder above them.
    root = real_corpus
    paths = []
    for rel in SLICE:
        if not (real_corpus / rel).exists():
            pytest.fail(f"expected real-corpus file missing: {real_corpus / rel}")
        paths.append(real_corpus / rel)
    settings = Settings(index_dir=tmp_path_factory.mktemp("slice") / "index", parse_workers=1)
    report = ingest(paths, settings, embedder=real_embedder, progress=False)
    store = IndexStore.open(settings.index_dir, model=settings.embedding_model, dim=settings.embedding_dim)
    return root, settings, report, store


def test_slice_ingests_cleanly(built):
    _, _, report, store = built
    assert report.ok, report.errors
    assert report.files_new == len(SLICE) - 1  # the transcript twin of the .srt is skipped
    assert any("timed captions" in s.reason for s in report.skipped)
    assert len(store) == report.chunks_total > 100


def test_pdf_page_numbers_match_the_pdf(built):
    root, _, _, store = built
    reader = PdfReader(root / "mml-book/chapter04.pdf")
    chunks = [c for c in store.iter_chunks() if c.file_key.endswith("chapter04.pdf")]
    assert {c.page for c in chunks} >= {1, 2, 10}
    for c in chunks[::7]:
        # pypdf's plain text glues words ours separates ("TheJacobian") and keeps hyphens and ligatures ours
        # repairs, so compare letters only
        text = reader.pages[c.page - 1].extract_text().lower()
        page = re.sub(r"[^a-z]", "", text.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\ufb00", "ff"))
        words = _words(c.text)
        share = sum(w.lower() in page for w in words) / max(len(words), 1)
        assert share > 0.9, (c.page, c.text[:80])


def test_mml_chapters_link_to_the_catalog(built):
    _, _, _, store = built
    c = next(c for c in store.iter_chunks() if c.file_key.endswith("chapter04.pdf"))
    assert c.resource_id == "mml-book"
    assert "Mathematics for Machine Learning" in c.title


def test_caption_timestamps_increase_and_deep_link(built):
    _, _, _, store = built
    caps = [c for c in store.iter_chunks() if c.file_key.endswith("14-eigenvalues.captions.srt")]
    assert len(caps) > 5
    starts = [c.start_s for c in caps]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(c.end_s > c.start_s for c in caps)
    assert caps[0].resource_id == "3b1b-essence-linear-algebra" and caps[0].part_id
    link = caps[3].link()
    assert link is not None and re.search(r"youtu.*[?&]t=\d+s$", link)
    assert int(re.search(r"t=(\d+)s", link).group(1)) == int(caps[3].start_s)


def test_d2l_code_tabs_are_not_indexed(built):
    _, _, _, store = built
    d2l = [c for c in store.iter_chunks() if c.file_key.endswith("linear-algebra.md")]
    assert d2l and not any("%%tab" in c.text or "from mxnet" in c.text for c in d2l)
    assert all(c.url and c.url.startswith("https://d2l.ai/") for c in d2l)
    assert d2l[0].resource_id == "d2l"


def test_chunks_fit_the_model_window(built):
    from mathtutor.ingest.chunking import embedding_text, load_token_counter

    _, settings, _, store = built
    count = load_token_counter(settings.resolved_model_path())
    assert max(count(embedding_text(c)) for c in store.iter_chunks()) <= 254


def test_search_finds_the_right_material(built, real_embedder):
    _, _, _, store = built
    q = real_embedder.embed(["how does backpropagation use the chain rule"])
    _, ids = store.search(q, 5)
    top = store.get_chunks(ids[0])
    assert any(
        "backpropagation" in c.file_key or "chain-rule" in c.file_key or "matrix-calculus" in c.file_key for c in top
    )


def test_reingest_embeds_nothing(built, real_embedder):
    root, settings, _, _ = built
    report = ingest([root / rel for rel in SLICE], settings, embedder=real_embedder, progress=False)
    assert report.noop and report.chunks_added == 0 and report.files_unchanged == len(SLICE) - 1


@pytest.mark.parametrize(
    ("question", "file", "page", "heading"),
    [
        ("Where does the MML book explain the characteristic polynomial?", "chapter04.pdf", 7, None),
        ("《Mathematics for Machine Learning》在哪里讲了特征多项式？", "chapter04.pdf", 7, None),
        (
            "Where is the vector chain rule explained in The Matrix Calculus You Need For Deep Learning?",
            "matrix-calculus.md",
            None,
            "Vector chain rule",
        ),
    ],
)
def test_where_is_it_explained_cites_the_defining_page_first(built, real_embedder, question, file, page, heading):
    # evals/terms.jsonl (dev): Definition 4.5 is on chapter04.pdf p.7 (book p.104); the section's own heading.
    from mathtutor.tutor import Tutor

    _, settings, _, _ = built
    tutor = Tutor.open(settings.index_dir, embedder=real_embedder)
    answer = tutor.ask(question)
    first = tutor.store.get_chunks([next(c.chunk_id for c in answer.citations if c.chunk_id is not None)])[0]
    assert first.file_key.endswith(file), (first.file_key, answer.answer[:300])
    if page is not None:
        assert first.page == page, answer.answer[:400]
    else:
        assert heading in (first.section or ""), first.section
