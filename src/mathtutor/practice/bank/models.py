"""Generators for classic models and the remaining computable concepts: naive Bayes, SVM margins,
mixture responsibilities, a convex QP, divergence, random walks and a real-valued DFT."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

R = sp.Rational


@generator("model.naive-bayes", "naive-bayes")
def naive_bayes(rng: random.Random, level: str) -> Instance:
    prior = pick(rng, level, [R(1, 2)], [R(1, 3), R(2, 5)], [R(1, 4), R(1, 5)])
    p1, p2 = (R(rng.randint(5, 9), 10) for _ in range(2))  # P(word_i | spam)
    q1, q2 = (R(rng.randint(1, 4), 10) for _ in range(2))  # P(word_i | ham)
    spam = prior * p1 * p2
    ham = (1 - prior) * q1 * q2
    value = spam / (spam + ham)
    statement = (
        rf"A naive Bayes spam filter has $P(\text{{spam}}) = {sp.latex(prior)}$, word likelihoods "
        rf"$P(w_1 \mid \text{{spam}}) = {sp.latex(p1)}$, $P(w_2 \mid \text{{spam}}) = {sp.latex(p2)}$, "
        rf"$P(w_1 \mid \text{{ham}}) = {sp.latex(q1)}$, $P(w_2 \mid \text{{ham}}) = {sp.latex(q2)}$. "
        r"A message contains both words. Find $P(\text{spam} \mid w_1, w_2)$."
    )
    hints = [
        r"Naive Bayes multiplies the word likelihoods as if the words were independent given the class.",
        f"Unnormalised scores: spam ${sp.latex(spam)}$; compute the ham score the same way, then normalise.",
    ]
    steps = [
        f"Spam score: ${sp.latex(spam)}$; ham score: ${sp.latex(ham)}$.",
        f"$P(\\text{{spam}} \\mid w_1, w_2) = {sp.latex(value)}$.",
    ]
    wrong = {"base-rate-neglect": (p1 * p2) / (p1 * p2 + q1 * q2)} if prior != R(1, 2) else {}
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("model.svm-margin", "svm")
def svm_margin(rng: random.Random, level: str) -> Instance:
    w = list(pick(rng, level, [(3, 4), (6, 8), (5, 12)], [(1, 2, 2), (2, 3, 6)], [(2, 6, 9), (4, 4, 7), (1, 4, 8)]))
    w = [v * rng.choice([1, -1]) for v in w]
    norm = sp.sqrt(sum(v * v for v in w))
    value = 2 / norm
    statement = (
        rf"A hard-margin SVM has weight vector $w = {tex(w)}$ (constraints $y_i(w^T x_i + b) \ge 1$). "
        "What is the width of its margin?"
    )
    hints = [
        r"The margin is the distance between the hyperplanes $w^T x + b = 1$ and $w^T x + b = -1$.",
        r"That distance is $2 / \lVert w \rVert$; find the length of $w$.",
    ]
    steps = [f"$\\lVert w \\rVert = {sp.latex(norm)}$.", f"Margin $= 2 / {sp.latex(norm)} = {sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps, wrong={"margin-half": 1 / norm})


@generator("model.gmm", "gaussian-mixture-models")
def gmm_responsibility(rng: random.Random, level: str) -> Instance:
    m1, m2 = sorted(rng.sample(range(-2, 3), 2))
    xv = rng.randint(-1, 1)
    pi1 = pick(rng, level, [R(1, 2)], [R(1, 2), R(1, 3)], [R(1, 3), R(1, 4)])
    a = pi1 * sp.exp(-R((xv - m1) ** 2, 2))
    b = (1 - pi1) * sp.exp(-R((xv - m2) ** 2, 2))
    # a / (a + b) = 1 / (1 + b/a), written without sp.simplify (slow): b/a = (pi2/pi1) e^(d)
    value = 1 / (1 + (1 - pi1) / pi1 * sp.exp(R((xv - m1) ** 2 - (xv - m2) ** 2, 2)))
    statement = (
        rf"A two-component Gaussian mixture has unit variances, means $\mu_1 = {m1}$, $\mu_2 = {m2}$ and weights "
        rf"$\pi_1 = {sp.latex(pi1)}$, $\pi_2 = {sp.latex(1 - pi1)}$. Give the responsibility of component 1 for "
        rf"$x = {xv}$ (an exact expression with $e$)."
    )
    hints = [
        r"The responsibility is $\frac{\pi_1 \mathcal{N}(x; \mu_1, 1)}{\pi_1 \mathcal{N}(x; \mu_1, 1) + "
        r"\pi_2 \mathcal{N}(x; \mu_2, 1)}$.",
        r"With equal variances the normalising constants cancel; keep only $\pi_k e^{-(x - \mu_k)^2 / 2}$.",
    ]
    steps = [f"Scores: ${sp.latex(a)}$ and ${sp.latex(b)}$.", f"Responsibility: ${sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps)


@generator("model.convex-qp", "convex-optimization", "convexity")
def convex_qp(rng: random.Random, level: str) -> Instance:
    a, b = rng.randint(1, 4), rng.randint(1, 4)
    p, q = nonzero(rng, -8, 8), nonzero(rng, -8, 8)
    x, y = sp.symbols("x y")
    f = a * x**2 + b * y**2 - p * x - q * y
    if level == "researcher":
        c = nonzero(rng, -1, 1)
        f += c * x * y
    sol = sp.solve([sp.diff(f, x), sp.diff(f, y)], [x, y], dict=True)[0]
    value = [sol[x], sol[y]]
    statement = rf"Minimise the convex function $f(x, y) = {sp.latex(f)}$. Give the minimiser $(x, y)$."
    hints = [
        r"For a convex differentiable function, the minimiser is where the gradient vanishes.",
        f"Set $\\partial f/\\partial x = {sp.latex(sp.diff(f, x))}$ and $\\partial f/\\partial y$ to zero.",
    ]
    steps = ["Solve $\\nabla f = 0$.", f"Minimiser: ${tex(value)}$ (the Hessian is positive definite)."]
    return make(statement, "vector", value, hints, steps)


@generator("model.divergence", "vector-calculus")
def divergence(rng: random.Random, level: str) -> Instance:
    x, y, z = sp.symbols("x y z")
    a, b, c = (nonzero(rng, -4, 4) for _ in range(3))
    if level == "beginner":
        F = [a * x**2 * y, b * x * y**2]
        coords = (x, y)
    else:
        F = [a * x * y * z, b * y**2 * z, c * sp.sin(z) * x]
        coords = (x, y, z)
    value = sp.expand(sum(sp.diff(Fi, v) for Fi, v in zip(F, coords, strict=True)))
    statement = rf"Compute the divergence $\nabla \cdot F$ of $F = {tex(F)}$."
    hints = [
        r"$\nabla \cdot F = \sum_i \partial F_i / \partial x_i$: each component is differentiated in its own variable.",
        f"The first term is $\\partial F_1/\\partial x = {sp.latex(sp.diff(F[0], x))}$.",
    ]
    steps = ["Differentiate each component in its own coordinate and add.", f"$\\nabla \\cdot F = {sp.latex(value)}$."]
    syms = tuple(v.name for v in coords)
    return make(statement, "expression", value, hints, steps, symbols=syms)


@generator("model.random-walk", "stochastic-processes")
def random_walk(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [4, 9, 16], [10, 25, 36], [50, 100])
    p = pick(rng, level, [R(1, 2)], [R(1, 2), R(3, 4)], [R(2, 3), R(3, 4), R(1, 4)])
    mean = n * (2 * p - 1)
    var = n * (1 - (2 * p - 1) ** 2)
    statement = (
        rf"A random walk starts at 0 and takes ${n}$ independent steps of $+1$ (probability ${sp.latex(p)}$) or "
        r"$-1$. Give $(\mathbb{E}[S_n], \operatorname{Var}(S_n))$."
    )
    hints = [
        r"$S_n$ is a sum of independent steps, so means add and variances add.",
        f"One step has mean ${sp.latex(2 * p - 1)}$; its variance is $E[X^2] - E[X]^2$ with $E[X^2] = 1$.",
    ]
    steps = [
        f"Per step: mean ${sp.latex(2 * p - 1)}$, variance ${sp.latex(1 - (2 * p - 1) ** 2)}$.",
        f"After ${n}$ steps: $({sp.latex(mean)}, {sp.latex(var)})$.",
    ]
    wrong = {"std-vs-variance": [mean, sp.sqrt(var)]} if var not in (0, 1) else {}
    return make(statement, "vector", [mean, var], hints, steps, wrong=wrong)


@generator("model.dft", "fourier-transform")
def dft(rng: random.Random, level: str) -> Instance:
    a, b, c = (rng.randint(-4, 4) for _ in range(3))
    if level == "beginner":
        sig, value = [a, b], [a + b, a - b]
    else:
        sig = [a, b, c, b]  # symmetric, so the DFT is real
        value = [a + 2 * b + c, a - c, a - 2 * b + c, a - c]
    n = len(sig)
    statement = (
        rf"Compute the discrete Fourier transform $X_k = \sum_{{m=0}}^{{{n - 1}}} x_m e^{{-2\pi i k m / {n}}}$ of "
        rf"$x = ({', '.join(map(str, sig))})$. Give $(X_0, \dots, X_{{{n - 1}}})$ (all are real here)."
    )
    hints = [
        r"$X_0$ is the plain sum of the signal.",
        f"For $N = {n}$ the factors $e^{{-2\\pi i k m / {n}}}$ are powers of ${'-1' if n == 2 else '-i'}$.",
    ]
    steps = [f"$X = ({', '.join(map(str, value))})$."]
    return make(statement, "vector", value, hints, steps)
