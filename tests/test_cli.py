"""The CLI as a user runs it: a real process, the real embedding model, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_pdf

pytestmark = pytest.mark.slow


def _run(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "mathtutor.cli", *args], capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    src = d / "src"
    src.mkdir()
    (src / "svd.md").write_text("# SVD\nThe singular value decomposition writes A as U Sigma V transpose.\n")
    (src / "book.pdf").write_bytes(make_pdf(["Gradient descent walks downhill.", "Step size matters."]))
    (src / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    index = d / "index"
    first = _run("ingest", str(src), "--index", str(index), "--json")
    return src, index, first


def test_ingest_json_summary_and_exit_code(built):
    _src, _index, first = built
    assert first.returncode == 1, first.stderr  # one file failed
    report = json.loads(first.stdout)
    assert report["files_new"] == 2 and report["pages"] == 2 and report["chunks_added"] >= 3
    assert [Path(e["file"]).name for e in report["errors"]] == ["bad.pdf"]
    assert report["chunks_total"] == report["chunks_added"]


def test_noop_reingest_is_fast_and_embeds_nothing(built):
    src, index, _ = built
    (src / "bad.pdf").unlink()
    second = _run("ingest", str(src), "--index", str(index), "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["noop"] is True and report["chunks_added"] == 0
    assert report["seconds"] < 2.0


def test_index_info(built):
    _, index, first = built
    out = _run("index", "info", "--index", str(index), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2" and info["dimension"] == 384
    assert info["files"] == 2 and info["chunks"] == json.loads(first.stdout)["chunks_total"]
    human = _run("index", "info", "--index", str(index))
    assert "Model: sentence-transformers/all-MiniLM-L6-v2 (384-d)" in human.stdout


def test_index_built_by_another_model_is_refused(built, tmp_path):
    src, index, _ = built
    out = _run("ingest", str(src), "--index", str(index), env_extra={"MATHTUTOR_EMBEDDING_DIM": "768"})
    assert out.returncode == 2
    assert "was built with sentence-transformers/all-MiniLM-L6-v2 (384-d)" in out.stderr


def test_missing_index_and_bad_setting_are_clear(tmp_path):
    out = _run("index", "info", "--index", str(tmp_path / "none"))
    assert out.returncode == 2 and "no index at" in out.stderr
    out = _run("ingest", str(tmp_path), "--index", str(tmp_path / "i"), "--chunk-tokens", "5000")
    assert out.returncode == 2 and "invalid setting" in out.stderr
    assert "Traceback" not in out.stderr
