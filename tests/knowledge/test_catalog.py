"""Tests for the curated catalog (corpus/catalog.yaml) and its loader."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mathtutor.knowledge.catalog import (
    Catalog,
    CatalogError,
    CatalogMatch,
    Part,
    Resource,
    load_catalog,
    normalize_url,
)
from mathtutor.knowledge.names import is_abbreviation, surname, tokens

CORPUS_REAL = Path(__file__).resolve().parents[2].parent / "shared" / "corpus-real"

# The contract's concept ids (the topic graph's nodes).
CONTRACT_CONCEPTS = frozenset(
    {
        # linear algebra
        "vectors",
        "linear-combinations-span-basis",
        "matrices",
        "linear-transformations",
        "matrix-multiplication",
        "systems-of-linear-equations",
        "determinant",
        "matrix-inverse",
        "vector-spaces-subspaces",
        "rank",
        "dot-product",
        "norms",
        "orthogonality-projections",
        "change-of-basis",
        "eigendecomposition",
        "symmetric-positive-definite",
        "matrix-decompositions",
        "svd",
        "least-squares",
        "pca",
        "low-rank-approximation",
        # calculus
        "algebra-precalculus",
        "functions",
        "limits",
        "derivatives",
        "chain-rule",
        "exp-log",
        "integrals",
        "taylor-series",
        "partial-derivatives",
        "gradients",
        "jacobian",
        "hessian",
        "matrix-calculus",
        "backpropagation",
        "automatic-differentiation",
        "vector-calculus",
        "differential-equations",
        # optimization
        "gradient-descent",
        "stochastic-gradient-descent",
        "convexity",
        "convex-optimization",
        "lagrange-multipliers",
        "numerical-methods",
        # probability
        "probability-basics",
        "conditional-probability",
        "bayes-rule",
        "random-variables",
        "expectation-variance",
        "probability-distributions",
        "discrete-distributions",
        "gaussian-distribution",
        "joint-marginal-distributions",
        "covariance-correlation",
        "independence-iid",
        "law-of-large-numbers",
        "central-limit-theorem",
        "stochastic-processes",
        "markov-chains",
        # statistics
        "maximum-likelihood",
        "bayesian-inference",
        "hypothesis-testing",
        "confidence-intervals",
        "linear-regression",
        "naive-bayes",
        "gaussian-mixture-models",
        "svm",
        # information theory, signals, deep learning
        "entropy-kl",
        "convolution",
        "fourier-transform",
        "neural-networks",
    }
)

CONTRACT_RESOURCES = (
    "3blue1brown",
    "3b1b-essence-linear-algebra",
    "3b1b-essence-calculus",
    "3b1b-neural-networks",
    "statquest",
    "khan-linear-algebra",
    "khan-statistics-probability",
    "khan-multivariable-calculus",
    "khan-calculus",
    "mit-18-06",
    "mml-book",
    "chasnov",
    "maththebeautiful",
    "ben-lambert",
    "d2l",
    "matrix-calculus",
    "seeing-theory",
    "sage-interactions",
    "swj-probability-distributions",
    "swj-bayesian-inference",
    "mit-18-065",
    "coursera-mml-linear-algebra",
    "edx-essential-math-ml",
    "edx-intro-statistics",
    "edx-probability",
    "hajek-random-processes",
    "mackay-itila",
    "edx-signals-systems",
    "edx-dtsp",
    "adaptive-signal-processing",
    "brockman-deep-learning-skills",
)

# Every distinct `resource` name in corpus-real/manifest.jsonl, by its distinctive start -> catalog id
# (the longest matching start wins; see expected_for).
MANIFEST_RESOURCES = {
    "3Blue1Brown (related stand-alone videos: probability, convolutions, vector calculus)": "3blue1brown",
    "Essence of linear algebra (3Blue1Brown)": "3b1b-essence-linear-algebra",
    "Essence of calculus (3Blue1Brown)": "3b1b-essence-calculus",
    "Neural networks (3Blue1Brown)": "3b1b-neural-networks",
    "Dive into Deep Learning": "d2l",
    "MIT 18.06 / 18.06SC Linear Algebra (Gilbert Strang)": "mit-18-06",
    "MIT 18.065 Matrix Methods": "mit-18-065",
    "Mathematics for Machine Learning": "mml-book",
    "Mathematics for Machine Learning (companion": "mml-book",
    "Seeing Theory (Brown University)": "seeing-theory",
    "Jeffrey Chasnov lecture notes (HKUST, Coursera)": "chasnov",
    "The Matrix Calculus You Need For Deep Learning": "matrix-calculus",
    "Simon Ward-Jones blog: probability distribution posts": "swj-probability-distributions",
}
# Rows whose own URL points at a different (more specific) catalog entry than their name.
MANIFEST_FILE_OVERRIDES = {
    "simon-ward-jones/bayesian_inference.md": "swj-bayesian-inference",
}


def expected_for(name: str) -> str:
    """Catalog id expected for a manifest resource name (longest matching start)."""
    starts = [k for k in MANIFEST_RESOURCES if name.startswith(k)]
    assert starts, f"manifest resource name not covered by MANIFEST_RESOURCES: {name!r}"
    return MANIFEST_RESOURCES[max(starts, key=len)]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def manifest_rows() -> list[dict]:
    manifest = CORPUS_REAL / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip(f"reference corpus not present at {CORPUS_REAL}")
    return [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------ real catalog


def test_real_catalog_loads(catalog: Catalog) -> None:
    assert len(catalog.resources) >= len(CONTRACT_RESOURCES)
    assert sum(1 for _ in catalog.parts()) > 200


def test_every_contract_resource_exists(catalog: Catalog) -> None:
    missing = [rid for rid in CONTRACT_RESOURCES if rid not in catalog]
    assert not missing
    for rid in CONTRACT_RESOURCES:
        assert isinstance(catalog.get(rid), Resource)


def test_every_resource_is_complete(catalog: Catalog) -> None:
    for r in catalog.resources:
        assert r.title.strip(), r.id
        assert r.creators and all(c.strip() for c in r.creators), r.id
        assert r.url.startswith(("http://", "https://")), r.id
        assert r.format, r.id
        assert r.levels, r.id
        assert 20 <= len(r.description) <= 700, r.id


def test_concepts_are_contract_ids(catalog: Catalog) -> None:
    unknown = catalog.concept_ids() - CONTRACT_CONCEPTS
    assert not unknown, f"concept ids not in the contract: {sorted(unknown)}"


def test_every_contract_concept_is_taught(catalog: Catalog) -> None:
    untaught = CONTRACT_CONCEPTS - catalog.concept_ids()
    assert not untaught, f"no resource or part teaches: {sorted(untaught)}"
    for concept in CONTRACT_CONCEPTS:
        assert catalog.teaching(concept), concept


def test_parents_and_lookups(catalog: Catalog) -> None:
    assert catalog.get("3b1b-essence-linear-algebra").parent == "3blue1brown"
    assert {r.id for r in catalog.children("3blue1brown")} >= {
        "3b1b-essence-linear-algebra",
        "3b1b-essence-calculus",
        "3b1b-neural-networks",
    }
    part = catalog.get("mml-book/ch04")
    assert isinstance(part, Part) and part.title == "Matrix Decompositions"
    assert catalog.resource_of("mml-book/ch04").id == "mml-book"
    assert catalog.resource_of("mml-book").id == "mml-book"
    with pytest.raises(KeyError):
        catalog.get("no-such-id")
    with pytest.raises(KeyError):
        catalog.resource_of("no-such-id/part")


def test_tables_of_contents(catalog: Catalog) -> None:
    def part_ids(rid: str) -> set[str]:
        return {p.id for p in catalog.get(rid).parts}

    assert {f"mml-book/ch{i:02d}" for i in range(1, 13)} <= part_ids("mml-book")
    assert {f"3b1b-essence-linear-algebra/ep{i:02d}" for i in range(17)} <= part_ids("3b1b-essence-linear-algebra")
    assert {f"mit-18-06/lec{i:02d}" for i in range(1, 35)} <= part_ids("mit-18-06")
    assert "mit-18-06/lec24b" in part_ids("mit-18-06")
    assert {"mit-18-065/lec06", "mit-18-065/lec25"} <= part_ids("mit-18-065")
    assert {"d2l/eigendecomposition", "d2l/prelim-linear-algebra", "d2l/gradient-descent"} <= part_ids("d2l")
    assert len(part_ids("seeing-theory")) == 6
    assert {
        "chasnov/matrix-algebra",
        "chasnov/vector-calculus",
        "chasnov/differential-equations",
        "chasnov/numerical-methods",
    } <= part_ids("chasnov")
    lec21 = catalog.get("mit-18-06/lec21")
    assert "eigendecomposition" in lec21.concepts
    assert any("ocw.mit.edu" in u for u in lec21.alias_urls)
    assert catalog.get("mml-book/ch02").page == 17


def test_part_urls_mostly_unique(catalog: Catalog) -> None:
    """Only book PDFs may share one URL across parts (they differ by page)."""
    seen: dict[str, str] = {}
    for _, p in catalog.parts():
        if p.url is None or p.page is not None:
            continue
        key = normalize_url(p.url)
        assert key not in seen, f"{p.id} and {seen.get(key)} share {p.url}"
        seen[key] = p.id


# ------------------------------------------------------------------ validation

GOOD_RESOURCE = """\
- id: {rid}
  title: A resource
  creators: [Someone]
  url: {url}
  format: book
  levels: [beginner]
  description: A small test resource.
  parent: {parent}
  parts:
    - id: {pid}
      title: Part one
      url: https://example.org/one
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def resource(
    rid: str = "alpha", url: str = "https://example.org/", parent: str = "null", pid: str | None = None
) -> str:
    return GOOD_RESOURCE.format(rid=rid, url=url, parent=parent, pid=pid or f"{rid}/one")


