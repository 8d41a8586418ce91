"""Conceptual questions (our own wording) for ideas that are not computations.

Every wrong option names the misconception it reveals; the misconception and its feedback are
registered with the shared table so the checker and the self-check treat them like any other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from mathtutor.practice.bank.base import REGISTRY, Generator, make
from mathtutor.practice.bank.questions import QUESTIONS, Question
from mathtutor.practice.misconceptions import register
from mathtutor.practice.types import Instance

LETTERS = "ABCDE"


@dataclass(frozen=True)
class Short:
    """A short-answer question: the learner types a number."""

    concept: str
    prompt: str
    answer: sp.Expr
    hints: tuple[str, str]
    explanation: str
    wrong: tuple[tuple[str, sp.Expr], ...] = ()


SHORT: list[Short] = [
    Short(
        "entropy-kl",
        r"What is $D_{KL}(P \,\|\, P)$, the KL divergence of any distribution $P$ from itself?",
        sp.Integer(0),
        (r"Every ratio $p_i / p_i$ inside the logarithm is the same number.", "What is the logarithm of that number?"),
        "Each term is p_i log 1, so the divergence vanishes; it is zero exactly when the distributions agree.",
        (("kl-direction", sp.Integer(1)),),
    ),
    Short(
        "jacobian",
        r"By what factor does the linear map $(u, v) \mapsto (2u, 3v)$ scale areas?",
        sp.Integer(6),
        (
            "The Jacobian matrix of a linear map is its own matrix.",
            "Areas scale by the absolute value of its determinant.",
        ),
        "J = diag(2, 3) and |det J| = 2 * 3.",
        (("jacobian-is-slope", sp.Integer(2)),),
    ),
    Short(
        "rank",
        r"What is the rank of the outer product $u v^T$ of non-zero vectors $u \in "
        r"\mathbb{R}^4$, $v \in \mathbb{R}^3$?",
        sp.Integer(1),
        ("Every column of $u v^T$ is a multiple of the same vector.", "How many independent columns can there be?"),
        "All columns are multiples of u, so the column space is the line through u.",
        (("rank-count-rows", sp.Integer(4)),),
    ),
    Short(
        "central-limit-theorem",
        r"$X_1, \dots, X_{16}$ are i.i.d. with variance $4$. What is the variance of their mean?",
        sp.Rational(1, 4),
        (
            r"$\operatorname{Var}(\sum X_i) = \sum \operatorname{Var}(X_i)$ for independent variables.",
            r"Dividing by $n$ divides the variance by $n^2$.",
        ),
        "Var(mean) = sigma^2 / n = 4/16.",
        (("std-vs-variance", sp.Rational(1, 2)), ("forgot-1-over-n", sp.Integer(4))),
    ),
]


def _make_question(questions: list[Question | Short]):
    def make_question(rng: random.Random, level: str) -> Instance:
        q = rng.choice(questions)
        if isinstance(q, Short):
            return make(q.prompt, "number", q.answer, list(q.hints), [q.explanation], wrong=dict(q.wrong))
        order = list(range(len(q.options)))
        rng.shuffle(order)
        opts = [q.options[i] for i in order]
        right = LETTERS[next(i for i, o in enumerate(opts) if o.misconception is None)]
        wrong = {o.misconception: LETTERS[i] for i, o in enumerate(opts) if o.misconception is not None}
        choices = tuple(f"{LETTERS[i]}. {o.text}" for i, o in enumerate(opts))
        statement = q.prompt + "\n\n" + "\n".join(choices)
        return make(
            statement,
            "choice",
            right,
            list(q.hints),
            [q.explanation, f"The answer is {right}."],
            wrong=wrong,
            choices=choices,
        )

    return make_question


def _register() -> None:
    by_concept: dict[str, list[Question | Short]] = {}
    for q in QUESTIONS:
        for o in q.options:
            if o.misconception:
                register(o.misconception, o.label, o.feedback)
        by_concept.setdefault(q.concept, []).append(q)
    for s in SHORT:
        by_concept.setdefault(s.concept, []).append(s)
    for concept, qs in by_concept.items():
        REGISTRY.append(Generator(f"concept.{concept}", (concept,), _make_question(qs), 1))


_register()
