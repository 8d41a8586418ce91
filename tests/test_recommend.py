"""Resource recommendation: documents, ranking, reasons, request detection, the dense cache."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.recommend import Recommender, resource_document
from mathtutor.recommend_cues import is_resource_request, parse_request, request_subject


class BagOfWords:
    """A deterministic stand-in embedder: hashed word counts, unit length (no model needed)."""

    model_name = "bag-of-words-test"

    def __init__(self) -> None:
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(64, dtype=np.float32)
        for w in text.lower().split():
            v[hashlib.md5(w.encode()).digest()[0] % 64] += 1.0
        return v / max(float(np.linalg.norm(v)), 1e-6)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vec(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


@pytest.fixture(scope="module")
def topics():
    return load_topics()


@pytest.fixture(scope="module")
def rec(topics) -> Recommender:
    return Recommender(topics=topics)


def ids(recs) -> list[str]:
    return [r.resource_id for r in recs]


def test_document_holds_what_a_learner_asks_about(topics) -> None:
    doc = resource_document(load_catalog().get("chasnov"), topics)
    assert doc.splitlines()[0] == "Jeffrey Chasnov: lecture notes and videos"
    assert "by Jeffrey R. Chasnov" in doc
    assert "worked solutions answers" in doc  # style: solutions
    assert "exercises practice problems" in doc
    assert "free" in doc.split("\n")
    assert "Matrix Algebra for Engineers" in doc  # a part title
    assert "Topics:" in doc and "eigenvalue" in doc.lower()  # a concept name or alias


def test_exercises_and_solutions_find_chasnov(rec) -> None:
    out = rec.search("Is there a textbook on matrix algebra with exercises and worked solutions?")
    assert ids(out)[0] == "chasnov"
    assert len(out) == 5
    top = out[0]
    assert "has exercises" in top.reasons and "includes worked solutions" in top.reasons
    assert "free" in top.reasons
    assert top.url == "https://www.math.hkust.edu.hk/~machas/"
    assert [r.score for r in out] == sorted((r.score for r in out), reverse=True)


def test_issue_examples(rec) -> None:
    assert ids(rec.search("a textbook with exercises and solutions"))[0] == "chasnov"  # mml-book has no solutions
    assert ids(rec.search("lectures that go through the proofs"))[0] == "mit-18-06"
    assert ids(rec.search("short videos I can watch on the bus", k=2)) == [
        "3b1b-essence-linear-algebra",
        "3b1b-essence-calculus",
    ]


def test_chinese_request(rec) -> None:
    assert ids(rec.search("有没有带习题和答案的线性代数讲义？"))[0] == "chasnov"
    assert ids(rec.search("有没有讲贝叶斯推断的博客文章？"))[0] == "swj-bayesian-inference"


def test_caller_filters_add_to_the_question(rec) -> None:
    out = rec.search("probability", formats=["interactive"], k=2)
    assert ids(out)[0] == "seeing-theory"
    assert "an interactive site, as asked" in out[0].reasons
    beginners = rec.search("a probability course", level="beginner", k=3)
    assert all("beginner" in load_catalog().get(i).levels for i in ids(beginners))
    assert "suits beginners" in beginners[0].reasons
    code = rec.search("deep learning maths", traits=["code"], k=1)
    assert ids(code) == ["d2l"] and "comes with code" in code[0].reasons


def test_concepts_give_coverage_reasons(rec) -> None:
    out = rec.search("a book", concepts=["matrix-calculus"], k=3)
    assert ids(out)[0] == "mml-book"
    assert any(r.startswith("covers ") and "atrix calculus" in r for r in out[0].reasons)


def test_k_and_bad_input(rec) -> None:
    assert rec.search("anything", k=0) == []
    assert len(rec.search("anything", k=50)) == len(rec.resources)
    with pytest.raises(ValueError, match="too long"):
        rec.search("x" * 5000)


NOTES_CATALOG = """\
- id: mathtutor-notes
  title: Our notes on eigenvalues
  creators: [Us]
  url: https://example.org/notes
  format: article
  levels: [beginner]
  description: Eigenvalues eigenvalues eigenvalues, a short article with exercises.
