"""How a CLI finds a running ``mathtutor serve``: one small JSON file per server in ``<data_dir>/servers/``.

The server writes ``serve-<port>.json`` (mode 0600, in a 0700 folder) with its loopback address, its pid, the
index (and the generation of it the server holds open) and corpus it answers from, and a random token; it
removes the file when it stops. The token is what lets the CLI use the server's ``/api/ask`` route: only this
user (who can read the file) has it, so other local users cannot use the route to get around ``--auth``.
A stale file (its pid gone) is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

FOLDER = "servers"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_FILE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What one running server says about itself."""

    host: str
    port: int
    pid: int
    index_dir: str
    generation: str
    corpus_dir: str
    token: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def server_file(data_dir: Path, port: int) -> Path:
    return data_dir / FOLDER / f"serve-{port}.json"


def announce(data_dir: Path, *, host: str, port: int, index_dir: Path, generation: str, corpus_dir: Path) -> ServerInfo:
    """Write this process's server file (replacing a stale one for the same port) and return what it says."""
    info = ServerInfo(
        host=host,
        port=port,
        pid=os.getpid(),
        index_dir=str(Path(index_dir).resolve()),
        generation=generation,
        corpus_dir=str(Path(corpus_dir).resolve()),
        token=secrets.token_urlsafe(32),
    )
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = server_file(data_dir, port)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # 0600 from the start: the token is secret
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(info), fh)
    os.replace(tmp, path)
    return info


def withdraw(data_dir: Path, info: ServerInfo) -> None:
    """Remove the server file, if it is still this server's (another server may have taken the port since)."""
    path = server_file(data_dir, info.port)
    found = read_server_file(path)
    if found is not None and found.pid == info.pid and found.token == info.token:
        with contextlib.suppress(OSError):
            path.unlink()


def read_server_file(path: Path) -> ServerInfo | None:
    """The file's contents, or None when it is missing, too big, not ours to trust, or malformed."""
    try:
        st = path.stat()
        if st.st_size > MAX_FILE_BYTES or st.st_mode & 0o077 or st.st_uid != os.getuid():
            return None  # readable by others (or someone else's): its token is no secret
        data = json.loads(path.read_text(encoding="utf-8"))
        return ServerInfo(
            host=str(data["host"]),
            port=int(data["port"]),
            pid=int(data["pid"]),
            index_dir=str(data["index_dir"]),
            generation=str(data["generation"]),
            corpus_dir=str(data["corpus_dir"]),
            token=str(data["token"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_generation_name(index_dir: Path) -> str | None:
    """What ``<index_dir>/CURRENT`` names (``mathtutor.index.generations``' pointer; read here without
    importing the index package, which a CLI answered by a server never needs)."""
    try:
        return (Path(index_dir) / "CURRENT").read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def find_server(data_dir: Path, index_dir: Path, corpus_dir: Path) -> ServerInfo | None:
    """A live loopback server answering from this index as it is now, and this corpus (None when there is none).

    A server keeps the generation it opened; after an ingest it would answer from the old one, so it is skipped.
    """
    folder = data_dir / FOLDER
    try:
        paths = sorted(folder.glob("serve-*.json"))
    except OSError:
        return None
    want = (str(Path(index_dir).resolve()), live_generation_name(index_dir), str(Path(corpus_dir).resolve()))
    for path in paths:
        info = read_server_file(path)
        if (
            info is None
            or info.host not in LOOPBACK_HOSTS
            or (info.index_dir, info.generation, info.corpus_dir) != want
        ):
            continue
        if pid_alive(info.pid):
            return info
    return None
