"""Page text from PDFs: margin notes apart from the body, no glued words, hyphens and ligatures repaired.

The small PDFs here are written by hand so that every run of text sits at a chosen position: a body column
at x=150 in 10 pt Helvetica, margin notes in 7 pt at x=40 (left) or x=470 (right), on the same baselines as
body lines and interleaved with them in the content stream, as LaTeX margin notes are.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from conftest import REAL_CORPUS
from mathtutor.ingest.pdftext import (
    LIGATURES,
    PageText,
    Run,
    extract_pages,
    fix_characters,
    margin_notes,
    repair_hyphens,
    vocabulary,
)
from mathtutor.ingest.readers import load_pdf

FONTS = "<< /F1 3 0 R /F2 4 0 R /F3 5 0 R >>"  # F2 is Helvetica again: a font switch splits a run without moving


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def body(y: float, text: str, x: float = 150, font: str = "F1", size: float = 10) -> str:
    """One positioned run: BT at (x, y), text in ``font``; ``\\x01`` in F3 is the fi ligature glyph."""
    return f"BT /{font} {size} Tf 1 0 0 1 {x} {y} Tm ({_esc(text)}) Tj ET\n"


def note(y: float, text: str, x: float = 40) -> str:
    return body(y, text, x=x, size=7)


def make_pdf(streams: list[str]) -> bytes:
    """A PDF with one page per content stream; fonts F1/F2 Helvetica, F3 Helvetica with a ligature code."""
    objects: list[tuple[int, str]] = [
        (3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        (4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        (
            5,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
            "/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi] >> >>",
        ),
    ]
    kids = []
    next_id = 6
    for stream in streams:
        page_id, content_id = next_id, next_id + 1
        next_id += 2
        objects.append(
            (
                page_id,
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font {FONTS} >> /Contents {content_id} 0 R >>",
            )
        )
        objects.append((content_id, f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"))
        kids.append(f"{page_id} 0 R")
    objects += [
        (1, "<< /Type /Catalog /Pages 2 0 R >>"),
        (2, f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(streams)} >>"),
    ]
    out = b"%PDF-1.4\n"
    offsets = {}
    for oid, text in sorted(objects):
        offsets[oid] = len(out)
        out += f"{oid} 0 obj\n{text}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for oid in range(1, len(objects) + 1):
        out += f"{offsets[oid]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# Body lines in our own words, all about the same width, so the column's right edge is clear.
LINES = [
    "Linear maps send straight lines to straight lines,",
    "and a square matrix has an eigenvalue when one of",
    "its vectors keeps its direction. Functions that are",
    "differ-",
    "entiable have a derivative at each point, and the",
    "least squares fit solves a small linear system. The",
    "least-",
    "squares problem is the same one written as a norm.",
]


def column_page(with_notes: bool = True) -> str:
    """Eight body lines; a left margin note beside line 2 and a right one beside line 5, mid-stream."""
    out = []
    for i, text in enumerate(LINES):
        y = 700 - 14 * i
        out.append(body(y, text))
        if with_notes and i == 1:
            out.append(note(y, "eigenvalue"))
        if with_notes and i == 4:
            out.append(note(y, "derivative", x=470))
            out.append(note(y - 9, "of a function", x=470))
    return "".join(out)


def page_text(streams: list[str], index: int = 0) -> PageText:
    return extract_pages(PdfReader(io.BytesIO(make_pdf(streams))).pages)[index]


def test_the_test_pdf_shows_the_old_glue():
    """pypdf's plain extraction pastes the left margin note onto the body word (what this module fixes)."""
    plain = PdfReader(io.BytesIO(make_pdf([column_page()]))).pages[0].extract_text()
    assert "ofeigenvalue" in plain


def test_margin_notes_leave_the_body_and_are_kept_apart():
    page = page_text([column_page()])
    assert page.margin == ["eigenvalue", "derivative of a function"]
    lines = page.body.split("\n")
    assert lines[1] == "and a square matrix has an eigenvalue when one of"
    assert lines[3] == "differentiable have a derivative at each point, and the"
    assert "ofeigenvalue" not in page.body
    assert "of a function" not in page.body


def test_body_is_the_same_with_or_without_notes():
    assert page_text([column_page()]).body == page_text([column_page(with_notes=False)]).body


def test_line_end_hyphens_join_syllables_and_keep_compounds():
    lines = page_text([column_page()]).body.split("\n")
    assert lines[2] == "its vectors keeps its direction. Functions that are"
    assert lines[3] == "differentiable have a derivative at each point, and the"
    # "least" and "squares" are both words of this page, so the break is a compound's hyphen
    assert lines[5] == "least-squares problem is the same one written as a norm."
    assert len(lines) == 6


