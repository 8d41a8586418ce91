"""What a learner's format word ("video", 书, "course") means among the catalog's formats.

Kept apart from the catalog loader: the recommender, the study-path picks and the follow-up reader all ask which
catalog formats satisfy the words a learner used, and none of them needs the loader for it.
"""

from __future__ import annotations

from collections.abc import Iterable

#: What a learner means by a format word -> the catalog formats that satisfy it.
FORMAT_GROUPS = {
    "video": {"video-series", "channel"},
    "book": {"book"},
    "course": {"course"},
    "interactive": {"interactive"},
    "article": {"article"},
}


def catalog_formats(asked: Iterable[str]) -> set[str]:
    """The catalog formats that satisfy any of the format words ``asked`` (``FORMAT_GROUPS``; another word, itself)."""
    return set().union(*(FORMAT_GROUPS.get(f, {f}) for f in asked))
