"""Practice in conversation: recognise what the learner wants and answer with markdown + the new state.

Pure functions (no I/O, no clock, no randomness): a new problem's seed is derived from the message
and the previous state, so replaying a conversation replays it exactly. English and Chinese.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from mathtutor.practice import engine
from mathtutor.practice import state as st
from mathtutor.practice.notation import how_to_write
from mathtutor.practice.types import LEVELS, PracticeError, Problem, UnknownConceptError

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SOLUTION = re.compile(
    r"\b(show|give|tell|reveal|see)\b.{0,20}\b(solution|answer|working)\b|\bsolution\b|\bi give up\b|"
    r"看答案|给我答案|显示答案|答案是什么|看解析|看解答|我放弃|公布答案",
    re.IGNORECASE,
)
_HINT = re.compile(
    r"^\W*(another |a |one more |next |give me a |can i (get|have) a |i need a )?(hint|clue|nudge)\b|"
    r"^\W*(help|i'?m stuck|stuck)\W*$|提示|给点提示|小提示|我卡住了",
    re.IGNORECASE,
)
_ANOTHER = re.compile(
    r"\b(another|one more|next|new)\b.{0,20}\b(one|problem|question|exercise)\b|^\W*(another|next)( one)?\W*$|"
    r"\b(harder|easier|simpler|tougher|more difficult|less difficult)\b|"
    r"再来一道|再来一题|换一道|下一题|再出一道|难一点|更难|难一些|简单一点|容易一点|简单些|简单点",
    re.IGNORECASE,
)
_HARDER = re.compile(r"\b(harder|tougher|more difficult|more challenging)\b|难一点|更难|难一些", re.IGNORECASE)
_EASIER = re.compile(r"\b(easier|simpler|less difficult)\b|简单一点|容易一点|简单些|简单点", re.IGNORECASE)
_NEW = re.compile(
    r"\b(practice|exercise|exercises|quiz|drill|test me)\b|"
    r"\b(give|set|make|want|have|need|try|another|new)\b.{0,40}\b(problem|question)s?\b|"
    r"出一道|出道题|来一道|做题|练习|给我一道|考考我",
    re.IGNORECASE,
)
_BACKREF = re.compile(
    r"\b(it|that|this|what we (just )?(covered|discussed|did)|the last topic|same topic)\b|"
    r"刚才|这个|刚刚|上面",
    re.IGNORECASE,
)
_ANSWER = re.compile(
    r"^\W*(i got|i get|i think it'?s|my answer is|answer\s*[:=]|the answer is|is it|it'?s|it is)\s*(?P<a>.+)$|"
    r"^\s*(答案是(?!什么)|我的答案是(?!什么)|我算出|我得到|结果是|得到)\s*[:：]?\s*(?P<b>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_MATHY = re.compile(r"^[\sA-Za-z0-9().,+\-*/^=\[\]{}\\&$]{1,400}$")
_MATH_MARK = re.compile(r"[0-9+\-*/^=\[\]{}()\\]|^\s*\(?[A-Ea-e]\)?\.?\s*$")


@dataclass(frozen=True)
class Turn:
    """What the dialogue layer decided: ``intent`` is none when the message is not about practice."""

    intent: str
    reply: str = ""
    state: str | None = None
    record: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "reply": self.reply, "state": self.state, "record": self.record}


def _zh(message: str) -> bool:
    return bool(_CJK.search(message))


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).digest()
    return int.from_bytes(digest[:4], "big") % st.MAX_SEED


def _problem_reply(problem: Problem, zh: bool) -> str:
    name = engine._graph().get(problem.concept).name
    head = f"**{'练习' if zh else 'Practice'}: {name}** ({problem.level})"
    lines = [head, "", problem.statement.split("\n\n")[0]]
    if problem.choices:
        lines += [""] + [f"- {c}" for c in problem.choices]
    lines += [
        "",
        f"_{how_to_write(problem.answer_type)} "
        + ("可以说“提示”或“看答案”。_" if zh else "Say *hint* for a hint or *show me the solution* when stuck._"),
    ]
    if problem.citations:
        c = problem.citations[0]
        lines.append(f"\n{'参考' if zh else 'Read more'}: [{c.title}]({c.url})" if c.url else f"\nRead more: {c.title}")
    return "\n".join(lines)


def _solution_reply(sol: Any, zh: bool) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(sol.steps, start=1))
    return f"**{'解答' if zh else 'Solution'}**\n\n{steps}\n\n**{'答案' if zh else 'Answer'}:** `{sol.answer}`"


def _new_problem(concept: str, level: str, seed: int, zh: bool, intent: str) -> Turn:
    problem = engine.make_problem(concept, level, seed)
    return Turn(intent, _problem_reply(problem, zh), problem.state, {"problem": problem.to_dict()})


def _extract_concept(message: str) -> tuple[str | None, str | None]:
    """(concept id with problems, or None; name of a detected concept without problems, or None)."""
    graph = engine._graph()
    missing = None
    for cid in graph.detect(message):
        if cid in engine.BY_CONCEPT:
            return cid, None
        missing = missing or graph.get(cid).name
    return None, missing


def _answer_text(message: str, has_state: bool) -> str | None:
    m = _ANSWER.match(message.strip())
    if m:
        text = (m.group("a") or m.group("b") or "").strip().rstrip("?？。.!")
        weak = re.match(r"\W*(is it|it'?s|it is)\b", message.strip(), re.IGNORECASE)
        if weak and not _MATH_MARK.search(text):  # "it is a good question" is chat, not an answer
            return None
        return text or None
    if has_state and _MATHY.match(message.strip()) and _MATH_MARK.search(message) and not _NEW.search(message):
        words = re.findall(r"[A-Za-z]{4,}", message)
        allowed = {
            "sqrt",
            "frac",
            "sinh",
            "cosh",
            "tanh",
            "begin",
            "pmatrix",
            "bmatrix",
            "matrix",
            "end",
            "left",
            "right",
            "cdot",
            "times",
            "lambda",
            "theta",
            "sigma",
            "alpha",
            "beta",
            "arcsin",
            "arccos",
            "arctan",
        }
        if all(w.lower() in allowed for w in words):
            return message.strip()
    return None


def respond(
    message: str, state: str | None = None, current_concept: str | None = None, level: str = "practitioner"
) -> Turn:
    """Handle one learner message in the context of an open problem (state) and the conversation's concept."""
    if not isinstance(message, str) or not message.strip():
        return Turn("none")
    zh = _zh(message)
    current: st.PracticeState | None = None
    if state:
        try:
            current, _ = engine.load(state)
        except PracticeError as exc:
            return Turn("error", str(exc), None, {"error": str(exc)})
    level = current.level if current else (level if level in LEVELS else "practitioner")
    try:
        return _dispatch(message, state, current, current_concept, level, zh)
    except PracticeError as exc:
        return Turn("error", str(exc), state, {"error": str(exc)})


