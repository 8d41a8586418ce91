"""Issue 15 against a live server the test starts on loopback: the attacks, through raw HTTP and gradio_client.

- A file description naming a file on the server (outside Gradio's upload cache, or inside it but never
  uploaded by a client) is refused, for every accepted type; the secret never comes back.
- One session's uploads are invisible to another; removal works; the shared index is never written.
- No server path, traceback or internal file name in what a client sees.
- Notes are served rendered at /notes/<slug>; a multi-file upload forks no process pool (issue 10, bug 3).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from conftest import make_pdf, make_srt
from llm_servers import free_port
from mathtutor.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
EXTS = [".pdf", ".md", ".txt", ".srt", ".vtt"]
SECRET = "TOPSECRET4711"
SECRET_SENTENCE = f"The zorblax codeword of the server vault is {SECRET} and it protects the quaternion ledger."
QUESTION = "What is the zorblax codeword of the server vault?"
NASTY_DOC = """---
title: "Glimmer <img src=x onerror=alert(1)> notes"
---
# Glimmer matrices

A glimmer matrix is our own name for a square matrix whose rows each sum to one, used in these test notes.
<img src=x onerror=alert(1)> <a href="javascript:alert(2)">click me</a> <style>body{display:none}</style>
Every glimmer matrix has the eigenvalue one, because the all-ones vector is mapped to itself.
"""
PRIVATE_DOC = """# Flumbert spectra

A flumbert spectrum is our private name for the list of singular values of a matrix, sorted from largest to
smallest. Only the session that uploaded this file should ever see the word flumbert in an answer.
"""


def _secret_file(folder: Path, ext: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"vault{ext}"
    if ext == ".pdf":
        path.write_bytes(make_pdf([SECRET_SENTENCE]))
    elif ext in (".srt", ".vtt"):
        body = make_srt([(0.0, 5.0, SECRET_SENTENCE)])
        path.write_text(("WEBVTT\n\n" + body.replace(",", ".")) if ext == ".vtt" else body, encoding="utf-8")
    else:
        path.write_text(f"# Vault\n\n{SECRET_SENTENCE}\n", encoding="utf-8")
    return path


def _clean(text: str, *extra: str) -> None:
    """Nothing in ``text`` names a server path, a traceback or a source file."""
    for bad in (str(PROJECT_ROOT), "/tmp", "Traceback", 'File "', ".py", *extra):
        assert bad not in text, (bad, text[:2000])


def _call(url: str, api: str, data: list) -> str:
    """Gradio's plain HTTP API: POST the inputs, then read the event stream of the result."""
    with httpx.Client(trust_env=False, timeout=180) as http:
        r = http.post(f"{url}gradio_api/call/{api}", json={"data": data})
        if r.status_code != 200:
            return r.text
        return http.get(f"{url}gradio_api/call/{api}/{r.json()['event_id']}").text


def _file_data(path: Path) -> dict:
    return {"path": str(path), "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture(scope="module")
def server(tutor_index, real_embedder, tmp_path_factory):
    from mathtutor.apps.ui.app import build_app, launch
    from mathtutor.apps.ui.sessions import Limits
    from mathtutor.tutor import Tutor

    root = tmp_path_factory.mktemp("sec")
    index = root / "index"
    shutil.copytree(tutor_index.index_dir, index)
    closed = f"http://127.0.0.1:{free_port()}"
    demo = build_app(
        lambda: Tutor.open(index, embedder=real_embedder, ollama_base_url=closed),
        data_dir=root / "data",
        limits=Limits(max_upload_mb=1, requests_per_minute=1000),
    )
    url = launch(demo, port=free_port(), block=False)
    yield SimpleNamespace(url=url, demo=demo, data=root / "data", index=index)
    demo.close()


def _client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False, analytics_enabled=False, download_files=False)


