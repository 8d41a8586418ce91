"""The PostgreSQL helper fails loudly (with the install command) instead of skipping."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from . import pgserver

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_server_binary_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pgserver, "PG_BIN_DIRS", (tmp_path / "nowhere",))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pgserver.PgUnavailable) as info:
        pgserver.PgServer()
    assert "'initdb' not found" in str(info.value)
    assert "apt-get install postgresql-15" in str(info.value)


def test_ensure_postgres_script_finds_the_binaries_here() -> None:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure_postgres.sh")], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ensure_postgres: ok (postgres (PostgreSQL) 15.")
