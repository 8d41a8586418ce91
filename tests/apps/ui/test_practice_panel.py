"""The Practice panel's and the chat's practice helpers: pickers, previews, checks, attempts that count once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mathtutor import practice
from mathtutor.apps.ui import practice_panel as pp
from mathtutor.apps.ui.practice_chat import current_concept, practice_reply


@pytest.fixture
def problem() -> practice.Problem:
    return practice.make_problem("chain-rule", "beginner", 7)  # d/dx (3x - 5)^5


def test_concept_choices_put_due_reviews_first() -> None:
    plain = pp.concept_choices()
    assert len(plain) == len(practice.list_concepts()) and plain[0][1] == "algebra-precalculus"
    due = pp.concept_choices(["svd", "chain-rule", "not-a-concept"])
    assert [c for _, c in due[:2]] == ["svd", "chain-rule"]
    assert due[0][0].startswith(pp.DUE_MARK) and due[1][0] == f"{pp.DUE_MARK}Chain rule"
    assert [c for _, c in due].count("svd") == 1 and len(due) == len(plain)


def test_default_concept_is_a_due_review_else_the_study_paths_next_step() -> None:
    turns = [{"study_path": [{"concept": "vectors"}, {"concept": "matrices"}, {"concept": "pca"}]}]
    assert pp.default_concept(turns) == "vectors"
    assert pp.default_concept(turns, mastery={"vectors": 0.97}) == "matrices"
    assert pp.default_concept(turns, due=["svd"]) == "svd"
    assert pp.default_concept([]) == "algebra-precalculus"
    assert current_concept(turns) == "pca"
    assert current_concept([*turns, {"concepts": ["svd"], "study_path": []}]) == "svd"


def test_problem_markdown_has_the_statement_and_never_the_answer(problem) -> None:
    md = pp.problem_markdown(problem)
    assert md.startswith("**Chain rule** · beginner")
    assert problem.statement in md and "3 hints available" in md and "Read more: [" in md
    assert "15 " not in md and "15*" not in md and "15(" not in md  # the answer is nowhere in it
    empty_md, state = pp.new_problem("no-such-concept", "beginner")
    assert empty_md.startswith("⚠️") and state == ""


def test_preview_reads_the_answer_or_says_what_is_wrong(problem) -> None:
    assert pp.preview_markdown(problem.state, "15(3x-5)^4") == "Read as: $$15 \\left(3 x - 5\\right)^{4}$$"
    bad = pp.preview_markdown(problem.state, "15(3x-5")
    assert bad.startswith("⚠️ A bracket is not closed.")
    assert "⚠️" in pp.preview_markdown(problem.state, "__import__('os')")
    assert pp.preview_markdown(problem.state, "") == "_Your answer will be shown here as it is read._"
    assert pp.preview_markdown("", "1") == ""
    assert pp.preview_markdown(problem.state, "1" * 3000).startswith("⚠️ The answer is too long")


def test_check_names_the_misconception_then_accepts_the_right_answer(problem) -> None:
    md, state1, attempt = pp.check_markdown(problem.state, "5(3x-5)^4")
    assert md.startswith("❌ Not quite. This looks like") and "**Hint:**" in md
    assert attempt == pp.Attempt("chain-rule", False, pp.attempt_id(problem.state, "5(3x-5)^4"), "practice")
    md, state2, attempt = pp.check_markdown(state1, "15 (3x - 5)^4")
    assert md.startswith("✅ Correct!") and attempt is not None and attempt.correct
    # the same answer to the same state is the same attempt (a double click), a solved problem counts no more
    assert pp.check_markdown(state1, "15 (3x - 5)^4")[2] == attempt
    assert pp.check_markdown(state2, "15 (3x - 5)^4")[2] is None
    # an unreadable answer is not a try
    md, state, attempt = pp.check_markdown(problem.state, "15(3x")
    assert md.startswith("❌ A bracket is not closed") and attempt is None and state is not None
    assert pp.check_markdown("p1.garbled.state", "1")[0].startswith("⚠️")
    assert pp.check_markdown("", "1")[0] == "Get a problem first: press **New problem**."


def test_hints_then_solution_then_no_more_counting(problem) -> None:
    md, s1 = pp.hint_markdown(problem.state)
    assert md.startswith("**Hint 1/3:**")
    md, s2 = pp.solution_markdown(s1)
    assert "**Solution**" in md and "**Answer:** `15*(3*x - 5)**4`" in md
    assert pp.check_markdown(s2, "15*(3*x - 5)**4")[2] is None  # after the solution was shown


def test_record_goes_to_the_handle_given_and_reports_duplicates() -> None:
    calls = []

    def record(concept, correct, attempt_id, *, kind):
        calls.append((concept, correct, attempt_id, kind))
        return SimpleNamespace(recorded=len(calls) == 1, mastery=0.42, mastered=False)

    handle = SimpleNamespace(record=record)
    attempt = pp.Attempt("svd", True, "ui-abc", "practice")
    assert pp.record(handle, attempt) == "📈 Saved to your progress: mastery of this concept is now 42%."
    assert pp.record(handle, attempt) == "_Already counted._"
    assert calls == [("svd", True, "ui-abc", "practice")] * 2
    assert "Sign in" in pp.record(None, attempt)
    assert pp.record(handle, None) == ""


def test_chat_practice_dialogue_turns() -> None:
    assert practice_reply("What is a gradient?", None, [], None) is None
    new = practice_reply("give me a practice problem on the chain rule", None, [], "beginner")
    assert new is not None and new.turn["practice"] == "new" and new.turn["backend"] == "practice"
    assert new.turn["concepts"] == ["chain-rule"] and new.state and new.attempt is None
    assert new.turn["citations"] and new.turn["answer"].endswith("Read more: [1] [2]")
    hint = practice_reply("hint", new.state, [new.turn], None)
    assert hint is not None and hint.turn["answer"].startswith("**Hint 1/")
    wrong = practice_reply("I got 0", hint.state, [new.turn, hint.turn], None)
    assert wrong is not None and wrong.turn["answer"].startswith("❌")
    assert wrong.attempt is not None and not wrong.attempt.correct and wrong.attempt.concept == "chain-rule"
    sol = practice_reply("show me the solution", wrong.state, [], None)
    assert sol is not None and "**Solution**" in sol.turn["answer"]
    harder = practice_reply("another one, harder", sol.state, [], None)
    assert harder is not None and harder.turn["practice"] == "another"
    zh = practice_reply("出一道题", None, [new.turn], None)
    assert zh is not None and zh.turn["answer"].startswith("**练习: Chain rule**")
    assert "<script>" not in practice_reply("I got <script>alert(1)</script>", new.state, [], None).turn["display"]
