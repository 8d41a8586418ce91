"""Rendering: untrusted text is escaped (shown as written), our own markdown is kept, no server path leaks."""

from __future__ import annotations

from pathlib import Path

from mathtutor.apps.ui.render import (
    Links,
    escape_answer,
    md_text,
    path_markdown,
    render_answer,
    render_path_html,
    render_sources,
    scrub_paths,
    source_line,
)
from mathtutor.settings import PROJECT_ROOT

IMG = "<img src=x onerror=alert(1)>"
JS = '<a href="javascript:alert(2)">click</a>'
STYLE = "<style>body{display:none}</style>"
MDJS = "[win](javascript:alert(3))"
NASTY = f"Eigen {IMG} {JS} {STYLE} {MDJS} ok"


def _cite(n: int, url: str | None, title: str = "A book", locator: str = "p. 3", snippet: str = "x") -> dict:
    return {"n": n, "resource_id": "r", "title": title, "url": url, "locator": locator, "snippet": snippet, "score": 1}


def _no_markup(out: str) -> None:
    for raw in ("<img", '<a href="javascript', "<style", "](javascript", "onerror=alert(1)>"):
        assert raw not in out, (raw, out)


def test_answer_text_from_documents_is_escaped_not_cleaned() -> None:
    out = escape_answer(NASTY + " and $a < b$ [1].")
    _no_markup(out)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out  # kept, as text: escaped, not removed
    assert "&lt;style&gt;body{display:none}&lt;/style&gt;" in out
    assert "[win]\\(javascript:alert(3))" in out
    assert "$a &lt; b$ [1]." in out


def test_rendered_answer_keeps_our_markdown_and_links_only_citations() -> None:
    turn = {"answer": f"**Eigenvalues** {IMG} [1].", "citations": [_cite(1, "https://ex.org/b.pdf#page=3", IMG)]}
    md = render_answer(turn)
    _no_markup(md)
    assert md.startswith("**Eigenvalues** &lt;img")
    assert '[\\[1\\]](https://ex.org/b.pdf#page=3 "&lt;img src=x onerror=alert(1)&gt;, p. 3")' in md
    assert "- **\\[1\\]** [&lt;img src=x onerror=alert(1)&gt;](https://ex.org/b.pdf#page=3) · p. 3" in md


def test_sources_panel_and_titles_escape_markup() -> None:
    panel = render_sources({"citations": [_cite(1, "https://ex.org", f"T {STYLE}", snippet=NASTY)]})
    _no_markup(panel)
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel
    assert "\\[win\\]\\(javascript:alert(3))" in panel
    assert md_text("<b> & *x*") == "&lt;b&gt; &amp; \\*x\\*"


def test_study_path_html_and_export_escape_markup() -> None:
    turn = {
        "question": f"What should I study for {IMG}?",
        "citations": [_cite(1, "javascript:alert(1)", JS), _cite(2, "https://ex.org/c", STYLE, locator="")],
        "study_path": [{"concept": "pca", "why": f"Because {STYLE}", "citations": [1, 2]}],
    }
    html_out = render_path_html([turn], None)
    _no_markup(html_out)
    assert 'href="javascript' not in html_out and "&lt;a href=&quot;javascript:alert(2)&quot;&gt;" in html_out
    assert '<a href="https://ex.org/c" target="_blank" rel="noopener noreferrer">' in html_out
    assert "(whole resource)" in html_out  # a catalog citation says it opens the whole resource
    md = path_markdown([turn])
    _no_markup(md)
    assert "javascript:alert(1))" not in md  # the javascript: citation gets no link in the export either


def test_catalog_citation_says_it_links_to_the_whole_resource() -> None:
    line = source_line(_cite(4, "https://mml-book.github.io/", "Mathematics for Machine Learning", locator=""))
    assert line == "**\\[4\\]** [Mathematics for Machine Learning](https://mml-book.github.io/) · the whole resource"
    md = render_answer({"answer": "See [4].", "citations": [_cite(4, "https://ex.org/", "Book", locator="")]})
    assert '[\\[4\\]](https://ex.org/ "Book (the whole resource)")' in md


def test_exports_and_api_never_carry_server_paths(tmp_path: Path) -> None:
    note = (PROJECT_ROOT / "corpus" / "notes" / "concepts" / "pca.md").as_uri()
    secret = (tmp_path / "x.pdf").as_uri() + "#page=2"
    links = Links(PROJECT_ROOT / "corpus" / "notes")
    turn = {
        "question": "Q",
        "answer": "A [1] [2].",
        "citations": [_cite(1, note, "PCA note", ""), _cite(2, secret)],
        "study_path": [{"concept": "pca", "why": "w", "citations": [1, 2]}],
    }
    for out in (render_answer(turn, links), path_markdown([turn], None, links), render_answer(turn)):
        assert str(PROJECT_ROOT) not in out and str(tmp_path) not in out and "file://" not in out
    assert "(/notes/pca)" in render_answer(turn, links)


def test_scrub_paths_removes_server_paths_from_messages() -> None:
    msg = f"could not load the local model {PROJECT_ROOT}/models/smol.gguf: timed out after 60 s"
    out = scrub_paths(msg)
    assert str(PROJECT_ROOT) not in out and ".gguf" not in out
    assert out.startswith("could not load the local model a server file")
    assert scrub_paths("see https://ex.org/a/b.pdf and 1/2/3") == "see https://ex.org/a/b.pdf and 1/2/3"
    assert "/tmp" not in scrub_paths("FileNotFoundError: /tmp/x/feedback.jsonl")
