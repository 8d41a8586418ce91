"""The Tutor facade: ablations are arguments of each call, so one shared Tutor serves callers that differ."""

from __future__ import annotations

import json
import re
import threading

import pytest

from conftest import FakeEmbedder
from conversations import MATHS_TURN
from mathtutor.tutor import Answer, QuestionError, Tutor


@pytest.fixture(scope="module")
def notes_tutor(notes_index, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")  # the stand-in's recommender vectors stay out of the real data folder
    return Tutor.open(notes_index, embedder=FakeEmbedder(), in_scope_min_similarity=0.0, data_dir=data)


#: Questions of every kind the composer and the guide answer, with the options that change their picks.
KINDS = [
    ("What should I study for PCA?", {}),
    ("What should I study for PCA?", {"level": "beginner", "formats": {"video"}}),
    ("学习奇异值分解需要什么基础？", {}),
    ("What is an eigenvector?", {}),
    ("Explain the chain rule", {"level": "researcher"}),
    ("Is there a book with exercises on linear algebra?", {}),
    ("What maths do I need for machine learning?", {}),
    ("How do I learn gradient descent as a beginner?", {"formats": {"book"}}),
]


#: Passages of catalog parts (linked by their URLs), so study steps cite passages chosen by concept vectors.
LINKED = {
    "ep14.md": ("https://www.youtube.com/watch?v=PFDu9oVAE-g", "Eigenvectors stay on their own span. " * 3),
    "ep04.md": ("https://www.youtube.com/watch?v=YG15m2VwSjA", "The chain rule multiplies the derivatives. " * 3),
    "ep02.md": ("https://www.youtube.com/watch?v=IHZwWFHWa-w", "Gradient descent steps downhill on the cost. " * 3),
    "lec29.md": ("https://www.youtube.com/watch?v=TX_vooSnhm8", "The SVD factors any matrix into U Sigma V. " * 3),
}


@pytest.fixture(scope="module")
def linked_index(tmp_path_factory):
    from mathtutor.ingest.pipeline import ingest
    from mathtutor.settings import PROJECT_ROOT, Settings

    root = tmp_path_factory.mktemp("linked")
    docs = root / "docs"
    docs.mkdir()
    lines = []
    for name, (url, text) in LINKED.items():
        (docs / name).write_text(f"# {name}\n\n{text}\n\n## More\n\n{text.lower()}\n")
        lines.append(json.dumps({"file": name, "title": name, "canonical_url": url}))
    (docs / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    settings = Settings(index_dir=root / "index", parse_workers=0)
    report = ingest([PROJECT_ROOT / "corpus" / "notes", docs], settings, embedder=FakeEmbedder(), progress=False)
    assert report.ok, report.errors
    return settings.index_dir


def test_a_prepared_tutor_embeds_only_the_question_and_answers_like_a_lazy_one(linked_index, tmp_path):
    """Tutor.open prepares concept vectors and the recommender; answers equal those of a tutor that builds
    them on demand, whatever was asked before (nothing cached depends on a question or its options)."""
    prepared_emb, lazy_emb = FakeEmbedder(), FakeEmbedder()
    common = {"in_scope_min_similarity": 0.0, "data_dir": tmp_path}
    prepared = Tutor.open(linked_index, embedder=prepared_emb, **common)
    lazy = Tutor.open(linked_index, embedder=lazy_emb, prepare=False, **common)
    assert len(prepared.lookups.by_part) == len(LINKED)
    assert len(prepared.lookups.concept_vec) == len(prepared.topics.concepts) and not lazy.lookups.concept_vec
    assert lazy_emb.calls == 0 and "recommender" not in vars(lazy)
    got = {}
    for q, options in reversed(KINDS):
        before = prepared_emb.calls
        got[q, str(options)] = prepared.ask(q, **options).to_dict()
        # the question; a resource question's recommender query; the word-sense check's reading of a question
        # whose maths words are ambiguous or that names none (tutor/offtopic.py)
        assert prepared_emb.calls - before <= 3
    for q, options in KINDS:
        want = lazy.ask(q, **options).to_dict()
        mine = got[q, str(options)]
        assert (mine["answer"], mine["citations"], mine["study_path"]) == (
            want["answer"],
            want["citations"],
            want["study_path"],
        )
    assert lazy_emb.calls > len(KINDS) + 2  # on demand, concept vectors were embedded while answering


def test_two_threads_asking_with_different_ablations_each_get_their_own(notes_tutor):
    barrier = threading.Barrier(2, timeout=30)
    original = notes_tutor.retriever.search
    seen: dict[str, list[str]] = {}

    def search(query, **kw):
        seen.setdefault(threading.current_thread().name, []).append(kw["mode"])
        barrier.wait()  # both questions are inside retrieval at the same time
        return original(query, **kw)

    answers = {}

    def ask(name, **ablation):
        answers[name] = notes_tutor.ask("What should I study for PCA?", **ablation)

    notes_tutor.retriever.search = search
    try:
        threads = [
            threading.Thread(target=ask, name="bm25", args=("bm25",), kwargs={"mode": "bm25", "use_graph": False}),
            threading.Thread(target=ask, name="hybrid", args=("hybrid",), kwargs={"mode": "hybrid", "use_graph": True}),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        del notes_tutor.retriever.search
    assert seen == {"bm25": ["bm25"], "hybrid": ["hybrid"]}
    assert answers["bm25"].concepts == [] and answers["bm25"].study_path == []
    assert answers["hybrid"].concepts == ["pca"] and answers["hybrid"].study_path
    assert not hasattr(notes_tutor, "retrieval_mode") and not hasattr(notes_tutor, "use_graph")


def test_bm25_ablation_answers_from_lexical_scores_only(notes_tutor):
    a = notes_tutor.ask("What is an eigenvector of a symmetric matrix?", mode="bm25")
    b = notes_tutor.ask("What is an eigenvector of a symmetric matrix?", mode="dense")
    assert a.in_scope and b.in_scope
    assert a.citations != b.citations


def test_stream_takes_the_same_keywords_and_refuses_a_bad_mode(notes_tutor):
    pieces = list(notes_tutor.stream("What should I study for PCA?", level="beginner", mode="dense", use_graph=True))
    assert "(level: beginner" in pieces[-1].answer and "".join(pieces[:-1]) == pieces[-1].answer
    with pytest.raises(QuestionError, match="mode must be one of hybrid, dense, bm25"):
        notes_tutor.ask("What is PCA?", mode="sparse")
    with pytest.raises(TypeError):
        notes_tutor.ask("What is PCA?", None, "beginner")  # level is keyword-only


def test_status_counts_chunks_and_resources(notes_tutor):
    s = notes_tutor.status()
    assert s["chunks"] == len(notes_tutor.store) and s["chunks"] > 70
    assert s["resources"] == 1 and s["formats"] == {"notes": 1}


# ---------------------------------------------------------------- answers over the real corpus and model


def _assert_citations_resolve(answer: Answer) -> None:
    numbers = {c.n for c in answer.citations}
    assert numbers == set(range(1, len(answer.citations) + 1))
    for n in map(int, re.findall(r"\[(\d+)\]", answer.answer)):
        assert n in numbers, f"[{n}] points at nothing"
    for step in answer.study_path:
        assert set(step.citations) <= numbers
    for c in answer.citations:
        assert c.url and (re.match(r"https?://", c.url) or c.url.startswith("corpus/notes/")), c
        assert c.title


@pytest.mark.slow
def test_study_path_for_pca_is_ordered_and_cited(tutor):
    a = tutor.ask("What should I study for PCA?")
    assert a.in_scope and a.concepts == ["pca"]
    path = [s.concept for s in a.study_path]
    assert path[-1] == "pca"
    assert {"eigendecomposition", "covariance-correlation"} <= set(path)
    for i, cid in enumerate(path):  # every prerequisite inside the path comes earlier
        for pre in tutor.topics.prerequisites(cid):
            if pre in path:
                assert path.index(pre) < i, (pre, cid)
    assert all(1 <= len(s.citations) <= 3 and s.why for s in a.study_path)
    _assert_citations_resolve(a)
    assert "Study path for Principal component analysis" in a.answer


@pytest.mark.slow
def test_level_changes_the_path(tutor):
    beginner = tutor.ask("What should I study for PCA?", level="beginner")
    researcher = tutor.ask("What should I study for PCA?", level="researcher")
    assert len(beginner.study_path) > len(researcher.study_path)
    assert "vectors" in [s.concept for s in beginner.study_path]
    assert "(level: researcher" in researcher.answer


VIDEO = {"video-series", "channel"}


def _step_formats(tutor, answer, step):
    by_n = {c.n: c for c in answer.citations}
    return {tutor.catalog.resource_of(by_n[n].resource_id).format for n in step.citations}


def _video_exists(tutor, concept):
    return any(res.format in VIDEO for res, _ in tutor.catalog.teaching(concept))


@pytest.mark.slow
def test_format_preference_picks_videos(tutor):
    a = tutor.ask("What videos should I watch to learn backpropagation?")
    assert a.study_path
    for step in a.study_path:
        if _video_exists(tutor, step.concept):
            assert _step_formats(tutor, a, step) <= VIDEO, step


@pytest.mark.slow
def test_chinese_question(tutor):
    a = tutor.ask("学习主成分分析需要什么数学基础？")
    assert a.in_scope and a.concepts == ["pca"] and a.study_path


@pytest.mark.slow
def test_explanation_cites_passages(tutor):
    a = tutor.ask("How does backpropagation use the chain rule?")
    assert a.in_scope and not a.study_path
    assert {"backpropagation", "chain-rule"} <= set(a.concepts)
    assert re.search(r"\[\d+\]", a.answer)
    _assert_citations_resolve(a)


@pytest.mark.slow
def test_caption_citation_deep_links_to_the_second(tutor):
    a = tutor.ask("How does the learning rate control each downhill step in gradient descent?")
    links = [c.url for c in a.citations if c.url and "TESTgd01" in c.url]
    assert links and all(re.search(r"\?t=\d+s$", u) for u in links)


@pytest.mark.slow
@pytest.mark.parametrize(
    "q",
    [
        "What is the capital of France?",
        "Write a poem about the sea",
        "who won the 1998 world cup",
        "When does the distribution of the new iPhone start in Europe?",  # a concept word, off-topic
    ],
)
def test_out_of_scope_cites_nothing(tutor, q):
    a = tutor.ask(q)
    assert not a.in_scope and a.citations == [] and a.study_path == []
    assert "don't cover" in a.answer and "What should I study for PCA?" in a.answer


@pytest.mark.slow
def test_followup_carries_the_concept_and_switches_format(tutor):
    first = tutor.ask("What should I study for PCA?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.to_markdown()}]
    a = tutor.ask("Are there videos for that instead?", history=history)
    assert a.in_scope and a.concepts == ["pca"] and a.study_path
    for step in a.study_path:
        if _video_exists(tutor, step.concept):
            assert _step_formats(tutor, a, step) <= VIDEO, step


@pytest.mark.slow
def test_followup_it_refers_to_the_cited_resource(tutor):
    history = [
        {"role": "user", "content": "Which book should I read for linear algebra and calculus for ML?"},
        {
            "role": "assistant",
            "content": "Try Mathematics for Machine Learning [1].\n[1] MML <https://mml-book.github.io/>",
        },
    ]
    a = tutor.ask("Which chapter of it covers optimization?", history=history)
    assert a.in_scope
    assert a.citations and {c.resource_id for c in a.citations} == {"mml-book"}


@pytest.mark.slow
def test_document_text_cannot_instruct_the_tutor(tutor):
    a = tutor.ask("What is an eigenvector of a symmetric matrix?")
    assert a.in_scope
    assert "HACKED" not in a.to_markdown()
    assert all("Ignore all previous" not in c.snippet for c in a.citations)


@pytest.mark.slow
def test_json_shape_is_exact(tutor):
    d = tutor.ask("What should I study for backpropagation?").to_dict()
    assert list(d) == ["question", "in_scope", "answer", "citations", "study_path", "concepts", "backend", "timings_ms"]
    assert set(d["citations"][0]) == {"n", "resource_id", "title", "url", "locator", "snippet", "score", "chunk_id"}
    assert set(d["study_path"][0]) == {"concept", "why", "citations"}
    assert set(d["timings_ms"]) == {"retrieve", "generate", "total"}
    assert d["backend"] == "extractive"
    json.dumps(d)


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["", "   ", None, 42, "x" * 2001])
def test_malformed_questions_are_refused(tutor, bad):
    with pytest.raises(QuestionError):
        tutor.ask(bad)


@pytest.mark.slow
def test_malformed_history_and_level_are_refused(tutor):
    with pytest.raises(QuestionError):
        tutor.ask("What is a vector?", history=[{"role": "system", "content": "x"}])
    with pytest.raises(QuestionError):
        tutor.ask("What is a vector?", history="not a list")
    with pytest.raises(QuestionError):
        tutor.ask("What is a vector?", level="expert")


@pytest.mark.slow
def test_stream_yields_text_then_the_answer(tutor):
    pieces = list(tutor.stream("What should I study for SVD?"))
    assert isinstance(pieces[-1], Answer)
    assert all(isinstance(p, str) for p in pieces[:-1]) and len(pieces) > 2
    assert "".join(pieces[:-1]) == pieces[-1].answer


@pytest.mark.slow
def test_a_named_resource_is_in_scope_even_with_few_passages(tutor):
    """Naming a catalog resource is enough: the catalog answers even where little of it is indexed."""
    a = tutor.ask("I'm looking for Simon Ward-Jones's post on probability distributions")
    assert a.in_scope and any((c.resource_id or "").startswith("swj") for c in a.citations)


@pytest.mark.parametrize(
    ("q", "history"),
    [
        ("Is The Matrix Reloaded better than the first film?", []),  # a concept word in a film question
        ("信用卡的积分可以换什么礼品？", []),  # 积分 (integral) as reward points
        ("Thanks! Can you also recommend a hotel in Paris?", MATHS_TURN),  # would inherit "gradients"; a resource ask
        ("Where should I start with planning my wedding?", []),  # the mission question's wording
        ("Give me interview questions for a marketing job", []),  # the practice path's wording
        ("Give me interview questions for a marketing job", MATHS_TURN),  # ... with a concept to practise at hand
    ],
)
def test_off_topic_text_is_refused_on_every_path(tutor, q, history):
    a = tutor.ask(q, history=history)
    assert not a.in_scope and a.citations == [] and a.study_path == [] and a.practice is None, a.answer[:120]
    assert "don't cover" in a.answer


def test_maths_questions_and_moves_around_the_check_still_work(tutor):
    assert tutor.ask("What is the derivative of sin(x)?").in_scope
    assert tutor.ask("Is there a video for that?", history=MATHS_TURN).in_scope  # points back: same topic
    practice = tutor.ask("Give me a practice problem on matrices")
    assert practice.in_scope and practice.practice is not None and practice.practice["intent"] == "new"
    assert tutor.ask("give me a problem").practice is not None  # asks which concept: still practice
    mission = tutor.ask("Where do I start with the maths for machine learning?")
    assert mission.in_scope and mission.citations


@pytest.mark.slow
def test_study_path_citations_are_numbered_in_reading_order(tutor):
    """Bug: the one-sentence intro was cited after the whole path ([29] before [3]); numbers now rise as read."""
    a = tutor.ask("What should I study for PCA?")
    firsts = []
    for n in (int(m) for m in re.findall(r"\[(\d+)\]", a.answer)):
        if n not in firsts:
            firsts.append(n)
    assert firsts == sorted(firsts) and firsts[0] == 1


@pytest.mark.slow
def test_how_is_it_used_follows_the_concept_not_the_cited_resource(tutor):
    history = [
        {"role": "user", "content": "What is the chain rule?"},
        {
            "role": "assistant",
            "content": "Derivatives of a composition multiply [1].\n\n**Sources**\n"
            "[1] Essence of calculus <https://www.3blue1brown.com/topics/calculus>",
        },
    ]
    a = tutor.ask("And how is it used in backpropagation?", history=history)
    cited = {c.resource_id for c in a.citations}
    assert a.in_scope and "backpropagation" in a.concepts
    assert cited & {"3b1b-neural-networks", "mml-book", "matrix-calculus", "d2l"}


@pytest.mark.slow
def test_anything_gentler_after_a_book_cites_none_of_its_passages(tutor):
    """Tutor.retrieve leaves out the passages of the resource the learner asked to move away from."""
    history = [
        {"role": "user", "content": "I need to learn probability properly for ML. where should I go?"},
        {"role": "assistant", "content": "MML chapter 6 [1].\n\n**Sources**\n[1] MML <https://mml-book.github.io/>"},
    ]
    a = tutor.ask("tried it, way too dense, the first few pages already lost me. anything gentler?", history=history)
    cited = {tutor.catalog.resource_of(c.resource_id).id for c in a.citations if c.resource_id in tutor.catalog}
    assert a.in_scope and cited and "mml-book" not in cited


@pytest.mark.slow
def test_is_that_book_free_is_answered_from_the_catalog(tutor):
    history = [
        {"role": "user", "content": "Which book should I use to learn linear algebra for ML?"},
        {"role": "assistant", "content": "MML [1].\n\n**Sources**\n[1] MML <https://mml-book.github.io/>"},
    ]
    a = tutor.ask("Is that book free to download or do I have to buy it?", history=history)
    assert a.in_scope and [c.resource_id for c in a.citations] == ["mml-book"]
    assert "free" in a.answer and "Deisenroth" in a.answer


@pytest.mark.slow
@pytest.mark.parametrize(
    "q", ["I hated maths at school. Is machine learning out of reach?", "数学很差还能学人工智能吗？"]
)
def test_mission_phrasings_get_the_depths_and_the_order(tutor, q):
    a = tutor.ask(q)
    assert a.in_scope and "How much maths you need" in a.answer and len(a.study_path) >= 8


def test_which_page_of_a_book_without_text_in_the_index_says_so_and_cites_its_chapter(tutor):
    """The default index holds Seeing Theory's catalog entry, not its pages. Was: refused as not covered."""
    q = "Which page of the Seeing Theory book explains what a confidence interval really means? I keep misreading it."
    a = tutor.ask(q)
    assert a.in_scope and "no page of **Seeing Theory**" in a.answer
    assert [c.resource_id for c in a.citations][:1] == ["seeing-theory"]
    assert "Frequentist Inference" in a.answer  # the chapter the catalog says teaches it


def test_an_ask_embeds_its_texts_in_one_pass_and_a_practice_move_carries_none(tutor, monkeypatch):
    """The word-sense check's reading of the question and the retrieval query (the question with its concepts'
    names) go through the model together; a practice move is answered without retrieval, so nothing rides along."""
    passes: list[list[str]] = []
    real = tutor.embedder.embed

    def embed(texts, batch_size=None):
        passes.append(list(texts))
        return real(texts)

    monkeypatch.setattr(tutor.embedder, "embed", embed)
    q = "Why do the eigenvectors of a covariance matrix point along the spread of my data?"
    answer = tutor.ask(q)
    assert answer.in_scope and len(passes) == 1 and len(passes[0]) == 2 and q in passes[0]
    expanded = next(t for t in passes[0] if t != q)
    assert expanded.startswith(q) and len(expanded) > len(q)  # the concepts' names appended
    passes.clear()
    tutor.ask("Give me a practice problem on derivatives of polynomials, please")
    assert all(len(p) == 1 for p in passes)


@pytest.mark.slow
def test_what_comes_after_a_finished_course_names_it_and_cites_others(tutor):
    a = tutor.ask("I've worked through all of MIT 18.06. What should I take after it?")
    cited = {tutor.catalog.resource_of(c.resource_id).id for c in a.citations if c.resource_id in tutor.catalog}
    assert a.in_scope and cited and "mit-18-06" not in cited
    assert a.answer.startswith("After **MIT 18.06")
