"""Tests for what a learner's format word means among the catalog's formats."""

from __future__ import annotations

from mathtutor.knowledge.formats import catalog_formats


def test_format_words_name_the_catalog_formats_that_satisfy_them():
    assert catalog_formats(["video"]) == {"video-series", "channel"}
    assert catalog_formats({"book", "interactive"}) == {"book", "interactive"}
    assert catalog_formats(["podcast"]) == {"podcast"}  # a word with no group stands for itself
    assert catalog_formats([]) == set()