def _no_secret_anywhere(server, secret_path: Path) -> None:
    answer = _call(server.url, "chat", [QUESTION, "auto", ""])
    assert SECRET not in answer
    _clean(answer)
    with httpx.Client(trust_env=False) as http:
        for path in (secret_path, secret_path.resolve()):
            r = http.get(f"{server.url}gradio_api/file={path}")
            assert SECRET not in r.text and r.status_code != 200
    for f in server.data.rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
    assert not any(SECRET in c.text for c in server.demo.holder.tutor.store.iter_chunks())


@pytest.mark.parametrize("ext", EXTS)
def test_raw_http_cannot_make_the_server_read_its_own_files(server, tmp_path: Path, ext: str) -> None:
    from mathtutor.apps.ui.uploads import upload_cache_dir

    outside = _secret_file(tmp_path / "server-files", ext)
    out = _call(server.url, "upload", [[_file_data(outside)]])
    assert SECRET not in out
    _clean(out, str(tmp_path))
    # inside Gradio's cache, but never sent by a client (what another visitor's upload would look like)
    planted = _secret_file(upload_cache_dir() / f"planted-{os.urandom(6).hex()}", ext)
    try:
        out = _call(server.url, "upload", [[_file_data(planted)]])
        assert "not a file you uploaded" in out and SECRET not in out
        _clean(out, planted.parent.name)
        _no_secret_anywhere(server, outside)
    finally:
        shutil.rmtree(planted.parent, ignore_errors=True)


@pytest.mark.parametrize("ext", EXTS)
def test_gradio_client_cannot_make_the_server_read_its_own_files(server, tmp_path: Path, monkeypatch, ext) -> None:
    from gradio_client.client import Endpoint

    from mathtutor.apps.ui.uploads import upload_cache_dir

    # the attacker's client sends the file description as it is, instead of uploading a file of its own
    monkeypatch.setattr(Endpoint, "_upload_file", lambda self, f, data_index: f)
    client = _client(server)
    outside = _secret_file(tmp_path / "server-files", ext)
    with pytest.raises(Exception) as refused:  # Gradio itself refuses a path outside its cache
        client.predict([_file_data(outside)], api_name="/upload")
    _clean(str(refused.value), str(tmp_path))
    folder = upload_cache_dir() / f"planted-{os.urandom(6).hex()}"
    planted = _secret_file(folder, ext)
    link_dir = upload_cache_dir() / f"link-{os.urandom(6).hex()}"
    link_dir.mkdir()
    (link_dir / f"vault{ext}").symlink_to(outside)
    try:
        message, mine, _ = client.predict([_file_data(planted)], api_name="/upload")
        assert message == f"❌ Not added: vault{ext}: this is not a file you uploaded; add files with the upload box"
        assert SECRET not in mine
        with pytest.raises(Exception) as refused:  # a symlink in the cache to a server file
            client.predict([_file_data(link_dir / f"vault{ext}")], api_name="/upload")
        _clean(str(refused.value), str(tmp_path))
        _no_secret_anywhere(server, outside)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(link_dir, ignore_errors=True)


