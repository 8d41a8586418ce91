"""Statistics generators: expectation and variance, MLE, entropy and KL, covariance, 2-D PCA."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

R = sp.Rational


def _centred_data(rng: random.Random, n: int, spread: int) -> list[int]:
    """n integers whose mean is an integer (so deviations are integers)."""
    while True:
        data = [rng.randint(-spread, spread) for _ in range(n - 1)]
        last = -sum(data) % n
        data.append(last - n * rng.randint(0, 1))
        mean = R(sum(data), n)
        if mean.is_integer and len(set(data)) > 2:
            shift = rng.randint(0, 10)
            return [v + shift for v in data]


@generator("stats.expectation", "expectation-variance")
def expectation(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        vals = sorted(rng.sample(range(-3, 7), 3))
        probs = rng.choice([[R(1, 4), R(1, 2), R(1, 4)], [R(1, 2), R(1, 4), R(1, 4)], [R(1, 5), R(2, 5), R(2, 5)]])
        mean = sum(v * p for v, p in zip(vals, probs, strict=True))
        var = sum((v - mean) ** 2 * p for v, p in zip(vals, probs, strict=True))
        pairs = ", ".join(f"$P(X = {v}) = {sp.latex(p)}$" for v, p in zip(vals, probs, strict=True))
        statement = rf"A random variable has {pairs}. Find $\operatorname{{Var}}(X)$."
        hints = [
            r"First find the mean $\mathbb{E}[X] = \sum_x x P(X = x)$.",
            r"Then $\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2$."
            + f" Here $\\mathbb{{E}}[X] = {sp.latex(mean)}$.",
        ]
        steps = [
            f"$\\mathbb{{E}}[X] = {sp.latex(mean)}$.",
            f"$\\mathbb{{E}}[X^2] = {sp.latex(sum(v * v * p for v, p in zip(vals, probs, strict=True)))}$.",
            f"$\\operatorname{{Var}}(X) = {sp.latex(var)}$.",
        ]
        wrong = {"std-vs-variance": sp.sqrt(var)} if var != 1 else {}
        return make(statement, "number", var, hints, steps, wrong=wrong)
    n = pick(rng, level, [], [5, 6], [7, 8])
    data = _centred_data(rng, n, 4 if level == "practitioner" else 9)
    mean = R(sum(data), n)
    ss = sum((v - mean) ** 2 for v in data)
    sample, population = ss / (n - 1), ss / n
    if level == "researcher" and rng.random() < 0.5:
        statement = f"Find the population variance (divide by $n$) of the values ${', '.join(map(str, data))}$."
        value, wrong = population, {"sample-variance": sample}
        denom = "n"
    else:
        statement = f"Find the sample variance (unbiased, $n - 1$) of the values ${', '.join(map(str, data))}$."
        value, wrong = sample, {"population-variance": population}
        denom = "n - 1"
    hints = [
        f"Compute the mean first; here it is ${sp.latex(mean)}$.",
        f"Sum the squared deviations from the mean, then divide by ${denom}$.",
    ]
    steps = [
        f"Mean: ${sp.latex(mean)}$.",
        f"Sum of squared deviations: ${ss}$.",
        f"Divide by ${denom}$: ${sp.latex(value)}$.",
    ]
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("stats.mle", "maximum-likelihood")
def mle(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        n = rng.choice([10, 20, 25, 40])
        k = rng.randint(1, n - 1)
        statement = (
            rf"In ${n}$ independent coin flips you saw ${k}$ heads. What is the maximum-likelihood estimate "
            r"of $p = P(\text{heads})$?"
        )
        hints = [
            r"The log-likelihood is $k \ln p + (n - k)\ln(1 - p)$.",
            "Set its derivative with respect to $p$ to zero.",
        ]
        steps = [r"$\frac{k}{p} - \frac{n - k}{1 - p} = 0$.", f"$\\hat p = k/n = {sp.latex(R(k, n))}$."]
        return make(statement, "number", R(k, n), hints, steps, wrong={"conditional-inverted": R(n - k, n)})
    if level == "practitioner":
        data = [rng.randint(1, 9) for _ in range(rng.choice([4, 5, 6]))]
        total = sum(data)
        statement = (
            r"Data $x_1, \dots, x_n$ are i.i.d. exponential with density $\lambda e^{-\lambda x}$: "
            f"${', '.join(map(str, data))}$. Find the maximum-likelihood estimate of $\\lambda$."
        )
        hints = [
            r"The log-likelihood is $n \ln \lambda - \lambda \sum_i x_i$.",
            "Differentiate in $\\lambda$ and set to zero.",
        ]
        value = R(len(data), total)
        steps = [
            r"$\frac{n}{\lambda} - \sum x_i = 0$.",
            f"$\\hat\\lambda = n / \\sum x_i = {len(data)}/{total} = {sp.latex(value)}$.",
        ]
        return make(statement, "number", value, hints, steps, wrong={"forgot-1-over-n": R(1, total)})
    data = _centred_data(rng, rng.choice([4, 5, 6]), 6)
    n = len(data)
    mean = R(sum(data), n)
    ss = sum((v - mean) ** 2 for v in data)
    statement = (
        r"Data are i.i.d. $\mathcal{N}(\mu, \sigma^2)$: " + f"${', '.join(map(str, data))}$. "
        r"Find the maximum-likelihood estimate of $\sigma^2$."
    )
    hints = [
        r"The MLE of $\mu$ is the sample mean; substitute it into the likelihood.",
        r"Setting $\partial/\partial \sigma^2$ of the log-likelihood to zero gives the mean squared deviation.",
    ]
    steps = [
        f"$\\hat\\mu = {sp.latex(mean)}$.",
        f"Sum of squared deviations: ${ss}$.",
        f"$\\hat\\sigma^2 = {ss}/{n} = {sp.latex(ss / n)}$.",
    ]
    return make(statement, "number", ss / n, hints, steps, wrong={"mle-biased-denominator": R(ss, n - 1)})


_DISTS = [
    [R(1, 2), R(1, 4), R(1, 4)],
    [R(1, 2), R(1, 4), R(1, 8), R(1, 8)],
    [R(1, 4), R(1, 4), R(1, 4), R(1, 4)],
    [R(1, 8), R(1, 8), R(1, 4), R(1, 2)],
]


@generator("stats.entropy", "entropy-kl")
def entropy(rng: random.Random, level: str) -> Instance:
    if level == "researcher":
        p, q = rng.sample([d for d in _DISTS if len(d) == 4], 2)
        value = sum(pi * sp.log(pi / qi, 2) for pi, qi in zip(p, q, strict=True))
        value = sp.nsimplify(sp.simplify(value))
        reverse = sp.nsimplify(sp.simplify(sum(qi * sp.log(qi / pi, 2) for pi, qi in zip(p, q, strict=True))))
        statement = rf"Compute $D_{{KL}}(P \,\|\, Q)$ in bits for $P = {tex(p)}$ and $Q = {tex(q)}$ (as distributions)."
        hints = [
            r"$D_{KL}(P \| Q) = \sum_i p_i \log_2 \frac{p_i}{q_i}$ — the average is taken under $P$.",
            "All the ratios are powers of two, so each logarithm is an integer.",
        ]
        steps = [
            "Ratios $p_i/q_i$: " + ", ".join(f"${sp.latex(a / b)}$" for a, b in zip(p, q, strict=True)) + ".",
            f"$D_{{KL}}(P \\| Q) = {sp.latex(value)}$ bits.",
        ]
        wrong = {"kl-direction": reverse} if reverse != value else {}
        return make(statement, "number", value, hints, steps, wrong=wrong)
    p = rng.choice(_DISTS if level == "practitioner" else _DISTS[:1] + _DISTS[2:3])
    value = sp.nsimplify(-sum(pi * sp.log(pi, 2) for pi in p))
    nats = -sum(pi * sp.log(pi) for pi in p)
    statement = (
        rf"Compute the entropy $H(X)$ in bits of a random variable with probabilities "
        rf"${', '.join(sp.latex(v) for v in p)}$."
    )
    hints = [
        r"$H(X) = -\sum_i p_i \log_2 p_i$.",
        r"With probabilities that are powers of two, $-\log_2 p_i$ is a whole number of bits.",
    ]
    steps = [
        "Terms: " + ", ".join(f"${sp.latex(-pi * sp.log(pi, 2))}$" for pi in p) + ".",
        f"$H = {sp.latex(value)}$ bits.",
    ]
    return make(statement, "number", value, hints, steps, wrong={"entropy-log-base": nats})


@generator("stats.covariance", "covariance-correlation")
def covariance(rng: random.Random, level: str) -> Instance:
    n = pick(rng, level, [3, 4], [4, 5], [5, 6])
    while True:
        xs = _centred_data(rng, n, 4)
        ys = [nonzero(rng, -3, 3) * v + rng.randint(-2, 2) for v in xs]
        mx, my = R(sum(xs), n), R(sum(ys), n)
        sxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True))
        if sxy != 0 and mx * my != 0:
            break
    sample = level == "researcher"
    value = sxy / (n - 1) if sample else sxy / n
    pts = ", ".join(f"({a}, {b})" for a, b in zip(xs, ys, strict=True))
    which = "sample covariance (divide by $n - 1$)" if sample else "covariance (divide by $n$)"
    statement = f"For the paired data ${pts}$, compute the {which} of $x$ and $y$."
    hints = [
        f"Centre both variables: here $\\bar x = {sp.latex(mx)}$ and $\\bar y = {sp.latex(my)}$.",
        r"Average the products of deviations $(x_i - \bar x)(y_i - \bar y)$.",
    ]
    steps = [
        f"$\\bar x = {sp.latex(mx)}$, $\\bar y = {sp.latex(my)}$.",
        f"Sum of products of deviations: ${sxy}$.",
        f"Covariance: ${sp.latex(value)}$.",
    ]
    raw = R(sum(a * b for a, b in zip(xs, ys, strict=True)), n - 1 if sample else n)
    wrong = {
        "covariance-no-centering": raw,
        ("population-variance" if sample else "sample-variance"): sxy / (n if sample else n - 1),
    }
    return make(statement, "number", value, hints, steps, wrong=wrong)


@generator("stats.pca", "pca", "low-rank-approximation")
def pca(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        a, b = rng.randint(3, 8), nonzero(rng, -2, 2)
        C = sp.Matrix([[a, b], [b, a]])
        lams = [a + abs(b), a - abs(b)]
    else:
        p, q = rng.choice([(3, 4), (4, 3)])
        l1, l2 = sorted(rng.sample(range(1, 9), 2), reverse=True)
        s = rng.choice([1, -1])
        Q = sp.Matrix([[p, -s * q], [s * q, p]]) / 5
        C = Q * sp.diag(25 * l1, 25 * l2) * Q.T
        lams = [25 * l1, 25 * l2]
    if level == "practitioner":
        vals = C.eigenvects()
        top = max(vals, key=lambda t: t[0])
        direction = list(top[2][0])
        statement = (
            rf"Centred 2-D data have covariance matrix $C = {tex(C)}$. Give the direction of the first "
            "principal component (any non-zero multiple is accepted)."
        )
        hints = [
            "The first principal component is the eigenvector of $C$ with the largest eigenvalue.",
            f"The eigenvalues of $C$ are {lams[0]} and {lams[1]}; solve $(C - \\lambda I)v = 0$ for the larger.",
        ]
        steps = [f"Eigenvalues: ${lams[0]}, {lams[1]}$.", f"Eigenvector for ${lams[0]}$: ${tex(direction)}$."]
        return make(statement, "vector", direction, hints, steps, up_to_scale=True)
    value = R(lams[0], lams[0] + lams[1])
    statement = (
        rf"Centred 2-D data have covariance matrix $C = {tex(C)}$. What fraction of the total variance does the "
        "first principal component explain?"
    )
    hints = [
        "The variance along each principal component is an eigenvalue of $C$.",
        f"The total variance is the trace, ${C.trace()}$; find the larger eigenvalue.",
    ]
    steps = [f"Eigenvalues: ${lams[0]}, {lams[1]}$.", f"Fraction: ${lams[0]}/{C.trace()} = {sp.latex(value)}$."]
    return make(statement, "number", value, hints, steps, wrong={"pca-minor-component": R(lams[1], lams[0] + lams[1])})
