"""Linear algebra generators: vectors, products, determinants, inverses, systems and rank.

Numbers are built backwards from the answer (unimodular matrices, chosen solutions) so that every
answer is an exact small integer or fraction.
"""

from __future__ import annotations

import random

import sympy as sp

from mathtutor.practice.bank.base import generator, make, nonzero, pick, tex
from mathtutor.practice.types import Instance

a_sym = sp.Symbol("a")


def unimodular(rng: random.Random, n: int, steps: int = 4, spread: int = 2) -> sp.Matrix:
    """An integer matrix with determinant +-1 and small entries (product of elementary row operations)."""
    while True:
        m = sp.eye(n)
        for _ in range(steps):
            i, j = rng.sample(range(n), 2)
            m[i, :] = m[i, :] + nonzero(rng, -spread, spread) * m[j, :]
        if rng.random() < 0.5:
            m[0, :] = -m[0, :]
        if max(abs(x) for x in m) <= 6 and sum(1 for x in m if x == 0) <= n:
            return m


def ints(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    return [nonzero(rng, lo, hi) for _ in range(n)]


@generator("linalg.dot", "dot-product", "vectors")
def dot(rng: random.Random, level: str) -> Instance:
    n = {"beginner": 2, "practitioner": 3, "researcher": 4}[level]
    while True:
        u, v = ints(rng, n, -6, 6), ints(rng, n, -6, 6)
        if level == "researcher":
            u[0] = a_sym
        value = sp.expand(sum(x * y for x, y in zip(u, v, strict=True)))
        prods = [sp.expand(p * q) for p, q in zip(u, v, strict=True)]
        if level == "researcher" or (abs(value) >= 5 and abs(value) not in [abs(p) for p in prods]):
            break
    prods = [sp.expand(x * y) for x, y in zip(u, v, strict=True)]
    statement = rf"Compute the dot product $u \cdot v$ for $u = {tex(u)}$ and $v = {tex(v)}$."
    hints = [
        "The dot product multiplies matching components and adds the products.",
        "The component products are " + ", ".join(f"${sp.latex(p)}$" for p in prods) + "; now add them.",
    ]
    steps = [
        r"$u \cdot v = \sum_i u_i v_i$.",
        "Products: " + ", ".join(f"${sp.latex(p)}$" for p in prods) + ".",
        f"Sum: $u \\cdot v = {sp.latex(value)}$.",
    ]
    return make(
        statement,
        "expression" if level == "researcher" else "number",
        value,
        hints,
        steps,
        symbols=("a",) if level == "researcher" else (),
        wrong={"elementwise-product": prods},
    )


_TRIPLES = {
    "beginner": [(3, 4), (6, 8), (5, 12), (8, 15), (9, 12)],
    "practitioner": [(1, 2, 2), (2, 3, 6), (1, 4, 8), (4, 4, 7), (2, 6, 9), (6, 6, 7)],
    "researcher": [(1, 2, 2), (2, 3, 6), (1, 4, 8), (4, 4, 7)],
}


@generator("linalg.norm", "norms", "vectors")
def norm(rng: random.Random, level: str) -> Instance:
    base = list(rng.choice(_TRIPLES[level]))
    rng.shuffle(base)
    k = rng.choice([1, 2]) if level == "practitioner" else 1
    v = [k * x * rng.choice([1, -1]) for x in base]
    if level == "researcher":
        v = [x * a_sym for x in v]
        value = sp.sqrt(sum(x**2 for x in base)) * a_sym
        statement = rf"Let $a > 0$. Compute the Euclidean norm $\lVert v \rVert_2$ of $v = {tex(v)}$."
    else:
        value = sp.sqrt(sum(x**2 for x in v))
        statement = rf"Compute the Euclidean norm $\lVert v \rVert_2$ of $v = {tex(v)}$."
    squares = [sp.expand(x**2) for x in v]
    hints = [
        "The Euclidean norm is the square root of the sum of the squared components.",
        "The squares are " + ", ".join(f"${sp.latex(s)}$" for s in squares) + ".",
    ]
    steps = [
        r"$\lVert v \rVert_2 = \sqrt{\sum_i v_i^2}$.",
        f"Sum of squares: ${sp.latex(sp.expand(sum(squares)))}$.",
        f"Square root: ${sp.latex(value)}$.",
    ]
    return make(
        statement,
        "expression" if level == "researcher" else "number",
        value,
        hints,
        steps,
        symbols=("a",) if level == "researcher" else (),
        wrong={"squared-norm": sp.expand(sum(squares))},
    )


@generator("linalg.matmul", "matrix-multiplication", "matrices")
def matmul(rng: random.Random, level: str) -> Instance:
    n = 3 if level == "practitioner" else 2
    lo, hi = (-3, 3) if level != "beginner" else (0, 4)
    A = sp.Matrix(n, n, lambda i, j: rng.randint(lo, hi))
    B = sp.Matrix(n, n, lambda i, j: rng.randint(lo, hi) if level == "beginner" else nonzero(rng, lo, hi))
    if level == "researcher":
        A[0, 1] = a_sym
    if A * B == B * A or A.multiply_elementwise(B) == A * B:
        A[1, 0] += 1
    value = (A * B).expand()
    statement = rf"Compute the matrix product $AB$ for $A = {tex(A)}$ and $B = {tex(B)}$."
    hints = [
        r"Entry $(i, j)$ of $AB$ is the dot product of row $i$ of $A$ with column $j$ of $B$.",
        rf"For example, entry $(1,1)$ is $({tex(list(A.row(0)))})^T {tex(list(B.col(0)))}$"
        r" — compute each entry this way.",
    ]
    steps = [r"$(AB)_{ij} = \sum_k A_{ik} B_{kj}$."]
    for i in range(n):
        terms = [" + ".join(f"({sp.latex(A[i, k])})({sp.latex(B[k, j])})" for k in range(n)) for j in range(n)]
        steps.append(f"Row {i + 1}: " + "; ".join(f"${t}$" for t in terms) + ".")
    steps.append(f"$AB = {tex(value)}$.")
    return make(
        statement,
        "matrix",
        value,
        hints,
        steps,
        symbols=("a",) if level == "researcher" else (),
        wrong={"elementwise-product": A.multiply_elementwise(B).expand(), "product-order": (B * A).expand()},
    )


@generator("linalg.det", "determinant")
def det(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        while True:
            A = sp.Matrix(2, 2, lambda i, j: nonzero(rng, -6, 6))
            if A.det() not in (0, 1, -1) and abs(A.det()) >= 4:
                break
        wrong = {"det-sign-pattern": A[0, 0] * A[1, 1] + A[0, 1] * A[1, 0]}
        hints = [
            r"For a $2 \times 2$ matrix $\begin{pmatrix} p & q \\ r & s \end{pmatrix}$ the determinant is $ps - qr$.",
            f"Here $ps = {sp.latex(A[0, 0] * A[1, 1])}$ and $qr = {sp.latex(A[0, 1] * A[1, 0])}$.",
        ]
        steps = [f"$\\det A = ({A[0, 0]})({A[1, 1]}) - ({A[0, 1]})({A[1, 0]})$.", f"$\\det A = {A.det()}$."]
    elif level == "practitioner":
        while True:
            U = sp.Matrix(3, 3, lambda i, j: nonzero(rng, -3, 3) if j >= i else 0)
            i, j = rng.sample(range(3), 2)
            A = U.copy()
            A.row_swap(i, j)
            if A[0, 0] * A[1, 1] * A[2, 2] != -U.det() and abs(U.det()) >= 4:
                break
        wrong = {"row-swap-sign": U.det(), "det-diagonal-product": A[0, 0] * A[1, 1] * A[2, 2]}
        hints = [
            "Look for a row swap that makes the matrix upper triangular.",
            "Each row swap multiplies the determinant by -1; a triangular determinant is the product of its diagonal.",
        ]
        steps = [
            f"Swapping rows {min(i, j) + 1} and {max(i, j) + 1} gives the triangular matrix ${tex(U)}$.",
            f"Its determinant is the product of the diagonal: ${U.det()}$.",
            f"One swap flips the sign: $\\det A = {A.det()}$.",
        ]
    else:
        b1, b2, c1, c2 = (nonzero(rng, -3, 3) for _ in range(4))
        A = sp.Matrix([[a_sym, b1, 0], [c1, a_sym, b2], [0, c2, a_sym]])
        wrong = {"det-diagonal-product": a_sym**3}
        hints = [
            "Expand along the first row (the zero in the corner saves a term).",
            rf"The first term is $a \cdot \det\begin{{pmatrix}} a & {b2} \\ {c2} & a \end{{pmatrix}}$.",
        ]
        steps = [
            f"$\\det A = a(a^2 - ({b2})({c2})) - ({b1})(({c1})a - 0)$.",
            f"$\\det A = {sp.latex(A.det().expand())}$.",
        ]
    value = A.det().expand()
    statement = rf"Compute $\det A$ for $A = {tex(A)}$."
    return make(
        statement,
        "expression" if level == "researcher" else "number",
        value,
        hints,
        steps,
        symbols=("a",) if level == "researcher" else (),
        wrong=wrong,
    )


@generator("linalg.inverse", "matrix-inverse")
def inverse(rng: random.Random, level: str) -> Instance:
    if level == "beginner":
        A = unimodular(rng, 2, steps=3)
    elif level == "practitioner":
        while True:
            A = sp.Matrix(2, 2, lambda i, j: nonzero(rng, -5, 5))
            if abs(A.det()) in (2, 3, 4, 5):
                break
    else:
        b, c = nonzero(rng, -4, 4), nonzero(rng, -4, 4)
        A = sp.Matrix([[a_sym, b], [c, a_sym]])
    value = (A.adjugate() / A.det()).applyfunc(sp.cancel)
    adj = sp.Matrix([[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]])
    d = sp.expand(A.det())
    wrong = {"inverse-no-det": adj} if d != 1 else {}
    if all(x != 0 for x in A):
        wrong["inverse-elementwise"] = A.applyfunc(lambda x: 1 / x)
    statement = rf"Find $A^{{-1}}$ for $A = {tex(A)}$."
    hints = [
        r"For $\begin{pmatrix} p & q \\ r & s \end{pmatrix}$ the inverse is "
        r"$\frac{1}{ps - qr}\begin{pmatrix} s & -q \\ -r & p \end{pmatrix}$.",
        f"Here the determinant is ${sp.latex(d)}$.",
        "Swap the diagonal entries, negate the off-diagonal ones, then divide every entry by the determinant.",
    ]
    steps = [
        f"$\\det A = {sp.latex(d)}$.",
        f"Adjugate: ${tex(adj)}$.",
        f"$A^{{-1}} = {tex(value)}$ (check: $AA^{{-1}} = I$).",
    ]
    return make(statement, "matrix", value, hints, steps, symbols=("a",) if level == "researcher" else (), wrong=wrong)


@generator("linalg.system", "systems-of-linear-equations")
def system(rng: random.Random, level: str) -> Instance:
    n = 3 if level == "practitioner" else 2
    A = unimodular(rng, n, steps=n + 1)
    if level == "researcher":
        x = sp.Matrix([a_sym + rng.randint(-3, 3), nonzero(rng, -2, 2) * a_sym + rng.randint(-3, 3)])
    else:
        x = sp.Matrix([nonzero(rng, -5, 5) for _ in range(n)])
    b = (A * x).expand()
    names = ["x", "y", "z"][:n]
    eqs = []
    for i in range(n):
        lhs = sp.latex(sum(A[i, j] * sp.Symbol(names[j]) for j in range(n)))
        eqs.append(f"{lhs} &= {sp.latex(b[i])}")
    statement = (
        r"Solve the system $\begin{aligned} "
        + r" \\ ".join(eqs)
        + r" \end{aligned}$"
        + (" (the right-hand side depends on $a$)" if level == "researcher" else "")
        + f" and give the solution as a vector $({', '.join(names)})$."
    )
    hints = [
        "Use one equation to eliminate a variable from the others (add a multiple of one row to another).",
        f"The coefficient matrix has determinant ${A.det()}$, so there is exactly one solution.",
        "After elimination, solve for the last variable and substitute back.",
    ]
    steps = [
        f"Write the system as $Ax = b$ with $A = {tex(A)}$, $b = {tex(list(b))}$.",
        "Eliminate below the pivots, then back-substitute.",
        f"Solution: ${tex(list(x))}$ (substitute to check).",
    ]
    return make(statement, "vector", list(x), hints, steps, symbols=("a",) if level == "researcher" else ())


@generator("linalg.rank", "rank")
def rank(rng: random.Random, level: str) -> Instance:
    m, n, r = pick(
        rng,
        level,
        [(3, 3, 1), (2, 3, 1), (3, 3, 2)],
        [(3, 4, 2), (4, 3, 2), (3, 3, 2)],
        [(4, 4, 2), (4, 4, 3), (4, 5, 3)],
    )
    while True:
        B = sp.Matrix(m, r, lambda i, j: rng.randint(-2, 2))
        C = sp.Matrix(r, n, lambda i, j: rng.randint(-2, 2))
        A = B * C
        if A.rank() == r and all(any(x != 0 for x in A.row(i)) for i in range(m)):
            break
    statement = rf"What is the rank of $A = {tex(A)}$?"
    hints = [
        "Row-reduce the matrix and count the non-zero rows (the pivots).",
        "Check whether some rows are combinations of others; each such row adds nothing to the rank.",
    ]
    steps = [f"Row reduction gives ${tex(A.rref()[0])}$.", f"It has {r} pivot(s), so $\\operatorname{{rank}} A = {r}$."]
    return make(statement, "number", r, hints, steps, wrong={"rank-count-rows": m} if m != r else {})
