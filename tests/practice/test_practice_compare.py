"""Comparison: symbolic equivalence, stated numeric tolerance, order-free sets, vectors up to scale."""

from __future__ import annotations

import sympy as sp

from mathtutor.practice.compare import DECIMAL_REL_TOL, matches, scalars_equal, sets_equal
from mathtutor.practice.parse import parse_answer

x = sp.Symbol("x")


def ok(text: str, want, kind: str = "number", **kw) -> bool:
    return matches(parse_answer(text, kind, ("x",)), want, kind, **kw)


def test_decimal_tolerance_is_half_a_percent():
    assert DECIMAL_REL_TOL == 5e-3
    assert ok("0.333", sp.Rational(1, 3))
    assert ok("0.3333", sp.Rational(1, 3))
    assert not ok("0.33", sp.Rational(1, 3))
    assert not ok("0.3", sp.Rational(1, 3))
    assert ok("1.414", sp.sqrt(2))


def test_exact_answers_are_exact():
    assert ok("2/6", sp.Rational(1, 3))
    assert not ok("1/3 + 1/1000000", sp.Rational(1, 3))
    assert ok("sqrt(8)", 2 * sp.sqrt(2))


def test_symbolic_equivalence():
    want = 2 * x * sp.cos(x**2)
    assert ok("2x cos(x^2)", want, "expression")
    assert ok("cos(x^2)*x*2", want, "expression")
    assert not ok("2 cos(x^2)", want, "expression")
    assert ok("(x+1)^2", x**2 + 2 * x + 1, "expression")
    assert ok("log(x^2)", 2 * sp.log(x), "expression")
    assert not ok("x^2 + 2x", x**2 + 2 * x + 1, "expression")


def test_expression_with_decimals():
    assert ok("0.5x^2", x**2 / 2, "expression")
    assert not ok("0.4x^2", x**2 / 2, "expression")


def test_number_answer_refuses_a_variable():
    assert not ok("x", 3)


def test_vectors_and_matrices_elementwise():
    assert ok("[1, 2]", [1, 2], "vector")
    assert ok("(1, 2)", [1, 2], "vector")
    assert ok("[[1],[2]]", [1, 2], "vector")
    assert not ok("[2, 1]", [1, 2], "vector")
    assert not ok("[1, 2, 3]", [1, 2], "vector")
    assert ok("[[1, 2], [3, 4]]", [[1, 2], [3, 4]], "matrix")
    assert not ok("[[1, 3], [2, 4]]", [[1, 2], [3, 4]], "matrix")
    assert ok("[[0.5, 1]]", [[sp.Rational(1, 2), 1]], "matrix")


def test_vectors_up_to_scale():
    assert ok("[2, 4]", [1, 2], "vector", up_to_scale=True)
    assert ok("[-1, -2]", [1, 2], "vector", up_to_scale=True)
    assert not ok("[2, 4]", [1, 2], "vector")
    assert not ok("[0, 0]", [1, 2], "vector", up_to_scale=True)
    assert not ok("[1, 3]", [1, 2], "vector", up_to_scale=True)


def test_sets_order_free():
    assert ok("{2, -1}", [-1, 2], "set")
    assert ok("{-1, 2, 2}", [-1, 2], "set")
    assert ok("-1, 2", [-1, 2], "set")
    assert not ok("{-1}", [-1, 2], "set")
    assert not ok("{-1, 3}", [-1, 2], "set")
    assert sets_equal([sp.Integer(1), sp.Integer(2)], [2, 1], decimals=False)


def test_scalars_equal_complex_branches():
    assert scalars_equal(sp.sqrt(-1) * 0 + 1, 1, decimals=False)
    assert not scalars_equal(sp.Integer(1), 2, decimals=True)


def test_expanded_polynomial_near_its_root_still_matches():
    # 10(2x - 4)^4 expanded cancels badly near x = 2 in double precision; comparison uses 30 digits
    assert ok("160*x**4 - 1280*x**3 + 3840*x**2 - 5120*x + 2560", 10 * (2 * x - 4) ** 4, "expression")
    assert not ok("160*x**4 - 1280*x**3 + 3840*x**2 - 5120*x + 2561", 10 * (2 * x - 4) ** 4, "expression")
