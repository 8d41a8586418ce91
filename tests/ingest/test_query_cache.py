"""QueryCache: one question is embedded once per ask, vectors cannot be changed by a caller."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mathtutor.ingest.embedding import Embedder
from mathtutor.ingest.query_cache import MAX_EXPECTED, QueryCache, expecting
from mathtutor.ingest.query_encoder import QueryEncoder
from mathtutor.settings import Settings


def _counting():
    calls: list[str] = []

    def embed(text: str) -> np.ndarray:
        calls.append(text)
        return np.full(4, float(len(calls)), dtype=np.float32)

    return calls, embed


def test_same_text_embedded_once_and_vectors_are_read_only():
    cache, (calls, embed) = QueryCache(size=8), _counting()
    first = cache.get("what is PCA?", embed)
    again = cache.get("what is PCA?", embed)
    assert calls == ["what is PCA?"] and again is first
    with pytest.raises(ValueError):
        first[0] = 99.0
    assert cache.get("what is SVD?", embed)[0] == 2.0 and len(calls) == 2


def test_least_recently_used_is_dropped_first():
    cache, (calls, embed) = QueryCache(size=2), _counting()
    cache.get("a", embed)
    cache.get("b", embed)
    cache.get("a", embed)  # a is now the most recent
    cache.get("c", embed)  # drops b
    assert len(cache) == 2
    cache.get("a", embed)
    cache.get("b", embed)
    assert calls == ["a", "b", "c", "b"]


def test_embedder_configure_and_release_clear_the_cache():
    emb = Embedder(Settings())
    emb.queries.get("x", lambda t: np.ones(3, dtype=np.float32))
    emb.configure("bfloat16", 1)
    assert len(emb.queries) == 0  # a vector of the old precision is not served after the change
    emb.queries.get("x", lambda t: np.ones(3, dtype=np.float32))
    emb.release()
    assert len(emb.queries) == 0


def test_query_encoder_embeds_a_repeated_question_once(monkeypatch):
    enc = QueryEncoder(Settings())
    calls: list[list[str]] = []
    real = enc.embed

    def counting(texts, batch_size=None):
        calls.append(list(texts))
        return real(texts, batch_size)

    monkeypatch.setattr(enc, "embed", counting)
    v1 = enc.embed_query("How much maths do I need for deep learning?")
    v2 = enc.embed_query("How much maths do I need for deep learning?")
    assert len(calls) == 1 and np.array_equal(v1, v2)
    assert abs(float(np.linalg.norm(v1)) - 1.0) < 1e-4


def _passes():
    """A stand-in for ``embed_together``: one row per text (its length), and a record of each pass."""
    passes: list[list[str]] = []

    def together(texts):
        passes.append(list(texts))
        return np.stack([np.full(4, float(len(t)), dtype=np.float32) for t in texts])

    return passes, together


def test_expected_texts_ride_along_with_the_first_miss():
    cache, (calls, embed), (passes, together) = QueryCache(size=8), _counting(), _passes()
    with expecting(["b b", "ccc", "", "  ", "b b"]):
        a = cache.get("a", embed, together)
        b = cache.get("b b", embed, together)
    assert passes == [["a", "b b", "ccc"]] and calls == []  # blanks and repeats dropped, one pass for all
    assert a[0] == 1.0 and b[0] == 3.0 and not b.flags.writeable
    assert cache.get("ccc", embed, together)[0] == 3.0 and len(passes) == 1


def test_without_expectations_or_a_batch_function_each_text_is_embedded_alone():
    cache, (calls, embed), (passes, together) = QueryCache(size=8), _counting(), _passes()
    cache.get("a", embed, together)  # nothing expected
    with expecting(["b"]):
        cache.get("c", embed)  # no batch function
    assert calls == ["a", "c"] and passes == [] and len(cache) == 2


def test_cached_texts_do_not_ride_along_and_expectations_end_with_the_block():
    cache, (calls, embed), (passes, together) = QueryCache(size=8), _counting(), _passes()
    cache.get("b", embed)
    with expecting(["b", "c"]):
        cache.get("a", embed, together)
    cache.get("d", embed, together)
    assert passes == [["a", "c"]] and calls == ["b", "d"]


def test_at_most_a_few_texts_ride_along():
    cache, (_, embed), (passes, together) = QueryCache(size=64), _counting(), _passes()
    with expecting([f"t{i}" for i in range(10)]):
        cache.get("q", embed, together)
    assert passes == [["q", *[f"t{i}" for i in range(MAX_EXPECTED)]]]


def test_expectations_belong_to_the_thread_that_set_them():
    cache, (calls, embed), (passes, together) = QueryCache(size=8), _counting(), _passes()
    with expecting(["mine"]):
        other = threading.Thread(target=cache.get, args=("theirs", embed, together))
        other.start()
        other.join()
    assert calls == ["theirs"] and passes == []  # another learner's ask carried nothing of this one
