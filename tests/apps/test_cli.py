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
        [sys.executable, "-m", "mathtutor.apps.cli", *args], capture_output=True, text=True, env=env, timeout=600
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


def test_ask_json_and_markdown(built, tmp_path):
    _, index, _ = built
    out = _run("ask", "How does gradient descent choose its step?", "--index", str(index), "--json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["in_scope"] is True and answer["backend"] == "extractive"
    assert answer["citations"] and all(c["url"] for c in answer["citations"])
    md = _run("ask", "What is the capital of France?", "--index", str(index))
    assert md.returncode == 0 and "don't cover" in md.stdout


def test_ask_batch_answers_each_line_and_reports_bad_ones(built, tmp_path):
    _, index, _ = built
    batch = tmp_path / "cases.jsonl"
    batch.write_text(
        json.dumps({"q": "What should I study for SVD?"})
        + "\n"
        + "{not json\n"
        + json.dumps(
            {
                "q": "Are there videos for that instead?",
                "history": [{"role": "user", "content": "What should I study for SVD?"}],
            }
        )
        + "\n"
        + json.dumps({"q": ""})
        + "\n"
    )
    out = _run("ask", "--batch", str(batch), "--index", str(index), "--json")
    assert out.returncode == 1  # some lines were bad
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 4
    assert rows[0]["concepts"] == ["svd"] and rows[0]["study_path"]
    assert rows[1]["line"] == 2 and "error" in rows[1]
    assert rows[2]["concepts"] == ["svd"]
    assert rows[3]["line"] == 4 and "empty" in rows[3]["error"]


def test_ask_with_history_file_and_bad_inputs(built, tmp_path):
    _, index, _ = built
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps([{"role": "user", "content": "What should I study for PCA?"}]))
    out = _run(
        "ask", "and for a beginner?", "--history", str(hist), "--index", str(index), "--json", "--level", "beginner"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["concepts"] == ["pca"]
    bad = _run("ask", "   ", "--index", str(index))
    assert bad.returncode == 2 and "empty" in bad.stderr and "Traceback" not in bad.stderr
    hist.write_text("[{oops")
    bad = _run("ask", "hi", "--history", str(hist), "--index", str(index))
    assert bad.returncode != 0 and "cannot read history file" in bad.stderr


def test_reader_that_goes_away_is_not_an_error(built):
    """`mathtutor ask ... | head -0`: no "error: Broken pipe", no traceback, exit 141 like a shell."""
    _, index, _ = built
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "mathtutor.apps.cli", "ask", "What should I study for SVD?", "--index", str(index)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader leaves before the answer is written
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 141, err
    assert b"Broken pipe" not in err and b"Traceback" not in err and b"Exception ignored" not in err
