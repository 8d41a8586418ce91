"""How answers are written: the example shown with every parse error, and the error builder."""

from __future__ import annotations

from mathtutor.practice.types import AnswerParseError

_EXAMPLES = {
    "number": "1/3, -2, 0.25 or \\frac{1}{3}",
    "expression": "2*x*cos(x^2), 3x^2 + 1 or \\frac{x}{2}",
    "vector": "[1, -2, 3] or (1, -2, 3)",
    "matrix": "[[1, 2], [3, 4]] (one bracket per row)",
    "set": "{-1, 2} (order does not matter)",
    "choice": "the letter of your choice, e.g. B",
}


def how_to_write(answer_type: str) -> str:
    """One sentence with an example of the expected notation."""
    return f"Write it like this: {_EXAMPLES.get(answer_type, _EXAMPLES['expression'])}."


def fail(message: str, answer_type: str) -> AnswerParseError:
    return AnswerParseError(f"{message} {how_to_write(answer_type)}")
