"""The web UI: its pure helpers, and the live server through ``gradio_client`` on loopback.

The server tests run one in-process server on a copy of the ``tutor_index`` index (uploads change
the index, and other test files share the original) with a 1 MB upload limit, so the size check is
cheap to exercise. One more test starts ``python app.py`` as a separate process, the way a learner does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from mathtutor.apps.ui.app import parse_auth
from mathtutor.apps.ui.render import (
    Links,
    link_citations,
    path_markdown,
    render_answer,
    render_sources,
    search_status,
)
from mathtutor.apps.ui.sessions import TutorHolder
from mathtutor.apps.ui.uploads import check_upload, sanitize_filename
from mathtutor.settings import PROJECT_ROOT, Settings

UPLOAD_DOC = """# Notes on the Vendrell trace rule

The Vendrell trace rule is our own name for a simple fact: the trace of a square matrix equals the sum
of its eigenvalues, counted with multiplicity. We use the Vendrell trace rule to check hand-computed
eigenvalues quickly, before trusting them in a longer calculation.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cite(n: int, url: str | None, title: str = "A book", locator: str = "p. 3") -> dict:
    return {"n": n, "resource_id": "r", "title": title, "url": url, "locator": locator, "snippet": "x", "score": 1.0}


# ------------------------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.md", "notes.md"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\evil.PDF", "evil.pdf"),
        ("My notes (v2)!.md", "My_notes_v2.md"),
        (".hidden.md", "hidden.md"),
        ("rm -rf $HOME; .srt", "rm_-rf_HOME.srt"),
        ("线性代数 笔记.md", "线性代数_笔记.md"),
        ("", "upload"),
        ("....", "upload"),
        ("a" * 300 + ".txt", "a" * 80 + ".txt"),
    ],
)
def test_sanitize_filename(name: str, expected: str) -> None:
    out = sanitize_filename(name)
    assert out == expected
    assert "/" not in out and "\\" not in out and not out.startswith(".")


def test_check_upload_refuses_wrong_type_size_and_content(tmp_path: Path) -> None:
    ok = tmp_path / "ok.md"
    ok.write_text("# Title\n\nSome text about matrices.\n", encoding="utf-8")
    assert check_upload(ok, ok.name, 1_000_000) is None

    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    assert ".exe files are not accepted" in check_upload(exe, exe.name, 1_000_000)
    bare = tmp_path / "README"
    bare.write_text("text")
    assert "without an extension" in check_upload(bare, bare.name, 1_000_000)

    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2_000_001)
    assert "over the 2 MB limit" in check_upload(big, big.name, 2_000_000)

    empty = tmp_path / "empty.srt"
    empty.write_bytes(b"")
    assert "empty" in check_upload(empty, empty.name, 1_000_000)

    fake_pdf = tmp_path / "paper.pdf"
    fake_pdf.write_text("just text pretending to be a PDF")
    assert "not a PDF" in check_upload(fake_pdf, fake_pdf.name, 1_000_000)

    binary_md = tmp_path / "image.md"
    binary_md.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "not a text file" in check_upload(binary_md, binary_md.name, 1_000_000)

    latin1 = tmp_path / "old.txt"
    latin1.write_bytes("Caf\xe9 au lait, matrices d\xe9j\xe0 vues".encode("latin-1"))
    assert "not UTF-8" in check_upload(latin1, latin1.name, 1_000_000)


def test_links_never_show_a_server_path(tmp_path: Path) -> None:
    uploads, notes = tmp_path / "uploads", tmp_path / "notes"
    links = Links(notes, {uploads: "/my-files/TOKEN"})
    inside = (uploads / "ab" / "my notes.pdf").as_uri() + "#page=4"
    assert links.href(inside) == "/my-files/TOKEN/ab/my%20notes.pdf#page=4"
    assert links.href((uploads / "ab" / "x.pdf").as_uri() + "#page=4&evil=1") == "/my-files/TOKEN/ab/x.pdf"
    assert links.href((notes / "concepts" / "pca.md").as_uri()) == "/notes/pca"
    assert links.href((tmp_path / "secret.txt").as_uri()) is None
    assert links.href((uploads / ".." / "secret.txt").as_uri()) is None  # no climbing out
    assert links.href("https://example.org/book.pdf#page=3") == "https://example.org/book.pdf#page=3"
    assert links.href("/notes/pca") == "/notes/pca"
    assert links.href("/notes/../etc") is None
    assert links.href("javascript:alert(1)") is None
    assert links.href("data:text/html,<b>x</b>") is None
    assert Links().href("file:///anywhere/x.md") is None  # the API and exports get no server path either


