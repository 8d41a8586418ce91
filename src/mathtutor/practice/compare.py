"""Deciding whether a parsed answer equals the expected one, within a fixed time budget.

Equivalence is tested numerically first: both sides are evaluated at a few seeded random points
(positive reals, so logs and roots are defined). That is fast and cannot hang on expressions the
parser admitted (exponents are capped there). Only when no point gives a finite value on both
sides is a bounded ``expand`` tried, and only on small expressions; past ``TIME_BUDGET_S`` the
comparison stops and reports "not equal" instead of running on.

Tolerances (stated to learners): exact answers typed exactly must match to 1e-9 relative; an
answer typed with decimals is accepted within 0.5 % relative (three significant figures) or 1e-6
absolute near zero.
"""

from __future__ import annotations

import cmath
import random
import time
from typing import Any

import sympy as sp

from mathtutor.practice.parse import Parsed

EXACT_REL_TOL = 1e-9
DECIMAL_REL_TOL = 5e-3
ABS_TOL = 1e-6
TIME_BUDGET_S = 0.8
N_POINTS = 5
PRECISION = 30  # digits: expanded polynomials cancel badly near their roots at double precision
TOLERANCE_NOTE = "decimals are accepted within 0.5% (three significant figures)"


class _Clock:
    def __init__(self, budget: float) -> None:
        self.deadline = time.monotonic() + budget

    def expired(self) -> bool:
        return time.monotonic() > self.deadline


def _value(expr: Any, point: dict[sp.Symbol, sp.Float]) -> complex | None:
    try:
        number = sp.sympify(expr).xreplace(point) if point else sp.sympify(expr)
        result = complex(number.evalf(PRECISION) if not number.is_Float else number)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not (cmath.isfinite(result)):
        return None
    return result


def _close(a: complex, b: complex, rel: float) -> bool:
    return abs(a - b) <= max(ABS_TOL if rel > EXACT_REL_TOL else 1e-12, rel * max(abs(a), abs(b)))


def scalars_equal(got: Any, want: Any, *, decimals: bool, clock: _Clock | None = None) -> bool:
    """True when ``got`` equals ``want`` (numerically at random points, or exactly when small)."""
    clock = clock or _Clock(TIME_BUDGET_S)
    rel = DECIMAL_REL_TOL if decimals else EXACT_REL_TOL
    got = sp.sympify(got)
    want = sp.sympify(want)
    if got == want:  # same canonical form: the common case for a right answer, no evaluation needed
        return True
    if got.is_Rational and want.is_Rational and not decimals:
        return False
    syms = sorted(got.free_symbols | want.free_symbols, key=lambda s: s.name)
    if not syms:
        a, b = _value(got, {}), _value(want, {})
        if a is None or b is None:
            return False
        return _close(a, b, rel)
    rng = random.Random(20260)
    valid = 0
    for _ in range(N_POINTS * 2):
        if clock.expired():
            return False
        point = {s: sp.Float(f"{rng.uniform(0.35, 2.2):.6f}", PRECISION) for s in syms}
        a, b = _value(got, point), _value(want, point)
        if a is None or b is None:
            continue
        if not _close(a, b, rel):
            return False
        valid += 1
        if valid >= N_POINTS:
            return True
    if valid:
        return True
    if sp.count_ops(got) + sp.count_ops(want) > 80 or clock.expired() or _max_exponent(got - want) > 8:
        return False
    return sp.expand(got - want) == 0


def _max_exponent(expr: Any) -> float:
    """Largest numeric exponent in an expression (expansion cost grows with it)."""
    exps = [abs(float(p.exp)) for p in expr.atoms(sp.Pow) if p.exp.is_number and p.exp.is_real]
    return max(exps, default=0.0)


def _ratio_equal(got: list[Any], want: list[Any], decimals: bool, clock: _Clock) -> bool:
    """Vectors equal up to a non-zero scale factor (eigenvectors, directions)."""
    pivot = next((i for i, w in enumerate(want) if not scalars_equal(w, 0, decimals=False, clock=clock)), None)
    if pivot is None or scalars_equal(got[pivot], 0, decimals=False, clock=clock):
        return False
    scale = sp.sympify(got[pivot]) / sp.sympify(want[pivot])
    return all(scalars_equal(g, scale * w, decimals=decimals, clock=clock) for g, w in zip(got, want, strict=True))


def _as_list(parsed: Parsed) -> list[Any] | None:
    if parsed.shape in ("seq", "set"):
        return list(parsed.value)
    if parsed.shape == "scalar":
        return [parsed.value]
    rows = parsed.value
    if len(rows) == 1:
        return list(rows[0])
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    return None


def matches(parsed: Parsed, want: Any, answer_type: str, *, up_to_scale: bool = False) -> bool:
    """Compare a parsed answer with the expected value of the given answer type."""
    clock = _Clock(TIME_BUDGET_S)
    dec = parsed.has_float
    if answer_type in ("number", "expression"):
        value = parsed.value if parsed.shape == "scalar" else None
        if value is None:
            items = _as_list(parsed)
            value = items[0] if items and len(items) == 1 else None
        return value is not None and scalars_equal(value, want, decimals=dec, clock=clock)
    if answer_type == "vector":
        got = _as_list(parsed)
        if got is None or len(got) != len(want):
            return False
        if up_to_scale:
            return _ratio_equal(got, list(want), dec, clock)
        return all(scalars_equal(g, w, decimals=dec, clock=clock) for g, w in zip(got, want, strict=True))
    if answer_type == "matrix":
        rows = parsed.value if parsed.shape == "matrix" else None
        if rows is None and len(want) == 1:
            rows = [_as_list(parsed)]
        if rows is None or len(rows) != len(want) or any(len(r) != len(w) for r, w in zip(rows, want, strict=True)):
            return False
        return all(
            scalars_equal(g, w, decimals=dec, clock=clock)
            for r, wr in zip(rows, want, strict=True)
            for g, w in zip(r, wr, strict=True)
        )
    if answer_type == "set":
        got = _as_list(parsed)
        return got is not None and sets_equal(got, list(want), dec, clock)
    raise ValueError(f"unknown answer type {answer_type!r}")


def sets_equal(got: list[Any], want: list[Any], decimals: bool, clock: _Clock | None = None) -> bool:
    """Order-free comparison; a value written twice counts once."""
    clock = clock or _Clock(TIME_BUDGET_S)
    unique: list[Any] = []
    for g in got:
        if not any(scalars_equal(g, u, decimals=decimals, clock=clock) for u in unique):
            unique.append(g)
    if len(unique) != len(want):
        return False
    remaining = list(want)
    for g in unique:
        hit = next((i for i, w in enumerate(remaining) if scalars_equal(g, w, decimals=decimals, clock=clock)), None)
        if hit is None:
            return False
        remaining.pop(hit)
    return True
