"""Self-check of the whole bank (used by ``mathtutor eval``): every generator x level x seed must
accept its own solution and five equivalent rewrites, name each scripted misconception, keep its
hints free of the answer and cite catalog resources that exist. A crash counts as a failure."""

from __future__ import annotations

import re
import time
import traceback
from collections import Counter
from typing import Any

import sympy as sp

from mathtutor.practice import engine
from mathtutor.practice import state as st
from mathtutor.practice.bank import REGISTRY
from mathtutor.practice.bank.base import plain, plain_set, tex
from mathtutor.practice.citations import catalog, citations_for
from mathtutor.practice.types import LEVELS, Instance

_STRIP = re.compile(r"\\left|\\right|\\,|\\cdot|\\!|[\s{}$*()]")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")


def normalise(text: str) -> str:
    """Fold LaTeX and plain notation to one form for substring search (fractions as a/b; spaces, braces,
    \\left, * dropped)."""
    text = _FRAC.sub(r"\1/\2", text.replace(" ", ""))
    return _STRIP.sub("", text).replace("**", "^").casefold()


def _answer_forms(inst: Instance) -> list[str]:
    a = inst.answer
    if inst.answer_type == "choice":
        return [c[3:] for c in inst.choices if c.startswith(inst.answer + ".")]
    if inst.answer_type in ("vector", "matrix", "set"):
        forms = [plain(a), tex(a)]
        if inst.answer_type == "vector":
            forms.append(tex([list(a)]))
        return [normalise(f) for f in forms]
    return [normalise(sp.sstr(sp.sympify(a))), normalise(sp.latex(sp.sympify(a)))]


def leaks(hint: str, inst: Instance) -> bool:
    """True when a hint contains the final answer (after normalising both)."""
    h = normalise(hint)
    forms = [f for f in _answer_forms(inst) if f]
    if inst.answer_type == "choice":
        return any(f.casefold() in hint.casefold() for f in forms)
    value = sp.sympify(inst.answer) if inst.answer_type == "number" else None
    small = value is not None and value.is_integer and abs(value) < 10
    for f in forms:
        before = r"=" if small else (r"(?<![0-9.^/])" if f[0].isalnum() else "")
        after = r"(?![0-9a-z.^/])" if f[-1].isalnum() else ""
        pattern = before + re.escape(f) + after
        if re.search(pattern, h):
            return True
    return False


def _decimal(value: Any) -> str:
    value = sp.sympify(value)
    floats = {r: sp.Float(r, 15) for r in value.atoms(sp.Rational) if not r.is_integer}
    if value.is_Rational and not value.is_integer:
        return f"{float(value):.15f}".rstrip("0")
    if value.is_number and not value.is_Rational:
        return f"{float(value):.15f}".rstrip("0")
    return sp.sstr(value.xreplace(floats)) if floats else f"({sp.sstr(2 * value)})/2"


def _reorder(value: Any) -> str:
    value = sp.sympify(value)
    if isinstance(value, sp.Add):
        return " + ".join(f"({sp.sstr(t)})" for t in reversed(value.as_ordered_terms()))
    if isinstance(value, sp.Mul):
        return "*".join(f"({sp.sstr(t)})" for t in reversed(value.args))
    return f"0 + {sp.sstr(value)}"


def rewrites(inst: Instance) -> list[tuple[str, str]]:
    """Five equivalent ways of writing the answer (labels: how each differs)."""
    a, kind = inst.answer, inst.answer_type
    if kind == "choice":
        text = next(c[3:] for c in inst.choices if c.startswith(a + "."))
        return [
            ("lower-case", a.lower()),
            ("parenthesised", f"({a})"),
            ("dotted", f"{a}."),
            ("option text", text),
            ("spaced", f"  {a} "),
        ]
    if kind in ("number", "expression"):
        return [
            ("latex", sp.latex(sp.sympify(a))),
            ("expanded", sp.sstr(sp.expand(a))),
            ("factored", sp.sstr(sp.factor(a))),
            ("reordered", _reorder(a)),
            ("decimal/fraction", _decimal(a)),
        ]
    if kind == "vector":
        scaled = [2 * sp.sympify(v) for v in a] if inst.up_to_scale else a
        return [
            ("latex", tex(list(a))),
            ("tuple", "(" + ", ".join(sp.sstr(sp.sympify(v)) for v in a) + ")"),
            ("column", plain([[v] for v in a])),
            ("decimal/fraction", "[" + ", ".join(_decimal(v) for v in a) + "]"),
            ("scaled" if inst.up_to_scale else "expanded", plain([sp.expand(v) for v in scaled])),
        ]
    if kind == "matrix":
        return [
            ("latex", tex(a)),
            ("expanded", plain([[sp.expand(v) for v in r] for r in a])),
            ("bmatrix", tex(a).replace("pmatrix", "bmatrix")),
            ("decimal/fraction", "[" + ", ".join("[" + ", ".join(_decimal(v) for v in r) + "]" for r in a) + "]"),
            (
                "spaced",
                " [ " + " , ".join("[ " + " , ".join(sp.sstr(sp.sympify(v)) for v in r) + " ]" for r in a) + " ] ",
            ),
        ]
    if kind == "set":
        return [
            ("latex", r"\{" + ", ".join(sp.latex(sp.sympify(v)) for v in a) + r"\}"),
            ("reordered", plain_set(list(reversed(a)))),
            ("bare list", ", ".join(sp.sstr(sp.sympify(v)) for v in a)),
            ("decimal/fraction", "{" + ", ".join(_decimal(v) for v in a) + "}"),
            ("repeated", plain_set([*list(a), a[0]])),
        ]
    raise ValueError(kind)


