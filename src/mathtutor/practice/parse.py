"""Safe reading of a learner's answer: plain maths or LaTeX into SymPy objects, never eval of raw text.

Layers, each of which refuses before the next runs: a length cap; a character whitelist (NUL,
surrogates, quotes, underscores and look-alike letters or digits are refused with their Unicode
name); a LaTeX rewriter for a fixed set of commands; a tokeniser whose identifiers must be in an
explicit whitelist; bracket depth and element caps; then ``parse_expr`` with ``evaluate=False``, an
empty ``__builtins__`` and only whitelisted names; finally a bottom-up evaluation that refuses
powers whose result would have more than ``MAX_DIGITS`` digits (so ``9**9**9**9`` never runs).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.parsing.sympy_parser import (
    auto_number,
    convert_xor,
    implicit_application,
    implicit_multiplication,
    parse_expr,
)

from mathtutor.practice.latex import group_exponent_braces, latex_to_plain
from mathtutor.practice.notation import fail as _fail

MAX_LENGTH = 2000
MAX_DEPTH = 12
MAX_ELEMENTS = 100
MAX_TOKENS = 600
MAX_NUMBER_DIGITS = 60
MAX_DIGITS = 2000  # largest integer magnitude (decimal digits) any sub-expression may reach
MAX_SYMBOLIC_EXPONENT = 200
MAX_NODES = 1500

FUNCTIONS: dict[str, Any] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "Abs": sp.Abs,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
}
NAME_ALIASES = {"ln": "log", "abs": "Abs", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}
CONSTANTS: dict[str, Any] = {"pi": sp.pi, "E": sp.E}

# Unicode maths characters a learner may reasonably type, mapped to ASCII; everything else non-ASCII is refused.
_UNICODE_OK = {
    "\u03c0": " pi ",
    "\u00b7": "*",
    "\u22c5": "*",
    "\u00d7": "*",
    "\u2212": "-",
    "\u2013": "-",
    "\u221a": " sqrt",
    "\u00b2": "^2",
    "\u00b3": "^3",
    "\u03bb": " lamda ",
    "\u03bc": " mu ",
    "\u03c3": " sigma ",
    "\u03b8": " theta ",
    "\u03b1": " alpha ",
    "\u03b2": " beta ",
}
_ALLOWED_ASCII = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .+-*/^()[]{},=\\&$\t\n\r")


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: ``shape`` is scalar, seq (vector or tuple), matrix (rows) or set."""

    shape: str
    value: Any
    has_float: bool
    text: str

    def elements(self) -> list[Any]:
        """Scalars of the answer in reading order (rows flattened)."""
        if self.shape == "scalar":
            return [self.value]
        if self.shape == "matrix":
            return [x for row in self.value for x in row]
        return list(self.value)


# ------------------------------------------------------------------------------------ characters


def _screen_characters(text: str, answer_type: str) -> str:
    out = []
    for char in text:
        if char in _ALLOWED_ASCII:
            out.append(char)
        elif char in _UNICODE_OK:
            out.append(_UNICODE_OK[char])
        else:
            code = ord(char)
            if 0xD800 <= code <= 0xDFFF:
                raise _fail("The answer contains a broken character (a lone surrogate).", answer_type)
            if code == 0:
                raise _fail("The answer contains a NUL character.", answer_type)
            name = unicodedata.name(char, f"U+{code:04X}")
            folded = unicodedata.normalize("NFKC", char)
            if folded != char and folded.isascii() and folded.strip():
                raise _fail(
                    f"The answer contains {name.lower()}, which looks like {folded!r} but is another character; "
                    "please switch to half-width (ASCII) input.",
                    answer_type,
                )
            if char.isprintable():
                raise _fail(f"The character {char!r} ({name.lower()}) is not allowed in an answer.", answer_type)
            raise _fail(f"The answer contains an unprintable character ({name.lower()}).", answer_type)
    return "".join(out)


def _check_depth(text: str, answer_type: str) -> None:
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(f"The answer nests brackets more than {MAX_DEPTH} deep.", answer_type)
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise _fail("A closing bracket has no opening bracket.", answer_type)
    if depth != 0:
        raise _fail("A bracket is not closed.", answer_type)


# ------------------------------------------------------------------------------------ tokens

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z]+)|(\*\*|[-+*/^()\[\]{},=&]))")


def _known_names(symbols: tuple[str, ...]) -> dict[str, Any]:
    names: dict[str, Any] = dict(FUNCTIONS)
    names.update(CONSTANTS)
    for name in symbols:
        names[name] = sp.Symbol(name)
    return names