def test_small_valid_catalog(tmp_path: Path) -> None:
    cat = load_catalog(
        write(tmp_path, resource("alpha") + resource("beta", url="https://example.org/b", parent="alpha", pid="beta/x"))
    )
    assert [r.id for r in cat.resources] == ["alpha", "beta"]
    assert cat.match(url="https://example.org/b") == CatalogMatch("beta", None)


def test_duplicate_id(tmp_path: Path) -> None:
    text = resource("alpha") + resource("alpha", url="https://example.org/2", pid="alpha/two")
    with pytest.raises(CatalogError, match="'alpha'"):
        load_catalog(write(tmp_path, text))


def test_duplicate_part_id(tmp_path: Path) -> None:
    text = resource("alpha") + resource("beta", pid="alpha/one")
    with pytest.raises(CatalogError, match="alpha/one"):
        load_catalog(write(tmp_path, text))


def test_bad_part_prefix(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="beta/one"):
        load_catalog(write(tmp_path, resource("alpha", pid="beta/one")))


def test_part_id_without_slash(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="alpha-one"):
        load_catalog(write(tmp_path, resource("alpha", pid="alpha-one")))


def test_unknown_parent(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'alpha'.*'ghost'"):
        load_catalog(write(tmp_path, resource("alpha", parent="ghost")))


def test_parent_cycle(tmp_path: Path) -> None:
    text = resource("alpha", parent="beta") + resource(
        "beta", url="https://example.org/b", parent="alpha", pid="beta/one"
    )
    with pytest.raises(CatalogError, match="cycle"):
        load_catalog(write(tmp_path, text))


def test_non_http_url(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'alpha'.*ftp://"):
        load_catalog(write(tmp_path, resource("alpha", url="ftp://example.org/file")))


def test_non_http_part_url_names_part(tmp_path: Path) -> None:
    text = resource("alpha").replace("https://example.org/one", "mailto:someone@example.org")
    with pytest.raises(CatalogError, match="alpha/one"):
        load_catalog(write(tmp_path, text))


def test_unknown_field(tmp_path: Path) -> None:
    text = resource("alpha").replace("  format: book\n", "  format: book\n  formt: typo\n")
    with pytest.raises(CatalogError, match=r"'alpha'.*formt"):
        load_catalog(write(tmp_path, text))


def test_unknown_part_field(tmp_path: Path) -> None:
    text = resource("alpha").replace("      title: Part one\n", "      title: Part one\n      pages: 3\n")
    with pytest.raises(CatalogError, match=r"alpha/one.*pages"):
        load_catalog(write(tmp_path, text))


def test_bad_format_and_level(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'alpha'.*format"):
        load_catalog(write(tmp_path, resource("alpha").replace("format: book", "format: podcast")))
    with pytest.raises(CatalogError, match=r"'alpha'.*levels"):
        load_catalog(write(tmp_path, resource("alpha").replace("[beginner]", "[expert]")))


def test_style_field(tmp_path: Path) -> None:
    plain = load_catalog(write(tmp_path, resource("alpha")))
    assert plain.get("alpha").style == ()
    styled = resource("alpha").replace(
        "  levels: [beginner]\n", "  levels: [beginner]\n  style: [exercises, solutions]\n"
    )
    assert load_catalog(write(tmp_path, styled)).get("alpha").style == ("exercises", "solutions")


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ("[podcasts]", r"'alpha'.*style"),
        ("[code, code]", r"'alpha'.*'code' twice"),
        ("[short, long]", r"'alpha'.*both 'short' and 'long'"),
        ("exercises", r"'alpha'.*style"),
    ],
)
def test_bad_style(tmp_path: Path, style: str, message: str) -> None:
    text = resource("alpha").replace("  levels: [beginner]\n", f"  levels: [beginner]\n  style: {style}\n")
    with pytest.raises(CatalogError, match=message):
        load_catalog(write(tmp_path, text))


def test_real_catalog_styles(catalog: Catalog) -> None:
    """Spot checks of styles set from the materials (prefaces, seed lists, caption lengths)."""
    assert set(catalog.get("chasnov").style) >= {"exercises", "solutions"}
    assert "solutions" not in catalog.get("mml-book").style  # the PDF has exercises without answers
    assert "code" in catalog.get("d2l").style
    assert "interactive" in catalog.get("seeing-theory").style
    assert "short" in catalog.get("3b1b-essence-linear-algebra").style
    assert "proofs" in catalog.get("mit-18-06").style
    assert catalog.get("edx-probability").style == ()  # the lists say nothing about its form
    styled = [r for r in catalog.resources if r.style]
    assert len(styled) >= 20


def test_not_a_list(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        load_catalog(write(tmp_path, "just a string\n"))


def test_mapping_form_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = "resources:\n" + textwrap.indent(resource("alpha"), "  ")
    path = write(tmp_path, body)
    monkeypatch.setenv("MATHTUTOR_CATALOG", str(path))
    assert [r.id for r in load_catalog().resources] == ["alpha"]


# ------------------------------------------------------------------ normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://youtu.be/aircAruvnKk", "https://youtube.com/watch?v=aircAruvnKk"),
        ("youtu.be/aircAruvnKk?t=42", "https://youtube.com/watch?v=aircAruvnKk"),
        (
            "https://www.youtube.com/watch?v=fNk_zzaMoSs&list=PLZHQObOWTQDPD3MizzM2xVFitgF8hE_ab&index=2",
            "https://youtube.com/watch?v=fNk_zzaMoSs",
        ),
        ("http://m.youtube.com/watch?t=10&v=fNk_zzaMoSs", "https://youtube.com/watch?v=fNk_zzaMoSs"),
        ("https://www.youtube.com/embed/fNk_zzaMoSs", "https://youtube.com/watch?v=fNk_zzaMoSs"),
        (
            "https://www.youtube.com/playlist?list=PL49CF3715CB9EF31D",
            "https://youtube.com/playlist?list=PL49CF3715CB9EF31D",
        ),
        ("HTTP://WWW.Mml-Book.COM/", "https://mml-book.com"),
        ("https://mml-book.github.io/book/mml-book.pdf#page=23", "https://mml-book.github.io/book/mml-book.pdf"),
        ("https://d2l.ai/chapter_preliminaries/index.html", "https://d2l.ai/chapter_preliminaries"),
        ("https://explained.ai/matrix-calculus/", "https://explained.ai/matrix-calculus"),
        (
            "seeing-theory.brown.edu/basic-probability/index.html#section2",
            "https://seeing-theory.brown.edu/basic-probability",
        ),
        ("https://example.org/page?utm_source=x&id=3", "https://example.org/page?id=3"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_normalize_url_keeps_path_case() -> None:
    assert normalize_url("https://www.youtube.com/user/SpartacanUsuals") == "https://youtube.com/user/SpartacanUsuals"


# ------------------------------------------------------------------ match


def test_match_order(catalog: Catalog) -> None:
    # part URL wins over everything
    m = catalog.match(url="https://youtu.be/PFDu9oVAE-g", name="Dive into Deep Learning")
    assert m == CatalogMatch("3b1b-essence-linear-algebra", "3b1b-essence-linear-algebra/ep14")
    assert m.via == "part-url"
    # alt_urls are tried too
    m = catalog.match(
        url="https://example.org/unknown",
        alt_urls=["https://d2l.ai/chapter_appendix-mathematics-for-deep-learning/eigendecomposition.html"],
    )
    assert m == CatalogMatch("d2l", "d2l/eigendecomposition")
    # resource URL, including an old alias form from the source lists
    assert catalog.match(url="https://mml-book.com") == CatalogMatch("mml-book", None)
    assert catalog.match(url="http://www.youtube.com/playlist?list=PL49CF3715CB9EF31D") == CatalogMatch(
        "mit-18-06", None
    )
    # series URL, then name
    m = catalog.match(url="https://example.org/x", series_url="https://www.3blue1brown.com/topics/calculus")
    assert m == CatalogMatch("3b1b-essence-calculus", None) and m.via == "series-url"
    m = catalog.match(url="https://example.org/x", name="Seeing Theory (Brown University)")
    assert m == CatalogMatch("seeing-theory", None) and m.via == "name"
    assert catalog.match(url="https://example.org/x", name="Cooking with Gas") is None
    assert catalog.match() is None


def test_shared_pdf_url_is_not_a_part_match(catalog: Catalog) -> None:
    """All MML chapters live in one PDF, so that URL identifies only the book."""
    assert catalog.match(url="https://mml-book.github.io/book/mml-book.pdf#page=40") == CatalogMatch("mml-book", None)
    assert catalog.match(url="https://mml-book.github.io/book/chapter04.pdf") == CatalogMatch(
        "mml-book", "mml-book/ch04"
    )


def test_seed_list_urls_match(catalog: Catalog) -> None:
    cases = {
        "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw": "3blue1brown",
        "https://www.khanacademy.org/math/linear-algebra": "khan-linear-algebra",
        "https://www.khanacademy.org/math/statistics-probability": "khan-statistics-probability",
        "https://www.khanacademy.org/math/multivariable-calculus": "khan-multivariable-calculus",
        "khanacademy.org/math": "khan-calculus",
        "https://ocw.mit.edu/courses/mathematics/18-06-linear-algebra-spring-2010/video-lectures/": "mit-18-06",
        "https://mml-book.github.io/": "mml-book",
        "https://www.youtube.com/c/ProfJeffreyChasnov": "chasnov",
        "https://www.youtube.com/c/MathTheBeautiful": "maththebeautiful",
        "https://www.youtube.com/user/SpartacanUsuals": "ben-lambert",
        "youtu.be/aircAruvnKk": "3b1b-neural-networks",
        "seeing-theory.brown.edu/basic-probability/index.html": "seeing-theory",
        "youtube.com/watch?v=fNk_zzaMoSs&list=PLZHQObOWTQDPD3MizzM2xVFitgF8hE_ab": "3b1b-essence-linear-algebra",
        "youtube.com/watch?v=WUvTyaaNkzM&list=PL0-GT3co4r2wlh6UHTUeQsrf3mlS2lk6x": "3b1b-essence-calculus",
        "https://arxiv.org/abs/1802.01528": "matrix-calculus",
    }
    for url, rid in cases.items():
        m = catalog.match(url=url)
        assert m is not None and m.resource_id == rid, url


def test_every_manifest_resource_name_matches(catalog: Catalog, manifest_rows: list[dict]) -> None:
    names = {row["resource"] for row in manifest_rows}
    assert len(names) == len(MANIFEST_RESOURCES), "manifest resource names changed; update MANIFEST_RESOURCES"
    for name in names:
        m = catalog.match(name=name)
        assert m == CatalogMatch(expected_for(name), None), name


def test_every_manifest_row_matches(catalog: Catalog, manifest_rows: list[dict]) -> None:
    for row in manifest_rows:
        expected = MANIFEST_FILE_OVERRIDES.get(row["file"], expected_for(row["resource"]))
        m = catalog.match(
            url=row.get("canonical_url"),
            alt_urls=row.get("alt_urls") or (),
            series_url=row.get("series_url"),
            name=row["resource"],
        )
        assert m is not None and m.resource_id == expected, row["file"]
        if m.part_id is not None:
            assert m.part_id.startswith(expected + "/"), row["file"]


def test_video_and_section_files_match_a_part(catalog: Catalog, manifest_rows: list[dict]) -> None:
    """Each 3Blue1Brown / 18.06 transcript and each d2l section maps to one specific part."""
    by_part: dict[str, set[str]] = {}
    for row in manifest_rows:
        f = row["file"]
        if not f.startswith(("3blue1brown/", "strang-18.06sc/", "d2l/chapter_")):
            continue
        m = catalog.match(url=row["canonical_url"], alt_urls=row.get("alt_urls") or ())
        assert m is not None and m.part_id is not None, f
        assert m.via == "part-url", f
        # the OCW page alone finds the same part
        for alt in row.get("alt_urls") or ():
            assert catalog.match(url=alt) == m, f
        stem = f.split("/")[-1].split(".")[0]
        by_part.setdefault(m.part_id, set()).add(stem)
    # transcript + captions of one video share a part; different videos never do
    assert all(len(stems) == 1 for stems in by_part.values())
    assert catalog.match(url="https://youtu.be/PFDu9oVAE-g").part_id == "3b1b-essence-linear-algebra/ep14"
    assert catalog.match(url="https://www.youtube.com/watch?v=cdZnhQjJu4I").part_id == "mit-18-06/lec21"
    assert (
        catalog.match(
            url="https://d2l.ai/chapter_appendix-mathematics-for-deep-learning/eigendecomposition.html"
        ).part_id
        == "d2l/eigendecomposition"
    )


def test_18065_youtube_ids(catalog: Catalog, manifest_rows: list[dict]) -> None:
    """The 18.065 lecture pages' YouTube ids are the parts' URLs."""
    import yaml

    for path in sorted((CORPUS_REAL / "strang-18.065" / "lectures").glob("*.md")):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        vid = front["video_metadata"]["youtube_id"]
        m = catalog.match(url=f"https://youtu.be/{vid}")
        num = int(path.name.split("-")[1])
        assert m == CatalogMatch("mit-18-065", f"mit-18-065/lec{num:02d}"), path.name


# ---------------------------------------------------------------- resources named in a question (bug 1)


@pytest.fixture(scope="module")
def shipped_names():
    from mathtutor.knowledge.names import CommonNames
    from mathtutor.knowledge.topics import load_topics

    root = Path(__file__).resolve().parents[2] / "corpus"
    topics = load_topics(root / "topics.yaml")
    return load_catalog(root / "catalog.yaml"), CommonNames.of(t for c in topics.concepts for t in c.terms)


@pytest.mark.parametrize(
    "question",
    [
        "What should I study to understand neural networks?",
        "How do probability distributions relate to Bayesian inference?",
        "What is KL divergence in information theory?",
        "What should I study for Bayesian inference?",
        "Explain random processes for engineers in simple terms",
    ],
)
def test_generic_titles_alone_name_no_resource(shipped_names, question):
    catalog, common = shipped_names
    assert catalog.names_in(question, common) == set()


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("I'm looking for Simon Ward-Jones's post on probability distributions", {"swj-probability-distributions"}),
        ("Is there a post on Bayesian inference I can read?", {"swj-bayesian-inference"}),
        ("the 3Blue1Brown series on neural networks", {"3blue1brown", "3b1b-neural-networks"}),
        ("Is MacKay's Information Theory book good for beginners?", {"mackay-itila"}),
        ("Which chapter of Mathematics for Machine Learning covers PCA?", {"mml-book"}),
        ("What does 18.065 teach about SVD?", {"mit-18-065"}),
        ("Is Essence of linear algebra enough for PCA?", {"3b1b-essence-linear-algebra"}),
        ("Information Theory, Inference, and Learning Algorithms: which chapter is on entropy?", {"mackay-itila"}),
    ],
)
def test_distinctive_titles_or_a_creator_or_format_cue_name_a_resource(shipped_names, question, named):
    catalog, common = shipped_names
    assert catalog.names_in(question, common) == named


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Where does MML explain the SVD?", {"mml-book"}),
        ("mml那本书第几章讲梯度下降", {"mml-book"}),
        ("d2l里有讲注意力机制吗", {"d2l"}),
        ("is the 3b1b calculus series enough?", {"3blue1brown"}),
        ("the html and xml of a page", set()),  # short words that are no alt title
    ],
)
def test_an_abbreviation_given_as_an_alt_title_names_its_resource(shipped_names, question, named):
    catalog, common = shipped_names
    assert catalog.names_in(question, common) == named


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Is Deisenroth's book too hard for me?", {"mml-book"}),
        ("Josh Starmer explains PCA better than my lecturer", {"statquest"}),
        ("Starmer的频道适合入门吗", {"statquest"}),
        ("Grant Sanderson's channel: where do I start?", {"3blue1brown"}),
        ("Grant Sanderson's videos", set()),  # a channel and three series: which?
        ("Grant Sanderson的频道", {"3blue1brown"}),
        ("Lambert videos on Bayes", {"ben-lambert"}),
        ("Strang的18.065难吗", {"mit-18-065"}),  # a course number against Chinese is still a word
        ("Strang's lectures", set()),  # two courses: the kind does not say which
        ("my friend Zhang recommended a book", set()),  # a family name alone is nobody's
        ("a café on Lambert street", set()),
    ],
)
def test_a_person_named_by_family_name_names_their_resource(shipped_names, question, named):
    catalog, common = shipped_names
    assert catalog.names_in(question, common) == named


