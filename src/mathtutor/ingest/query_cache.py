"""The last few query vectors, so one question is embedded once per ask, and the texts an ask will need together.

An ask may embed the same text for the word-sense check, the mission detector and the recommender; a
short query costs 5-10 ms to embed, which is most of a warm ask (issue 14). Vectors are returned
read-only: a caller that changed one in place would change it for the next caller too.

Most asks embed two or three different texts (the question as the scope check reads it, the retrieval query with
its concepts' names, the recommender's words). A query's few tokens stream the model's ~90 MB of weights once per
text, so embedding them in one pass costs ~0.7x embedding them one by one (benchmarks/README.md). Inside
:func:`expecting`, the first text the cache has to embed takes the expected ones along.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

#: At most this many expected texts ride along with one embedding (an ask names two or three).
MAX_EXPECTED = 4

_EXPECTED: ContextVar[tuple[str, ...]] = ContextVar("mathtutor_expected_queries", default=())


@contextmanager
def expecting(texts: Iterable[str]) -> Iterator[None]:
    """Within the block (this thread or task only), texts the caller will embed soon: the first cache miss embeds
    them in the same pass. A text expected but never asked for costs its share of that pass, nothing else."""
    wanted = tuple(dict.fromkeys(t for t in texts if t and t.strip()))[:MAX_EXPECTED]
    token = _EXPECTED.set(wanted)
    try:
        yield
    finally:
        _EXPECTED.reset(token)


class QueryCache:
    """A small thread-safe LRU of ``text -> unit vector``; cleared when the embedder's configuration changes."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        text: str,
        embed: Callable[[str], np.ndarray],
        together: Callable[[Sequence[str]], np.ndarray] | None = None,
    ) -> np.ndarray:
        """The vector of ``text``, from the cache or from ``embed`` (called outside the lock); with ``together``
        (rows for several texts in one pass), the texts :func:`expecting` names come along."""
        with self._lock:
            vec = self._vectors.get(text)
            if vec is not None:
                self._vectors.move_to_end(text)
                return vec
            others = [t for t in _EXPECTED.get() if t != text and t not in self._vectors] if together else []
        if others and together is not None:
            rows = together([text, *others])
            self._store(zip(others, rows[1:], strict=True))
            return self._store([(text, rows[0])])
        return self._store([(text, embed(text))])

    def _store(self, pairs: Iterable[tuple[str, np.ndarray]]) -> np.ndarray:
        """Keep read-only copies; the last one stored is returned (and is the most recently used)."""
        vec = np.zeros(0, dtype=np.float32)
        with self._lock:
            for text, row in pairs:
                vec = np.array(row, dtype=np.float32, copy=True)
                vec.flags.writeable = False
                self._vectors[text] = vec
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vec

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)
