"""`mathtutor ask` asks a running `mathtutor serve` on loopback, and answers by itself when it cannot (bug 11).

One real server (a subprocess, 127.0.0.1, a free port) over a small index of four study notes; every CLI run
is a fresh process, as a learner's is.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llm_servers import StallingServer, free_port
from mathtutor.apps.discovery import ServerInfo, find_server, read_server_file, server_file
from mathtutor.apps.remote import ROUTE, TOKEN_HEADER, RemoteError, ask_server
from mathtutor.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow

NOTES = ("eigendecomposition.md", "svd.md", "pca.md", "matrix-multiplication.md")
HEAVY = ("faiss", "mathtutor.tutor", "torch", "transformers", "sentence_transformers", "gradio", "langchain_core")
#: Runs the CLI, then says on stderr's last line which heavy modules the process loaded.
RUNNER = (
    "import json, sys\n"
    "from mathtutor.apps.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    f"print('MODULES ' + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    "sys.exit(code)\n"
)
QUESTION = "What is an eigenvector?"


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT / "src"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "MATHTUTOR_DATA_DIR": str(data_dir),
    }


def _ask(index: Path, data_dir: Path, *args: str) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout, stderr without the MODULES line, heavy modules loaded)."""
    argv = ["ask", *args, "--index", str(index)]
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, *argv], capture_output=True, text=True, env=_env(data_dir), timeout=600
    )
    lines = out.stderr.splitlines()
    assert lines and lines[-1].startswith("MODULES "), out.stderr
    return out.returncode, out.stdout, "\n".join(lines[:-1]), json.loads(lines[-1][len("MODULES ") :])


def _without_timings(stdout: str) -> dict:
    data = json.loads(stdout)
    assert set(data.pop("timings_ms")) == {"retrieve", "generate", "total"}
    return data


@pytest.fixture(scope="module")
def index(tmp_path_factory, real_embedder) -> Path:
    from mathtutor.ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("cli-server")
    settings = Settings(index_dir=root / "index", parse_workers=0)
    paths = [PROJECT_ROOT / "corpus" / "notes" / "concepts" / n for n in NOTES]
    report = ingest(paths, settings, embedder=real_embedder, progress=False)
    assert report.ok and report.chunks_total > 10, report
    return settings.index_dir