def test_repair_hyphens_decides_by_the_document_words():
    vocab = vocabulary(["a polynomial of low degree", "the least squares fit", "a well-known result", "we differ"])
    assert repair_hyphens("poly-\nnomial", vocab) == "polynomial"
    assert repair_hyphens("least-\nsquares", vocab) == "least-squares"  # both halves are words of their own
    assert repair_hyphens("well-\nknown", vocab) == "well-known"  # written with the hyphen elsewhere
    assert repair_hyphens("differ-\nentiable", vocab) == "differentiable"  # "entiable" is no word: a syllable
    assert repair_hyphens("rank-\n1 matrix", vocab) == "rank-1 matrix"
    assert repair_hyphens("Eckart-\nYoung", vocab) == "Eckart-Young"
    # a line break pypdf reported as a space: joined only for a word the document writes whole
    assert repair_hyphens("a polyno- mial here", vocab) == "a polynomial here"
    assert repair_hyphens("first- and second-order", vocab) == "first- and second-order"


def test_vocabulary_leaves_out_the_halves_of_broken_words():
    vocab = vocabulary(["compres-\nsion and a least-squares fit"])
    assert vocab["compres"] == 0 and vocab["sion"] == 0
    assert vocab["least-squares"] == 1 and vocab["and"] == 1


def test_ligature_glyph_becomes_letters():
    stream = column_page(with_notes=False) + body(560, "We \x01nd the \x01rst vector.", font="F3")
    lines = page_text([stream]).body.split("\n")
    assert lines[-1] == "We find the first vector."
    assert not any(ch in page_text([stream]).body for ch in LIGATURES)


def test_fix_characters_keeps_math_symbols():
    assert fix_characters("\ufb01t \ufb02ow e\ufb00ect \ufb03x \ufb04y") == "fit flow effect ffix ffly"
    assert fix_characters("x\u00b2 \u2208 \u211d, \u03f5 > 0, a\u00adb") == "x\u00b2 \u2208 \u211d, \u03f5 > 0, ab"


def test_adjacent_runs_get_a_space_only_at_a_gap_or_a_capital():
    stream = column_page(with_notes=False) + (
        # "Jaco" + "bian" with a font switch and no move: one word
        "BT /F1 10 Tf 1 0 0 1 150 560 Tm (Jaco) Tj /F2 10 Tf (bian) Tj ET\n"
        # "The" + "Hessian" with a font switch and no move: a lower-upper join at a run boundary
        "BT /F1 10 Tf 1 0 0 1 150 546 Tm (The) Tj /F2 10 Tf (Hessian) Tj ET\n"
        # "gradient" then a run moved 60 pt right on the same baseline: a gap
        "BT /F1 10 Tf 1 0 0 1 150 532 Tm (gradient) Tj 60 0 Td (descent) Tj ET\n"
    )
    lines = page_text([stream]).body.split("\n")
    assert lines[-3:] == ["Jacobian", "The Hessian", "gradient descent"]


def test_a_run_jumping_back_on_the_same_baseline_starts_a_new_line():
    """Two runs on one baseline, the second to the left of the first (a second column): never glued."""
    stream = column_page(with_notes=False) + body(560, "right half", x=330) + body(560, "left half")
    lines = page_text([stream]).body.split("\n")
    assert lines[-2:] == ["right half", "left half"]


def test_text_outside_the_crop_box_is_dropped():
    stream = column_page(with_notes=False) + body(900, "above the page")
    assert "above the page" not in page_text([stream]).body


def test_margin_side_follows_the_page_parity():
    """Even pages put notes left, odd pages right (0-based index), each page measured with its own column."""
    odd = "".join(body(700 - 14 * i, t, x=60) for i, t in enumerate(LINES)) + note(686, "matrix", x=400)
    pages = extract_pages(PdfReader(io.BytesIO(make_pdf([column_page(), odd]))).pages)
    assert pages[0].margin == ["eigenvalue", "derivative of a function"]
    assert pages[1].margin == ["matrix"]
    assert pages[1].body.split("\n")[1] == LINES[1]


def test_a_document_without_a_body_font_column_keeps_everything():
    page = page_text([body(700, "One short line") + note(680, "small print")])
    assert page.margin == []
    assert page.body == "One short line\nsmall print"