def _dispatch(
    message: str, state: str | None, current: st.PracticeState | None, current_concept: str | None, level: str, zh: bool
) -> Turn:
    if current is not None and _SOLUTION.search(message) and not _ANSWER.match(message.strip()):
        sol = engine.solution(state)  # type: ignore[arg-type]
        return Turn("solution", _solution_reply(sol, zh), sol.problem.state, {"solution": sol.to_dict()})
    if current is not None and _HINT.search(message):
        h = engine.hint(state)  # type: ignore[arg-type]
        if h.hint is None:
            text = (
                "没有更多提示了；可以说“看答案”。"
                if zh
                else "No hints left; say *show me the solution* to see the worked answer."
            )
        else:
            text = f"**{'提示' if zh else 'Hint'} {h.index}/{h.total}:** {h.hint}"
        return Turn("hint", text, h.state, {"hint": h.to_dict()})
    if _ANOTHER.search(message) and (current is not None or current_concept):
        concept = _extract_concept(message)[0] or (current.concept if current else current_concept)
        idx = LEVELS.index(level)
        if _HARDER.search(message):
            idx = min(idx + 1, len(LEVELS) - 1)
        elif _EASIER.search(message):
            idx = max(idx - 1, 0)
        seed = _seed(message, state or "", str(concept))
        return _new_problem(str(concept), LEVELS[idx], seed, zh, "another")
    answer = _answer_text(message, current is not None) if current is not None else None
    if answer is not None and current is not None:
        fb = engine.check(state, answer)  # type: ignore[arg-type]
        parts = [("✅ " if fb.correct else "❌ ") + fb.feedback]
        if fb.hint:
            parts.append(f"**{'提示' if zh else 'Hint'}:** {fb.hint}")
        if fb.solution is not None:
            parts.append(_solution_reply(fb.solution, zh))
        return Turn("answer", "\n\n".join(parts), fb.state, {"feedback": fb.to_dict()})
    if _NEW.search(message):
        concept, missing = _extract_concept(message)
        if concept is None and missing:
            raise UnknownConceptError(f"There are no practice problems for {missing} yet.")
        if concept is None and (_BACKREF.search(message) or current_concept or current):
            concept = current_concept or (current.concept if current else None)
        if concept is None:
            sample = ", ".join(c["id"] for c in engine.list_concepts()[:8])
            text = (
                "要练习哪个概念？例如：" if zh else "Which concept would you like to practise? For example: "
            ) + sample
            return Turn("ask-concept", text, state, {})
        return _new_problem(concept, level, _seed(message, state or "", concept), zh, "new")
    return Turn("none", "", state, {})
