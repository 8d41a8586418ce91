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