- id: real-book
  title: A book
  creators: [Someone]
  url: https://example.org/book
  format: book
  levels: [beginner]
  description: A book about matrices with a chapter on eigenvalues.
"""


def test_our_notes_are_never_recommended(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(textwrap.dedent(NOTES_CATALOG), encoding="utf-8")
    rec = Recommender(load_catalog(path))
    assert ids(rec.search("short article with exercises on eigenvalues", k=5)) == ["real-book"]


def test_dense_vectors_are_cached_as_npy(tmp_path: Path, topics) -> None:
    emb = BagOfWords()
    first = Recommender(topics=topics, embedder=emb, cache_dir=tmp_path)
    m = first.matrix()
    assert emb.calls == 1 and m.shape == (len(first.resources), 64)
    assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
    first.matrix()
    assert emb.calls == 1  # once per process
    (cached,) = tmp_path.glob("resources-*.npy")
    assert cached.name == f"resources-{first.catalog_hash()}.npy"
    assert np.array_equal(np.load(cached, allow_pickle=False), m)
    second = Recommender(topics=topics, embedder=BagOfWords(), cache_dir=tmp_path)
    assert np.array_equal(second.matrix(), m) and second.embedder.calls == 0  # read from disk
    assert Recommender(embedder=BagOfWords(), cache_dir=tmp_path).catalog_hash() != first.catalog_hash()
    assert ids(second.search("interactive probability", k=1)) == ["seeing-theory"]


def test_from_settings_caches_in_the_data_dir(tmp_path: Path) -> None:
    from mathtutor.settings import PROJECT_ROOT, Settings

    settings = Settings(data_dir=tmp_path, corpus_dir=PROJECT_ROOT / "corpus")
    rec = Recommender.from_settings(settings, embedder=BagOfWords())
    assert rec.topics is not None and rec.cache_dir == tmp_path / "recommend"
    rec.matrix()
    assert len(list((tmp_path / "recommend").glob("resources-*.npy"))) == 1


def test_a_damaged_cache_is_recomputed(tmp_path: Path, topics) -> None:
    emb = BagOfWords()
    rec = Recommender(topics=topics, embedder=emb, cache_dir=tmp_path)
    (tmp_path / f"resources-{rec.catalog_hash()}.npy").write_bytes(b"not a numpy file")
    assert rec.matrix().shape[0] == len(rec.resources)
    assert emb.calls == 1


@pytest.mark.parametrize(
    "question",
    [
        "Is there a book on linear algebra for machine learning?",
        "Are there any videos about eigenvalues?",
        "Who teaches probability with code?",
        "Who explains this with code?",
        "Where can I practise matrix multiplication?",
        "Something with code, please",
        "a textbook with exercises and solutions",
        "short videos I can watch on the bus",
        "lectures that go through the proofs",
        "Can you recommend a course on statistics?",
        "Any good resources for matrix calculus?",
        "有没有讲矩阵微积分的书？",
        "有没有适合初学者的概率课程？",
        "推荐一些线性代数的视频",
        "I'm after free lecture notes on matrices with problems after each chapter",
        "searching for worked examples on Bayes, preferably a site",
        "my cousin took a course on the calculus behind neural nets, ending with backprop. what's it called?",
        "is there any way to learn this with something visual?",
        "which youtube channel explains one stats idea per video with a tiny dataset?",
        "which intro book covers eigenvalues?",
        "need a calculus refresher I can get through on lunch breaks",
        "anything where i actually compute them in python? like a notebook",
        "有没有那种可以自己拖一拖、改改数字看结果的网页？",
        "I want full length recorded university lectures at grad level on the maths behind ML",
        "total beginner. i need lots of practice problems where i can check if i got them right",
        "I already know the basics of stats. what's out there at a deeper level?",
    ],
)
def test_is_resource_request(question: str) -> None:
    assert is_resource_request(question) is True


@pytest.mark.parametrize(
    "question",
    [
        "What is a matrix inverse?",
        "Where does the MML book explain the inverse of a matrix?",
        "Explain the chain rule",
        "How do I compute an eigenvalue?",
        "Is high-school maths enough to train my own models?",
        "Where do I start with the maths for machine learning?",
        "",
        "什么是奇异值分解？",
        "《Mathematics for Machine Learning》在哪里讲了逆矩阵？",
        "推荐一部电影",
        # asks how, not for material ("something" is no resource here): was read as a request and refused as one
        # about a subject that is not maths
        "is there a way to put a number on how surprised I should be when something happens?",
        "Is there a reason the Hessian is symmetric, or something deeper behind it?",
        "which of the two eigenvalues is larger?",
        "which way does the gradient point?",
        "does anything with a zero determinant fail to be invertible?",
        "我看网页上说梯度是方向导数最大的方向，对吗？",
        "I need the gradient of this function at the origin",
        "we need a matrix with these properties",
        "I want to understand why eigenvectors matter",
    ],
)
def test_is_not_resource_request(question: str) -> None:
    assert is_resource_request(question) is False


def test_parse_request() -> None:
    cues = parse_request("Is there a beginner-friendly interactive site with short examples and code?")
    assert cues.formats == ("interactive",)
    assert cues.level == "beginner"
    assert cues.traits == ("code", "short", "interactive")
    zh = parse_request("有没有带习题和答案的线性代数讲义？")
    assert zh.chinese and "exercises" in zh.traits and "solutions" in zh.traits
    assert "book" in zh.formats
    with pytest.raises(ValueError, match="too long"):
        parse_request("题" * 4001)


@pytest.mark.slow
def test_real_embedder_ranks_short_videos(tmp_path: Path, topics) -> None:
    from mathtutor.ingest.embedding import Embedder

    rec = Recommender(topics=topics, embedder=Embedder(), cache_dir=tmp_path)
    out = ids(rec.search("Are there short videos I can watch on the bus to get an intuition for linear algebra?"))
    assert out[0] in {"3b1b-essence-linear-algebra", "3blue1brown"}
    assert "3b1b-essence-linear-algebra" in out[:2]
    assert len(list(tmp_path.glob("resources-*.npy"))) == 1


def test_vectors_of_a_stand_in_or_another_precision_are_never_read_as_the_model_s(tmp_path: Path, topics) -> None:
    """A test's stand-in carries the real model's name; the cache key also names the embedder's kind and precision."""

    class SameName(BagOfWords):
        model_name = "sentence-transformers/all-MiniLM-L6-v2"

    class Model(SameName):
        precision = "float32"

    class Bf16(Model):
        precision = "bfloat16"

    first = Recommender(topics=topics, embedder=SameName(), cache_dir=tmp_path)
    first.matrix()
    keys = {Recommender(topics=topics, embedder=e(), cache_dir=tmp_path).catalog_hash() for e in (Model, Bf16)}
    assert len(keys | {first.catalog_hash()}) == 3
    model = Model()
    Recommender(topics=topics, embedder=model, cache_dir=tmp_path).matrix()
    assert model.calls == 1 and len(list(tmp_path.glob("resources-*.npy"))) == 2  # embedded, not read


@pytest.mark.parametrize(
    ("q", "subject"),
    [
        ("Can you recommend a free online photography course for beginners?", "photography"),
        ("Are there good video tutorials on QuickBooks?", "QuickBooks"),
        ("Is there a short video series that builds intuition for statistics?", "builds intuition statistics"),
        ("Any good videos?", ""),
    ],
)
def test_request_subject_is_what_remains_without_the_request_words(q, subject):
    assert request_subject(q) == subject
