"""Teaching moves that are not retrieval: practice in the conversation, a lesson for "explain X", and
"what should I study next?" from the learner's own progress.

Practice is exact (``mathtutor.practice``); its signed state travels in the conversation as a marker in the
assistant's text and in the answer JSON, so any server process can continue it. The state never holds the
answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mathtutor.types import Answer, Citation, Context

if TYPE_CHECKING:
    from mathtutor.knowledge.topics import TopicGraph

#: How the practice state is carried in an assistant turn (invisible when the markdown is rendered).
STATE_MARKER = re.compile(r"<!-- practice-state: (p1\.[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{1,100}) -->")
#: Practice phrasings that are really resource requests ("where can I practise ...", "a book with exercises").
_RESOURCE_LIKE = re.compile(
    r"\b(where|which|recommend|resources?|books?|textbooks?|courses?|websites?|sites?|videos?|channel)\b"
    r"|哪里|哪儿|推荐|书|教材|课程|网站|视频",
    re.IGNORECASE,
)
_ASKS_FOR_A_PROBLEM = re.compile(
    r"\b(problems?|questions?|exercises?|quiz|drill|test me)\b|出一道|出道题|做题|考考我|练习题", re.IGNORECASE
)
_NEXT_STEP = re.compile(
    r"\bwhat (should|do|can) i (study|learn|do|practi[cs]e) next\b|\bwhat('s| is) next\b|\bnext (topic|step)\b"
    r"|接下来学什么|下一步学什么|接下来该学|下一步该学|接下来学习什么",
    re.IGNORECASE,
)
_EXPLAIN = re.compile(
    r"^\W*(what\s+(is|are)|what's|explain|describe|teach me|help me understand|i don'?t understand|how does)\b"
    r"|什么是|是什么|解释|讲讲|讲一下|怎么理解|如何理解",
    re.IGNORECASE,
)


def last_state(history: Sequence[dict[str, str]]) -> str | None:
    """The practice state of the latest assistant turn that carries one."""
    for msg in reversed(history):
        if msg.get("role") == "assistant":
            found = STATE_MARKER.search(msg.get("content") or "")
            if found:
                return found.group(1)
    return None


def _with_state(text: str, state: str | None) -> str:
    return f"{text}\n\n<!-- practice-state: {state} -->" if state else text


def _practice_citations(problem: dict[str, Any] | None) -> list[Citation]:
    out = []
    for i, c in enumerate((problem or {}).get("citations") or [], start=1):
        locator = f"p. {c['page']}" if c.get("page") else ""
        out.append(Citation(i, c.get("resource_id"), c.get("title") or "", c.get("url"), locator, "", 1.0))
    return out


def practice_turn(ctx: Context, history: Sequence[dict[str, str]]) -> Answer | None:
    """Answer a practice move (new problem, hint, an answer to check, the solution, another one), or None."""
    from mathtutor.practice import dialogue

    state = last_state(history)
    if state is None and (ctx.intent in ("resource", "mission", "facts") or _RESOURCE_LIKE.search(ctx.question)):
        # "where can I practise X?", 有没有配练习题的讲义, "is Khan enough? I like its practice problems": resources
        # with exercises or the mission question, not a request for a problem
        return None
    current = ctx.concepts[0] if ctx.concepts else None
    turn = dialogue.respond(ctx.question, state=state, current_concept=current, level=ctx.level or "practitioner")
    asks = bool(_ASKS_FOR_A_PROBLEM.search(ctx.question))
    if turn.intent == "none" or (turn.intent == "ask-concept" and not asks):
        return None  # "best practice", "exercise caution": not a request for a problem
    if state is None and turn.intent == "another" and not asks:
        return None  # "anything simpler?" with no problem open: a simpler explanation, not an easier problem
    record = dict(turn.record)
    problem = record.get("problem") or (record.get("solution") or {}).get("problem")
    concept = (problem or {}).get("concept") or current
    answer = Answer(
        ctx.question,
        True,
        _with_state(turn.reply, turn.state),
        _practice_citations(problem),
        [],
        [concept] if concept else [],
    )
    answer.practice = {"intent": turn.intent, "state": turn.state, **record}
    return answer


def asks_for_a_problem(question: str) -> bool:
    """ "give me a practice problem", 出一道题: a practice move, answered without retrieval."""
    return bool(_ASKS_FOR_A_PROBLEM.search(question))


def wants_next_step(question: str) -> bool:
    """ "What should I study next?" (and 接下来学什么): answered from the learner's progress."""
    return bool(_NEXT_STEP.search(question))


def wants_explanation(question: str) -> bool:
    """ "What is / explain X": answered as a short lesson when X is one concept."""
    return bool(_EXPLAIN.search(question))


def next_step_answer(
    question: str, suggestions: Sequence[Any], topics: TopicGraph | None, cite: Callable[[str], list[Citation]]
) -> Answer:
    """The learner's frontier toward their goal (due reviews first), each with why and where to study it."""
    if not suggestions:
        text = (
            "You have no open goal yet, or everything toward it is mastered. Set a goal "
            '(`mathtutor progress --learner NAME --goal "PCA"`) or practise a concept to start.'
        )
        return Answer(question, True, text)
    lines = ["**What to study next** (from your practice so far):", ""]
    citations: list[Citation] = []
    concepts = []
    for i, s in enumerate(suggestions, start=1):
        name = topics.get(s.concept).name if topics is not None and s.concept in topics else s.concept
        refs = []
        for c in cite(s.concept):
            c.n = len(citations) + 1
            citations.append(c)
            refs.append(f"{c.title}{', ' + c.locator if c.locator else ''} [{c.n}]")
        lines.append(f"{i}. **{name}** — {s.why}" + (f"\n   Study: {'; '.join(refs)}" if refs else ""))
        concepts.append(s.concept)
    return Answer(question, True, "\n".join(lines), citations, [], concepts)


def example_seed(question: str, salt: str) -> int:
    """A seed from the question, so the same question shows the same worked example."""
    return int.from_bytes(hashlib.sha256(f"{salt}\0{question}".encode()).digest()[:4], "big") & 0x7FFFFFFF
