"""Named misconceptions: the reasoning error behind a common wrong answer, and what to say about it.

Generators script the wrong answer each misconception produces for their numbers; the checker
names the misconception when the learner's answer equals one of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Misconception:
    name: str
    label: str
    feedback: str


_ALL = [
    Misconception(
        "chain-rule-no-inner-derivative",
        "chain rule without the inner derivative",
        "You differentiated the outer function but did not multiply by the derivative of the inner one: "
        "d/dx f(g(x)) = f'(g(x)) g'(x).",
    ),
    Misconception(
        "elementwise-product",
        "elementwise instead of matrix product",
        "You multiplied matching entries. A matrix product combines row i of the left matrix with column j "
        "of the right one: (AB)_ij = sum_k A_ik B_kj.",
    ),
    Misconception(
        "conditional-inverted",
        "P(A|B) confused with P(B|A)",
        "You gave the probability in the other direction. P(A|B) and P(B|A) differ; Bayes' rule converts "
        "one into the other using the base rates P(A) and P(B).",
    ),
    Misconception(
        "population-variance",
        "population variance where the sample variance was asked",
        "You divided by n. The sample variance divides the sum of squared deviations by n - 1 "
        "(Bessel's correction), because the mean was estimated from the same data.",
    ),
    Misconception(
        "sample-variance",
        "sample variance where the population variance was asked",
        "You divided by n - 1. For the variance of the listed population (or of a distribution), divide by n.",
    ),
    Misconception(
        "row-swap-sign",
        "determinant sign of a row swap",
        "Swapping two rows changes the sign of the determinant; check how many swaps your elimination used.",
    ),
    Misconception(
        "det-diagonal-product",
        "product of the diagonal of a non-triangular matrix",
        "Multiplying the diagonal gives the determinant only for a triangular matrix; eliminate first or expand.",
    ),
    Misconception(
        "det-sign-pattern",
        "wrong sign in the 2x2 determinant",
        "For a 2x2 matrix the determinant is ad - bc: the product of the off-diagonal entries is subtracted.",
    ),
    Misconception(
        "product-order",
        "multiplied in the wrong order",
        "Matrix products do not commute: you computed BA, but AB uses the rows of A and the columns of B.",
    ),
    Misconception(
        "transpose-order",
        "transpose or inverse of a product in the same order",
        "The transpose (and the inverse) of a product reverses the order: (AB)^T = B^T A^T.",
    ),
    Misconception(
        "inverse-elementwise",
        "entrywise reciprocals for the inverse",
        "The inverse is not the matrix of reciprocals; it is the matrix B with AB = I.",
    ),
    Misconception(
        "inverse-no-det",
        "forgot to divide by the determinant",
        "The 2x2 inverse is (1/det A) times the adjugate [[d, -b], [-c, a]]; you left out the 1/det A factor.",
    ),
    Misconception(
        "forgot-1-over-n",
        "forgot to divide by n",
        "You summed but did not average: divide by the number of terms.",
    ),
    Misconception(
        "squared-norm",
        "squared norm instead of the norm",
        "That is the squared length. The Euclidean norm is the square root of the sum of squares.",
    ),
    Misconception(
        "projection-no-normalisation",
        "projection without dividing by the squared length",
        "Projecting onto u uses (v.u / u.u) u; you left out the division by u.u.",
    ),
    Misconception(
        "gradient-ascent-sign",
        "stepped along the gradient instead of against it",
        "Gradient descent subtracts the gradient: x_new = x - eta * grad f(x). Adding it climbs uphill.",
    ),
    Misconception(
        "power-rule-exponent",
        "power rule with the exponent unchanged",
        "The power rule lowers the exponent by one: d/dx x^n = n x^(n-1).",
    ),
    Misconception(
        "product-rule-product",
        "derivative of a product taken as the product of derivatives",
        "(uv)' is not u'v'. The product rule gives (uv)' = u'v + uv'.",
    ),
    Misconception(
        "quadratic-form-symmetric",
        "used 2Ax for a non-symmetric A",
        "The gradient of x^T A x is (A + A^T) x; it equals 2Ax only when A is symmetric.",
    ),
    Misconception(
        "partial-wrong-variable",
        "differentiated with respect to the other variable",
        "A partial derivative with respect to one variable treats every other variable as a constant.",
    ),
    Misconception(
        "jacobian-transposed",
        "Jacobian transposed",
        "Row i of the Jacobian holds the partial derivatives of output i; columns go with the inputs.",
    ),
    Misconception(
        "taylor-no-factorial",
        "Taylor coefficient without the factorial",
        "The k-th Taylor coefficient is f^(k)(a) / k!; you left out the division by k!.",
    ),
    Misconception(
        "variance-linear-scaling",
        "variance scaled like the mean",
        "Var(aX + b) = a^2 Var(X): the constant comes out squared and the shift b drops out.",
    ),
    Misconception(
        "std-vs-variance",
        "standard deviation and variance mixed up",
        "Variance is the mean squared deviation; the standard deviation is its square root.",
    ),
    Misconception(
        "union-without-intersection",
        "added probabilities of overlapping events",
        "P(A or B) = P(A) + P(B) - P(A and B): the overlap was counted twice.",
    ),
    Misconception(
        "base-rate-neglect",
        "ignored the base rate",
        "Bayes' rule weighs the likelihood by the prior; the evidence term P(B) sums over all causes.",
    ),
    Misconception(
        "kl-direction",
        "KL divergence in the wrong direction",
        "KL divergence is not symmetric: D(P||Q) averages log(P/Q) under P, not under Q.",
    ),
    Misconception(
        "entropy-log-base",
        "entropy in the wrong unit",
        "Bits use log base 2; nats use the natural log. Check which unit the problem asks for.",
    ),
    Misconception(
        "mle-biased-denominator",
        "MLE of the variance with n - 1",
        "The maximum-likelihood estimate of a Gaussian variance divides by n (it is biased, "
        "unlike the sample variance).",
    ),
    Misconception(
        "eigen-diagonal",
        "read eigenvalues off the diagonal of a non-triangular matrix",
        "Only triangular matrices show their eigenvalues on the diagonal; solve det(A - lambda I) = 0.",
    ),
    Misconception(
        "lagrange-sign",
        "constraint gradient with the wrong orientation",
        "At the optimum grad f = lambda grad g; check the sign of lambda against the constraint.",
    ),
    Misconception(
        "covariance-no-centering",
        "forgot to subtract the means",
        "Covariance averages products of deviations from the means, not products of the raw values.",
    ),
    Misconception(
        "rank-count-rows",
        "counted rows instead of independent rows",
        "Rank counts linearly independent rows (pivots after elimination), not all rows.",
    ),
    Misconception(
        "hessian-missing-mixed",
        "mixed partial derivatives left out",
        "The off-diagonal Hessian entries are the mixed partials d2f/dxdy; they are not zero in general.",
    ),
    Misconception(
        "independence-assumed",
        "treated dependent events as independent",
        "P(A and B) = P(A) P(B) only for independent events; otherwise use P(A) P(B|A).",
    ),
    Misconception(
        "least-squares-naive-solve",
        "solved only the first equations",
        "An overdetermined system has no exact solution; least squares solves the normal equations A^T A x = A^T b.",
    ),
    Misconception(
        "basis-matrix-inverted",
        "used the basis matrix instead of its inverse",
        "Coordinates c in basis B satisfy B c = x, so c = B^{-1} x; multiplying by B goes the other way.",
    ),
    Misconception(
        "svd-eigen-not-root",
        "eigenvalues of A^T A given as singular values",
        "Singular values are the square roots of the eigenvalues of A^T A.",
    ),
    Misconception(
        "margin-half",
        "half the margin",
        "1/||w|| is the distance from the separating hyperplane to one side; the margin spans both: 2/||w||.",
    ),
    Misconception(
        "relu-skipped",
        "activation left out",
        "You stopped at Wx + b; the layer still applies ReLU, which sets negative entries to 0.",
    ),
    Misconception(
        "correlation-not-flipped",
        "correlation instead of convolution",
        "Convolution flips the kernel before sliding it: (a * b)_j = sum_i a_i b_(j - i).",
    ),
    Misconception(
        "root-sign-flipped",
        "roots with the wrong sign",
        "If (x - r) is a factor, the root is r, not -r.",
    ),
    Misconception(
        "map-equals-mle",
        "MAP and MLE are the same",
        "They agree only with a flat prior; an informative prior moves the MAP estimate.",
    ),
    Misconception(
        "pca-minor-component",
        "used the smallest eigenvalue",
        "The first principal component is the direction of largest variance: take the largest eigenvalue.",
    ),
    Misconception(
        "pca-unnormalised",
        "principal direction not normalised",
        "A principal direction is a unit vector; divide the eigenvector by its length.",
    ),
]

MISCONCEPTIONS: dict[str, Misconception] = {m.name: m for m in _ALL}


def register(name: str, label: str, feedback: str) -> None:
    """Add a misconception used only by a conceptual question (names stay unique)."""
    if name in MISCONCEPTIONS and MISCONCEPTIONS[name].feedback != feedback:
        raise ValueError(f"misconception {name!r} is defined twice with different feedback")
    MISCONCEPTIONS[name] = Misconception(name, label, feedback)


def describe(name: str) -> str:
    """The learner-facing sentence for a misconception."""
    m = MISCONCEPTIONS[name]
    return f"This looks like {m.label}. {m.feedback}"
