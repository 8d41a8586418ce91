"""The LaTeX subset learners may type, rewritten to plain notation before tokenising.

Only a fixed list of commands is known (fractions, roots, matrices, functions, Greek letters,
spacing); any other command is refused by name, so LaTeX cannot smuggle in anything else.
"""

from __future__ import annotations

import re

from mathtutor.practice.notation import fail as _fail

GREEK = ("alpha", "beta", "gamma", "delta", "lamda", "mu", "sigma", "theta", "tau", "rho", "eta")

_LATEX_WORDS = {
    "cdot": "*",
    "times": "*",
    "pi": " pi ",
    "ln": " log ",
    "log": " log ",
    "exp": " exp ",
    "sin": " sin ",
    "cos": " cos ",
    "tan": " tan ",
    "sinh": " sinh ",
    "cosh": " cosh ",
    "tanh": " tanh ",
    "arcsin": " asin ",
    "arccos": " acos ",
    "arctan": " atan ",
    "lambda": " lamda ",
    **{g: f" {g} " for g in GREEK if g != "lamda"},
    "left": "",
    "right": "",
    "displaystyle": "",
    "quad": " ",
    "qquad": " ",
    "mathrm": "",
    "operatorname": "",
    "text": "",
    "mathbf": "",
    "boldsymbol": "",
}
_SPACING = re.compile(r"\\[,;:! ]")
_ENV = re.compile(r"\\begin\{([pbvB]?matrix)\}(.*?)\\end\{\1\}", re.DOTALL)
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SET_OPEN, _SET_CLOSE = "\x01", "\x02"


def _group(text: str, start: int, answer_type: str) -> tuple[str, int]:
    """The argument of a LaTeX command at ``start``: a {...} group or a single character."""
    while start < len(text) and text[start] == " ":
        start += 1
    if start >= len(text):
        raise _fail("A LaTeX command is missing its argument.", answer_type)
    if text[start] != "{":
        return text[start], start + 1
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise _fail("A LaTeX brace is not closed.", answer_type)


def _matrix_env(match: re.Match[str]) -> str:
    rows = [r for r in re.split(r"\\\\", match.group(2)) if r.strip()]
    return "[" + ",".join("[" + ",".join(cell for cell in row.split("&")) + "]" for row in rows) + "]"


def latex_to_plain(text: str, answer_type: str = "expression") -> str:
    """Rewrite the supported LaTeX subset into plain notation; unknown commands are refused."""
    text = text.replace("$", " ")
    text = _ENV.sub(_matrix_env, text)
    if "\\\\" in text:
        raise _fail("Rows separated by \\\\ belong inside \\begin{pmatrix}...\\end{pmatrix}.", answer_type)
    text = text.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    text = _SPACING.sub(" ", text)
    text = text.replace("\\{", _SET_OPEN).replace("\\}", _SET_CLOSE)
    for _ in range(200):  # fractions and roots, innermost-last; bounded because the text is
        match = re.search(r"\\(d|t)?frac|\\sqrt", text)
        if match is None:
            break
        if match.group().endswith("sqrt"):
            pos = match.end()
            if pos < len(text) and text[pos] == "[":
                close = text.find("]", pos)
                if close < 0:
                    raise _fail("The root index bracket is not closed.", answer_type)
                index = text[pos + 1 : close]
                body, end = _group(text, close + 1, answer_type)
                text = text[: match.start()] + f"(({body})^(1/({index})))" + text[end:]
            else:
                body, end = _group(text, pos, answer_type)
                text = text[: match.start()] + f" sqrt({body})" + text[end:]
        else:
            num, mid = _group(text, match.end(), answer_type)
            den, end = _group(text, mid, answer_type)
            text = text[: match.start()] + f"(({num})/({den}))" + text[end:]
    else:
        raise _fail("The answer has too many fractions or roots.", answer_type)

    def word(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in _LATEX_WORDS:
            raise _fail(f"The LaTeX command \\{name} is not supported here.", answer_type)
        return _LATEX_WORDS[name]

    text = _COMMAND.sub(word, text)
    if "\\" in text:
        raise _fail("A backslash is only allowed before a LaTeX command such as \\frac.", answer_type)
    text = text.replace("{", "(").replace("}", ")")
    return text.replace(_SET_OPEN, "{").replace(_SET_CLOSE, "}")


def group_exponent_braces(text: str) -> str:
    """Plain input may write x^{2}: braces right after ^ are grouping, not a set."""
    out = []
    stack: list[bool] = []
    prev = ""
    for char in text:
        if char == "{":
            grouping = prev == "^"
            stack.append(grouping)
            out.append("(" if grouping else "{")
        elif char == "}":
            grouping = stack.pop() if stack else False
            out.append(")" if grouping else "}")
        else:
            out.append(char)
        if not char.isspace():
            prev = char
    return "".join(out)
