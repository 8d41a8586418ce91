"""Generators for the ML-facing concepts: backprop, SGD, a forward pass, convolution, Bayesian updates,
plus a few foundations (quadratics, linear maps, null spaces, ODEs, Newton's method, z statistics)."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

R = sp.Rational
t = sp.Symbol("t")


@generator("ml.backprop", "backpropagation", "automatic-differentiation")
def backprop(rng: random.Random, level: str) -> Instance:
    w1, w2, xv = nonzero(rng, -3, 3), nonzero(rng, -3, 3), nonzero(rng, 1, 3)
    if level == "practitioner":
        w1 = abs(w1)  # an active unit; researchers also meet the dead-ReLU case
    target = rng.randint(-4, 4)
    h = w1 * xv
    act = max(h, 0) if level != "beginner" else h
    y = w2 * act
    dy = 2 * (y - target)
    local = (1 if h > 0 else 0) if level != "beginner" else 1
    grad = dy * w2 * local * xv
    net = r"h = \max(0, w_1 x)" if level != "beginner" else r"h = w_1 x"
    statement = (
        rf"A tiny network computes ${net}$, $\hat y = w_2 h$ with loss $L = (\hat y - y)^2$. "
        rf"For $x = {xv}$, $y = {target}$, $w_1 = {w1}$, $w_2 = {w2}$, compute $\partial L / \partial w_1$."
    )
    hints = [
        r"Run the forward pass first: compute $h$, then $\hat y$, then the loss.",
        r"Chain rule backwards: $\partial L / \partial \hat y$ is twice the error $\hat y - y$; multiply it by $w_2$, "
        rf"by the slope of the activation at $w_1 x$ and by $x$. Here $\hat y = {y}$.",
    ]
    steps = [
        f"Forward: $w_1 x = {h}$, $h = {act}$, $\\hat y = {y}$.",
        f"$\\partial L/\\partial \\hat y = {dy}$.",
        f"Backward: ${dy} \\cdot {w2} \\cdot {local} \\cdot {xv} = {grad}$.",
    ]
    wrong = {"chain-rule-no-inner-derivative": dy * w2 * local} if xv != 1 else {}
    return make(statement, "number", grad, hints, steps, wrong=wrong)


@generator("ml.sgd", "stochastic-gradient-descent")
def sgd(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [1], [2], [3])
    w = [rng.randint(-2, 2) for _ in range(n)]
    xs = [nonzero(rng, -2, 3) for _ in range(n)]
    target = rng.randint(-5, 5)
    eta = R(1, rng.choice([10, 20, 4]))
    pred = sum(a * b for a, b in zip(w, xs, strict=True))
    grad = [2 * (pred - target) * xi for xi in xs]
    new = [wi - eta * g for wi, g in zip(w, grad, strict=True)]
    statement = (
        rf"Linear model $\hat y = w^T x$, squared loss $(\hat y - y)^2$ on one example $x = {tex(xs)}$, "
        rf"$y = {target}$. "
        rf"Take one SGD step with $\eta = {sp.latex(eta)}$ from $w = {tex(w)}$ and give the new $w$."
    )
    hints = [
        r"The gradient of $(w^T x - y)^2$ with respect to $w$ is $2(w^T x - y)\,x$.",
        f"Here the prediction is $w^T x = {pred}$.",
    ]
    steps = [
        f"Residual: ${pred} - {target} = {pred - target}$.",
        f"Gradient: ${tex(grad)}$.",
        f"$w - \\eta \\nabla = {tex(new)}$.",
    ]
    wrong = {"gradient-ascent-sign": [wi + eta * g for wi, g in zip(w, grad, strict=True)]}
    return make(statement, "vector", new, hints, steps, wrong=wrong)


@generator("ml.forward", "neural-networks")
def forward(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [2], [2], [3])
    W = sp.Matrix(n, n, lambda i, j: rng.randint(-2, 2))
    b = sp.Matrix([rng.randint(-2, 2) for _ in range(n)])
    xv = sp.Matrix([nonzero(rng, -2, 2) for _ in range(n)])
    z = W * xv + b
    relu = [max(v, 0) for v in z]
    statement = (
        rf"Compute the layer output $\mathrm{{ReLU}}(Wx + b)$ for $W = {tex(W)}$, $x = {tex(list(xv))}$, "
        rf"$b = {tex(list(b))}$."
    )
    hints = [
        r"First the affine part $z = Wx + b$ (a matrix-vector product plus the bias).",
        r"ReLU acts entrywise: negative entries become $0$, the others stay.",
    ]
    steps = [f"$z = {tex(list(z))}$.", f"$\\mathrm{{ReLU}}(z) = {tex(relu)}$."]
    wrong = {"relu-skipped": list(z)} if list(z) != relu else {}
    return make(statement, "vector", relu, hints, steps, wrong=wrong)


@generator("ml.convolution", "convolution")
def convolution(rng: random.Random, level: str) -> Instance:
    n, k = pick(rng, level, [(3, 2)], [(4, 2), (4, 3)], [(5, 3)])
    a = [nonzero(rng, -3, 3) for _ in range(n)]
    b = [nonzero(rng, -2, 2) for _ in range(k)]
    full = [sum(a[i] * b[j - i] for i in range(n) if 0 <= j - i < k) for j in range(n + k - 1)]
    corr = [sum(a[i] * b[::-1][j - i] for i in range(n) if 0 <= j - i < k) for j in range(n + k - 1)]
    statement = (
        rf"Compute the full discrete convolution $a * b$ of $a = ({', '.join(map(str, a))})$ and "
        rf"$b = ({', '.join(map(str, b))})$ (length {n + k - 1})."
    )
    hints = [
        r"$(a * b)_j = \sum_i a_i\, b_{j - i}$: flip $b$, slide it along $a$ and sum the products.",
        f"The first entry is $a_0 b_0 = {a[0] * b[0]}$; continue one shift at a time.",
    ]
    steps = ["Flip $b$ and slide it across $a$.", f"$a * b = ({', '.join(map(str, full))})$."]
    wrong = {"correlation-not-flipped": corr} if corr != full else {}
    return make(statement, "vector", full, hints, steps, wrong=wrong)


@generator("ml.beta-posterior", "bayesian-inference")
def beta_posterior(rng: random.Random, level: str) -> Instance:
    a, b = pick(rng, level, [(1, 1)], [(2, 2), (2, 3), (3, 2)], [(5, 3), (4, 6), (2, 8)])
    n = rng.choice([10, 12, 20])
    k = rng.randint(1, n - 1)
    value = R(a + k, a + b + n)
    statement = (
        rf"A coin's bias $\theta$ has prior $\mathrm{{Beta}}({a}, {b})$. You observe ${k}$ heads in ${n}$ flips. "
        r"What is the posterior mean of $\theta$?"
    )
    hints = [
        r"The Beta prior is conjugate: heads add to the first parameter, tails to the second.",
        r"The mean of $\mathrm{Beta}(\alpha, \beta)$ is $\alpha / (\alpha + \beta)$.",
    ]
    steps = [f"Posterior: $\\mathrm{{Beta}}({a + k}, {b + n - k})$.", f"Mean: ${sp.latex(value)}$."]
    wrong = {"map-equals-mle": R(k, n)} if R(k, n) != value else {}
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("ml.quadratic", "algebra-precalculus", "functions")
def quadratic(rng: random.Random, level: str) -> Instance:
    r1, r2 = rng.sample(range(-6, 7), 2)
    c = pick(rng, level, [1], [1, 2, -1], [2, 3, -2])
    x = sp.Symbol("x")
    poly = sp.expand(c * (x - r1) * (x - r2))
    statement = rf"Find all real solutions of ${sp.latex(poly)} = 0$ (as a set)."
    hints = [
        "Divide by the leading coefficient, then look for two numbers with the right sum and product.",
        f"The roots add up to ${sp.latex(-poly.coeff(x, 1) / c)}$ and multiply to ${sp.latex(poly.coeff(x, 0) / c)}$.",
    ]
    steps = [f"${sp.latex(poly)} = {sp.latex(sp.factor(poly))}$.", f"Solutions: $\\{{{r1}, {r2}\\}}$."]
    return make(
        statement,
        "set",
        sorted([r1, r2]),
        hints,
        steps,
        wrong={"root-sign-flipped": sorted([-r1, -r2])} if {r1, r2} != {-r1, -r2} else {},
    )


@generator("ml.linear-map", "linear-transformations")
def linear_map(rng: random.Random, level: str) -> Instance:
    e1, e2 = [nonzero(rng, -3, 3), rng.randint(-3, 3)], [rng.randint(-3, 3), nonzero(rng, -3, 3)]
    v = [nonzero(rng, -3, 3), nonzero(rng, -3, 3)]
    M = sp.Matrix([e1, e2]).T
    image = list(M * sp.Matrix(v))
    statement = (
        rf"A linear map $T$ sends $e_1 \mapsto {tex(e1)}$ and $e_2 \mapsto {tex(e2)}$. "
        rf"Compute $T(v)$ for $v = {tex(v)}$."
    )
    hints = [
        r"Linearity: $T(v_1 e_1 + v_2 e_2) = v_1 T(e_1) + v_2 T(e_2)$.",
        r"Equivalently, the images of $e_1, e_2$ are the columns of the matrix of $T$.",
    ]
    steps = [f"Matrix of $T$: ${tex(M)}$.", f"$T(v) = {v[0]} T(e_1) + {v[1]} T(e_2) = {tex(image)}$."]
    rows_image = list(M.T * sp.Matrix(v))
    wrong = {"jacobian-transposed": rows_image} if rows_image != image else {}
    return make(statement, "vector", image, hints, steps, wrong=wrong)


@generator("ml.nullity", "vector-spaces-subspaces")
def nullity(rng: random.Random, level: str) -> Instance:
    m, n, r = pick(rng, level, [(2, 3, 1), (3, 3, 2)], [(3, 4, 2), (3, 5, 2)], [(4, 6, 3), (4, 5, 2)])
    while True:
        A = sp.Matrix(m, r, lambda i, j: rng.randint(-2, 2)) * sp.Matrix(r, n, lambda i, j: rng.randint(-2, 2))
        if A.rank() == r:
            break
    statement = rf"What is the dimension of the null space of $A = {tex(A)}$?"
    hints = [
        "Rank-nullity: rank plus the dimension of the null space equals the number of columns.",
        "Find the rank by row reduction (count the pivots).",
    ]
    steps = [f"$\\operatorname{{rank}} A = {r}$.", f"Nullity $= {n} - {r} = {n - r}$."]
    return make(statement, "number", n - r, hints, steps, wrong={"rank-count-rows": m - r} if m != n else {})


@generator("ml.ode", "differential-equations")
def ode(rng: random.Random, level: str) -> Instance:
    k, c = nonzero(rng, -3, 3), nonzero(rng, -5, 5)
    if level == "beginner":
        sol = c * sp.exp(k * t)
        statement = rf"Solve $y'(t) = {k} y(t)$ with $y(0) = {c}$."
        hints = [r"Try $y = A e^{rt}$ and match the rate.", "Use the initial value to fix the constant $A$."]
    else:
        m = rng.choice([v for v in range(-4, 5) if v not in (0, c)])
        sol = (c - m) * sp.exp(k * t) + m
        statement = (
            rf"Solve $y'(t) = {k}\,(y(t) - {m})$ with $y(0) = {c}$."
            if m > 0
            else rf"Solve $y'(t) = {k}\,(y(t) + {-m})$ with $y(0) = {c}$."
        )
        hints = [f"Substitute $u = y - ({m})$; then $u' = {k} u$.", "Solve for $u$, then add the constant back."]
    steps = [f"$y(t) = {sp.latex(sol)}$; check: $y(0) = {c}$."]
    return make(statement, "expression", sol, hints, steps, symbols=("t",))


@generator("ml.newton", "numerical-methods")
def newton(rng: random.Random, level: str) -> Instance:
    a = pick(rng, level, [2, 3, 5], [2, 3, 5, 7], [10, 11, 13])
    x0 = rng.randint(1, 3)
    x = sp.Symbol("x")
    f = x**2 - a if level != "researcher" else x**3 - a
    fp = sp.diff(f, x)
    x1 = x0 - f.subs(x, x0) / fp.subs(x, x0)
    statement = rf"Take one Newton step for solving ${sp.latex(f)} = 0$ from $x_0 = {x0}$. Give $x_1$ exactly."
    hints = [r"Newton's method: $x_1 = x_0 - f(x_0) / f'(x_0)$.", f"Here $f'(x) = {sp.latex(fp)}$."]
    steps = [f"$f({x0}) = {f.subs(x, x0)}$, $f'({x0}) = {fp.subs(x, x0)}$.", f"$x_1 = {sp.latex(x1)}$."]
    wrong = {"gradient-ascent-sign": x0 + f.subs(x, x0) / fp.subs(x, x0)}
    return make(statement, "number", x1, hints, steps, wrong=wrong)


@generator("ml.z-test", "hypothesis-testing", "confidence-intervals")
def z_test(rng: random.Random, level: str) -> Instance:
    sigma, n = rng.choice([(2, 16), (3, 9), (4, 16), (5, 25), (6, 36)])
    mu0 = rng.randint(0, 20)
    z = nonzero(rng, -3, 3) if level == "beginner" else R(nonzero(rng, -7, 7), 2)
    se = R(sigma, int(sp.sqrt(n)))
    xbar = mu0 + z * se
    statement = (
        rf"A sample of $n = {n}$ from a population with known $\sigma = {sigma}$ has mean $\bar x = {sp.latex(xbar)}$. "
        rf"Compute the z statistic for $H_0: \mu = {mu0}$."
    )
    hints = [
        r"$z = \frac{\bar x - \mu_0}{\sigma / \sqrt{n}}$.",
        f"The standard error is $\\sigma/\\sqrt{{n}} = {sp.latex(se)}$.",
    ]
    steps = [
        f"Standard error: ${sp.latex(se)}$.",
        f"$z = ({sp.latex(xbar)} - {mu0}) / {sp.latex(se)} = {sp.latex(z)}$.",
    ]
    return make(statement, "number", z, hints, steps, wrong={"forgot-1-over-n": (xbar - mu0) / sigma})
