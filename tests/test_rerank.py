"""rerank: demote contents/index/front pages and prefer the passage that defines the term."""

from __future__ import annotations

from mathtutor.rerank import rerank, role_of, term_of
from mathtutor.retrieval import Hit
from mathtutor.types import Chunk

CONTENTS_PAGE = "Contents\n1 Arrows 1\n2 Inverse matrix 13\n3 Grids 20\n4 Turns 31\n5 Volumes 40\n"
DEFINING_PAGE = (
    "2.3 Inverse matrix\nDefinition 2.3. A square matrix B is called the inverse matrix of A when AB = BA = I. "
    "The inverse matrix is unique when it exists."
)
MENTION_PAGE = "We apply an inverse matrix in many later chapters, for example when solving for the weights."


def _hit(text: str, score: float, page: int, role: str | None = None) -> Hit:
    meta = {"role": role} if role else {}
    chunk = Chunk(text=text, file_key="book.pdf", kind="pdf", title="Book", ordinal=page, page=page, meta=meta, id=page)
    return Hit(chunk, score)


def test_term_of() -> None:
    assert term_of("Where does the MML book explain the inverse of a matrix?") == "inverse of a matrix"
    assert term_of("Where does Chasnov define Gram-Schmidt process?") == "Gram-Schmidt process"
    assert term_of("What is a Jacobian?") == "Jacobian"
    assert term_of("eigenvalues") == "eigenvalues"
    assert term_of("Where is it explained: Jacobian") == "Jacobian"


def test_defining_page_overtakes_contents_and_mentions() -> None:
    hits = [_hit(CONTENTS_PAGE, 0.030, 4), _hit(MENTION_PAGE, 0.029, 50), _hit(DEFINING_PAGE, 0.025, 13)]
    out = rerank(hits, "Where does the book explain inverse matrix?")
    assert [h.chunk.page for h in out] == [13, 50, 4]
    assert out[0].score > 0.025  # raised by the definition score
    assert out[-1].score < 0.030  # lowered by the contents role
    assert [h.score for h in hits] == [0.030, 0.029, 0.025]  # inputs untouched


def test_stored_role_wins_over_the_text() -> None:
    assert role_of(_hit(MENTION_PAGE, 1.0, 1, role="index").chunk) == "index"
    assert role_of(_hit(MENTION_PAGE, 1.0, 1).chunk) == "body"
    assert role_of(_hit(CONTENTS_PAGE, 1.0, 1).chunk) == "contents"


def test_ties_keep_retrieval_order_and_empty_is_empty() -> None:
    hits = [_hit("Nothing about it.", 0.02, 1), _hit("Nothing about it either.", 0.02, 2)]
    assert [h.chunk.page for h in rerank(hits, "inverse")] == [1, 2]
    assert rerank([], "inverse") == []


def test_term_of_reads_the_brief_phrasing_and_chinese() -> None:
    assert term_of("Where is the Laplace expansion explained in Chasnov's notes?") == "Laplace expansion"
    assert term_of("Where are Markov chains defined in the book?") == "Markov chains"
    assert term_of("《Mathematics for Machine Learning》在哪里讲了逆矩阵？") == "inverse matrix"
    assert term_of("逆矩阵在《Mathematics for Machine Learning》的哪里讲解？") == "inverse matrix"
    assert term_of("Chasnov 的讲义在哪里讲了Cholesky 分解？") == "Cholesky decomposition"
    assert term_of("《动手学深度学习》(d2l)在哪里讲了特征值和特征向量？") == "eigenvalue eigenvector"
    # a term the table does not know stays in Chinese (with whatever it does know)
    assert term_of("《某本书》在哪里讲了啾啾啾？") == "啾啾啾"


def test_term_of_a_which_page_question_with_more_after_it() -> None:
    """Was: the whole question (both sentences) became the term, and the answer's heading."""
    q = "Which page of the Seeing Theory book explains what a 95% confidence interval really means? I misread it."
    assert term_of(q) == "95% confidence interval"
    assert term_of("Which chapter of d2l covers automatic differentiation?") == "automatic differentiation"
    assert term_of("Where does Strang explain how the SVD works?") == "SVD"


def test_term_of_a_chinese_question_without_a_where_cue_is_the_concepts_it_names() -> None:
    # not the gloss of the book's short name and the chapter question ("MML that book gradient descent which ...")
    assert term_of("MML那本书里梯度下降在第几章哪一节啊？") == "gradient descent"
    assert term_of("书里第几页讲了逆矩阵和行列式？") == "inverse matrix and determinant"


def _at(text: str, score: float, page: int, margin: list[str] | None = None, file: str = "book.pdf") -> Hit:
    meta = {"role": "body", **({"margin": margin} if margin else {})}
    chunk = Chunk(text=text, file_key=file, kind="pdf", title="Book", ordinal=page, page=page, meta=meta, id=page)
    return Hit(chunk, score)


USE_PAGE = (
    "The inverse matrix is called for again here: we define the update with the inverse matrix of the Hessian, "
    "and the inverse matrix is known as the key to Newton steps in many later chapters of this book."
)
PLAIN_DEF = (
    "A square matrix B with AB = BA = I is called the inverse matrix of A; we write the inverse matrix as A^-1 "
    "and it is unique whenever it exists, which we show next with a short argument about products."
)


def test_a_margin_note_naming_the_term_marks_its_page() -> None:
    hits = [_at(USE_PAGE, 0.030, 60), _at(PLAIN_DEF, 0.024, 24, margin=["inverse matrix", "regular"])]
    assert [h.chunk.page for h in rerank(hits, "inverse matrix", early_weight=0.0)] == [24, 60]
    assert [h.chunk.page for h in rerank(hits, "inverse matrix", margin_weight=0.0, early_weight=0.0)] == [60, 24]
    # a note about something else, or a longer phrase that only contains the term, is no mark
    other = [_at(USE_PAGE, 0.030, 60), _at(PLAIN_DEF, 0.024, 24, margin=["inverse matrix of a product of factors"])]
    assert rerank(other, "inverse matrix", early_weight=0.0)[0].chunk.page == 60


def test_the_earliest_defining_page_of_a_file_wins_a_close_call() -> None:
    hits = [_at(USE_PAGE, 0.026, 60), _at(PLAIN_DEF, 0.024, 24), _at(USE_PAGE, 0.027, 3, file="other.pdf")]
    with_early = rerank(hits, "inverse matrix", margin_weight=0.0)
    without = rerank(hits, "inverse matrix", margin_weight=0.0, early_weight=0.0)
    assert [(h.chunk.file_key, h.chunk.page) for h in without][:2] == [("other.pdf", 3), ("book.pdf", 60)]
    assert with_early[0].chunk.page in (3, 24) and with_early.index(
        next(h for h in with_early if h.chunk.page == 24)
    ) < (with_early.index(next(h for h in with_early if h.chunk.page == 60)))
