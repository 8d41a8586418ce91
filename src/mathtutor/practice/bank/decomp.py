"""Linear algebra generators built from factorisations: eigenvalues, SVD, projections, least squares, bases."""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.bank.linalg import unimodular
from mathtutor.practice.types import Instance


def _distinct(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    return rng.sample([v for v in range(lo, hi + 1) if v != 0], n)


@generator("linalg.eigenvalues", "eigendecomposition")
def eigenvalues(rng: random.Random, level: str) -> Instance:
    n = 2 if level == "beginner" else 3
    while True:
        lams = _distinct(rng, n, -5, 6)
        P = unimodular(rng, n, steps=n + 1)
        A = P * sp.diag(*lams) * P.inv()
        diag = [A[i, i] for i in range(n)]
        if max(abs(x) for x in A) <= 20 and sorted(diag) != sorted(lams) and not A.is_upper and not A.is_lower:
            break
    statement = rf"Find all eigenvalues of $A = {tex(A)}$ (give them as a set)."
    hints = [
        r"Eigenvalues are the roots of the characteristic polynomial $\det(A - \lambda I) = 0$.",
        f"The eigenvalues add up to the trace, ${A.trace()}$, and multiply to the determinant, ${A.det()}$.",
    ]
    lam = sp.Symbol("lamda")
    poly = sp.factor((A - lam * sp.eye(n)).det())
    steps = [
        r"Form $\det(A - \lambda I)$.",
        f"It factors as ${sp.latex(poly)}$.",
        f"Eigenvalues: $\\{{{', '.join(str(v) for v in sorted(lams))}\\}}$.",
    ]
    wrong = {"eigen-diagonal": diag} if len(set(diag)) == n else {}
    return make(statement, "set", sorted(lams), hints, steps, wrong=wrong)


@generator("linalg.eigenvector", "eigendecomposition")
def eigenvector(rng: random.Random, level: str) -> Instance:
    n = 3 if level == "researcher" else 2
    while True:
        lams = _distinct(rng, n, -4, 5)
        P = unimodular(rng, n, steps=n + 1)
        A = P * sp.diag(*lams) * P.inv()
        if max(abs(x) for x in A) <= 15 and not A.is_diagonal():
            break
    k = rng.randrange(n)
    vec = list(P.col(k))
    statement = (
        rf"$A = {tex(A)}$ has the eigenvalue $\lambda = {lams[k]}$. Find an eigenvector for it "
        "(any non-zero multiple is accepted)."
    )
    M = A - lams[k] * sp.eye(n)
    hints = [
        rf"An eigenvector solves $(A - \lambda I)v = 0$; here $A - \lambda I = {tex(M)}$.",
        "Row-reduce $A - \\lambda I$; one variable stays free. Set it to a convenient value.",
    ]
    steps = [
        f"$A - {lams[k]}I = {tex(M)}$.",
        f"Its reduced row echelon form is ${tex(M.rref()[0])}$.",
        f"A solution of the null space: $v = {tex(vec)}$; check $Av = {lams[k]}v$.",
    ]
    return make(statement, "vector", vec, hints, steps, up_to_scale=True)


def _rotation(rng: random.Random) -> sp.Matrix:
    p, q, r = rng.choice([(3, 4, 5), (5, 12, 13)])
    c, s = sp.Rational(p, r), sp.Rational(q, r) * rng.choice([1, -1])
    return sp.Matrix([[c, -s], [s, c]]), r


@generator("linalg.svd", "svd", "matrix-decompositions")
def singular_values(rng: random.Random, level: str) -> Instance:
    while True:
        if level == "beginner":
            sig = _distinct(rng, 2, 1, 7)
            V = sp.Matrix([[0, 1], [1, 0]]) if rng.random() < 0.5 else sp.eye(2)
            A = sp.diag(*[s * rng.choice([1, -1]) for s in sig]) * V
        else:
            R, r = _rotation(rng)
            n = 2 if level == "practitioner" else 3
            sig = [r * v for v in _distinct(rng, n, 1, 3)]
            V = R if n == 2 else sp.diag(R, 1)
            perm = sp.eye(n).extract(rng.sample(range(n), n), list(range(n)))
            signs = sp.diag(*[rng.choice([1, -1]) for _ in range(n)])
            A = perm * signs * sp.diag(*sig) * V.T  # A^T A = V diag(sig^2) V^T is not diagonal
        if all(x.is_integer for x in A):
            break
    sig = sorted((abs(s) for s in sig), reverse=True)
    gram = A.T * A
    statement = rf"Find the singular values of $A = {tex(A)}$ (give them as a set)."
    hints = [
        r"Singular values are the square roots of the eigenvalues of $A^T A$.",
        f"Here $A^T A = {tex(gram)}$; find its eigenvalues first.",
    ]
    steps = [
        f"$A^T A = {tex(gram)}$.",
        "Its eigenvalues are " + ", ".join(f"${s**2}$" for s in sig) + ".",
        "Taking square roots: " + ", ".join(f"${s}$" for s in sig) + ".",
    ]
    return make(statement, "set", sig, hints, steps, wrong={"svd-eigen-not-root": [s**2 for s in sig]})


@generator("linalg.projection", "orthogonality-projections")
def projection(rng: random.Random, level: str) -> Instance:
    n = 2 if level == "beginner" else 3
    while True:
        u = [rng.randint(-2, 2) for _ in range(n)]
        v = [nonzero(rng, -5, 5) for _ in range(n)]
        uu = sum(x * x for x in u)
        vu = sum(x * y for x, y in zip(u, v, strict=True))
        if uu > 1 and vu != 0 and vu != uu:
            break
    U = sp.Matrix(u)
    if level == "researcher":
        P = U * U.T / uu
        statement = rf"Find the matrix $P$ of the orthogonal projection onto the line spanned by $u = {tex(u)}$."
        hints = [r"Projecting onto a line through $u$ is $P = \frac{u u^T}{u^T u}$.", f"Here $u^T u = {uu}$."]
        steps = [
            f"$u u^T = {tex(U * U.T)}$.",
            f"Divide by $u^T u = {uu}$: $P = {tex(P)}$.",
            "Check: $P^2 = P$ and $P^T = P$.",
        ]
        return make(statement, "matrix", P, hints, steps, wrong={"projection-no-normalisation": U * U.T})
    proj = [sp.Rational(vu, uu) * x for x in u]
    statement = rf"Project $v = {tex(v)}$ orthogonally onto the line spanned by $u = {tex(u)}$."
    hints = [
        r"The projection is $\frac{v \cdot u}{u \cdot u}\, u$.",
        f"Here $v \\cdot u = {vu}$ and $u \\cdot u = {uu}$.",
    ]
    steps = [
        f"$v \\cdot u = {vu}$, $u \\cdot u = {uu}$.",
        f"$\\operatorname{{proj}}_u v = \\frac{{{vu}}}{{{uu}}} u = {tex(proj)}$.",
        "Check: $v - \\operatorname{proj}_u v$ is orthogonal to $u$.",
    ]
    return make(statement, "vector", proj, hints, steps, wrong={"projection-no-normalisation": [vu * x for x in u]})


_LSQ = {
    "beginner": ([0, 1, 2], [1, -2, 1]),
    "practitioner": ([0, 1, 2, 3], [1, -1, -1, 1]),
    "researcher": ([-2, -1, 0, 1, 2], [2, -1, -2, -1, 2]),
}


@generator("linalg.least-squares", "least-squares", "linear-regression")
def least_squares(rng: random.Random, level: str) -> Instance:
    ts, pattern = _LSQ[level]
    c0, c1 = rng.randint(-4, 5), nonzero(rng, -3, 3)
    k = nonzero(rng, -2, 2)
    ys = [c0 + c1 * t + k * e for t, e in zip(ts, pattern, strict=True)]
    pts = ", ".join(f"({t}, {y})" for t, y in zip(ts, ys, strict=True))
    statement = (
        rf"Fit the line $y = c_0 + c_1 t$ to the points $(t, y)$: ${pts}$ by least squares. "
        r"Give $(c_0, c_1)$."
    )
    A = sp.Matrix([[1, t] for t in ts])
    y = sp.Matrix(ys)
    naive = A[:2, :].solve(y[:2, :])
    hints = [
        r"The points are not on one line, so solve the normal equations $A^T A c = A^T y$ with rows $(1, t_i)$.",
        f"Here $A^T A = {tex(A.T * A)}$ and $A^T y = {tex(A.T * y)}$.",
    ]
    steps = [
        f"$A = {tex(A)}$, $y = {tex(list(ys))}$.",
        f"Normal equations: ${tex(A.T * A)} c = {tex(A.T * y)}$.",
        f"Solution: $c = {tex([c0, c1])}$.",
    ]
    return make(statement, "vector", [c0, c1], hints, steps, wrong={"least-squares-naive-solve": list(naive)})


@generator("linalg.change-of-basis", "change-of-basis", "linear-combinations-span-basis")
def change_of_basis(rng: random.Random, level: str) -> Instance:
    n = 2 if level == "beginner" else 3
    B = unimodular(rng, n, steps=n + 1)
    if level == "researcher":
        lams = _distinct(rng, 2, -3, 4)
        B = unimodular(rng, 2, steps=3)
        A = B * sp.diag(*lams) * B.inv()
        statement = (
            rf"The map $x \mapsto Ax$ has matrix $A = {tex(A)}$ in the standard basis. "
            rf"Find its matrix in the basis given by the columns of $B = {tex(B)}$."
        )
        value = B.inv() * A * B
        hints = [
            r"In the new basis the matrix is $B^{-1} A B$.",
            f"First compute $AB = {tex(A * B)}$, then multiply by $B^{{-1}} = {tex(B.inv())}$ on the left.",
        ]
        steps = [f"$AB = {tex(A * B)}$.", f"$B^{{-1}}AB = {tex(value)}$ (the basis vectors are eigenvectors)."]
        return make(statement, "matrix", value, hints, steps, wrong={"basis-matrix-inverted": B * A * B.inv()})
    c = sp.Matrix([nonzero(rng, -4, 4) for _ in range(n)])
    x = B * c
    basis = ", ".join(f"$b_{i + 1} = {tex(list(B.col(i)))}$" for i in range(n))
    statement = f"Find the coordinates of $x = {tex(list(x))}$ in the basis {basis}."
    hints = [
        r"Coordinates $c$ satisfy $c_1 b_1 + \dots = x$, i.e. $Bc = x$ with the basis vectors as columns.",
        f"Solve $Bc = x$ with $B = {tex(B)}$ (its determinant is ${B.det()}$).",
    ]
    steps = [f"$B = {tex(B)}$.", f"$B^{{-1}} = {tex(B.inv())}$.", f"$c = B^{{-1}}x = {tex(list(c))}$."]
    return make(statement, "vector", list(c), hints, steps, wrong={"basis-matrix-inverted": list(B * x)})


@generator("linalg.spd", "symmetric-positive-definite")
def positive_definite(rng: random.Random, level: str) -> Instance:
    a = pick(rng, level, [2, 3, 4], [3, 4, 5], [4, 5, 6])
    b = nonzero(rng, -3, 3)
    M = sp.Matrix([[a, b], [b, sp.Symbol("c")]])
    bound = sp.Rational(b * b, a)
    statement = (
        rf"For which value $c^*$ is $M = {tex(M)}$ positive definite exactly when $c > c^*$? "
        "Give $c^*$."
    )
    hints = [
        r"A symmetric $2 \times 2$ matrix is positive definite when its top-left entry and its "
        r"determinant are positive.",
        f"The top-left entry ${a}$ is positive; write the determinant as a function of $c$.",
    ]
    steps = [f"$\\det M = {a}c - {b * b}$.", f"Positive when $c > {sp.latex(bound)}$.", f"$c^* = {sp.latex(bound)}$."]
    return make(statement, "number", bound, hints, steps)