def test_a_broken_page_comes_back_empty_and_the_others_survive():
    class Broken:
        def extract_text(self, **_: object) -> str:
            raise ValueError("bad content stream")

        cropbox = None

    good = PdfReader(io.BytesIO(make_pdf([column_page()]))).pages[0]
    pages = extract_pages([Broken(), good])
    assert pages[0] == PageText(body="", margin=[])
    assert pages[1].margin == ["eigenvalue", "derivative of a function"]


def test_load_pdf_puts_margin_notes_in_section_meta():
    sections = load_pdf(make_pdf([column_page(), column_page(with_notes=False)]))
    assert [s.page for s in sections] == [1, 2]
    assert sections[0].meta == {"margin": ["eigenvalue", "derivative of a function"]}
    assert sections[1].meta == {}
    assert "differentiable have a derivative" in sections[0].text


def aside_page() -> str:
    """The column page with a two-line aside (eight words) in the left margin beside lines 6 and 7."""
    return column_page() + note(630, "A norm measures the") + note(621, "length of a vector.")


def test_long_margin_notes_follow_the_body_as_their_own_paragraph():
    page = page_text([aside_page()])
    assert page.margin == ["eigenvalue", "derivative of a function", "A norm measures the length of a vector."]
    assert page.body == page_text([column_page(with_notes=False)]).body
    assert page.text() == page.body + "\n\nA norm measures the length of a vector."
    sections = load_pdf(make_pdf([aside_page()]))
    assert sections[0].text.endswith("as a norm.\n\nA norm measures the length of a vector.")
    assert sections[0].meta["margin"][-1] == "A norm measures the length of a vector."


def test_page_text_without_long_notes_is_the_body():
    assert PageText(body="b", margin=["term", "two words"]).text() == "b"
    assert PageText(body="", margin=["one two three four five six"]).text() == "one two three four five six"
    assert PageText(body="b", margin=["one two three four five six"]).text() == "b\n\none two three four five six"


def test_a_margin_line_on_a_body_baseline_starts_a_new_note():
    lines = [Run(x=40, y=600, size=7, text="first note", end=70), Run(x=40, y=591, size=7, text="second", end=60)]
    assert margin_notes(lines) == ["first note second"]
    assert margin_notes(lines, body_baselines=[591.1]) == ["first note", "second"]
    assert margin_notes(lines, body_baselines=[591.5]) == ["first note second"]
    far = [lines[0], Run(x=40, y=580, size=7, text="later", end=60)]
    assert margin_notes(far) == ["first note", "later"]


def test_margin_notes_split_where_the_gap_exceeds_the_page_leading():
    ys = [600, 589.5, 579.0, 568.1, 557.6]  # 10.5 pt leading, then 10.9: a second note
    words = ["one", "two", "three", "four", "five"]
    lines = [Run(x=40, y=y, size=8, text=t, end=80) for y, t in zip(ys, words, strict=True)]
    assert margin_notes(lines) == ["one two three", "four five"]
    wide = [Run(x=40, y=600 - 11 * i, size=8, text=t, end=80) for i, t in enumerate(["six", "seven", "eight"])]
    assert margin_notes(wide) == ["six seven eight"]  # a wider leading throughout is still one note


def test_a_hyphen_inside_a_margin_note_joins_its_lines():
    lines = [
        Run(x=40, y=600, size=7, text="singular value decom-", end=90),
        Run(x=40, y=591, size=7, text="position", end=70),
    ]
    assert margin_notes(lines) == ["singular value decomposition"]


# ---------------------------------------------------------------- the real book (slow)

GLUED = re.compile(r"\b[a-z]{2,}[A-Z][a-z]+\b")


@pytest.mark.slow
def test_real_mml_chapter_has_no_margin_terms_in_its_sentences():
    """MML chapter 5 (vector calculus): measured 8 camel-glued tokens before, 0 after; margin terms apart."""
    path = REAL_CORPUS / "mml-book" / "chapter05.pdf"
    assert path.is_file(), f"real corpus missing: {path}"
    sections = load_pdf(path.read_bytes())
    assert len(sections) >= 30
    text = "\n".join(s.text for s in sections)
    assert len(GLUED.findall(text)) <= 1
    # Page 4 of the file: the margin repeats the defined term beside the body line that ends in "of".
    page4 = next(s for s in sections if s.page == 4)
    assert any("Taylor polynomial" in m for m in page4.meta["margin"])
    assert "ofTaylor" not in text
    assert not re.search(r"\bof Taylor polynomial\n", page4.text)
    assert "Jacobian" in " ".join(m for s in sections for m in s.meta.get("margin", []))
    assert "TheJacobian" not in text
    assert "\ufb01" not in text
