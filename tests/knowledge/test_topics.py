"""Tests for the topic graph: the real corpus/topics.yaml plus small broken graphs in tmp_path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from mathtutor.knowledge.topics import (
    NON_CONCEPT_TERMS,
    Concept,
    TopicGraph,
    TopicGraphError,
    UnknownConceptError,
    load_topics,
)

# The shared contract's concept ids, verbatim.
CONTRACT_IDS = [
    # linear algebra
    "vectors", "linear-combinations-span-basis", "matrices", "linear-transformations",
    "matrix-multiplication", "systems-of-linear-equations", "determinant", "matrix-inverse",
    "vector-spaces-subspaces", "rank", "dot-product", "norms", "orthogonality-projections",
    "change-of-basis", "eigendecomposition", "symmetric-positive-definite",
    "matrix-decompositions", "svd", "least-squares", "pca", "low-rank-approximation",
    # calculus
    "algebra-precalculus", "functions", "limits", "derivatives", "chain-rule", "exp-log",
    "integrals", "taylor-series", "partial-derivatives", "gradients", "jacobian", "hessian",
    "matrix-calculus", "backpropagation", "automatic-differentiation", "vector-calculus",
    "differential-equations",
    # optimization
    "gradient-descent", "stochastic-gradient-descent", "convexity", "convex-optimization",
    "lagrange-multipliers", "numerical-methods",
    # probability
    "probability-basics", "conditional-probability", "bayes-rule", "random-variables",
    "expectation-variance", "probability-distributions", "discrete-distributions",
    "gaussian-distribution", "joint-marginal-distributions", "covariance-correlation",
    "independence-iid", "law-of-large-numbers", "central-limit-theorem", "stochastic-processes",
    "markov-chains",
    # statistics
    "maximum-likelihood", "bayesian-inference", "hypothesis-testing", "confidence-intervals",
    "linear-regression", "naive-bayes", "gaussian-mixture-models", "svm",
    # information theory, signals, deep learning
    "entropy-kl", "convolution", "fourier-transform", "neural-networks",
]  # fmt: skip


@pytest.fixture(scope="module")
def graph() -> TopicGraph:
    return load_topics()


def assert_topological(graph: TopicGraph, path: list[str]) -> None:
    """Every prerequisite of a concept in the path that is also in the path comes before it."""
    position = {cid: i for i, cid in enumerate(path)}
    assert len(position) == len(path), f"duplicates in {path}"
    for cid in path:
        for pid in graph.get(cid).prereqs:
            if pid in position:
                assert position[pid] < position[cid], f"{pid} must come before {cid} in {path}"


# ------------------------------------------------------------------------------ the real graph


def test_real_graph_has_exactly_the_contract_ids(graph: TopicGraph) -> None:
    assert len(CONTRACT_IDS) == len(set(CONTRACT_IDS)) == 71
    assert sorted(graph.ids) == sorted(CONTRACT_IDS)
    assert [c.id for c in graph.concepts] == graph.ids


def test_every_concept_is_complete(graph: TopicGraph) -> None:
    for concept in graph.concepts:
        assert concept.aliases, f"{concept.id} has no aliases"
        assert concept.name and concept.summary
        assert concept.summary.endswith("."), f"{concept.id}: summary should be one sentence"


def test_every_concept_has_a_chinese_alias(graph: TopicGraph) -> None:
    def has_cjk(text: str) -> bool:
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    missing = [c.id for c in graph.concepts if not any(has_cjk(a) for a in c.aliases)]
    assert missing == []


def test_prereq_edges_are_direct_only(graph: TopicGraph) -> None:
    """No listed prereq is already implied by another listed prereq (keeps the YAML honest)."""
    redundant = []
    for concept in graph.concepts:
        for pid in concept.prereqs:
            for other in concept.prereqs:
                if other != pid and pid in graph.prerequisites(other):
                    redundant.append(f"{concept.id}: {pid} (implied by {other})")
    assert redundant == []


def test_non_concept_terms_are_not_aliases(graph: TopicGraph) -> None:
    for term in NON_CONCEPT_TERMS:
        assert graph.resolve(term) is None, term


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("这个方向对数学的要求高吗", []),  # 对 + 数学, not 对数 + 学
        ("对数函数的导数是什么", ["exp-log", "derivatives"]),
        ("先学对数，再学指数", ["exp-log"]),
        ("社会秩序", []),
    ],
)
def test_a_longer_everyday_word_hides_the_alias_inside_it(graph: TopicGraph, text: str, found: list[str]) -> None:
    assert graph.detect(text) == found


def test_env_var_overrides_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump([concept("solo")]), encoding="utf-8")
    monkeypatch.setenv("MATHTUTOR_TOPICS", str(path))
    assert load_topics().ids == ["solo"]


def test_get_and_resolve(graph: TopicGraph) -> None:
    assert graph.get("pca").name == "Principal component analysis"
    assert isinstance(graph.get("svd"), Concept)
    with pytest.raises(KeyError):
        graph.get("not-a-concept")
    with pytest.raises(TopicGraphError, match="not-a-concept"):
        graph.get("not-a-concept")
    assert graph.resolve("PCA") == "pca"
    assert graph.resolve("Back-Propagation") == "backpropagation"
    assert graph.resolve("奇异值分解") == "svd"
    assert graph.resolve("no such thing") is None


# ------------------------------------------------------------------------------ detection


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What should I study for PCA?", ["pca"]),
        ("how does backprop use the chain rule", ["backpropagation", "chain-rule"]),
        ("stochastic gradient descent", ["stochastic-gradient-descent"]),
        ("Why does SGD beat plain gradient descent?", ["stochastic-gradient-descent", "gradient-descent"]),
        ("Eigenvalues and eigenvectors", ["eigendecomposition"]),
        ("singular value decomposition vs eigen-decomposition", ["svd", "eigendecomposition"]),
        ("What is the KL divergence between two Gaussians?", ["entropy-kl", "gaussian-distribution"]),
        ("Bayes’ theorem and the central limit theorem", ["bayes-rule", "central-limit-theorem"]),
        ("MLE for linear regression", ["maximum-likelihood", "linear-regression"]),
        ("Naïve Bayes", ["naive-bayes"]),
        ("the Hessian and Jacobian matrices", ["hessian", "jacobian"]),
        ("solve Ax = b", ["systems-of-linear-equations"]),
        ("i.i.d. samples", ["independence-iid"]),
        # Chinese
        ("主成分分析需要什么数学基础", ["pca"]),
        ("反向传播和链式法则", ["backpropagation", "chain-rule"]),
        ("什么是奇异值分解", ["svd"]),
        ("极大似然估计和最大似然估计是一回事吗", ["maximum-likelihood"]),
        ("梯度下降与随机梯度下降", ["gradient-descent", "stochastic-gradient-descent"]),
        ("协方差矩阵的特征值", ["covariance-correlation", "eigendecomposition"]),
        ("KL散度和熵", ["entropy-kl"]),
        ("卷积与傅里叶变换", ["convolution", "fourier-transform"]),
        ("泰勒展开和凸优化", ["taylor-series", "convex-optimization"]),
        ("你至少要把积分和泰勒级数打通", ["integrals", "taylor-series"]),
        ("了解矩阵乘法和基的变换", ["matrix-multiplication", "change-of-basis"]),
        ("随机过程和贝叶斯定理", ["stochastic-processes", "bayes-rule"]),
        # mixed
        ("PCA 和 SVD 的关系", ["pca", "svd"]),
    ],
)
def test_detect(graph: TopicGraph, text: str, expected: list[str]) -> None:
    assert graph.detect(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "pcap file",
        "open the capture.pcap in wireshark",
        "I am studying linear algebra",  # not "algebra" (precalculus)
        "线性代数和微积分",  # subject names: not 代数 / 积分
        "",
    ],
)
def test_detect_no_false_positive(graph: TopicGraph, text: str) -> None:
    assert graph.detect(text) == []


def test_detect_is_case_insensitive_allows_plurals_and_is_unique(graph: TopicGraph) -> None:
    assert graph.detect("DETERMINANTS, determinant, Determinant") == ["determinant"]
    assert graph.detect("markov chains then a Markov chain") == ["markov-chains"]
    assert graph.detect("matrices and eigenvectors") == ["matrices", "eigendecomposition"]


def test_detect_is_fast(graph: TopicGraph) -> None:
    text = "How does backprop use the chain rule and the Jacobian in stochastic gradient descent?"
    graph.detect(text)
    runs = 500
    start = time.perf_counter()
    for _ in range(runs):
        graph.detect(text)
    assert (time.perf_counter() - start) / runs < 1e-3


# ------------------------------------------------------------------------------ ordering


def test_prerequisites_of_pca(graph: TopicGraph) -> None:
    prereqs = graph.prerequisites("pca")
    assert "pca" not in prereqs
    for needed in ["eigendecomposition", "covariance-correlation", "orthogonality-projections",
                   "svd", "matrix-multiplication", "vectors"]:  # fmt: skip
        assert needed in prereqs
    assert_topological(graph, prereqs)
    assert prereqs == graph.prerequisites("pca")  # deterministic


def test_backprop_needs_calculus_and_networks_without_cycle(graph: TopicGraph) -> None:
    prereqs = graph.prerequisites("backpropagation")
    for needed in ["chain-rule", "gradients", "jacobian", "neural-networks"]:
        assert needed in prereqs
    assert "backpropagation" not in graph.prerequisites("neural-networks")


def test_every_concept_prerequisites_are_topological(graph: TopicGraph) -> None:
    for cid in graph.ids:
        path = graph.prerequisites(cid)
        assert cid not in path
        assert set(graph.get(cid).prereqs) <= set(path)
        assert_topological(graph, [*path, cid])


def test_prerequisites_depth(graph: TopicGraph) -> None:
    assert graph.prerequisites("pca", depth=0) == []
    assert set(graph.prerequisites("pca", depth=1)) == set(graph.get("pca").prereqs)
    two = graph.prerequisites("pca", depth=2)
    assert set(graph.prerequisites("pca", depth=1)) < set(two) < set(graph.prerequisites("pca"))
    assert_topological(graph, two)
    with pytest.raises(ValueError):
        graph.prerequisites("pca", depth=-1)
    with pytest.raises(UnknownConceptError):
        graph.prerequisites("nope")


def test_learning_path(graph: TopicGraph) -> None:
    full = graph.learning_path(["pca"])
    assert full == [*graph.prerequisites("pca"), "pca"]

    known = {"vectors", "matrices", "algebra-precalculus"}
    path = graph.learning_path(["pca"], known=known)
    assert not known & set(path)
    assert path[-1] == "pca"
    assert set(path) == set(full) - known
    assert_topological(graph, path)

    both = graph.learning_path(["pca", "backpropagation"])
    expected = set(graph.prerequisites("pca")) | set(graph.prerequisites("backpropagation"))
    assert set(both) == expected | {"pca", "backpropagation"}
    assert len(both) == len(set(both))
    assert_topological(graph, both)

    with pytest.raises(TopicGraphError, match="nope"):
        graph.learning_path(["nope"])


def test_validate_against(graph: TopicGraph) -> None:
    graph.validate_against({"pca", "svd", "eigendecomposition"})
    graph.validate_against(set())
    with pytest.raises(TopicGraphError, match="made-up-topic") as info:
        graph.validate_against({"pca", "made-up-topic", "another-one"})
    assert "another-one" in str(info.value)
    assert "'pca'" not in str(info.value)


# ------------------------------------------------------------------------------ bad graphs


def concept(cid: str, prereqs: list[str] | None = None, aliases: list[str] | None = None,
            **extra: object) -> dict[str, object]:  # fmt: skip
    return {
        "id": cid,
        "name": cid.replace("-", " ").title(),
        "area": "foundations",
        "summary": f"Test concept {cid}.",
        "prereqs": prereqs or [],
        "aliases": aliases if aliases is not None else [f"{cid} alias"],
        **extra,
    }


def write_graph(tmp_path: Path, entries: list[dict[str, object]]) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def test_small_valid_graph(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a"), concept("b", ["a"]), concept("c", ["b", "a"])])
    graph = load_topics(path)
    assert graph.ids == ["a", "b", "c"]
    assert graph.prerequisites("c") == ["a", "b"]
    assert graph.learning_path(["c"], known={"a"}) == ["b", "c"]


def test_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    path = write_graph(
        tmp_path,
        [concept("root"), concept("alpha", ["gamma"]), concept("beta", ["alpha"]),
         concept("gamma", ["beta", "root"])],
    )  # fmt: skip
    with pytest.raises(TopicGraphError, match="cycle") as info:
        load_topics(path)
    message = str(info.value)
    for cid in ("alpha", "beta", "gamma"):
        assert cid in message
    assert "root" not in message.split("cycle", 1)[1]


def test_self_prereq_is_a_cycle(tmp_path: Path) -> None:
    with pytest.raises(TopicGraphError, match=r"cycle.*loop"):
        load_topics(write_graph(tmp_path, [concept("loop", ["loop"])]))


def test_dangling_prereq(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a"), concept("b", ["a", "ghost"])])
    with pytest.raises(TopicGraphError, match=r"'b'.*'ghost'"):
        load_topics(path)


def test_duplicate_alias_across_concepts(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a", aliases=["Shared Term"]), concept("b", aliases=["shared term"])])
    with pytest.raises(TopicGraphError, match="duplicate alias") as info:
        load_topics(path)
    message = str(info.value)
    assert "'a'" in message and "'b'" in message and "shared term" in message.lower()


def test_duplicate_alias_ignores_spacing_and_case(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a", aliases=["Back-Prop"]), concept("b", aliases=["backprop"])])
    with pytest.raises(TopicGraphError, match="duplicate alias"):
        load_topics(path)


def test_duplicate_cjk_alias(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a", aliases=["梯度"]), concept("b", aliases=["梯度"])])
    with pytest.raises(TopicGraphError, match="梯度"):
        load_topics(path)


def test_unknown_field(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a"), concept("b", difficulty=3)])
    with pytest.raises(TopicGraphError, match=r"'b'.*difficulty"):
        load_topics(path)


def test_duplicate_id(tmp_path: Path) -> None:
    path = write_graph(tmp_path, [concept("a"), concept("a", aliases=["other"])])
    with pytest.raises(TopicGraphError, match="duplicate concept id 'a'"):
        load_topics(path)


def test_bad_area_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(TopicGraphError, match=r"'a'.*area"):
        load_topics(write_graph(tmp_path, [concept("a", area="astrology")]))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(TopicGraphError, match="YAML"):
        load_topics(bad)
    with pytest.raises(TopicGraphError, match="cannot read"):
        load_topics(tmp_path / "missing.yaml")


def test_all_errors_reported_together(tmp_path: Path) -> None:
    path = write_graph(
        tmp_path,
        [concept("a", ["ghost"], aliases=["x"]), concept("b", ["b"], aliases=["x"])],
    )
    with pytest.raises(TopicGraphError) as info:
        load_topics(path)
    message = str(info.value)
    assert "ghost" in message and "duplicate alias" in message and "cycle" in message
