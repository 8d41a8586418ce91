"""Probability generators: rules, conditioning and Bayes, discrete and Gaussian laws, joints, Markov chains."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

R = sp.Rational


def _frac(rng: random.Random, denom: int, lo: int, hi: int) -> sp.Rational:
    return R(rng.randint(lo, hi), denom)


@generator("prob.union", "probability-basics")
def union(rng: random.Random, level: str) -> Instance:
    d = pick(rng, level, [10], [20], [40])
    while True:
        pa, pb = _frac(rng, d, d // 5, d * 3 // 5), _frac(rng, d, d // 5, d * 3 // 5)
        pab = _frac(rng, d, 1, d // 5)
        if pab < min(pa, pb) and pa + pb - pab <= 1 and pab != pa * pb:
            break
    value = pa + pb - pab
    if level == "researcher":
        statement = (
            rf"$P(A) = {sp.latex(pa)}$, $P(B) = {sp.latex(pb)}$ and $P(A \mid B) = {sp.latex(pab / pb)}$. "
            r"Find $P(A \cup B)$."
        )
        hints = [
            r"First recover the overlap: $P(A \cap B) = P(A \mid B) P(B)$.",
            r"Then use inclusion-exclusion: $P(A \cup B) = P(A) + P(B) - P(A \cap B)$.",
        ]
        wrong = {"union-without-intersection": pa + pb, "independence-assumed": pa + pb - pa * pb}
    else:
        statement = (
            rf"$P(A) = {sp.latex(pa)}$, $P(B) = {sp.latex(pb)}$ and $P(A \cap B) = {sp.latex(pab)}$. "
            r"Find $P(A \cup B)$."
        )
        hints = [
            r"Adding $P(A)$ and $P(B)$ counts the outcomes in both events twice.",
            r"Inclusion-exclusion: $P(A \cup B) = P(A) + P(B) - P(A \cap B)$.",
        ]
        wrong = {"union-without-intersection": pa + pb}
    steps = [
        f"$P(A \\cap B) = {sp.latex(pab)}$.",
        f"$P(A \\cup B) = {sp.latex(pa)} + {sp.latex(pb)} - {sp.latex(pab)} = {sp.latex(value)}$.",
    ]
    return make(statement, "number", value, hints, steps, wrong={k: v for k, v in wrong.items() if v <= 2})


@generator("prob.bayes", "bayes-rule", "conditional-probability")
def bayes(rng: random.Random, level: str) -> Instance:
    prior = pick(
        rng, level, [R(1, 2), R(1, 4), R(1, 5)], [R(1, 10), R(1, 20), R(1, 5)], [R(1, 100), R(1, 50), R(1, 200)]
    )
    sens = pick(rng, level, [R(4, 5), R(9, 10), R(3, 4)], [R(9, 10), R(19, 20), R(4, 5)], [R(99, 100), R(49, 50)])
    fpr = pick(rng, level, [R(1, 5), R(1, 10), R(1, 4)], [R(1, 10), R(1, 20), R(3, 20)], [R(1, 20), R(1, 10), R(1, 50)])
    evidence = sens * prior + fpr * (1 - prior)
    value = sens * prior / evidence
    statement = (
        rf"A test detects a condition with probability $P(+ \mid D) = {sp.latex(sens)}$ and gives a false positive "
        rf"with probability $P(+ \mid \neg D) = {sp.latex(fpr)}$. The condition has prevalence "
        rf"$P(D) = {sp.latex(prior)}$. Find $P(D \mid +)$."
    )
    hints = [
        r"Bayes' rule: $P(D \mid +) = \frac{P(+ \mid D) P(D)}{P(+)}$.",
        r"The denominator sums over both causes of a positive: $P(+) = P(+ \mid D)P(D) + P(+ \mid \neg D)P(\neg D)$.",
        f"Here $P(+) = {sp.latex(evidence)}$.",
    ]
    steps = [
        f"Numerator: ${sp.latex(sens)} \\cdot {sp.latex(prior)} = {sp.latex(sens * prior)}$.",
        f"$P(+) = {sp.latex(evidence)}$.",
        f"$P(D \\mid +) = {sp.latex(value)}$.",
    ]
    return make(
        statement,
        "number",
        value,
        hints,
        steps,
        wrong={"conditional-inverted": sens, "base-rate-neglect": sens / (sens + fpr)},
    )


@generator("prob.binomial", "discrete-distributions", "probability-distributions")
def binomial(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [3, 4], [5, 6], [8, 10])
    p = pick(rng, level, [R(1, 2)], [R(1, 3), R(1, 4), R(2, 5)], [R(1, 4), R(1, 2), R(1, 3)])
    k = rng.randint(1, n - 1)
    value = sp.binomial(n, k) * p**k * (1 - p) ** (n - k)
    statement = rf"$X \sim \mathrm{{Binomial}}(n = {n}, p = {sp.latex(p)})$. Find $P(X = {k})$ exactly."
    hints = [r"$P(X = k) = \binom{n}{k} p^k (1 - p)^{n - k}$.", rf"Here $\binom{{{n}}}{{{k}}} = {sp.binomial(n, k)}$."]
    steps = [
        f"$\\binom{{{n}}}{{{k}}} = {sp.binomial(n, k)}$.",
        f"$P = {sp.binomial(n, k)} \\cdot ({sp.latex(p)})^{k} ({sp.latex(1 - p)})^{{{n - k}}} = {sp.latex(value)}$.",
    ]
    wrong = {"independence-assumed": p**k * (1 - p) ** (n - k)}  # forgot the orderings
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("prob.gaussian", "gaussian-distribution")
def gaussian(rng: random.Random, level: str) -> Instance:
    mu, sigma = rng.randint(-5, 10), rng.randint(2, 5)
    a, b = nonzero(rng, -3, 3), rng.randint(-6, 6)
    if level == "beginner":
        z = nonzero(rng, -3, 3)
        xval = mu + z * sigma
        statement = rf"$X \sim \mathcal{{N}}(\mu = {mu}, \sigma^2 = {sigma**2})$. What is the z-score of $x = {xval}$?"
        hints = [
            r"$z = \frac{x - \mu}{\sigma}$.",
            f"The standard deviation is the square root of the variance ${sigma**2}$.",
        ]
        steps = [f"$\\sigma = {sigma}$.", f"$z = ({xval} - {mu}) / {sigma} = {z}$."]
        return make(statement, "number", z, hints, steps, wrong={"std-vs-variance": R(xval - mu, sigma**2)})
    value = [a * mu + b, a * a * sigma**2]
    statement = (
        rf"$X \sim \mathcal{{N}}({mu}, {sigma**2})$ (mean, variance) and $Y = {sp.latex(a * sp.Symbol('X') + b)}$. "
        r"Give $(\mathbb{E}[Y], \operatorname{Var}(Y))$."
    )
    hints = [
        r"An affine map of a Gaussian is Gaussian, with $\mathbb{E}[aX + b] = a\mathbb{E}[X] + b$.",
        r"For the variance the shift drops out and the scale is squared: $\operatorname{Var}(aX "
        r"+ b) = a^2 \operatorname{Var}(X)$.",
    ]
    steps = [
        f"$\\mathbb{{E}}[Y] = {a} \\cdot {mu} + {b} = {a * mu + b}$.",
        f"$\\operatorname{{Var}}(Y) = {a * a} \\cdot {sigma**2} = {a * a * sigma**2}$.",
    ]
    wrong = {"variance-linear-scaling": [a * mu + b, a * sigma**2 + b]}
    return make(statement, "vector", value, hints, steps, wrong=wrong)


@generator("prob.marginal", "joint-marginal-distributions", "random-variables")
def marginal(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [2], [3], [3])
    d = pick(rng, level, [10], [20], [40])
    while True:
        cells = [rng.randint(1, d // 3) for _ in range(2 * n - 1)]
        if sum(cells) < d:
            cells.append(d - sum(cells))
            break
    table = [[R(cells[i * n + j], d) for j in range(n)] for i in range(2)]
    col = rng.randrange(n)
    row_total = sum(table[0])
    value = table[0][col] / sum(table[i][col] for i in range(2))
    header = " & ".join(f"Y={j}" for j in range(n))
    body = r" \\ ".join(f"X={i} & " + " & ".join(sp.latex(v) for v in table[i]) for i in range(2))
    statement = (
        r"The joint distribution of $X$ and $Y$ is $\begin{array}{c|"
        + "c" * n
        + "} & "
        + header
        + r" \\ \hline "
        + body
        + rf" \end{{array}}$. Find $P(X = 0 \mid Y = {col})$."
    )
    hints = [
        r"$P(X = 0 \mid Y = y) = P(X = 0, Y = y) / P(Y = y)$.",
        f"The marginal $P(Y = {col})$ is the sum of column $Y = {col}$.",
    ]
    steps = [
        f"$P(Y = {col}) = {sp.latex(sum(table[i][col] for i in range(2)))}$.",
        f"$P(X = 0 \\mid Y = {col}) = {sp.latex(table[0][col])} / "
        f"{sp.latex(sum(table[i][col] for i in range(2)))} = {sp.latex(value)}$.",
    ]
    wrong = {"conditional-inverted": table[0][col] / row_total}
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("prob.markov", "markov-chains")
def markov(rng: random.Random, level: str) -> Instance:
    d = pick(rng, level, [4, 5], [10], [20])
    a, b = R(rng.randint(1, d - 1), d), R(rng.randint(1, d - 1), d)
    P = sp.Matrix([[1 - a, a], [b, 1 - b]])
    value = [b / (a + b), a / (a + b)]
    statement = (
        rf"A two-state Markov chain has transition matrix $P = {tex(P)}$ (rows: from, columns: to). "
        r"Find its stationary distribution $(\pi_1, \pi_2)$."
    )
    hints = [
        r"The stationary distribution satisfies $\pi P = \pi$ and $\pi_1 + \pi_2 = 1$.",
        rf"Balance the flow between the states: $\pi_1 \cdot {sp.latex(a)} = \pi_2 \cdot {sp.latex(b)}$.",
    ]
    steps = [f"$\\pi_1 {sp.latex(a)} = \\pi_2 {sp.latex(b)}$ and $\\pi_1 + \\pi_2 = 1$.", f"$\\pi = {tex(value)}$."]
    return make(statement, "vector", value, hints, steps, wrong={"conditional-inverted": value[::-1]} if a != b else {})


@generator("prob.independence", "independence-iid")
def independence(rng: random.Random, level: str) -> Instance:
    p = pick(rng, level, [R(1, 2), R(2, 3)], [R(3, 4), R(4, 5), R(9, 10)], [R(9, 10), R(19, 20)])
    n = pick(rng, level, [2, 3], [3, 4], [5, 6])
    value = 1 - p**n
    statement = (
        rf"Each of ${n}$ independent components works with probability ${sp.latex(p)}$. "
        "What is the probability that at least one fails?"
    )
    hints = [
        "Use the complement: at least one fails = not all work.",
        "For independent events the probability that all work is the product of the individual probabilities.",
    ]
    steps = [
        f"$P(\\text{{all work}}) = ({sp.latex(p)})^{n} = {sp.latex(p**n)}$.",
        f"$1 - {sp.latex(p**n)} = {sp.latex(value)}$.",
    ]
    return make(statement, "number", value, hints, steps, wrong={"union-without-intersection": n * (1 - p)})
