"""mathtutor: an offline, retrieval-augmented tutor for the mathematics of machine learning."""

from .records import Chunk, Section, Source
from .settings import Settings, get_settings

__all__ = ["Chunk", "Section", "Settings", "Source", "get_settings"]
__version__ = "0.1.0"
