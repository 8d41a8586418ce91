"""A throw-away PostgreSQL 15 server on a loopback port, for the learner-store tests and the benchmark.

initdb refuses to run as root, so as root the server runs as the unprivileged ``postgres`` user (via
``runuser``) in a temporary folder that user owns. Missing binaries or a missing user raise
:class:`PgUnavailable` with the command that fixes it; tests turn that into a failure, never a skip.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
INSTALL_HINT = "install the server with `apt-get install postgresql-15` (or run scripts/ensure_postgres.sh)"


class PgUnavailable(RuntimeError):
    pass


def _find_bin(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise PgUnavailable(f"PostgreSQL server binary {name!r} not found; {INSTALL_HINT}.")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    """initdb + pg_ctl in a temp folder; ``url(db)`` gives a SQLAlchemy URL with a password."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = _find_bin("initdb"), _find_bin("pg_ctl")
        self.as_root = os.geteuid() == 0
        self.prefix: list[str] = []
        if self.as_root:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable(
                    "running as root needs the unprivileged 'postgres' user for PostgreSQL; " + INSTALL_HINT
                ) from None
            if shutil.which("runuser") is None:
                raise PgUnavailable("running as root needs `runuser` (util-linux) to start PostgreSQL as 'postgres'")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.base = Path(tempfile.mkdtemp(prefix="mathtutor-pg-"))
        self.data, self.sock, self.log = self.base / "data", self.base / "sock", self.base / "server.log"
        self.sock.mkdir()
        self.password = secrets.token_hex(12)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            for path in (self.base, self.sock, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        self.port = _free_port()
        self._run(
            [
                self.initdb,
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
            ]
        )
        pwfile.unlink()

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run([*self.prefix, *cmd], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PgUnavailable(f"{Path(cmd[0]).name} failed: {proc.stderr.strip()[-2000:]}\n{log}")

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sock} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", opts, "start"])

    def stop(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def destroy(self) -> None:
        try:
            if self.running():
                self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
