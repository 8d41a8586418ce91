"""Generators for matrix calculus, Lagrange multipliers, limits, integrals and exp/log equations."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

x = sp.Symbol("x")


@generator("calc.matrix-calculus", "matrix-calculus")
def matrix_calculus(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        a = [nonzero(rng, -5, 5) for _ in range(3)]
        statement = rf"Let $a = {tex(a)}$ and $f(x) = a^T x$ for $x \in \mathbb{{R}}^3$. Give $\nabla_x f$."
        hints = [
            r"Write $f$ out: $f(x) = a_1 x_1 + a_2 x_2 + a_3 x_3$.",
            r"$\partial f / \partial x_i$ keeps only the coefficient of $x_i$.",
        ]
        steps = [r"$\nabla_x (a^T x) = a$.", f"So $\\nabla f = {tex(a)}$."]
        return make(statement, "vector", a, hints, steps)
    A = sp.Matrix(2, 2, lambda i, j: nonzero(rng, -4, 4))
    if A.is_symmetric():
        A[0, 1] += 1
    p = sp.Matrix([nonzero(rng, -3, 3), nonzero(rng, -3, 3)])
    if level == "practitioner":
        value = (A + A.T) * p
        statement = rf"Let $A = {tex(A)}$ and $f(x) = x^T A x$. Compute $\nabla f$ at $x = {tex(list(p))}$."
        hints = [r"For any square $A$, $\nabla_x (x^T A x) = (A + A^T) x$.", f"Here $A + A^T = {tex(A + A.T)}$."]
        steps = [f"$A + A^T = {tex(A + A.T)}$.", f"$\\nabla f = (A + A^T)x = {tex(list(value))}$."]
        wrong = {"quadratic-form-symmetric": list(2 * A * p), "transpose-order": list(A * p)}
        return make(statement, "vector", list(value), hints, steps, wrong=wrong)
    b = sp.Matrix([nonzero(rng, -4, 4), nonzero(rng, -4, 4)])
    r = A * p - b
    value = 2 * A.T * r
    statement = (
        rf"Let $A = {tex(A)}$, $b = {tex(list(b))}$ and $f(x) = \lVert Ax - b \rVert^2$. "
        rf"Compute $\nabla f$ at $x = {tex(list(p))}$."
    )
    hints = [
        r"Write $f = r^T r$ with residual $r = Ax - b$; then $\nabla f = 2 A^T r$.",
        f"At this point the residual is $r = {tex(list(r))}$.",
    ]
    steps = [f"$r = Ax - b = {tex(list(r))}$.", f"$\\nabla f = 2A^T r = {tex(list(value))}$."]
    wrong = {"transpose-order": list(2 * A * r)} if A * r != A.T * r else {}
    return make(statement, "vector", list(value), hints, steps, wrong=wrong)


@generator("calc.lagrange", "lagrange-multipliers")
def lagrange(rng: random.Random, level: str) -> Instance:
    a, b = nonzero(rng, -4, 4), nonzero(rng, -4, 4)
    if level == "researcher":
        p, q = rng.randint(1, 4), rng.randint(1, 4)
        c = 2 * p * q * rng.randint(1, 3)
        pt = [sp.Rational(c, 2 * p), sp.Rational(c, 2 * q)]
        statement = (
            rf"Maximise $f(x, y) = xy$ subject to ${p}x + {q}y = {c}$ using a Lagrange multiplier. "
            "Give the maximiser $(x, y)$."
        )
        hints = [
            r"Set $\nabla f = \lambda \nabla g$: $y = " + f"{p}" + r"\lambda$ and $x = " + f"{q}" + r"\lambda$.",
            "Substitute both into the constraint to find $\\lambda$.",
        ]
        lam = sp.Rational(c, 2 * p * q)
        steps = [
            f"$y = {p}\\lambda$, $x = {q}\\lambda$.",
            f"Constraint: ${2 * p * q}\\lambda = {c}$, so $\\lambda = {sp.latex(lam)}$.",
            f"Maximiser: ${tex(pt)}$.",
        ]
        return make(statement, "vector", pt, hints, steps)
    c = nonzero(rng, -3, 3) * (a * a + b * b) if level == "beginner" else nonzero(rng, -9, 9)
    norm2 = a * a + b * b
    pt = [sp.Rational(a * c, norm2), sp.Rational(b * c, norm2)]
    statement = (
        rf"Find the point on the line ${sp.latex(a * sp.Symbol('x') + b * sp.Symbol('y'))} = {c}$ closest to the "
        r"origin, by minimising $x^2 + y^2$ with a Lagrange multiplier."
    )
    hints = [
        r"Stationarity: $\nabla(x^2 + y^2) = \lambda \nabla g$, i.e. " + f"$2x = {a}\\lambda$ and $2y = {b}\\lambda$.",
        "Substitute $x$ and $y$ in terms of $\\lambda$ into the constraint and solve for $\\lambda$.",
    ]
    lam = sp.Rational(2 * c, norm2)
    steps = [
        f"$x = {sp.latex(sp.Rational(a, 2))}\\lambda$, $y = {sp.latex(sp.Rational(b, 2))}\\lambda$.",
        f"Constraint gives $\\lambda = {sp.latex(lam)}$.",
        f"Closest point: ${tex(pt)}$.",
    ]
    return make(statement, "vector", pt, hints, steps, wrong={"lagrange-sign": [-v for v in pt]})


@generator("calc.integral", "integrals")
def integral(rng: random.Random, level: str) -> Instance:
    lo, hi = 0, rng.randint(1, 3)
    a, b = nonzero(rng, -4, 4), nonzero(rng, -4, 4)
    n = pick(rng, level, [1, 2], [2, 3], [3, 4])
    f = a * x**n + b
    F = sp.Rational(a, n + 1) * x ** (n + 1) + b * x  # antiderivative by hand: sp.integrate is slow
    if level == "researcher":
        k = nonzero(rng, -2, 2)
        f += k * sp.exp(x)
        F += k * sp.exp(x)
    value = sp.expand(F.subs(x, hi) - F.subs(x, lo))
    statement = rf"Evaluate $\int_{{{lo}}}^{{{hi}}} \left({sp.latex(f)}\right)\,dx$."
    hints = [
        r"Find an antiderivative $F$ (raise each power by one and divide by the new power).",
        rf"Then use $\int_a^b f = F(b) - F(a)$; here $F(x) = {sp.latex(F)}$.",
    ]
    steps = [f"$F(x) = {sp.latex(F)}$.", f"$F({hi}) - F({lo}) = {sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps)


@generator("calc.limit", "limits")
def limit(rng: random.Random, level: str) -> Instance:
    a, b = rng.sample(range(1, 7), 2)
    if level == "beginner":
        r = nonzero(rng, -4, 4)
        c = nonzero(rng, -5, 5)
        f = (x**2 - r**2) / (x - r) * c
        point, value = r, 2 * r * c
        hints = ["Direct substitution gives 0/0; factor the numerator.", r"$x^2 - r^2 = (x - r)(x + r)$."]
    elif level == "practitioner":
        f, point, value = sp.sin(a * x) / (b * x), 0, sp.Rational(a, b)
        hints = [
            r"Use the standard limit of $\frac{\sin u}{u}$ as $u \to 0$, with $u = " + f"{sp.latex(a * x)}$.",
            f"Write the fraction as $\\frac{{\\sin({a}x)}}{{{a}x}} \\cdot \\frac{{{a}}}{{{b}}}$.",
        ]
    else:
        f, point, value = (sp.exp(a * x) - 1 - a * x) / (b * x**2), 0, sp.Rational(a * a, 2 * b)
        hints = ["Expand $e^{u}$ as a Taylor series up to $u^2$.", r"$e^{u} - 1 - u = \frac{u^2}{2} + O(u^3)$."]
    statement = rf"Compute $\lim_{{x \to {point}}} {sp.latex(f)}$."
    steps = ["Simplify or expand so the 0/0 form disappears.", f"The limit is ${sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps)


@generator("calc.exp-log", "exp-log")
def exp_log(rng: random.Random, level: str) -> Instance:
    k = rng.randint(2, 4)
    c = rng.choice([2, 3, 5, 7])
    if level == "beginner":
        value = sp.log(c) / k
        statement = rf"Solve $e^{{{k}x}} = {c}$ for $x$."
        hints = ["Take the natural logarithm of both sides.", rf"$\ln(e^{{{k}x}}) = {k}x$."]
    elif level == "practitioner":
        m = rng.randint(2, 5)
        value = sp.log(c) / (k * m)
        statement = rf"Solve $\left(e^{{x}}\right)^{{{k}}} \cdot e^{{{k * (m - 1)}x}} = {c}$ for $x$."
        hints = [
            "Combine the powers of $e$ into a single exponential.",
            r"$e^{u} e^{v} = e^{u + v}$ and $(e^u)^k = e^{ku}$.",
        ]
    else:
        base = rng.choice([2, 3, 5])
        value = sp.log(c) / sp.log(sp.Rational(base + 1, base))
        statement = rf"Solve ${base + 1}^x = {c} \cdot {base}^x$ for $x$ (natural logarithms are fine in the answer)."
        hints = [
            "Divide both sides by the power on the right to get a single power of a fraction.",
            r"Then take logarithms: $\ln(q^x) = x \ln q$.",
        ]
    steps = ["Apply the logarithm rules.", f"$x = {sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps)
