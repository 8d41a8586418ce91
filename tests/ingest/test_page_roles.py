"""Page roles and definition scores on small texts we wrote, plus a census of corpus-real (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathtutor.ingest.page_roles import ROLES, classify, definition_score, demote

CORPUS_REAL = Path(__file__).resolve().parents[2].parent / "shared" / "corpus-real"

CONTENTS = """Contents
1 Getting started 1
1.1 Why vectors matter 3
1.2 Adding arrows 7
2 Maps between spaces 12
2.1 Straight-line maps 14
2.2 Composing maps 19
Exercises 25
"""
DOTTED = """Preface . . . . . . . . . . . v
Chapter 1 Arrows . . . . . . . 1
Chapter 2 Grids . . . . . . . 9
Chapter 3 Turns . . . . . . 17
Chapter 4 Volumes . . . . . 31
"""
INDEX = """Index
basis, 12, 40
cofactor, 88
column space, 51, 52
determinant, 60, 61-64
eigenvalue, 97, 102
kernel, 33, 47
null space, 52
pivot, 30
rank, 44, 45
"""
REFERENCES = """References
Smith, Ann. 1999. A Tale of Two Matrices. Journal of Made-Up Results, 3(1), 1-10.
Jones, Bo, et al. 2004. Gradients for Everyone. In: Proceedings of the Imaginary Conference.
Lee, Cy. 2011. Notes on Norms. Fictional University Press.
Park, Di. 2016. Sampling by Hand. arXiv preprint.
Quinn, Ed. 2020. Curvature Without Tears. Journal of Pretend Geometry, 7(2), 20-31.
Ruiz, Flo. 2021. Another Invented Paper. In: Proceedings of Nothing Real.
"""
COPYRIGHT = """Example Press
Copyright © 2031 by A. Writer
All rights reserved. ISBN 000-0-00-000000-0
"""
PREFACE = """Preface
We wrote these notes for a course we teach every spring. Many students helped us find mistakes,
and we thank them all here.
"""
GUIDE = """1.3 How to Read This Book
This book is organized in two parts. Readers who know calculus may skip Part I; Chapters 4 and 5 can be
read in any order. The first part builds the tools, the second applies them.
"""
OPENER = """Chapter 3
Eigenvalues
In this chapter we will introduce the directions that a map only stretches. This chapter covers
how to find them and why they matter for data.
"""
BODY = """3.2 Eigenvectors
An eigenvector of a square matrix A is a nonzero vector v such that Av is a multiple of v. The
multiple is called the eigenvalue. We compute both from the characteristic polynomial, as the
following worked example shows step by step for a two by two matrix with distinct entries.
"""


@pytest.mark.parametrize(
    ("text", "heading", "role"),
    [
        (CONTENTS, None, "contents"),
        (DOTTED, None, "contents"),
        (INDEX, None, "index"),
        (INDEX.replace("Index\n", ""), None, "index"),
        (REFERENCES, None, "references"),
        (COPYRIGHT, None, "front"),
        (PREFACE, None, "front"),
        (GUIDE, None, "guide"),
        (OPENER, None, "opener"),
        (BODY, None, "body"),
        ("", None, "body"),
        ("Linear Maps for Everyone\nLecture Notes by\nA. Person", None, "front"),
        ("A short page. It ends here.", None, "body"),
        ("Some words about gradients and nothing else.", "Notation", "front"),
        ("Smith 2001. Jones 2003. Lee 2009.", "References", "references"),
    ],
)
def test_classify(text: str, heading: str | None, role: str) -> None:
    assert classify(text, heading) == role


def test_a_running_footer_is_not_a_copyright_page() -> None:
    page = "An inverse of a square matrix undoes it.\nDraft (2019) of a book, © the authors. To be published."
    assert classify(page) == "body"


def test_inline_citations_are_not_a_reference_list() -> None:
    page = "\n".join(
        f"Line {i} of an argument that cites work (Author{i} et al., 20{10 + i}) and (Other, 19{80 + i}; More, 2001)."
        for i in range(10)
    )
    assert classify(page) == "body"


def test_quiz_answers_are_not_contents() -> None:
    quiz = "WEEK II. SPACES 40\n1. Which line fits best?\na) y = 1 + 2 x\nb) y = 2 + 1 x\nc) y = 3\nd) y = x + 4"
    assert classify(quiz) != "contents"


def test_demote_orders_roles() -> None:
    assert demote("body") == 1.0
    assert demote(None) == 1.0
    assert demote("unknown-role") == 1.0
    assert demote("index") < demote("contents") < demote("front") < demote("guide") < demote("opener") < 1.0
    assert set(ROLES) == {"contents", "index", "front", "opener", "guide", "references", "body"}


def test_definition_score_prefers_the_defining_passage() -> None:
    defining = "Definition 2.1. A matrix is called invertible if some matrix undoes it. We call that the inverse."
    mention = "Later we will use the inverse again when we solve for the weights in regression."
    assert definition_score(defining, "inverse") > definition_score(mention, "inverse") > 0
    assert definition_score("Nothing relevant here.", "inverse") == 0.0
    assert definition_score("", "inverse") == 0.0
    assert definition_score("text", "  ") == 0.0


def test_loose_term_matching() -> None:
    from mathtutor.ingest.page_roles import mentions

    assert mentions("The vectors are linearly independent.", "linear independence")
    assert mentions("a conﬁdence interval", "confidence intervals")  # PDF ligature
    assert mentions("We compute the eigenvectors first.", "eigenvalues and eigenvectors")
    assert mentions("Gram-Schmidt orthogonalization", "the Gram Schmidt orthogonalization")
    assert not mentions("A matrix with two rows.", "determinant")
    assert not mentions("anything", "  ")


def test_definition_score_signals() -> None:
    plain = "The gradient appears below."
    assert definition_score("The gradient is a vector of partial derivatives.", "gradient") > definition_score(
        plain, "gradient"
    )
    assert definition_score(plain, "gradient", heading="Calculus > The gradient") > definition_score(plain, "gradient")
    assert definition_score("We use the **Jacobian** here.", "Jacobian") > definition_score(
        "We use the Jacobian here.", "Jacobian"
    )
    assert definition_score("Row-echelon forms are defined as follows.", "row echelon form") > 0.25
    assert 0.0 < definition_score(BODY, "eigenvector") <= 1.0


@pytest.mark.slow
def test_census_of_corpus_real() -> None:
    """Front matter, contents and index pages of the real books are recognised (pages checked by reading)."""
    from mathtutor.ingest.readers import kind_for, load_sections

    assert CORPUS_REAL.is_dir(), f"corpus-real is missing at {CORPUS_REAL}"

    def roles(rel: str) -> dict[int, str]:
        path = CORPUS_REAL / rel
        sections, _ = load_sections(path, kind_for(path), max_bytes=300_000_000)
        return {s.page: classify(s.text, s.heading) for s in sections}

    front = roles("mml-book/frontmatter.pdf")
    assert front[1] == "front"  # title page
    assert [front[p] for p in (3, 4, 5)] == ["contents"] * 3
    assert front[11] == "front"
    back = roles("mml-book/backmatter.pdf")
    assert back[1] == "references" and back[15] == "index"
    chasnov = roles("chasnov/matrix-algebra-for-engineers.pdf")
    assert (chasnov[2], chasnov[3], chasnov[4], chasnov[7], chasnov[8]) == (
        "front",
        "front",
        "contents",
        "opener",
        "body",
    )
    assert sum(1 for r in chasnov.values() if r == "body") > 120
