"""mathtutor: an offline, retrieval-augmented tutor for the mathematics of machine learning.

from mathtutor import Tutor
tutor = Tutor.open()                      # the default index (indexes/default)
answer = tutor.ask("What should I study for PCA?")
print(answer.to_markdown())
"""

from typing import Any

from mathtutor.settings import Settings, get_settings
from mathtutor.types import Chunk, Section, Source

__all__ = ["Answer", "Chunk", "Citation", "Section", "Settings", "Source", "StudyStep", "Tutor", "get_settings"]
__version__ = "0.1.0"

_LAZY = {"Tutor", "Answer", "Citation", "StudyStep"}


def __getattr__(name: str) -> Any:
    """``Tutor`` and its records import on first use, so ``import mathtutor`` stays cheap."""
    if name in _LAZY:
        from mathtutor import tutor

        return getattr(tutor, name)
    raise AttributeError(f"module 'mathtutor' has no attribute {name!r}")