def test_citations_become_links_with_title_and_locator() -> None:
    cites = [_cite(1, "https://example.org/b.pdf#page=3", "Linear [algebra] *notes*"), _cite(2, None)]
    text = link_citations("Eigenvalues [1] and traces [2], see [3] and [1](x).", cites)
    assert '[\\[1\\]](https://example.org/b.pdf#page=3 "Linear [algebra] *notes*, p. 3")' in text
    assert "traces \\[2\\]" in text  # a source without a URL: no dead link
    assert "see [3]" in text  # no such citation: left alone
    md = render_answer({"answer": "Eigenvalues [1].", "citations": cites})
    assert "**Sources**" in md
    assert "- **\\[1\\]** [Linear \\[algebra\\] \\*notes\\*](https://example.org/b.pdf#page=3) · p. 3" in md
    folded = render_answer({"answer": "Eigenvalues [1].", "citations": cites}, fold_sources=True)
    assert "<details><summary>Sources (2 passages and resources)</summary>" in folded


def test_sources_panel_escapes_html_and_keeps_latex() -> None:
    cite = _cite(1, "https://example.org", "T") | {"snippet": "If $a < b$ then <script>alert(1)</script> holds."}
    panel = render_sources({"citations": [cite]})
    assert "$a &lt; b$" in panel and "<script>" not in panel
    assert "passages behind each answer" in render_sources(None)


def test_study_path_exports_as_markdown_checklist() -> None:
    turns = [
        {"question": "What is a vector?", "citations": [], "study_path": []},
        {
            "question": "What should I study for PCA?",
            "level": "beginner",
            "citations": [_cite(1, "https://youtu.be/abc?t=30s", "Essence", "0:30"), _cite(2, None, "Notes", "")],
            "study_path": [
                {"concept": "vectors", "why": "Lists of numbers.", "citations": [1, 2]},
                {"concept": "pca", "why": "The goal.", "citations": []},
            ],
        },
    ]
    md = path_markdown(turns)
    assert "## What should I study for PCA? (level: beginner)" in md
    assert "1. [ ] **Vectors**: Lists of numbers." in md
    assert "   - [Essence, 0:30](https://youtu.be/abc?t=30s)" in md
    assert "   - Notes" in md
    assert "2. [ ] **Pca**: The goal." in md
    assert "What is a vector?" not in md  # turns without a path are not exported
    assert "No study path yet" in path_markdown(turns[:1])


def test_search_status_names_what_is_searched() -> None:
    status = {"chunks": 1234, "formats": {"book": 3, "video-series": 1, "course": 2, "article": 4, "notes": 1}}
    assert (
        search_status(status) == "Searching 1,234 passages from 3 books, 1 video series, 2 courses and 5 more sources…"
    )
    assert search_status({"chunks": 7, "formats": {"notes": 1}}) == "Searching 7 passages from 1 source…"


def test_parse_auth() -> None:
    assert parse_auth("alice:pa:ss") == ("alice", "pa:ss")
    assert parse_auth(None) is None
    for bad in ("alice", ":pw", "alice:"):
        with pytest.raises(ValueError, match="USER:PASSWORD"):
            parse_auth(bad)


