"""Multiple-choice conceptual questions, in our own words; each wrong option names its misconception."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    text: str
    misconception: str | None = None  # None marks the correct option
    label: str = ""
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    concept: str
    prompt: str
    options: tuple[Option, ...]
    hints: tuple[str, str]
    explanation: str


def _q(
    concept: str,
    prompt: str,
    right: str,
    wrongs: list[tuple[str, str, str, str]],
    hints: tuple[str, str],
    explanation: str,
) -> Question:
    opts = [Option(right)] + [Option(text, name, label, fb) for text, name, label, fb in wrongs]
    return Question(concept, prompt, tuple(opts), hints, explanation)


QUESTIONS: list[Question] = [
    _q(
        "pca",
        "Which quantity does the first principal component maximise?",
        "The variance of the data projected onto it, among all unit directions",
        [
            (
                "The correlation between the two original features",
                "pca-maximises-correlation",
                "PCA maximises correlation",
                "PCA looks at spread along a direction; correlation between given features is not what it optimises.",
            ),
            (
                "The distance between class means",
                "pca-is-supervised",
                "PCA uses labels",
                "PCA never sees labels; separating classes is what LDA aims at.",
            ),
            (
                "The reconstruction error of the data",
                "pca-maximises-error",
                "PCA maximises reconstruction error",
                "It is the other way round: maximising projected variance is the same as "
                "minimising reconstruction error.",
            ),
        ],
        (
            "Think of projecting every data point onto a line through the mean.",
            "Which direction keeps the points most spread out?",
        ),
        "The first principal component is the unit vector u maximising the variance of u^T x; "
        "it is the top eigenvector of the covariance.",
    ),
    _q(
        "bayesian-inference",
        "How does a MAP estimate differ from the maximum-likelihood estimate?",
        "MAP maximises the likelihood times a prior, so the prior pulls the estimate",
        [
            (
                "They are always equal",
                "map-equals-mle",
                "MAP and MLE are the same",
                "They agree only with a flat prior; an informative prior moves the MAP estimate.",
            ),
            (
                "MAP averages the parameter over the posterior",
                "map-is-posterior-mean",
                "MAP is the posterior mean",
                "MAP takes the posterior's mode (its peak), not its mean.",
            ),
            (
                "MLE uses a prior and MAP does not",
                "prior-swapped",
                "roles of the prior swapped",
                "Maximum likelihood uses no prior at all; MAP is the method with a prior.",
            ),
        ],
        ("Write the posterior with Bayes' rule.", "Which factor appears in the posterior but not in the likelihood?"),
        "MAP = argmax p(data | theta) p(theta); with a uniform prior it reduces to the MLE.",
    ),
    _q(
        "jacobian",
        "What does |det J| of a map at a point tell you geometrically?",
        "How much the map scales small areas (volumes) near that point",
        [
            (
                "The slope of the map along the x-axis",
                "jacobian-is-slope",
                "Jacobian determinant read as a slope",
                "A single partial derivative is a slope; the determinant combines all of them into an area factor.",
            ),
            (
                "The angle by which the map rotates",
                "jacobian-is-rotation",
                "Jacobian determinant read as a rotation",
                "Rotation does not change area; the determinant measures the change in area or volume.",
            ),
            (
                "The largest output value of the map",
                "jacobian-is-maximum",
                "Jacobian read as a maximum",
                "The Jacobian is about local change, not about the size of the outputs.",
            ),
        ],
        (
            "Consider a tiny square near the point and where the map sends it.",
            "The image is close to a parallelogram spanned by the columns of J.",
        ),
        "Locally the map acts like J, which sends unit squares to parallelograms of area |det J|.",
    ),
    _q(
        "linear-regression",
        "A very flexible model fits the training data perfectly but does badly on new data. What is happening?",
        "High variance: it fits the noise of this particular sample (overfitting)",
        [
            (
                "High bias: the model is too simple",
                "bias-variance-swapped",
                "bias and variance swapped",
                "A model that is too simple underfits (high bias); fitting the training data "
                "perfectly is the mark of high variance.",
            ),
            (
                "The test data must be mislabelled",
                "blame-the-data",
                "blamed the test data",
                "A gap between training and test error is the classic sign of overfitting, not of bad labels.",
            ),
            (
                "More parameters always generalise better",
                "more-parameters-better",
                "more parameters always better",
                "Extra flexibility lowers bias but raises variance; past some point test error rises.",
            ),
        ],
        (
            "Compare the training error with the error on fresh data.",
            "Which part of the error changes from one training sample to another?",
        ),
        "Expected error = bias^2 + variance + noise; a flexible model has low bias but high variance.",
    ),
    _q(
        "gradient-descent",
        "Gradient descent on a smooth convex function diverges, the loss growing every step. The likeliest cause?",
        "The learning rate is too large, so each step overshoots the minimum",
        [
            (
                "The learning rate is too small",
                "step-size-direction",
                "step size effect reversed",
                "A small learning rate makes progress slow but steady; growth of the loss means overshooting.",
            ),
            (
                "The function has no minimum",
                "convex-no-minimum",
                "blamed the function",
                "A smooth convex function with a minimiser is exactly where a small enough step converges.",
            ),
            (
                "The gradient points towards the minimum",
                "gradient-points-downhill",
                "gradient points downhill",
                "The gradient points uphill; descent steps against it.",
            ),
        ],
        ("Picture a 1-D parabola and a step that is too long.", "Where does x - eta f'(x) land when eta is huge?"),
        "For f = a x^2 the update multiplies x by (1 - 2 a eta), which exceeds 1 in size when eta > 1/a.",
    ),
    _q(
        "convexity",
        "Why is convexity of a loss function so convenient for optimisation?",
        "Every local minimum is a global minimum",
        [
            (
                "The minimum is always at zero",
                "convex-min-at-zero",
                "minimum location assumed",
                "Convexity says nothing about where the minimum lies.",
            ),
            (
                "Gradient descent needs no learning rate",
                "convex-no-step-size",
                "no step size needed",
                "A step size is still needed; convexity only removes spurious local minima.",
            ),
            (
                "Convex functions have no gradient",
                "convex-nondifferentiable",
                "convex means no gradient",
                "Many convex functions are smooth (e.g. squared error); some are not, but that is not the point.",
            ),
        ],
        (
            "Recall the chord definition of convexity.",
            "Could a convex function have a dip that is not its lowest point?",
        ),
        "If a local minimum were not global, the chord to a lower point would lie below the "
        "function, contradicting convexity.",
    ),
    _q(
        "central-limit-theorem",
        "What does the central limit theorem say about the mean of n i.i.d. variables with finite variance?",
        "Its standardised distribution approaches a normal distribution as n grows",
        [
            (
                "The data themselves become normally distributed",
                "clt-data-normal",
                "CLT applied to the data",
                "The theorem is about averages; the individual observations keep their own distribution.",
            ),
            (
                "The mean equals the true mean for large n",
                "clt-is-lln",
                "CLT confused with the law of large numbers",
                "Convergence of the mean to its expectation is the law of large numbers; the "
                "CLT describes the fluctuations.",
            ),
            (
                "It holds only for Gaussian data",
                "clt-needs-gaussian",
                "CLT needs Gaussian data",
                "The point of the theorem is that the data need not be Gaussian.",
            ),
        ],
        (
            "The statement is about the sample mean, not single observations.",
            "Subtract the expectation and divide by sigma / sqrt(n).",
        ),
        "sqrt(n)(mean - mu)/sigma converges in distribution to N(0, 1).",
    ),
    _q(
        "backpropagation",
        "Why is backpropagation (reverse mode) efficient for training neural networks?",
        "One backward pass gives the gradient with respect to all parameters of a scalar loss",
        [
            (
                "It avoids the chain rule",
                "backprop-no-chain-rule",
                "backprop avoids the chain rule",
                "Backpropagation is the chain rule, applied from the output backwards and "
                "reusing intermediate results.",
            ),
            (
                "It approximates gradients by finite differences",
                "backprop-finite-differences",
                "backprop is numerical differentiation",
                "It computes exact derivatives of the computation; finite differences would "
                "need one pass per parameter.",
            ),
            (
                "It needs one pass per parameter",
                "backprop-per-parameter",
                "one pass per parameter",
                "That is the cost of forward mode or finite differences; reverse mode needs one "
                "pass for a scalar output.",
            ),
        ],
        (
            "Count how many outputs and how many inputs the loss has.",
            "Reverse mode propagates derivatives of one output to all inputs at once.",
        ),
        "For a scalar loss, reverse mode costs a small constant times one forward pass, "
        "whatever the number of parameters.",
    ),
    _q(
        "law-of-large-numbers",
        "What does the law of large numbers guarantee for i.i.d. samples with mean mu?",
        "The sample mean converges to mu as the sample grows",
        [
            (
                "After a run of heads, tails becomes more likely",
                "gamblers-fallacy",
                "gambler's fallacy",
                "Independent flips have no memory; the average converges because early "
                "deviations are diluted, not corrected.",
            ),
            (
                "Every sample of size 100 has mean exactly mu",
                "lln-exact",
                "law read as exact equality",
                "The law is about convergence; any finite sample still fluctuates around mu.",
            ),
            (
                "The distribution of the data becomes normal",
                "clt-data-normal",
                "CLT applied to the data",
                "The theorem is about averages; the individual observations keep their own distribution.",
            ),
        ],
        (
            "The statement is about the average of many draws.",
            "What happens to the influence of any fixed number of draws as n grows?",
        ),
        "The sample mean converges (in probability, and almost surely) to mu.",
    ),
    _q(
        "eigendecomposition",
        "What makes a non-zero vector v an eigenvector of a square matrix A?",
        "Av is a scalar multiple of v: A only stretches or flips it",
        [
            (
                "Av is orthogonal to v",
                "eigen-orthogonal",
                "eigenvector confused with orthogonality",
                "An eigenvector keeps its direction (up to sign); orthogonality is a different relation.",
            ),
            (
                "Av equals the zero vector",
                "eigen-null-only",
                "eigenvectors only in the null space",
                "That is the special case of eigenvalue 0; in general Av = lambda v for some scalar lambda.",
            ),
            (
                "v has length one",
                "eigen-normalised",
                "eigenvectors must be unit vectors",
                "Any non-zero multiple of an eigenvector is one too; unit length is only a convention.",
            ),
        ],
        ("Compare the direction of v with the direction of Av.", "Write the defining equation with a scalar lambda."),
        "v != 0 is an eigenvector when Av = lambda v; lambda is its eigenvalue.",
    ),
    _q(
        "hypothesis-testing",
        "A test gives p = 0.03. Which statement is right?",
        "If the null hypothesis were true, data at least this extreme would occur about 3% of the time",
        [
            (
                "The null hypothesis is true with probability 0.03",
                "p-value-posterior",
                "p-value read as P(H0 | data)",
                "A p-value is computed assuming H0; it is P(data this extreme | H0), not P(H0 | data).",
            ),
            (
                "The effect is large",
                "p-value-effect-size",
                "p-value read as effect size",
                "Tiny effects give small p-values with enough data; size and significance differ.",
            ),
            (
                "There is a 97% chance the result replicates",
                "p-value-replication",
                "p-value read as replication chance",
                "Replication depends on power and the true effect, which the p-value does not give.",
            ),
        ],
        (
            "A p-value is a probability computed under one specific assumption.",
            "Which hypothesis is assumed true when it is computed?",
        ),
        "p = P(test statistic at least as extreme as observed | H0).",
    ),
    _q(
        "stochastic-gradient-descent",
        "Why does stochastic gradient descent use mini-batches instead of the full data set?",
        "A mini-batch gradient is a cheap unbiased estimate of the full gradient",
        [
            (
                "Mini-batch gradients are exact",
                "sgd-exact",
                "mini-batch gradient is exact",
                "It is an estimate with noise; its expectation equals the full gradient.",
            ),
            (
                "It guarantees finding the global minimum",
                "sgd-global",
                "SGD finds the global minimum",
                "SGD offers no such guarantee on non-convex losses.",
            ),
            (
                "The full gradient does not exist",
                "sgd-no-gradient",
                "full gradient does not exist",
                "It exists but costs a pass over all data per step.",
            ),
        ],
        (
            "Compare the cost of one step with a batch of 32 against one with a million examples.",
            "What is the expectation of a random mini-batch gradient?",
        ),
        "Sampling examples uniformly makes the mini-batch gradient an unbiased estimate at a fraction of the cost.",
    ),
]
