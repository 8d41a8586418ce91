"""Calculus generators: derivatives, the chain rule, partials, gradients, Jacobians, Hessians, Taylor."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

x, y = sp.symbols("x y")
d_dx = r"\frac{d}{dx}"


def _lx(expr: sp.Expr) -> str:
    return sp.latex(expr)


@generator("calc.derivative", "derivatives")
def derivative(rng: random.Random, level: str) -> Instance:
    a, b = nonzero(rng, -5, 5), nonzero(rng, -6, 6)
    n, m = rng.sample(range(2, 6), 2)
    if level == "beginner":
        f = a * x**n + b * x**m + rng.randint(-9, 9)
        rule = "the power rule term by term"
        wrong = {"power-rule-exponent": a * n * x**n + b * m * x**m}
    elif level == "practitioner":
        g = rng.choice([sp.sin, sp.cos, sp.exp])
        k = nonzero(rng, -3, 3)
        f = a * x**n * g(k * x)
        rule = "the product rule $(uv)' = u'v + uv'$"
        wrong = {"product-rule-product": a * n * x ** (n - 1) * sp.diff(g(k * x), x)}
    else:
        c = sp.Symbol("c")
        f = x**n * sp.log(c * x) + a * sp.exp(c * x)
        rule = "the product rule and the chain rule (treat $c > 0$ as a constant)"
        wrong = {"chain-rule-no-inner-derivative": sp.diff(x**n * sp.log(c * x), x) + a * sp.exp(c * x)}
    value = sp.expand(sp.diff(f, x))
    statement = rf"Differentiate $f(x) = {_lx(f)}$ with respect to $x$."
    hints = [f"Use {rule}.", "Differentiate each term separately and keep the constant factors."]
    steps = [f"$f(x) = {_lx(f)}$.", f"Apply {rule}.", f"$f'(x) = {_lx(value)}$."]
    syms = ("x", "c") if level == "researcher" else ("x",)
    return make(statement, "expression", value, hints, steps, symbols=syms, wrong=wrong)


_OUTER = [(sp.sin, "sin"), (sp.cos, "cos"), (sp.exp, "exp")]


@generator("calc.chain-rule", "chain-rule")
def chain_rule(rng: random.Random, level: str) -> Instance:
    a = nonzero(rng, -4, 4) if level != "researcher" else rng.randint(1, 4)
    b = rng.randint(-5, 5)
    if level == "beginner":
        n = rng.randint(3, 6)
        inner = a * x + b if a not in (1, -1) else 2 * a * x + b
        outer = lambda u: u**n  # noqa: E731
        outer_name = f"u^{n}"
    else:
        k = rng.randint(2, 3)
        inner = a * x**k + b
        fn, name = rng.choice(_OUTER)
        outer, outer_name = fn, rf"\{name}(u)" if name != "exp" else "e^u"
    f = outer(inner)
    if level == "researcher":
        f = sp.exp(sp.sin(inner))
        outer_name = r"e^{\sin u}"
    u = sp.Symbol("u")
    value = sp.diff(f, x)
    outer_deriv = sp.diff(f.subs(inner, u), u).subs(u, inner)
    statement = rf"Differentiate $f(x) = {_lx(f)}$ with respect to $x$."
    hints = [
        rf"This is a composition $f = g(h(x))$ with inner function $h(x) = {_lx(inner)}$ and "
        rf"outer $g(u) = {outer_name}$.",
        r"Chain rule: $f'(x) = g'(h(x)) \cdot h'(x)$. Differentiate the outer function first, keeping the inside.",
        f"The inner derivative is $h'(x) = {_lx(sp.diff(inner, x))}$.",
    ]
    steps = [
        f"Inner $h(x) = {_lx(inner)}$, $h'(x) = {_lx(sp.diff(inner, x))}$.",
        f"Outer derivative evaluated at $h(x)$: ${_lx(outer_deriv)}$.",
        f"Multiply: $f'(x) = {_lx(value)}$.",
    ]
    return make(
        statement,
        "expression",
        value,
        hints,
        steps,
        symbols=("x",),
        wrong={"chain-rule-no-inner-derivative": outer_deriv},
    )


def _poly2(rng: random.Random, level: str) -> sp.Expr:
    a, b, c = (nonzero(rng, -4, 4) for _ in range(3))
    p, q = rng.randint(2, 3), rng.randint(1, 3)
    base = a * x**p * y**q + b * x * y + c * y**2
    if level == "researcher":
        base += sp.exp(nonzero(rng, -2, 2) * x * y)
    elif level == "practitioner":
        base += nonzero(rng, -3, 3) * sp.sin(y) * x
    return base


@generator("calc.partial", "partial-derivatives")
def partial(rng: random.Random, level: str) -> Instance:
    f = _poly2(rng, level)
    value = sp.diff(f, x)
    statement = rf"Compute $\frac{{\partial f}}{{\partial x}}$ for $f(x, y) = {_lx(f)}$."
    hints = [
        r"Treat $y$ as a constant and differentiate with respect to $x$ only.",
        "Terms without $x$ vanish; in the others, the factors of $y$ stay as they are.",
    ]
    steps = [r"Hold $y$ fixed.", f"$\\frac{{\\partial f}}{{\\partial x}} = {_lx(value)}$."]
    return make(
        statement,
        "expression",
        value,
        hints,
        steps,
        symbols=("x", "y"),
        wrong={"partial-wrong-variable": sp.diff(f, y)},
    )


@generator("calc.gradient", "gradients")
def gradient(rng: random.Random, level: str) -> Instance:
    f = _poly2(rng, "beginner" if level == "practitioner" else level)
    if level == "practitioner":
        f += nonzero(rng, -3, 3) * x**2
    px, py = nonzero(rng, -2, 2), nonzero(rng, -2, 2)
    if level == "researcher":
        px, py = 0, nonzero(rng, -2, 2)
    grad = [sp.diff(f, v) for v in (x, y)]
    value = [g.subs({x: px, y: py}) for g in grad]
    statement = rf"Compute the gradient $\nabla f$ of $f(x, y) = {_lx(f)}$ at the point $({px}, {py})$."
    hints = [
        r"The gradient collects the partial derivatives: $\nabla f = (\partial f/\partial x, \partial f/\partial y)$.",
        f"$\\partial f/\\partial x = {_lx(grad[0])}$; find $\\partial f/\\partial y$ the same way, then substitute.",
    ]
    steps = [
        f"$\\partial f/\\partial x = {_lx(grad[0])}$, $\\partial f/\\partial y = {_lx(grad[1])}$.",
        f"At $({px}, {py})$: $\\nabla f = {tex(value)}$.",
    ]
    return make(statement, "vector", value, hints, steps, wrong={"partial-wrong-variable": value[::-1]})


@generator("calc.jacobian", "jacobian")
def jacobian(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        M = sp.Matrix(2, 2, lambda i, j: nonzero(rng, -5, 5))
        F = M * sp.Matrix([x, y])
    elif level == "practitioner":
        a, b = nonzero(rng, -3, 3), nonzero(rng, -3, 3)
        F = sp.Matrix([a * x**2 * y, x + b * y**3])
    else:
        r, t = sp.symbols("r theta")
        F = sp.Matrix([r * sp.cos(t), r * sp.sin(t)])
        J = F.jacobian([r, t])
        statement = (
            rf"Compute the Jacobian matrix of $F(r, \theta) = {tex(F)}$ with respect to $(r, \theta)$ "
            "(rows: outputs, columns: inputs)."
        )
        hints = [
            r"Row $i$ holds the partial derivatives of component $i$ with respect to $r$, then $\theta$.",
            r"$\partial (r\cos\theta)/\partial r = \cos\theta$; the $\theta$-derivative brings down $-r \sin\theta$.",
        ]
        steps = [
            f"$J = {tex(J)}$.",
            "Its determinant is $r(\\cos^2\\theta + \\sin^2\\theta) = r$, the polar area factor.",
        ]
        return make(statement, "matrix", J, hints, steps, symbols=("r", "theta"), wrong={"jacobian-transposed": J.T})
    J = F.jacobian([x, y])
    statement = rf"Compute the Jacobian matrix of $F(x, y) = {tex(F)}$ (rows: outputs, columns: inputs)."
    hints = [
        r"$J_{ij} = \partial F_i / \partial x_j$: row $i$ differentiates component $i$.",
        f"The first row is the gradient of $F_1 = {_lx(F[0])}$ written as a row.",
    ]
    steps = [
        f"Row 1: $({_lx(J[0, 0])}, {_lx(J[0, 1])})$.",
        f"Row 2: $({_lx(J[1, 0])}, {_lx(J[1, 1])})$.",
        f"$J = {tex(J)}$.",
    ]
    wrong = {"jacobian-transposed": J.T} if J != J.T else {}
    return make(statement, "matrix", J, hints, steps, symbols=("x", "y"), wrong=wrong)


@generator("calc.hessian", "hessian")
def hessian(rng: random.Random, level: str) -> Instance:
    a, b, c = nonzero(rng, -5, 5), nonzero(rng, -5, 5), nonzero(rng, -5, 5)
    f = a * x**2 + b * x * y + c * y**2
    if level != "beginner":
        f += nonzero(rng, -3, 3) * x**3 * y + nonzero(rng, -3, 3) * y**3
    if level == "researcher":
        f += sp.exp(x - y)
    H = sp.hessian(f, (x, y))
    mixed_free = sp.Matrix([[H[0, 0], 0], [0, H[1, 1]]])
    statement = rf"Compute the Hessian matrix of $f(x, y) = {_lx(f)}$."
    hints = [
        r"The Hessian holds all second partial derivatives: $H_{ij} = \partial^2 f / \partial x_i \partial x_j$.",
        r"Compute $\partial f/\partial x$ and $\partial f/\partial y$ first, then differentiate each once more.",
        "The two mixed partials are equal (Schwarz), so the matrix is symmetric.",
    ]
    steps = [f"$f_x = {_lx(sp.diff(f, x))}$, $f_y = {_lx(sp.diff(f, y))}$.", f"$H = {tex(H)}$."]
    return make(statement, "matrix", H, hints, steps, symbols=("x", "y"), wrong={"hessian-missing-mixed": mixed_free})


_TAYLOR = [
    (lambda k: sp.exp(k * x), "e^{kx}"),
    (lambda k: sp.cos(k * x), r"\cos(kx)"),
    (lambda k: sp.log(1 + k * x), r"\ln(1 + kx)"),
    (lambda k: 1 / (1 - k * x), r"\frac{1}{1 - kx}"),
]


@generator("calc.taylor", "taylor-series")
def taylor(rng: random.Random, level: str) -> Instance:
    order = pick(rng, level, [2], [3], [4])
    fn, _ = rng.choice(_TAYLOR)
    k = nonzero(rng, -3, 3) if level != "beginner" else rng.choice([2, 3, -2])
    f = fn(k)
    coeffs = [sp.diff(f, x, i).subs(x, 0) for i in range(order + 1)]
    value = sum(c / sp.factorial(i) * x**i for i, c in enumerate(coeffs))  # sp.series is slow
    no_fact = sum(c * x**i for i, c in enumerate(coeffs))
    statement = rf"Give the Taylor polynomial of degree {order} of $f(x) = {_lx(f)}$ around $x = 0$."
    hints = [
        r"$T_n(x) = \sum_{i=0}^{n} \frac{f^{(i)}(0)}{i!} x^i$.",
        f"The derivatives at 0 start with $f(0) = {_lx(coeffs[0])}$ and $f'(0) = "
        f"{_lx(coeffs[1])}$; continue to order {order}.",
    ]
    steps = [
        "Derivatives at 0: " + ", ".join(f"$f^{{({i})}}(0) = {_lx(c)}$" for i, c in enumerate(coeffs)) + ".",
        "Divide each by $i!$.",
        f"$T_{order}(x) = {_lx(value)}$.",
    ]
    wrong = {"taylor-no-factorial": no_fact} if sp.expand(no_fact - value) != 0 else {}
    return make(statement, "expression", value, hints, steps, symbols=("x",), wrong=wrong)


@generator("calc.gradient-descent", "gradient-descent")
def gradient_descent(rng: random.Random, level: str) -> Instance:
    eta = sp.Rational(1, rng.choice([10, 4, 5]))
    if level == "beginner":
        a, b = rng.randint(1, 4), nonzero(rng, -6, 6)
        f = a * x**2 + b * x
        x0 = nonzero(rng, -3, 3)
        g = sp.diff(f, x).subs(x, x0)
        new, wrong = x0 - eta * g, x0 + eta * g
        statement = (
            rf"Take one gradient-descent step on $f(x) = {_lx(f)}$ from $x_0 = {x0}$ with learning rate "
            rf"$\eta = {sp.latex(eta)}$. What is $x_1$?"
        )
        hints = [r"One step is $x_1 = x_0 - \eta f'(x_0)$.", f"$f'(x) = {_lx(sp.diff(f, x))}$; evaluate it at $x_0$."]
        steps = [f"$f'({x0}) = {g}$.", f"$x_1 = {x0} - {sp.latex(eta)} \\cdot ({g}) = {sp.latex(new)}$."]
        return make(statement, "number", new, hints, steps, wrong={"gradient-ascent-sign": wrong})
    a, b = rng.randint(1, 4), rng.randint(1, 4)
    c = nonzero(rng, -2, 2) if level == "researcher" else 0
    f = a * x**2 + b * y**2 + c * x * y + nonzero(rng, -4, 4) * x
    p = sp.Matrix([nonzero(rng, -3, 3), nonzero(rng, -3, 3)])
    g = sp.Matrix([sp.diff(f, v) for v in (x, y)]).subs({x: p[0], y: p[1]})
    new, wrong = p - eta * g, p + eta * g
    statement = (
        rf"Take one gradient-descent step on $f(x, y) = {_lx(f)}$ from $(x_0, y_0) = ({p[0]}, {p[1]})$ "
        rf"with learning rate $\eta = {sp.latex(eta)}$. Give the new point."
    )
    hints = [
        r"One step is $p_1 = p_0 - \eta \nabla f(p_0)$.",
        f"$\\nabla f = {tex([sp.diff(f, x), sp.diff(f, y)])}$; evaluate it at the starting point.",
    ]
    steps = [f"$\\nabla f(p_0) = {tex(list(g))}$.", f"$p_1 = p_0 - {sp.latex(eta)} \\nabla f(p_0) = {tex(list(new))}$."]
    return make(statement, "vector", list(new), hints, steps, wrong={"gradient-ascent-sign": list(wrong)})