def _wrong_text(value: Any, inst: Instance) -> str:
    if inst.answer_type == "choice":
        return str(value)
    if inst.answer_type == "set" and isinstance(value, list):
        return plain_set(value)
    return plain(value)


def run(seeds: int = 50, levels: tuple[str, ...] = LEVELS, generators: list[str] | None = None) -> dict[str, Any]:
    """Check the bank; returns counts per kind of check and a list of failures (at most 200 kept)."""
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    cat = catalog()
    uncited: set[str] = set()

    def fail(where: str, kind: str, detail: str) -> None:
        counts[f"{kind}_failed"] += 1
        if len(failures) < 200:
            failures.append({"problem": where, "check": kind, "detail": detail[:500]})

    for gen in REGISTRY:
        if generators is not None and gen.name not in generators:
            continue
        for concept in gen.concepts:
            cites = citations_for(concept, "practitioner")
            counts["citations"] += len(cites)
            if not cites:
                uncited.add(concept)
            for c in cites:
                if c.resource_id not in cat or (c.part_id is not None and c.part_id not in cat):
                    fail(concept, "citation", f"{c.resource_id}/{c.part_id} is not in the catalog")
        for level in levels:
            for seed in range(seeds):
                where = f"{gen.name}/{level}/{seed}"
                try:
                    _check_one(
                        gen.name, gen.version, gen.concepts[0], level, seed, counts, lambda k, d, w=where: fail(w, k, d)
                    )
                except Exception:
                    fail(where, "crash", traceback.format_exc(limit=3))
    return {
        "generators": len(REGISTRY) if generators is None else len(generators),
        "seeds": seeds,
        "levels": list(levels),
        "counts": dict(counts),
        "failures": failures,
        "failed": sum(v for k, v in counts.items() if k.endswith("_failed")),
        "concepts_without_citation": sorted(uncited),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _check_one(name: str, version: int, concept: str, level: str, seed: int, counts: Counter[str], fail: Any) -> None:
    inst = engine.instance(name, level, seed)
    state = st.encode(st.PracticeState(concept, level, seed, name, version))
    counts["problems"] += 1
    fb = engine.check(state, inst.answer_text)
    counts["solution"] += 1
    if not fb.correct:
        fail("solution", f"{inst.answer_text!r} rejected: {fb.feedback}")
    for label, text in rewrites(inst):
        counts["rewrite"] += 1
        correct, _, _ = _safe_verdict(text, inst)
        if correct is not True:
            fail("rewrite", f"{label} {text!r} rejected ({correct})")
    for mname, value in inst.wrong:
        counts["misconception"] += 1
        text = _wrong_text(value, inst)
        correct, got, _ = _safe_verdict(text, inst)
        if correct is not False or got != mname:
            fail("misconception", f"{mname}: {text!r} gave correct={correct} misconception={got}")
    for h in inst.hints:
        counts["hint"] += 1
        if leaks(h, inst):
            fail("hint-leak", f"{h!r} contains {inst.answer_text!r}")
    if not 2 <= len(inst.hints) <= 3:
        fail("hint-count", f"{len(inst.hints)} hints")


def _safe_verdict(text: str, inst: Instance) -> tuple[Any, Any, Any]:
    try:
        return engine._verdict(text, inst)
    except Exception as exc:
        return f"error: {exc}", None, None