def _split_identifier(word: str, names: dict[str, Any], answer_type: str) -> list[str]:
    """Split "xcos" into x, cos using the longest whitelisted name at each position."""
    candidates = sorted(set(names) | set(NAME_ALIASES) | ({"e"} if "e" not in names else set()), key=len, reverse=True)
    parts: list[str] = []
    i = 0
    while i < len(word):
        for cand in candidates:
            if word.startswith(cand, i):
                parts.append(cand)
                i += len(cand)
                break
        else:
            allowed = ", ".join(sorted(n for n in names if n not in CONSTANTS and n not in FUNCTIONS)) or "none"
            raise _fail(
                f"The name {word!r} is not known here (variables allowed in this problem: {allowed}; "
                "functions: sin, cos, tan, exp, log, sqrt).",
                answer_type,
            )
    out = []
    for part in parts:
        part = NAME_ALIASES.get(part, part)
        if part == "e" and "e" not in names:
            part = "E"
        out.append(part)
    return out


_SCIENTIFIC = re.compile(r"\d\s*[eE]\s*[-+]?\s*\d")


def _tokenise(text: str, names: dict[str, Any], answer_type: str) -> str:
    if _SCIENTIFIC.search(text):
        raise _fail("Scientific notation such as 1e5 is not read here; write 1*10^5 instead.", answer_type)
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos:].lstrip()[:1]
            what = "a dot outside a number (attribute access)" if bad == "." else repr(bad)
            raise _fail(f"The answer contains {what}, which is not allowed.", answer_type)
        number, ident, op = match.groups()
        if number is not None:
            if len(number.replace(".", "")) > MAX_NUMBER_DIGITS:
                raise _fail(f"A number in the answer has more than {MAX_NUMBER_DIGITS} digits.", answer_type)
            tokens.append(number)
        elif ident is not None:
            tokens.extend(_split_identifier(ident, names, answer_type))
        else:
            tokens.append(op)
        pos = match.end()
        if len(tokens) > MAX_TOKENS:
            raise _fail("The answer is too long.", answer_type)
    if "=" in tokens:  # "x = 2" or "lambda = 1, 3": drop a leading "name =", refuse other equations
        idx = tokens.index("=")
        if idx > 1 or tokens.count("=") > 1 or idx == 0:
            raise _fail("Give the value itself rather than an equation.", answer_type)
        tokens = tokens[idx + 1 :]
    if "&" in tokens:
        raise _fail("'&' only separates matrix entries inside \\begin{pmatrix}...\\end{pmatrix}.", answer_type)
    if tokens.count(",") + 1 > MAX_ELEMENTS:
        raise _fail(f"The answer has more than {MAX_ELEMENTS} elements.", answer_type)
    if not tokens:
        raise _fail("The answer is empty.", answer_type)
    for a, b in itertools.pairwise(tokens):
        if a == "{" and b == "}":
            raise _fail("The set is empty.", answer_type)
    return " ".join(tokens)


# ------------------------------------------------------------------------------------ evaluation


def _digits(value: sp.Basic) -> float:
    """Upper bound (decimal digits) of the magnitude of a number-valued node; 0 for symbols."""
    if isinstance(value, sp.Integer):
        return int(value).bit_length() * 0.30103
    if isinstance(value, sp.Rational):
        return max(int(value.p).bit_length(), int(value.q).bit_length()) * 0.30103
    if isinstance(value, sp.Float):
        mag = abs(float(value)) if math.isfinite(float(value)) else 1e308
        return math.log10(mag) if mag > 1 else 0.0
    return 0.0


class _Guard:
    """Evaluates an unevaluated tree bottom-up, refusing any power whose result would be too large."""

    def __init__(self, answer_type: str) -> None:
        self.answer_type = answer_type
        self.nodes = 0

    def run(self, node: Any) -> tuple[Any, float]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _fail("The answer is too complicated.", self.answer_type)
        if not isinstance(node, sp.Basic) or not node.args:
            return node, _digits(node) if isinstance(node, sp.Basic) else 0.0
        done = [self.run(arg) for arg in node.args]
        args = [d[0] for d in done]
        sizes = [d[1] for d in done]
        if isinstance(node, sp.Pow):
            base, expo = args
            size = self._power_size(base, expo, sizes[0])
        elif isinstance(node, sp.Mul):
            size = sum(sizes)
        elif isinstance(node, sp.Add):
            size = max(sizes) + 1
        else:
            size = max(sizes)
            if isinstance(node, sp.exp | sp.sinh | sp.cosh) and args[0].is_number:
                size = max(size, self._exp_size(args[0]))
        if size > MAX_DIGITS:
            raise _fail("A number in the answer would be astronomically large; simplify it first.", self.answer_type)
        return node.func(*args), size

    def _exp_size(self, arg: Any) -> float:
        try:
            real = float(sp.re(arg).evalf(15))
        except (TypeError, ValueError):
            raise _fail("An exponent in the answer could not be evaluated.", self.answer_type) from None
        return abs(real) / math.log(10)

    def _power_size(self, base: Any, expo: Any, base_size: float) -> float:
        if not expo.is_number:
            if base.is_number and base_size > 3:
                raise _fail("A symbolic power of a large number is not allowed.", self.answer_type)
            return base_size
        try:
            mag = abs(complex(sp.N(expo, 15)))
        except (TypeError, ValueError):
            raise _fail("An exponent in the answer could not be evaluated.", self.answer_type) from None
        if not math.isfinite(mag):
            raise _fail("An exponent in the answer is infinite.", self.answer_type)
        if not base.is_number and mag > MAX_SYMBOLIC_EXPONENT:
            raise _fail(f"Exponents above {MAX_SYMBOLIC_EXPONENT} are not allowed on variables.", self.answer_type)
        if base.is_number and mag > 10 * MAX_DIGITS and base not in (sp.Integer(0), sp.Integer(1), sp.Integer(-1)):
            raise _fail("An exponent in the answer is far too large.", self.answer_type)
        return max(base_size, 1.0) * mag if base.is_number else base_size * mag