@pytest.fixture(scope="module")
def server(index, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("serve-data")
    port = free_port()
    argv = ["serve", "--index", str(index), "--port", str(port), "--no-browser"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathtutor.apps.cli", *argv],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    path = server_file(data_dir, port)
    deadline = time.monotonic() + 300
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the server stopped: {proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the server wrote no server file in 300 s")
        time.sleep(0.5)
    yield proc, data_dir, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def _post(port: int, body: bytes, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({TOKEN_HEADER: token} if token is not None else {})}
    req = urllib.request.Request(f"http://127.0.0.1:{port}{ROUTE}", data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_file_is_private_and_says_what_the_server_serves(server, index):
    proc, data_dir, port = server
    path = server_file(data_dir, port)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    info = read_server_file(path)
    assert info is not None
    assert (info.host, info.port, info.pid) == ("127.0.0.1", port, proc.pid)
    assert info.index_dir == str(index.resolve())
    assert info.generation == (index / "CURRENT").read_text().strip() and info.generation.startswith("gen-")
    assert info.corpus_dir == str((PROJECT_ROOT / "corpus").resolve())
    assert len(info.token) >= 40
    assert find_server(data_dir, index, PROJECT_ROOT / "corpus") == info
    assert find_server(data_dir, index.parent / "other", PROJECT_ROOT / "corpus") is None


def test_ask_goes_to_the_server_and_prints_the_same_as_answering_here(server, index):
    _, data_dir, _ = server
    code, remote_out, remote_err, remote_mods = _ask(index, data_dir, QUESTION, "--json", "--verbose")
    assert code == 0 and remote_err == ""
    assert remote_mods == []  # answered by the server: no index, no tutor, no model in this process
    code, local_out, local_err, local_mods = _ask(index, data_dir, QUESTION, "--json", "--no-server")
    assert code == 0 and local_err == ""
    assert local_mods == ["faiss", "mathtutor.tutor"]  # the local path: never torch, gradio or langchain
    remote, local = _without_timings(remote_out), _without_timings(local_out)
    assert remote == local
    assert remote["question"] == QUESTION and remote["in_scope"] is True and remote["citations"]


def test_markdown_is_the_same_both_ways_with_level_and_format(server, index):
    _, data_dir, _ = server
    args = ("What should I study for PCA?", "--level", "beginner", "--format", "video")
    code, remote_out, remote_err, remote_mods = _ask(index, data_dir, *args)
    assert (code, remote_err, remote_mods) == (0, "", [])
    code, local_out, _, local_mods = _ask(index, data_dir, *args, "--no-server")
    assert code == 0 and "faiss" in local_mods
    assert remote_out == local_out and "PCA" in remote_out


def test_the_route_requires_the_token(server):
    _, data_dir, port = server
    info = read_server_file(server_file(data_dir, port))
    body = json.dumps({"question": QUESTION}).encode()
    assert _post(port, body, None)[0] == 403
    assert _post(port, body, "x" * len(info.token))[0] == 403
    assert _post(port, body, info.token[:-1])[0] == 403
    status, data = _post(port, body, info.token)
    assert status == 200 and data["answer"]["question"] == QUESTION and data["markdown"].strip()
    assert _post(port, b"not json", info.token)[0] == 400
    assert _post(port, json.dumps({"question": QUESTION, "formats": ["podcast"]}).encode(), info.token)[0] == 400
    status, data = _post(port, json.dumps({"question": "   "}).encode(), info.token)
    assert status == 400 and data["error"]


def test_ask_server_raises_on_a_wrong_token_and_on_a_stall(server, index):
    _, data_dir, port = server
    info = read_server_file(server_file(data_dir, port))
    wrong = ServerInfo(info.host, info.port, info.pid, info.index_dir, info.generation, info.corpus_dir, "nope")
    with pytest.raises(RemoteError, match="HTTP 403"):
        ask_server(wrong, QUESTION)
    stalling = StallingServer()
    try:
        t0 = time.monotonic()
        with pytest.raises(RemoteError, match="cannot reach"):
            ask_server(ServerInfo("127.0.0.1", stalling.port, os.getpid(), "", "", "", "t"), QUESTION, timeout=0.5)
        assert time.monotonic() - t0 < 5
    finally:
        stalling.stop()


def _fake_server_file(data_dir: Path, index: Path, *, pid: int, port: int, generation: str | None = None) -> Path:
    path = server_file(data_dir, port)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = {
        "host": "127.0.0.1",
        "port": port,
        "pid": pid,
        "index_dir": str(index.resolve()),
        "generation": generation or (index / "CURRENT").read_text().strip(),
        "corpus_dir": str((PROJECT_ROOT / "corpus").resolve()),
        "token": "t" * 43,
    }
    path.write_text(json.dumps(info))
    path.chmod(0o600)
    return path


def test_a_server_that_is_gone_means_answering_here(index, tmp_path):
    port = free_port()  # nothing listens there
    _fake_server_file(tmp_path, index, pid=os.getpid(), port=port)  # a live pid: the file looks current
    code, out, err, mods = _ask(index, tmp_path, QUESTION, "--json")
    assert code == 0 and err == "" and "faiss" in mods  # silent fallback
    assert _without_timings(out)["question"] == QUESTION
    code, out_v, err_v, _ = _ask(index, tmp_path, QUESTION, "--json", "--verbose")
    assert code == 0 and _without_timings(out_v) == _without_timings(out)
    assert len(err_v.splitlines()) == 1
    assert err_v.startswith(f"note: cannot reach the server at http://127.0.0.1:{port}") and "answering here" in err_v


def test_stale_or_shared_server_files_are_ignored(index, tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    path = _fake_server_file(tmp_path, index, pid=dead, port=free_port())
    assert find_server(tmp_path, index, PROJECT_ROOT / "corpus") is None
    _fake_server_file(tmp_path, index, pid=os.getpid(), port=1234)
    path.unlink()
    assert find_server(tmp_path, index, PROJECT_ROOT / "corpus") is not None
    _fake_server_file(tmp_path, index, pid=os.getpid(), port=1234, generation="gen-999999")
    assert find_server(tmp_path, index, PROJECT_ROOT / "corpus") is None  # the index changed since it opened
    _fake_server_file(tmp_path, index, pid=os.getpid(), port=1234)
    server_file(tmp_path, 1234).chmod(0o644)  # others could read its token: not trusted
    assert find_server(tmp_path, index, PROJECT_ROOT / "corpus") is None
    server_file(tmp_path, 1234).chmod(0o600)
    server_file(tmp_path, 1234).write_text("{not json")
    assert find_server(tmp_path, index, PROJECT_ROOT / "corpus") is None


def test_sigterm_stops_the_server_and_removes_its_file(server):
    proc, data_dir, port = server
    path = server_file(data_dir, port)
    assert path.exists()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert not path.exists()
