from mathtutor.types import Chunk, format_time


def _chunk(**kw) -> Chunk:
    base = dict(text="t", file_key="k", kind="pdf", title="T", ordinal=0)
    base.update(kw)
    return Chunk(**base)


def test_youtube_links_carry_seconds():
    c = _chunk(kind="captions", url="https://youtu.be/fNk_zzaMoSs", start_s=83.7, end_s=95.0)
    assert c.link() == "https://youtu.be/fNk_zzaMoSs?t=83s"
    assert c.locator() == "1:23-1:35"
    c = _chunk(kind="captions", url="https://www.youtube.com/watch?v=abc&t=5s", start_s=3725)
    assert c.link() == "https://www.youtube.com/watch?v=abc&t=3725s"
    assert c.locator() == "1:02:05"


def test_pdf_links_carry_page_with_offset():
    c = _chunk(url="https://mml-book.github.io/book/mml-book.pdf", page=3, page_offset=16)
    assert c.link() == "https://mml-book.github.io/book/mml-book.pdf#page=19"
    assert c.locator() == "p. 19"


def test_plain_urls_are_left_alone():
    assert _chunk(url="https://d2l.ai/chapter_preliminaries/calculus.html", page=None).link() == (
        "https://d2l.ai/chapter_preliminaries/calculus.html"
    )
    assert _chunk(url=None).link() is None
    # a page locator on a non-PDF URL does not invent a #page fragment
    assert _chunk(url="https://mml-book.github.io/", page=4).link() == "https://mml-book.github.io/"


def test_format_time():
    assert format_time(0) == "0:00"
    assert format_time(59.9) == "0:59"
    assert format_time(3600) == "1:00:00"
