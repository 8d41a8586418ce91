"""Making problems, checking answers, hints and solutions: the logic behind the public API."""

from __future__ import annotations

import dataclasses
import random
import secrets
from functools import lru_cache
from typing import Any

import sympy as sp

from mathtutor.practice import compare
from mathtutor.practice import state as st
from mathtutor.practice.bank import BY_CONCEPT, BY_NAME, Generator
from mathtutor.practice.citations import citations_for
from mathtutor.practice.misconceptions import MISCONCEPTIONS, describe
from mathtutor.practice.notation import how_to_write
from mathtutor.practice.parse import Parsed, parse_answer, read_as
from mathtutor.practice.types import (
    LEVELS,
    AnswerParseError,
    BadLevelError,
    BadSeedError,
    Feedback,
    HintReply,
    Instance,
    Problem,
    Solution,
    StateError,
    UnknownConceptError,
)

MAX_TRIES_BEFORE_SOLUTION = 3
LETTERS = "ABCDE"


@lru_cache(maxsize=1)
def _graph():
    from mathtutor.knowledge.topics import load_topics

    return load_topics()


def resolve_concept(name: str) -> str:
    """Topic-graph id for an id, name or alias that the bank has problems for."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise UnknownConceptError("Name a concept to practise, e.g. chain-rule or eigendecomposition.")
    graph = _graph()
    cid = graph.resolve(name.strip())
    if cid is None:
        found = graph.detect(name)
        cid = found[0] if found else None
    if cid is None:
        raise UnknownConceptError(
            f"I do not know the concept {name.strip()!r}. Try for example chain-rule, eigendecomposition or bayes-rule."
        )
    if cid not in BY_CONCEPT:
        near = [c for c in graph.prerequisites(cid) + graph.dependents(cid) if c in BY_CONCEPT][:3]
        tip = f" Related concepts with problems: {', '.join(near)}." if near else ""
        raise UnknownConceptError(f"There are no practice problems for {graph.get(cid).name} yet.{tip}")
    return cid


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise BadLevelError(f"Unknown level {level!r}; choose beginner, practitioner or researcher.")
    return level


def _wrong_type(value: Any, answer_type: str) -> str:
    if answer_type in ("choice", "set"):
        return answer_type
    if isinstance(value, list):
        return "matrix" if value and isinstance(value[0], list) else "vector"
    return answer_type if answer_type in ("number", "expression") else "expression"


@lru_cache(maxsize=1024)
def instance(generator: str, level: str, seed: int) -> Instance:
    """The (cached) problem a generator makes for this level and seed; wrong answers equal to the
    right one are dropped so a misconception is never named for a correct answer."""
    gen = BY_NAME[generator]
    inst = gen.make(random.Random(f"{gen.name}|{gen.version}|{level}|{seed}"), level)
    kept: list[tuple[str, Any]] = []
    for name, value in inst.wrong:
        if any(_same(value, v, inst) for _, v in kept):
            continue
        if name not in MISCONCEPTIONS:
            raise KeyError(f"generator {generator} uses unknown misconception {name!r}")
        if inst.answer_type == "choice":
            kept.append((name, value))
            continue
        probe = _parsed_value(value, inst.answer_type)
        if not compare.matches(probe, inst.answer, inst.answer_type, up_to_scale=inst.up_to_scale):
            kept.append((name, value))
    return dataclasses.replace(inst, wrong=tuple(kept))


def _same(a: Any, b: Any, inst: Instance) -> bool:
    if inst.answer_type == "choice":
        return a == b
    return compare.matches(
        _parsed_value(a, inst.answer_type), b, _wrong_type(b, inst.answer_type), up_to_scale=inst.up_to_scale
    )


def _parsed_value(value: Any, answer_type: str) -> Parsed:
    """Wrap a known value as if it had been parsed (for comparing scripted answers)."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        return Parsed("matrix", [[sp.sympify(x) for x in r] for r in value], False, "")
    if isinstance(value, list):
        return Parsed("set" if answer_type == "set" else "seq", [sp.sympify(x) for x in value], False, "")
    return Parsed("scalar", sp.sympify(value), False, "")


def _pick_generator(concept: str, seed: int) -> Generator:
    gens = BY_CONCEPT[concept]
    return gens[seed % len(gens)]


