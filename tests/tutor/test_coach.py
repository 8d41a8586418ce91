"""Practice in the conversation, 'what next' from progress, and the lesson for 'explain X' (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass

from mathtutor.knowledge.topics import load_topics
from mathtutor.practice import check, make_problem
from mathtutor.tutor import coach
from mathtutor.tutor.lesson import lesson_lines, note_sections, worked_example
from mathtutor.types import Chunk, Citation, Context


def ctx(q: str, concepts=(), level=None, intent=None) -> Context:
    return Context(q, list(concepts), False, set(), level, set(), intent=intent)


def with_state(state: str) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": f"text\n\n<!-- practice-state: {state} -->"},
    ]


def test_last_state_is_the_latest_assistant_marker():
    a, b = make_problem("chain-rule", seed=1).state, make_problem("chain-rule", seed=2).state
    history = [*with_state(a), *with_state(b), {"role": "user", "content": f"<!-- practice-state: {a} -->"}]
    assert coach.last_state(history) == b  # a user's copy of an old marker does not count
    assert coach.last_state([{"role": "assistant", "content": "no marker"}]) is None


def test_a_practice_request_gets_a_problem_with_a_state_and_never_the_answer():
    answer = coach.practice_turn(ctx("Give me a practice problem on the chain rule"), [])
    assert answer is not None and answer.practice["intent"] == "new"
    state = answer.practice["state"]
    assert f"<!-- practice-state: {state} -->" in answer.answer
    assert "answer" not in answer.practice.get("problem", {})
    assert answer.concepts == ["chain-rule"]


def test_an_answer_to_the_open_problem_is_checked_exactly():
    problem = make_problem("chain-rule", level="beginner", seed=7)
    from mathtutor.practice import solution

    right = solution(problem.state).answer
    turn = coach.practice_turn(ctx(f"I got {right}"), with_state(problem.state))
    assert turn is not None and turn.practice["feedback"]["correct"] is True
    assert check(problem.state, right).correct


def test_resource_requests_about_practice_are_not_hijacked():
    assert (
        coach.practice_turn(ctx("Where can I practise eigenvalues with exercises?", ["eigendecomposition"]), []) is None
    )
    assert coach.practice_turn(ctx("Is there a textbook with exercises and solutions?"), []) is None
    assert coach.practice_turn(ctx("What is best practice for scaling features?"), []) is None


def test_next_step_and_explanation_cues_in_english_and_chinese():
    assert coach.wants_next_step("What should I study next?")
    assert coach.wants_next_step("接下来学什么？")
    assert not coach.wants_next_step("What should I study for PCA?")
    assert coach.wants_explanation("Explain the chain rule like I'm a beginner")
    assert coach.wants_explanation("什么是特征向量？")
    assert not coach.wants_explanation("Which book covers SVD?")


@dataclass
class Suggestion:
    concept: str
    why: str


def test_next_step_answer_lists_reasons_and_numbered_citations():
    topics = load_topics()

    def cite(concept):
        return [Citation(0, "mml-book", f"MML on {concept}", "https://mml-book.github.io/", "p. 98", "", 1.0)]

    answer = coach.next_step_answer("What next?", [Suggestion("svd", "its prerequisites are mastered")], topics, cite)
    assert answer.concepts == ["svd"] and [c.n for c in answer.citations] == [1]
    assert "its prerequisites are mastered" in answer.answer and "[1]" in answer.answer
    empty = coach.next_step_answer("What next?", [], topics, cite)
    assert empty.in_scope and not empty.citations and "goal" in empty.answer


def note(concept: str, section: str, text: str, cid: int) -> Chunk:
    return Chunk(
        text,
        f"/n/{concept}.md",
        "markdown",
        "note",
        0,
        resource_id="mathtutor-notes",
        section=f"Title > {section}",
        meta={"concept": concept},
        id=cid,
    )


class Cites:
    def __init__(self):
        self.list = []

    def add_chunk(self, chunk, score):
        self.list.append(chunk.id)
        return len(self.list)


def test_lesson_uses_our_note_cites_every_paragraph_and_adds_a_worked_example():
    chunks = [
        note(
            "chain-rule",
            "What it is",
            "The chain rule differentiates a composition of two functions. It multiplies rates.",
            1,
        ),
        note(
            "chain-rule",
            "Why machine learning needs it",
            "Backpropagation applies the chain rule through every layer.",
            2,
        ),
        note("svd", "What it is", "Unrelated note text for another concept entirely here.", 3),
    ]
    notes = note_sections(chunks)
    assert set(notes) == {"chain-rule", "svd"}
    cites = Cites()
    lines, state = lesson_lines(
        ctx("Explain the chain rule", ["chain-rule"], "beginner"), "chain-rule", notes, [], [], cites, load_topics()
    )
    text = "\n".join(lines)
    assert cites.list == [1, 2] and "[1]" in text and "[2]" in text
    assert "**Worked example**" in text and "**Check your understanding**" in text
    assert state is not None and state.startswith("p1.")
    assert lesson_lines(ctx("Explain SVD", ["svd"]), "pca", notes, [], [], Cites(), load_topics()) is None


def test_worked_example_is_the_same_for_the_same_question():
    first, s1 = worked_example("determinant", "practitioner", "Explain determinants")
    again, s2 = worked_example("determinant", "practitioner", "Explain determinants")
    assert first == again and s1 == s2 and first


def test_simpler_explanation_or_notes_with_exercises_are_not_a_problem():
    """Without an open problem, "anything simpler?" asks for an easier explanation, and a resource request
    that mentions exercises (有没有配练习题的讲义) asks for notes, not for a problem."""
    assert coach.practice_turn(ctx("有没有简单一点的讲法？", ["covariance-correlation"]), []) is None
    assert coach.practice_turn(ctx("Anything simpler?", ["determinant"]), []) is None
    notes = ctx("有没有配练习题的讲义？", ["determinant"], intent="resource")
    assert coach.practice_turn(notes, []) is None
    worked = ctx("Could you point me to something with worked exercises on it?", ["determinant"], intent="resource")
    assert coach.practice_turn(worked, []) is None
    # with a problem open, "an easier one" is still a practice move
    problem = make_problem("chain-rule", level="practitioner", seed=3)
    easier = coach.practice_turn(ctx("an easier one please", ["chain-rule"]), with_state(problem.state))
    assert easier is not None and easier.practice["intent"] == "another"


def test_a_mission_question_that_mentions_practice_problems_is_not_a_practice_move():
    ctx = Context("Is Khan Academy enough for ML maths? I like its practice problems.", [], False, set(), None, set())
    ctx.intent = "mission"
    assert coach.practice_turn(ctx, []) is None
