"""The torch-free query encoder gives sentence-transformers' vectors (bug 11: a cold ``ask`` without torch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mathtutor.ingest.embedding import Embedder
from mathtutor.ingest.query_encoder import ENCODER_ENV, QueryEncoder, QueryEncoderError, query_embedder
from mathtutor.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow


def _real_texts(n: int = 50) -> list[str]:
    """Paragraphs of our own study notes: short and long (some past the model's 256 tokens), with LaTeX."""
    paragraphs: list[str] = []
    for path in sorted((PROJECT_ROOT / "corpus" / "notes").rglob("*.md")):
        paragraphs += [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 20]
    picked = paragraphs[:: max(1, len(paragraphs) // (n - 4))][: n - 4]
    long_text = " ".join(paragraphs[:40])  # far past 256 tokens: both must truncate the same way
    picked += ["What is an eigenvector?", "eigenvalues", "Ünïcödé naïve Bayes — 中文 tokens", long_text]
    assert len(picked) == n
    return picked


@pytest.fixture(scope="module")
def encoder() -> QueryEncoder:
    return QueryEncoder(Settings())


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _real_texts()


def test_same_vectors_as_sentence_transformers_in_float32(encoder, texts):
    full = Embedder(Settings(embed_precision="float32")).embed(texts)
    light = encoder.embed(texts)
    assert light.shape == (50, 384) and light.dtype == np.float32
    cosines = np.sum(light * full, axis=1)
    assert cosines.min() >= 0.9999, cosines.min()
    assert np.allclose(np.linalg.norm(light, axis=1), 1.0, atol=1e-5)


def test_close_to_the_embedder_the_index_was_built_with(encoder, texts, real_embedder):
    """At the calibrated precision (bfloat16 on CPUs with native bf16, else float32) too."""
    cosines = np.sum(encoder.embed(texts[:12]) * real_embedder.embed(texts[:12]), axis=1)
    assert cosines.min() >= 0.9999, (real_embedder.precision, cosines.min())


def test_a_vector_does_not_depend_on_its_batch(encoder, texts):
    alone = encoder.embed_query(texts[3])
    assert np.array_equal(encoder.embed([texts[0], texts[3], texts[-1]])[1], alone)
    assert np.array_equal(encoder.embed_query(texts[3]), alone)


def test_texts_embedded_together_equal_those_embedded_alone(encoder, texts):
    some = [*texts[:4], "What is an eigenvector?", texts[-1]]  # short and long (truncated) ones, stacked unpadded
    together, alone = encoder.embed_together(some), encoder.embed(some)
    assert together.shape == (6, 384) and together.dtype == np.float32
    assert float(np.abs(together - alone).max()) <= 1e-6
    assert np.array_equal(encoder.embed_together([texts[3]]), encoder.embed([texts[3]]))  # alone: the same pass
    assert encoder.embed_together([]).shape == (0, 384)


def test_empty_input_and_the_embedder_surface(encoder):
    assert encoder.embed([]).shape == (0, 384)
    assert encoder.precision == "float32"
    assert encoder.dim == 384 and encoder.model_name == Settings().embedding_model
    v = encoder.embed(["eigenvalues of a matrix", "eigenvectors and eigenvalues", "a recipe for pancakes"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_missing_model_files_are_a_clear_error(tmp_path):
    with pytest.raises(QueryEncoderError, match=r"no config\.json, model\.safetensors, tokenizer\.json"):
        _ = QueryEncoder(Settings(embedding_model_path=tmp_path)).model


def test_wrong_dimension_is_a_clear_error(tmp_path):
    src = Settings().resolved_model_path()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        os.symlink(src / name, tmp_path / name)
    with pytest.raises(QueryEncoderError, match="384-d vectors, settings say 768"):
        _ = QueryEncoder(Settings(embedding_model_path=tmp_path, embedding_dim=768)).model


def test_query_embedder_picks_the_light_one_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv(ENCODER_ENV, raising=False)
    assert isinstance(query_embedder(Settings()), QueryEncoder)
    monkeypatch.setenv(ENCODER_ENV, "full")
    full = query_embedder(Settings())
    assert isinstance(full, Embedder) and full.settings.torch_threads == 1
    monkeypatch.delenv(ENCODER_ENV)
    src = Settings().resolved_model_path()
    shutil.copytree(src, tmp_path / "m", ignore=shutil.ignore_patterns("tokenizer.json"))
    assert isinstance(query_embedder(Settings(embedding_model_path=tmp_path / "m")), Embedder)


def test_encoding_imports_neither_torch_nor_transformers():
    code = (
        "import sys, json; from mathtutor.ingest.query_encoder import QueryEncoder; "
        "QueryEncoder().embed_query('What is an eigenvector?'); "
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'sklearn', "
        "'scipy') if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
