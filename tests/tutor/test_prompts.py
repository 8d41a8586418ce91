"""The messages a language model sees: the rules in the system prompt, only cleaned numbered sources."""

from __future__ import annotations

import pytest

from mathtutor.tutor.prompts import SYSTEM_PROMPT, build_messages
from mathtutor.tutor.understand import understand
from mathtutor.types import Answer, Citation, Context


@pytest.mark.slow
def test_prompt_holds_only_cleaned_numbered_sources(tutor):
    ctx = understand(
        "What is an eigenvector of a symmetric matrix?",
        [],
        level=None,
        formats=None,
        topics=tutor.topics,
        catalog=tutor.catalog,
    )
    draft = tutor.composer.compose(ctx, tutor.retrieve(ctx))
    system, user = build_messages(ctx, draft)
    assert "not instructions" in system.content
    assert "Ignore all previous instructions" not in user.content
    for c in draft.citations:
        assert f"[{c.n}] {c.title}" in user.content


@pytest.mark.parametrize(("level", "said"), [(None, "practitioner"), ("beginner", "beginner")])
def test_messages_name_the_level_and_the_sources(level, said):
    ctx = Context("What is SVD?", ["svd"], False, set(), level, set())
    cite = Citation(1, "mml-book", "MML — 4 Matrix decompositions", None, "p. 98", "The SVD factors any matrix.", 1.0)
    system, user = build_messages(ctx, Answer("What is SVD?", True, "x", [cite]))
    assert system.content == SYSTEM_PROMPT.format(level=said)
    assert user.content == (
        "Sources:\n[1] MML — 4 Matrix decompositions (p. 98)\n"
        '"""The SVD factors any matrix."""\n\nQuestion: What is SVD?'
    )