def test_feedback_is_appended_as_jsonl(tmp_path: Path) -> None:
    holder = TutorHolder(SimpleNamespace(settings=Settings()), data_dir=tmp_path / "data")  # type: ignore[arg-type]
    turn = {"question": "Q?", "answer": "A [1].", "citations": [_cite(1, "https://x.org")], "backend": "extractive"}
    holder.record_feedback(turn, "up")
    holder.record_feedback(turn, "down")
    rows = [json.loads(line) for line in (tmp_path / "data" / "feedback.jsonl").read_text().splitlines()]
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["question"] == "Q?" and rows[0]["citations"][0]["url"] == "https://x.org"


def test_exports_expire_and_cannot_be_guessed() -> None:
    from mathtutor.apps.ui.sessions import Exports

    shelf = Exports(max_age_s=3600)
    key = shelf.put("# My study path\n")
    assert len(key) >= 24 and shelf.get(key) == "# My study path\n"
    assert shelf.get("nope") is None
    stale = Exports(max_age_s=0)
    assert stale.get(stale.put("x")) is None


def test_history_carries_the_sources_urls() -> None:
    from mathtutor.apps.ui.chat import history as _history

    turn = {"question": "Q?", "answer": "See [1].", "citations": [_cite(1, "https://book.org/ch1.pdf#page=2")]}
    hist = _history([turn])
    assert [m["role"] for m in hist] == ["user", "assistant"]
    assert "https://book.org/ch1.pdf#page=2" in hist[1]["content"]


def test_serve_refuses_a_missing_index_and_bad_auth(tmp_path: Path, capsys) -> None:
    from mathtutor.apps.cli import main

    assert main(["serve", "--index", str(tmp_path / "nope"), "--no-browser"]) == 2
    assert "no index at" in capsys.readouterr().err
    assert main(["serve", "--index", str(tmp_path / "nope"), "--auth", "nopassword", "--no-browser"]) == 2
    assert "USER:PASSWORD" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ live server


@pytest.fixture(scope="module")
def ui_server(tutor_index, real_embedder, tmp_path_factory):
    """A live server on loopback over a copy of the test index; Ollama pointed at a closed port."""
    from mathtutor.apps.ui.app import build_app, launch
    from mathtutor.tutor import Tutor

    root = tmp_path_factory.mktemp("ui")
    index = root / "index"
    shutil.copytree(tutor_index.index_dir, index)
    closed = f"http://127.0.0.1:{free_port()}"
    demo = build_app(
        lambda: Tutor.open(index, embedder=real_embedder, ollama_base_url=closed),
        data_dir=root / "data",
        max_upload_mb=1,
    )
    url = launch(demo, port=free_port(), block=False)
    assert url.startswith("http://127.0.0.1:")
    yield SimpleNamespace(url=url, demo=demo, holder=demo.holder, data=root / "data")
    demo.close()


@pytest.fixture
def client(ui_server):
    from gradio_client import Client

    return Client(ui_server.url, verbose=False, analytics_enabled=False, download_files=False)


@pytest.mark.slow
def test_chat_api_answers_with_citations(client) -> None:
    md = client.predict("What should I study for PCA?", api_name="/chat")
    assert "Study path for Principal component analysis" in md
    assert "**Sources**" in md
    links = re.findall(r"\[\\\[(\d+)\\\]\]\((\S+) \"([^\"]+)\"\)", md)  # [\[n\]](url "title, locator")
    assert len(links) >= 5
    assert all(url.startswith(("https://", "http://", "/notes/")) for _, url, _ in links), links
    assert "file://" not in md and str(PROJECT_ROOT) not in md  # notes are linked at /notes/<slug>
    sources = re.findall(r"^- \*\*\\\[(\d+)\\\]\*\* \[", md, flags=re.M)
    assert sources and sources[0] == "1" and len(sources) >= len({n for n, _, _ in links})
    beginner = client.predict("What should I study for PCA?", "beginner", api_name="/chat")
    assert "level: beginner" in beginner


