"""Small servers for the LLM backend tests. Every one binds 127.0.0.1 only and is stopped by its test.

- :class:`LlamaCppServer`: the real ``python -m llama_cpp.server`` (OpenAI-compatible) as a subprocess.
- :class:`OllamaTestServer`: speaks Ollama's ``GET /api/tags`` and streaming ``POST /api/chat`` (NDJSON),
  with the answer produced by a callable the test supplies (the tests pass the real local GGUF model).
- :class:`StallingServer`: accepts connections, reads the request and never answers.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"

#: (messages as Ollama sends them, Ollama "options") -> text pieces
Generate = Callable[[list[dict[str, Any]], dict[str, Any]], Iterator[str]]


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it; a later bind may race, rarely)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _get_json(url: str, timeout: float) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    with opener.open(url, timeout=timeout) as response:
        return json.loads(response.read())


class LlamaCppServer:
    """``python -m llama_cpp.server`` serving a GGUF on 127.0.0.1; its log goes to ``log_path``."""

    def __init__(self, model: Path, log_path: Path, *, alias: str, n_ctx: int = 2048, threads: int = 1) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}/v1"
        self.log_path = log_path
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model), "--model_alias", alias,
            "--host", HOST, "--port", str(self.port),
            "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
            "--verbose", "false",
        ]  # fmt: skip
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll GET /v1/models until it answers; fail with the server's log if it dies or takes too long."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                _get_json(f"{self.base_url}/models", timeout=1.0)
                return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout_s:g} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


class OllamaTestServer:
    """Enough of Ollama's HTTP API for ``ChatOllama``: model list and streaming chat, one JSON object a line.

    Unknown model names get a 404 with ``{"error": "model '...' not found"}``, as Ollama answers.
    """

    def __init__(self, generate: Generate, models: list[str]) -> None:
        self.generate = generate
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self._httpd = ThreadingHTTPServer((HOST, 0), self._handler())
        self._httpd.daemon_threads = True
        self.base_url = f"http://{HOST}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _send_json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/api/tags":
                    self._send_json(404, {"error": "not found"})
                    return
                now = datetime.now(UTC).isoformat()
                models = [
                    {"name": m, "model": m, "modified_at": now, "size": 0, "digest": "0" * 64, "details": {}}
                    for m in server.models
                ]
                self._send_json(200, {"models": models})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path.rstrip("/") != "/api/chat":
                    self._send_json(404, {"error": "not found"})
                    return
                server.requests.append(body)
                model = body.get("model", "")
                if model not in server.models:
                    self._send_json(404, {"error": f"model '{model}' not found"})
                    return
                started = time.monotonic_ns()
                pieces = server.generate(body.get("messages", []), body.get("options") or {})
                if body.get("stream", True) is False:
                    text = "".join(pieces)
                    self._send_json(200, self._line(model, text, done=True, count=1, started=started))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                count = 0
                for piece in pieces:
                    count += 1
                    self._chunk(json.dumps(self._line(model, piece, done=False)).encode() + b"\n")
                final = self._line(model, "", done=True, count=count, started=started)
                self._chunk(json.dumps(final).encode() + b"\n")
                self._chunk(b"")  # end of the chunked body

            @staticmethod
            def _line(model: str, text: str, *, done: bool, count: int = 0, started: int = 0) -> dict[str, Any]:
                line: dict[str, Any] = {
                    "model": model,
                    "created_at": datetime.now(UTC).isoformat(),
                    "message": {"role": "assistant", "content": text},
                    "done": done,
                }
                if done:
                    line.update(
                        done_reason="stop",
                        total_duration=time.monotonic_ns() - started,
                        load_duration=0,
                        prompt_eval_count=1,
                        prompt_eval_duration=0,
                        eval_count=count,
                        eval_duration=time.monotonic_ns() - started,
                    )
                return line

        return Handler


class StallingServer:
    """Accepts TCP connections on 127.0.0.1, reads what arrives, never answers; closes all on stop()."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setblocking(False)  # the bytes sent are left unread in the kernel buffer; no answer is written
            self._conns.append(conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self._sock.close()