@pytest.mark.parametrize(
    ("creator", "name"),
    [("Marc Peter Deisenroth", "deisenroth"), ("David Dye", None), ("Khan Academy", None), ("Devansh", None)],
)
def test_surname_is_a_persons_family_name_of_five_letters_or_more(creator, name):
    assert surname(creator) == name


@pytest.mark.parametrize(
    ("title", "abbreviation"),
    [
        ("MML", True),
        ("D2L", True),
        ("3b1b", True),
        ("ITILA", True),
        ("Khan", False),
        ("Mml", False),
        ("MML book", False),
        ("18.06", False),
        ("AB", False),
    ],
)
def test_what_counts_as_an_abbreviation(title, abbreviation):
    assert is_abbreviation(title) is abbreviation


def test_without_common_names_every_title_is_distinctive(shipped_names):
    catalog, _ = shipped_names
    assert catalog.names_in("What is KL divergence in information theory?") == {"mackay-itila"}
    assert catalog.names_in("What is KL divergence?") == set()


def test_a_resource_opens_with_its_first_parts_concepts_else_its_first_topics(catalog: Catalog) -> None:
    course = catalog.resource_of("mit-18-065")
    assert catalog.opening("mit-18-065") == course.parts[0].concepts and course.parts[0].concepts
    no_parts = next(r for r in catalog.resources if not r.parts and len(r.topics) > 2)
    assert catalog.opening(no_parts.id) == no_parts.topics[:2]


def test_tokens_part_latin_from_other_scripts_and_drop_accents():
    assert tokens("Strang的18.065") == {"strang", "18.065"}
    assert tokens("café Gödel") == {"cafe", "godel"}
