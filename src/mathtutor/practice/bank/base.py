"""The generator registry and small formatting helpers shared by the bank modules."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from mathtutor.practice.types import Instance

Make = Callable[[random.Random, str], Instance]


@dataclass(frozen=True)
class Generator:
    """A seeded problem maker; bump ``version`` whenever the same seed would give a different problem."""

    name: str
    concepts: tuple[str, ...]
    make: Make
    version: int = 1


REGISTRY: list[Generator] = []


def generator(name: str, *concepts: str, version: int = 1) -> Callable[[Make], Make]:
    """Register a generator function for one or more topic-graph concept ids."""

    def wrap(fn: Make) -> Make:
        REGISTRY.append(Generator(name, tuple(concepts), fn, version))
        return fn

    return wrap


def pick(
    rng: random.Random, level: str, beginner: Sequence[Any], practitioner: Sequence[Any], researcher: Sequence[Any]
) -> Any:
    """A random element of the pool for the level."""
    pool = {"beginner": beginner, "practitioner": practitioner, "researcher": researcher}[level]
    return rng.choice(list(pool))


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    """A random non-zero integer in [lo, hi]."""
    while True:
        value = rng.randint(lo, hi)
        if value:
            return value


# ---------------------------------------------------------------------------- formatting


def tex(value: Any) -> str:
    """LaTeX of a scalar, list (column vector) or matrix."""
    if isinstance(value, sp.MatrixBase):
        return pmatrix(value.tolist())
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], list | tuple):
            return pmatrix(value)
        return pmatrix([[v] for v in value])
    return sp.latex(sp.sympify(value))


def pmatrix(rows: Sequence[Sequence[Any]]) -> str:
    body = r" \\ ".join(" & ".join(sp.latex(sp.sympify(x)) for x in row) for row in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


def plain(value: Any) -> str:
    """Plain text the parser reads back: scalars, [a, b] vectors, [[..], [..]] matrices."""
    if isinstance(value, sp.MatrixBase):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    return sp.sstr(sp.sympify(value))


def plain_set(values: Sequence[Any]) -> str:
    return "{" + ", ".join(plain(v) for v in values) + "}"


def rows(matrix: sp.MatrixBase) -> list[list[Any]]:
    return [list(r) for r in matrix.tolist()]


def make(
    statement: str,
    answer_type: str,
    answer: Any,
    hints: Sequence[str],
    steps: Sequence[str],
    *,
    symbols: Sequence[str] = (),
    wrong: dict[str, Any] | None = None,
    choices: Sequence[str] = (),
    up_to_scale: bool = False,
    answer_text: str | None = None,
) -> Instance:
    """Build an Instance, deriving the accepted answer text from the value when not given."""
    if isinstance(answer, sp.MatrixBase):
        answer = rows(answer)
    if answer_text is None:
        answer_text = plain_set(answer) if answer_type == "set" else plain(answer)
    fixed_wrong = []
    for name, value in (wrong or {}).items():
        fixed_wrong.append((name, rows(value) if isinstance(value, sp.MatrixBase) else value))
    return Instance(
        statement=statement,
        answer_type=answer_type,
        answer=answer,
        answer_text=answer_text,
        hints=tuple(hints),
        steps=tuple(steps),
        symbols=tuple(symbols),
        wrong=tuple(fixed_wrong),
        choices=tuple(choices),
        up_to_scale=up_to_scale,
    )