_TRANSFORMS = (auto_number, implicit_multiplication, implicit_application, convert_xor)
_GLOBALS_BASE = {
    "Integer": sp.Integer,
    "Float": sp.Float,
    "Rational": sp.Rational,
    "Add": sp.Add,
    "Mul": sp.Mul,
    "Pow": sp.Pow,
}


def _to_sympy(code: str, names: dict[str, Any], answer_type: str) -> Any:
    local_dict = dict(names)
    global_dict: dict[str, Any] = {"__builtins__": {}, **_GLOBALS_BASE}
    try:
        return parse_expr(
            code, local_dict=local_dict, global_dict=global_dict, transformations=_TRANSFORMS, evaluate=False
        )
    except (
        SyntaxError,
        TypeError,
        ValueError,
        AttributeError,
        ZeroDivisionError,
        RecursionError,
        IndexError,
        NameError,
        KeyError,
        OverflowError,
        MemoryError,
    ):
        raise _fail("The answer could not be read as mathematics.", answer_type) from None


def _shape(raw: Any, guard: _Guard, answer_type: str) -> tuple[str, Any]:
    def scalar(item: Any) -> Any:
        if not isinstance(item, sp.Basic):
            raise _fail("Each entry must be a number or an expression.", answer_type)
        value, _ = guard.run(item)
        if isinstance(value, sp.Basic) and value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise _fail("The answer divides by zero or is infinite.", answer_type)
        return value

    if isinstance(raw, set):
        return "set", [scalar(x) for x in raw]
    if isinstance(raw, list | tuple):
        if raw and all(isinstance(r, list | tuple) for r in raw):
            rows = [[scalar(x) for x in r] for r in raw]
            if len({len(r) for r in rows}) != 1 or not rows[0]:
                raise _fail("All rows of a matrix need the same number of entries.", answer_type)
            return "matrix", rows
        return "seq", [scalar(x) for x in raw]
    return "scalar", scalar(raw)


def parse_answer(text: Any, answer_type: str = "expression", symbols: tuple[str, ...] = ()) -> Parsed:
    """Read an answer safely; AnswerParseError (with a how-to-write example) when it cannot or may not."""
    if not isinstance(text, str):
        raise _fail("The answer must be text.", answer_type)
    if len(text) > MAX_LENGTH:
        raise _fail(f"The answer is longer than {MAX_LENGTH} characters.", answer_type)
    text = _screen_characters(text, answer_type)
    _check_depth(text, answer_type)
    text = text.replace("$", " ")
    text = latex_to_plain(text, answer_type) if "\\" in text else text
    text = group_exponent_braces(text)
    names = _known_names(symbols)
    code = _tokenise(text, names, answer_type)
    raw = _to_sympy(code, names, answer_type)
    shape, value = _shape(raw, _Guard(answer_type), answer_type)
    parsed = Parsed(shape=shape, value=value, has_float=False, text=code)
    has_float = any(isinstance(e, sp.Basic) and e.has(sp.Float) for e in parsed.elements())
    return Parsed(shape=shape, value=value, has_float=has_float, text=code)


def read_as(parsed: Parsed) -> str:
    """LaTeX of how the answer was read (for a live preview)."""
    if parsed.shape == "scalar":
        return sp.latex(parsed.value)
    if parsed.shape == "matrix":
        return sp.latex(sp.Matrix(parsed.value))
    if parsed.shape == "set":
        return r"\{" + ", ".join(sp.latex(x) for x in parsed.value) + r"\}"
    return r"\left(" + ", ".join(sp.latex(x) for x in parsed.value) + r"\right)"