def make_problem(concept: str, level: str = "practitioner", seed: int | None = None) -> Problem:
    """A seeded problem on a concept (id or alias); the same concept, level and seed give the same problem."""
    cid = resolve_concept(concept)
    _check_level(level)
    if seed is None:
        seed = secrets.randbelow(st.MAX_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= st.MAX_SEED:
        raise BadSeedError(f"The seed must be a whole number from 0 to {st.MAX_SEED}.")
    gen = _pick_generator(cid, seed)
    state = st.PracticeState(cid, level, seed, gen.name, gen.version)
    return _problem(state)


def _problem(state: st.PracticeState) -> Problem:
    inst = instance(state.generator, state.level, state.seed)
    return Problem(
        id=f"{state.concept}/{state.level}/{state.seed}",
        concept=state.concept,
        level=state.level,
        statement=inst.statement,
        answer_type=inst.answer_type,
        hints_total=len(inst.hints),
        citations=citations_for(state.concept, state.level),
        state=st.encode(state),
        choices=inst.choices,
    )


def load(state_or_problem: str | Problem) -> tuple[st.PracticeState, Instance]:
    """Verify a state (or a Problem's state) and regenerate its problem."""
    text = state_or_problem.state if isinstance(state_or_problem, Problem) else state_or_problem
    state = st.decode(text)
    gen = BY_NAME.get(state.generator)
    if gen is None or state.concept not in gen.concepts or state.concept not in BY_CONCEPT:
        raise StateError("This practice problem no longer exists in the bank. Ask for a new problem.")
    if gen.version != state.version:
        raise StateError("This problem comes from an older version of the practice bank. Ask for a new problem.")
    return state, instance(state.generator, state.level, state.seed)


def _solution(state: st.PracticeState, inst: Instance) -> Solution:
    return Solution(problem=_problem(state), answer=inst.answer_text, steps=inst.steps)


def read_choice(answer: str, inst: Instance) -> str:
    """The letter a learner chose ("b", "(B)", "B." or the option's text)."""
    text = answer.strip().strip("()[].:：。 ").upper()
    letters = LETTERS[: len(inst.choices)]
    if len(text) == 1 and text in letters:
        return text
    for choice in inst.choices:
        if answer.strip().casefold() == choice[3:].strip().casefold():
            return choice[0]
    raise AnswerParseError(f"Answer with the letter of one option ({', '.join(letters)}). {how_to_write('choice')}")


def _verdict(answer: str, inst: Instance) -> tuple[bool, str | None, Parsed | None]:
    """(correct, misconception, parsed); raises AnswerParseError for unreadable answers."""
    if not isinstance(answer, str):
        raise AnswerParseError(f"The answer must be text. {how_to_write(inst.answer_type)}")
    if inst.answer_type == "choice":
        letter = read_choice(answer, inst)
        if letter == inst.answer:
            return True, None, None
        return False, next((name for name, value in inst.wrong if value == letter), None), None
    parsed = parse_answer(answer, inst.answer_type, inst.symbols)
    if compare.matches(parsed, inst.answer, inst.answer_type, up_to_scale=inst.up_to_scale):
        return True, None, parsed
    for name, value in inst.wrong:
        kind = _wrong_type(value, inst.answer_type)
        if compare.matches(parsed, value, kind, up_to_scale=inst.up_to_scale):
            return False, name, parsed
    return False, None, parsed


def check(state_or_problem: str | Problem, answer: str) -> Feedback:
    """Check an answer; the returned state counts the try and any hint or solution it gave."""
    state, inst = load(state_or_problem)
    try:
        correct, misconception, parsed = _verdict(answer, inst)
    except AnswerParseError as exc:
        return Feedback(correct=False, feedback=str(exc), state=st.encode(state))
    shown = read_as(parsed) if parsed is not None else None
    tries = min(state.tries + 1, 10**6)
    if correct:
        note = f" ({compare.TOLERANCE_NOTE})" if parsed is not None and parsed.has_float else ""
        new = state.updated(tries=tries, solved=True)
        return Feedback(True, f"Correct!{note}", None, None, st.encode(new), None, shown)
    text = "Not quite."
    if misconception is not None:
        text += " " + describe(misconception)
    next_hint = None
    hints_shown = state.hints_shown
    if hints_shown < len(inst.hints):
        next_hint = inst.hints[hints_shown]
        hints_shown += 1
    new = state.updated(tries=tries, hints_shown=hints_shown)
    solution = None
    if tries >= MAX_TRIES_BEFORE_SOLUTION and not state.solved:
        new = new.updated(revealed=True)
        solution = _solution(new, inst)
        text += " Here is the worked solution."
    return Feedback(False, text, misconception, next_hint, st.encode(new), solution, shown)


def hint(state_or_problem: str | Problem) -> HintReply:
    """The next hint; once all are shown, None (ask for the solution)."""
    state, inst = load(state_or_problem)
    if state.hints_shown >= len(inst.hints):
        return HintReply(None, state.hints_shown, len(inst.hints), st.encode(state))
    new = state.updated(hints_shown=state.hints_shown + 1)
    return HintReply(inst.hints[state.hints_shown], new.hints_shown, len(inst.hints), st.encode(new))


def solution(state_or_problem: str | Problem) -> Solution:
    """The worked solution; the state records that it was revealed."""
    state, inst = load(state_or_problem)
    return _solution(state.updated(revealed=True), inst)


def preview(state_or_problem: str | Problem, answer: str) -> str:
    """LaTeX of how an answer would be read (live preview); AnswerParseError when it cannot be."""
    _, inst = load(state_or_problem)
    if inst.answer_type == "choice":
        return read_choice(answer, inst)
    return read_as(parse_answer(answer, inst.answer_type, inst.symbols))


def list_concepts() -> list[dict[str, Any]]:
    """Concepts that have problems, in topic-graph order: id, name, area and the kinds of problems."""
    out = []
    for concept in _graph().concepts:
        gens = BY_CONCEPT.get(concept.id)
        if gens:
            kinds = sorted({"conceptual" if g.name.startswith("concept.") else "computation" for g in gens})
            out.append(
                {
                    "id": concept.id,
                    "name": concept.name,
                    "area": concept.area,
                    "kinds": kinds,
                    "generators": [g.name for g in gens],
                }
            )
    return out