def test_uploads_are_private_escaped_and_removable(server, tmp_path: Path) -> None:
    from gradio_client import handle_file

    alice, bob = _client(server), _client(server)
    chunks = server.demo.holder.tutor.status()["chunks"]
    doc, nasty = tmp_path / "flumbert.md", tmp_path / "glimmer.md"
    doc.write_text(PRIVATE_DOC, encoding="utf-8")
    nasty.write_text(NASTY_DOC, encoding="utf-8")
    message, mine, _ = alice.predict([handle_file(str(doc)), handle_file(str(nasty))], api_name="/upload")
    assert "Added **flumbert.md**, **glimmer.md**" in message, message
    assert "- flumbert.md" in mine and "- glimmer.md" in mine
    assert server.demo.holder.tutor.status()["chunks"] == chunks  # the shared index is never written by visitors
    assert server.index.joinpath("CURRENT").read_text() == (server.index / "CURRENT").read_text()

    question = "What is a flumbert spectrum?"
    mine_md = alice.predict(question, api_name="/chat")
    assert "list of singular values of a matrix" in mine_md
    assert "flumbert" not in bob.predict(question, api_name="/chat").lower()
    assert "flumbert" not in _call(server.url, "chat", [question, "auto", ""]).lower()

    glimmer = alice.predict("What is a glimmer matrix?", api_name="/chat")
    assert "rows each sum to one" in glimmer
    for raw in ("<img", "<a href", "<style", "](javascript"):
        assert raw not in glimmer, glimmer
    assert "&lt;img src=x onerror=alert(1)&gt;" in glimmer  # shown as text, not removed
    _clean(glimmer)

    # the session's own file opens through its private link; a wrong token finds nothing
    link = next(part.split(")")[0] for part in mine_md.split("](") if part.startswith("/my-files/"))
    with httpx.Client(trust_env=False) as http:
        got = http.get(server.url.rstrip("/") + link.split(" ")[0])
        assert got.status_code == 200 and "flumbert spectrum" in got.text
        token = link.split("/")[2]
        wrong = http.get(server.url.rstrip("/") + link.split(" ")[0].replace(token, "A" * len(token)))
        assert wrong.status_code == 404 and "flumbert" not in wrong.text
        climb = http.get(f"{server.url}my-files/{token}/..%2F..%2F..%2Findex%2FCURRENT")
        assert climb.status_code == 404

    # removal: the file, its passages and its link are gone
    col = next(c for c in server.demo.sessions._by_token.values() if c.token == token)
    file_id = next(i for i, n in col.files() if n == "flumbert.md")
    message, mine, _ = alice.predict(file_id, api_name="/remove")
    assert message == "🗑️ Removed **flumbert.md** from your material."
    assert "flumbert" not in mine and "- glimmer.md" in mine
    assert "flumbert" not in alice.predict(question, api_name="/chat").lower()
    with httpx.Client(trust_env=False) as http:
        assert http.get(server.url.rstrip("/") + link.split(" ")[0]).status_code == 404
    message, _, _ = bob.predict(file_id, api_name="/remove")  # bob cannot remove alice's files
    assert message == "Pick one of your files to remove."


def test_nothing_a_client_sees_names_a_server_path(server) -> None:
    with httpx.Client(trust_env=False, timeout=60) as http:
        for path in ("", "config", "gradio_api/info", "notes/pca", "notes/..%2F..%2Fpyproject", "my-files/x/y/z"):
            r = http.get(server.url + path)
            _clean(r.text)
    for data in (["   ", "auto", ""], ["What is a gradient?", "auto", "evil"], ["x" * 3000, "auto", ""], ["hi"]):
        _clean(_call(server.url, "chat", data))
    _clean(_call(server.url, "upload", [[_file_data(Path("/nonexistent/file.md"))]]))
    _clean(_call(server.url, "upload", [["not a file"]]))
    md = _call(server.url, "chat", ["What should I study for PCA?", "auto", ""])
    assert "Study path for Principal component analysis" in md and "/notes/" in md
    _clean(md, "file://")


def test_notes_are_served_rendered_at_stable_paths(server) -> None:
    with httpx.Client(trust_env=False) as http:
        r = http.get(f"{server.url}notes/pca")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "<h1>" in r.text and "concept: pca" not in r.text and '<span class="math">$' in r.text
        for bad in ("notes/nope", "notes/..%2F..%2Fpyproject", "notes/.hidden", "notes/pca.md"):
            assert http.get(server.url + bad).status_code == 404, bad


def test_multi_file_upload_forks_no_process_pool(server, tmp_path: Path, monkeypatch) -> None:
    """Bug 3: two files once made the ingest fork a pool after torch and Gradio threads had started."""
    from gradio_client import handle_file

    contexts: list[str | None] = []
    real = multiprocessing.get_context

    def spy(method=None):
        contexts.append(method)
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    files = []
    for i, word in enumerate(("pelican", "heron", "egret")):
        f = tmp_path / f"bird{i}.md"
        f.write_text(f"# The {word} norm\n\nThe {word} norm is our test name for a vector norm number {i}.\n")
        files.append(handle_file(str(f)))
    message, _, _ = _client(server).predict(files, api_name="/upload")
    assert "Added **bird0.md**, **bird1.md**, **bird2.md**" in message, message
    assert "fork" not in contexts
