"""The fault matrix of issue 16, end to end through the CLI in a real process.

Each test is one row: a hostile file, a corrupt index, a full or read-only disk, a long-lived reader.
The CLI runs with the deterministic stand-in embedder (conftest.FakeEmbedder) patched in, so the matrix
stays fast; rows that need the real model are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_pdf

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

#: Runs ``mathtutor`` with FakeEmbedder in place of the model (both the in-process and the process pool one).
_RUNNER = f"""
import sys
sys.path[:0] = [{str(SRC)!r}, {str(TESTS)!r}]
from conftest import FakeEmbedder
import mathtutor.ingest.embedding as emb
emb.Embedder = lambda *a, **k: FakeEmbedder()
emb.ProcessEmbedder = lambda *a, **k: FakeEmbedder()
from mathtutor.apps.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(SRC)}


def cli(*args: str | bytes, timeout: float = 120) -> subprocess.CompletedProcess:
    """``mathtutor ARGS`` with the fake embedder; stdout/stderr decoded with replacement."""
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, *args], capture_output=True, env=_env(), timeout=timeout
    )
    out.stdout = out.stdout.decode("utf-8", "replace")
    out.stderr = out.stderr.decode("utf-8", "replace")
    return out


def real_cli(*args: str | bytes, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m mathtutor.apps.cli ARGS``: nothing patched (the real model loads if the command needs it)."""
    out = subprocess.run(
        [sys.executable, "-m", "mathtutor.apps.cli", *args], capture_output=True, env=_env(), timeout=timeout
    )
    out.stdout = out.stdout.decode("utf-8", "replace")
    out.stderr = out.stderr.decode("utf-8", "replace")
    return out


def _one_clear_line(out: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


def _materials(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "svd.md").write_text(
        "# SVD\nThe singular value decomposition writes a matrix as U Sigma V transpose.\n"
        "## Uses\nLow-rank approximation keeps the largest singular values.\n"
    )
    (d / "gd.txt").write_text("Gradient descent moves the parameters a small step against the gradient.")
    (d / "book.pdf").write_bytes(make_pdf(["Eigenvectors keep their direction.", "Eigenvalues scale them."]))
    return d


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    src = _materials(tmp_path / "src")
    index = tmp_path / "index"
    out = cli("ingest", str(src), "--index", str(index), "--json", "--no-progress")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["files_new"] == 3
    return src, index


# ---------------------------------------------------------------- row 1, 2: hostile files


def test_row1_fifo_is_skipped_and_the_good_files_are_ingested(tmp_path):
    src = _materials(tmp_path / "src")
    os.mkfifo(src / "x.txt")
    t = time.perf_counter()
    out = cli("ingest", str(src), "--index", str(tmp_path / "index"), "--json", "--no-progress", timeout=30)
    assert time.perf_counter() - t < 30
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["files_new"] == 3 and report["errors"] == []
    skipped = {Path(s["file"]).name: s["reason"] for s in report["skipped"]}
    assert skipped["x.txt"] == "not a regular file: a named pipe (FIFO)"


def test_row1_fifo_named_explicitly_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    out = cli("ingest", str(fifo), "--index", str(tmp_path / "index"), "--json", "--no-progress", timeout=30)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert [(Path(e["file"]).name, e["reason"]) for e in report["errors"]] == [
        ("pipe.md", "not a regular file: a named pipe (FIFO)")
    ]


def test_row2_symlink_loops_are_reported_per_file_and_the_batch_goes_on(tmp_path):
    src = _materials(tmp_path / "src")
    os.symlink("b.txt", src / "a.txt")
    os.symlink("a.txt", src / "b.txt")
    os.symlink("self.md", src / "self.md")
    os.symlink("gd.txt", src / "link-to-gd.txt")  # a good link: same file as gd.txt, indexed once
    out = cli("ingest", str(src), "--index", str(tmp_path / "index"), "--json", "--no-progress")
    assert out.returncode == 1, out.stderr  # some files failed
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert report["files_new"] == 3
    errors = {Path(e["file"]).name: e["reason"] for e in report["errors"]}
    assert sorted(errors) == ["a.txt", "b.txt", "self.md"]
    assert all(r.startswith("symlink loop") for r in errors.values())
