"""``mathtutor scope-model`` as a maintainer runs it: a real process, a corpus folder of our own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from mathtutor.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

EXAMPLES = [
    {"q": "What does an eigenvector of a covariance matrix mean?", "scope": "in", "lang": "en", "why": "concept"},
    {"q": "Which book teaches the chain rule for backprop?", "scope": "in", "lang": "en", "why": "resource"},
    {"q": "How long should I boil an egg for a runny yolk?", "scope": "out", "lang": "en", "why": "cooking"},
    {"q": "我家的猫不爱喝水怎么办？", "scope": "out", "lang": "zh", "why": "pets"},
]


def corpus_with(tmp_path, examples: list[dict]) -> None:
    """Our examples beside the project's topic graph and term tables (the Chinese examples are read with them)."""
    for name in ("topics.yaml", "terms_zh.yaml", "terms_zh_books.yaml"):
        shutil.copy(PROJECT_ROOT / "corpus" / name, tmp_path / name)
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples)
    (tmp_path / "scope_examples.jsonl").write_text(text, encoding="utf-8")


def _run(corpus, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MATHTUTOR_CORPUS_DIR": str(corpus)}
    return subprocess.run(
        [sys.executable, "-m", "mathtutor.apps.cli", "scope-model", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_fit_then_check_then_notice_an_edit(tmp_path):
    corpus_with(tmp_path, EXAMPLES)
    examples = tmp_path / "scope_examples.jsonl"
    fitted = _run(tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "fitted on 4 examples" in fitted.stdout
    stored = json.loads((tmp_path / "scope_model.json").read_text(encoding="utf-8"))
    assert len(stored["weights"]) == 384 and stored["n_examples"] == 4

    assert _run(tmp_path, "--check").returncode == 0
    with examples.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"q": "Is my parking ticket valid?", "scope": "out", "lang": "en", "why": "cars"}) + "\n")
    stale = _run(tmp_path, "--check")
    assert stale.returncode == 1
    assert "does not match" in stale.stdout


def test_bad_examples_give_one_line_and_write_nothing(tmp_path):
    corpus_with(tmp_path, [{"q": "What is a matrix?"}])
    out = _run(tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: scope_examples.jsonl line 1")
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "scope_model.json").exists()
