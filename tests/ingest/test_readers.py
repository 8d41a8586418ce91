from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from conftest import make_pdf, make_srt
from mathtutor.ingest.readers import (
    LoadError,
    decode_text,
    kind_for,
    load_captions,
    load_markdown,
    load_pdf,
    load_sections,
    strip_boilerplate,
)


def test_pdf_pages_keep_their_numbers_and_text():
    data = make_pdf(["Vectors can be added.", "Matrices multiply vectors.", "Eigenvalues stretch."])
    sections = load_pdf(data)
    assert [s.page for s in sections] == [1, 2, 3]
    assert "Matrices multiply vectors." in sections[1].text


def test_pdf_running_headers_and_footers_are_dropped():
    topics = ["span", "basis", "rank", "kernel", "image", "trace"]
    pages = [
        f"Chapter Two Draft Header {i}\nBody text number {i} about {t}.\nThe {t} matters.\n"
        f"We study {t} with care.\nFeedback footer line"
        for i, t in enumerate(topics, start=1)
    ]
    sections = load_pdf(make_pdf(pages))
    assert len(sections) == 6
    for s in sections:
        assert "Draft Header" not in s.text
        assert "Feedback footer" not in s.text
        assert f"Body text number {s.page}" in s.text
        assert f"about {topics[s.page - 1]}" in s.text


def test_encrypted_pdf_is_refused_with_a_clear_message():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["secret page"]))))
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(LoadError, match="password"):
        load_pdf(buf.getvalue())


def test_corrupt_pdf_is_refused():
    with pytest.raises(LoadError, match=r"corrupt|unreadable"):
        load_pdf(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage" + b"\x00" * 50)


def test_image_only_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(LoadError, match="no extractable text"):
        load_pdf(buf.getvalue())


def test_empty_and_oversized_files(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    with pytest.raises(LoadError, match="empty"):
        load_sections(empty, "markdown", max_bytes=1000)
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000)
    with pytest.raises(LoadError, match="over the"):
        load_sections(big, "text", max_bytes=1000)


def test_non_utf8_text_is_refused_not_guessed():
    latin1 = "café au lait".encode("latin-1")
    with pytest.raises(LoadError, match=r"not UTF-8 text \(byte 0xe9 at offset 3\)"):
        decode_text(latin1)


def test_utf16_with_bom_and_utf8_bom_are_read():
    assert decode_text("Gradient descent".encode("utf-16")) == "Gradient descent"
    assert decode_text(b"\xef\xbb\xbfchain rule") == "chain rule"


def test_srt_cues_keep_timestamps_with_milliseconds():
    text = make_srt([(1.5, 3.25, "The derivative"), (3.25, 7.0, "measures <i>change</i>.")])
    cues = load_captions(text, ".srt")
    assert [(c.start_s, c.end_s) for c in cues] == [(1.5, 3.25), (3.25, 7.0)]
    assert cues[1].text == "measures change."


def test_vtt_is_read():
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.500\nA vector has a length.\n\n01:02:03.250 --> 01:02:05.000\nLater.\n"
    cues = load_captions(vtt, ".vtt")
    assert cues[0].start_s == 1.0 and cues[0].end_s == 4.5
    assert cues[1].start_s == pytest.approx(3723.25)


@pytest.mark.parametrize("bad", ["this is not a caption file\nat all", "1\n00:00:01,000 --> garbage\nhello\n"])
def test_malformed_captions_are_refused(bad):
    with pytest.raises(LoadError, match="caption"):
        load_captions(bad, ".srt")


def test_markdown_sections_keep_heading_paths_and_front_matter():
    md = (
        "---\ntitle: My note\nconcept: pca\n---\n"
        "# PCA\nIntro.\n## Variance\nKeep the spread.\n### Detail\nMore.\n## Next\nEnd."
    )
    sections, meta = load_markdown(md)
    assert meta == {"title": "My note", "concept": "pca"}
    assert [s.heading for s in sections] == ["PCA", "PCA > Variance", "PCA > Variance > Detail", "PCA > Next"]
    assert sections[1].text == "Keep the spread."


def test_markdown_heading_inside_code_fence_is_not_a_section():
    sections, _ = load_markdown("# Real\ntext\n```\n# not a heading\n```\nafter")
    assert [s.heading for s in sections] == ["Real"]
    assert "# not a heading" in sections[0].text


def test_bad_front_matter_is_reported():
    with pytest.raises(LoadError, match="front matter"):
        load_markdown("---\ntitle: [unclosed\n---\nbody")


def test_d2l_framework_tabs_and_code_cells_are_dropped():
    md = """# Linear Algebra
:label:`sec_la`

Scalars are numbers, see :numref:`sec_ndarray`.

```{.python .input}
%%tab mxnet
from mxnet import np
```

```{.python .input  n=3}
%%tab pytorch
import torch
```

:begin_tab:`mxnet`
MXNet-only prose.
:end_tab:

:begin_tab:`pytorch`
PyTorch prose stays.
:end_tab:

```python
plain_code_block_is_kept = True
```

[Discussions](https://discuss.d2l.ai/t/31)
"""
    out = strip_boilerplate(md)
    assert "mxnet" not in out.lower()
    assert "import torch" not in out
    assert "PyTorch prose stays." in out
    assert "plain_code_block_is_kept" in out
    assert ":label:" not in out and "Discussions" not in out
    assert "see sec_ndarray." in out


def test_kinds():
    from pathlib import Path

    assert kind_for(Path("a/b.PDF")) == "pdf"
    assert kind_for(Path("x.srt")) == "captions"
    assert kind_for(Path("x.vtt")) == "captions"
    assert kind_for(Path("notes.md")) == "markdown"
    assert kind_for(Path("catalog.yaml")) == "catalog"
    assert kind_for(Path("index.xml")) is None
    assert kind_for(Path("LICENSE")) is None
