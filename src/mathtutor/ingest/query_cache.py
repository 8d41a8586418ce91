"""The last few query vectors, so one question is embedded once per ask.

An ask may embed the same text for the word-sense check, the mission detector and the recommender; a
short query costs 5-10 ms to embed, which is most of a warm ask (issue 14). Vectors are returned
read-only: a caller that changed one in place would change it for the next caller too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np


class QueryCache:
    """A small thread-safe LRU of ``text -> unit vector``; cleared when the embedder's configuration changes."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        """The vector of ``text``, from the cache or from ``embed`` (called outside the lock)."""
        with self._lock:
            vec = self._vectors.get(text)
            if vec is not None:
                self._vectors.move_to_end(text)
                return vec
        vec = np.array(embed(text), dtype=np.float32, copy=True)
        vec.flags.writeable = False
        with self._lock:
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