@pytest.mark.slow
def test_chat_api_reports_bad_questions_and_unavailable_backends(client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/chat")
    md = client.predict("What is a gradient?", "auto", "ollama", api_name="/chat")
    assert "The **ollama** backend is not available" in md and "Ollama is not running" in md
    assert "**Sources**" in md  # and the question is still answered


@pytest.mark.slow
def test_wrong_type_and_oversized_uploads_are_refused(client, ui_server, tmp_path: Path) -> None:
    from gradio_client import handle_file

    chunks = ui_server.holder.tutor.status()["chunks"]
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ\x90\x00" * 100)
    message, _, _ = client.predict([handle_file(str(exe))], api_name="/upload")
    assert "Not added: setup.exe: .exe files are not accepted" in message

    big = tmp_path / "huge notes.md"
    big.write_text("# Big\n\n" + "The gradient points uphill. " * 60_000, encoding="utf-8")  # ~1.7 MB
    message, _, _ = client.predict([handle_file(str(big))], api_name="/upload")
    assert "huge\\_notes.md: the file is 1.7 MB, over the 1 MB limit for uploads" in message

    fake = tmp_path / "paper.pdf"
    fake.write_text("not really a PDF")
    message, _, _ = client.predict([handle_file(str(fake))], api_name="/upload")
    assert "paper.pdf: this is not a PDF" in message

    assert ui_server.holder.tutor.status()["chunks"] == chunks
    assert not list((ui_server.data / "private").rglob("*.*"))  # nothing refused was kept


@pytest.mark.slow
def test_good_upload_becomes_searchable_for_its_session_only(client, ui_server, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    question = "What is the Vendrell trace rule?"
    assert "Vendrell" not in client.predict(question, api_name="/chat")

    doc = tmp_path / "My notes (v2)!.md"
    doc.write_text(UPLOAD_DOC, encoding="utf-8")
    shared = ui_server.holder.tutor
    chunks = shared.status()["chunks"]
    # a chat submitted together with the upload must finish normally
    chat_job = client.submit("What should I study for PCA?", api_name="/chat")
    message, mine, _ = client.predict([handle_file(str(doc))], api_name="/upload")
    assert "Added **My\\_notes\\_v2.md**" in message, message
    assert "Only you can see it" in message and "My\\_notes\\_v2.md" in mine
    assert "Study path for Principal component analysis" in chat_job.result(timeout=120)

    saved = list((ui_server.data / "private").glob("*/uploads/*/My_notes_v2.md"))
    assert len(saved) == 1 and saved[0].read_text(encoding="utf-8") == UPLOAD_DOC
    assert ui_server.holder.tutor is shared and shared.status()["chunks"] == chunks  # the shared index is untouched

    md = client.predict(question, api_name="/chat")
    assert "the trace of a square matrix equals the sum of its eigenvalues" in md
    token = saved[0].parents[2].name
    assert f"(/my-files/{token}/{saved[0].parent.name}/My_notes_v2.md" in md  # a link only this session holds
    assert str(saved[0]) not in md and "file://" not in md

    # the same file again changes nothing
    message, _, _ = client.predict([handle_file(str(doc))], api_name="/upload")
    assert "already in your material" in message

    # another visitor never sees it
    other = Client(ui_server.url, verbose=False, analytics_enabled=False, download_files=False)
    assert "Vendrell" not in other.predict(question, api_name="/chat")


@pytest.mark.slow
def test_app_py_serves_on_loopback_with_auth(tutor_index, tmp_path: Path) -> None:
    """``python app.py`` as a learner runs it: loopback, a password, the chat API behind it."""
    import httpx
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "MATHTUTOR_DATA_DIR": str(tmp_path / "data"), "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, str(PROJECT_ROOT / "app.py"), "--index", str(tutor_index.index_dir)]
    cmd += ["--port", str(port), "--auth", "alice:s3cret:pw", "--no-browser"]
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while f"Running on local URL:  {url}" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        with httpx.Client(trust_env=False) as http:
            assert http.get(f"{url}/config").status_code == 401
            bad = http.post(f"{url}/login", data={"username": "alice", "password": "wrong"})
            assert bad.status_code == 400
        c = Client(url, auth=("alice", "s3cret:pw"), verbose=False, analytics_enabled=False)
        md = c.predict("What is a gradient?", api_name="/chat")
        assert "**Sources**" in md
    finally:
        proc.terminate()
        proc.wait(timeout=30)
