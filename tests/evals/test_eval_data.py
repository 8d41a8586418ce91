"""Validate the eval data written from the materials: dev.jsonl, test.jsonl, terms.jsonl, terms-test.jsonl (evals/).

The schema of the two case splits is the runner's :class:`~mathtutor.evals.Case` plus the optional fields
documented in evals/README.md (``template``, ``expect_files``, ``asks_for``, ``contradicts_topics`` and the
``mission`` kind). Everything that refers to ``../shared/corpus-real`` (manifest paths, PDF page counts and
labels, the 12-word copy check) needs that folder: without it these tests fail, they never skip.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Literal

import pytest
import yaml
from pydantic import Field, model_validator

from mathtutor.evals import Case
from mathtutor.evals.terms import Term

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "evals"
CORPUS = Path(os.environ.get("MATHTUTOR_CORPUS_REAL", ROOT.parent / "shared" / "corpus-real"))
SPLITS = ("dev", "test")
KINDS = ("concept", "resource", "plan", "level", "mission", "followup", "out_of_scope")
#: Chinese share of every kind, per split: the proportion chosen is one half, within this tolerance.
ZH_SHARE, ZH_TOLERANCE = 0.5, 0.1
#: Out-of-scope share per split: about 15 % in test; dev also carries the word-sense traps the scope gate is
#: tuned on (issue 11: "The Matrix", 积分 as reward points, ...) and the drifting follow-ups of the held-out batches
#: written to test the scope rules (dev26-dev28), so its share may reach a third.
OOS_SHARE_RANGE = {"test": (0.12, 0.18), "dev": (0.12, 0.37)}  # dev: the trap batches (dev33-dev37, dev52)
MIN_CASES_PER_SPLIT = 110
MIN_TERMS = 75
MIN_TEST_TERMS = 40
#: The terms files: ``terms.jsonl`` is the dev set, ``terms-test.jsonl`` the frozen test set.
TERM_FILES = ("terms.jsonl", "terms-test.jsonl")
#: corpus-real folder -> catalog resources its files may stand for (terms.jsonl `resource`).
FOLDER_RESOURCES = {
    "mml-book": {"mml-book"},
    "chasnov": {"chasnov"},
    "seeing-theory": {"seeing-theory"},
    "matrix-calculus": {"matrix-calculus"},
    "d2l": {"d2l"},
    "strang-18.06sc": {"mit-18-06"},
    "strang-18.065": {"mit-18-065"},
    "3blue1brown": {"3blue1brown", "3b1b-essence-linear-algebra", "3b1b-essence-calculus", "3b1b-neural-networks"},
    "simon-ward-jones": {"swj-probability-distributions", "swj-bayesian-inference"},
}
#: Files that are never the place a term is defined (contents, index, references).
NOT_DEFINING = frozenset({"mml-book/frontmatter.pdf", "mml-book/backmatter.pdf"})
COPY_RUN = 12
_WORD = re.compile(r"[A-Za-z0-9']+")
_URL = re.compile(r"https?://\S+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SHA_LINE = re.compile(r"(?<![-\w])test\.jsonl sha256: `([0-9a-f]{64})`")
_TERMS_SHA_LINE = re.compile(r"terms-test\.jsonl sha256: `([0-9a-f]{64})`")


class DataCase(Case):
    """A dev/test case: the runner's case (which validates asks_for, expect_files, contradicts_topics), plus a
    required template and, in scope, a note on how the expectation was checked; no legacy 'chinese' kind."""

    kind: Literal["plan", "concept", "resource", "level", "mission", "followup", "out_of_scope"]  # type: ignore[assignment]
    template: str = Field(min_length=3)

    @model_validator(mode="after")
    def _data_rules(self) -> DataCase:
        if self.expect_in_scope and not self.note:
            raise ValueError("an in-scope case needs a note saying how the expectation was verified")
        return self


# ---------------------------------------------------------------- loading


def _lines(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            obj = json.loads(line)
            assert isinstance(obj, dict), f"{path.name}:{n} is not a JSON object"
            out.append(obj)
    return out


@cache
def cases(split: str) -> tuple[DataCase, ...]:
    return tuple(DataCase.model_validate(raw) for raw in _lines(EVALS / f"{split}.jsonl"))


@cache
def terms(name: str = "terms.jsonl") -> tuple[Term, ...]:
    return tuple(Term.model_validate(raw) for raw in _lines(EVALS / name))


@cache
def catalog_resources() -> frozenset[str]:
    return frozenset(r["id"] for r in yaml.safe_load((ROOT / "corpus" / "catalog.yaml").read_text(encoding="utf-8")))


@cache
def catalog_parts() -> frozenset[str]:
    data = yaml.safe_load((ROOT / "corpus" / "catalog.yaml").read_text(encoding="utf-8"))
    return frozenset(p["id"] for r in data for p in (r.get("parts") or []))


@cache
def prereq_closure() -> dict[str, frozenset[str]]:
    """Every concept of corpus/topics.yaml -> all its prerequisites, transitively."""
    direct = {
        c["id"]: set(c.get("prereqs") or []) for c in yaml.safe_load((ROOT / "corpus" / "topics.yaml").read_text())
    }
    closure: dict[str, frozenset[str]] = {}

    def walk(cid: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if cid in closure:
            return closure[cid]
        assert cid not in seen, f"cycle in topics.yaml at {cid}"
        out: set[str] = set()
        for p in direct[cid]:
            out |= {p} | walk(p, seen | {cid})
        closure[cid] = frozenset(out)
        return closure[cid]

    for cid in direct:
        walk(cid)
    return closure


def contradicts(concepts: tuple[str, ...]) -> bool:
    """True when some concept is listed before one of its (transitive) prerequisites in topics.yaml."""
    needs = prereq_closure()
    return any(earlier in needs[later] for i, later in enumerate(concepts) for earlier in concepts[i + 1 :])


def require_corpus() -> Path:
    assert (CORPUS / "manifest.jsonl").is_file(), (
        f"corpus-real not found at {CORPUS} (expected manifest.jsonl there): these checks need it; "
        "set MATHTUTOR_CORPUS_REAL to its folder"
    )
    return CORPUS


@cache
def manifest_files() -> frozenset[str]:
    corpus = require_corpus()
    return frozenset(json.loads(line)["file"] for line in (corpus / "manifest.jsonl").read_text().splitlines() if line)


def normalize_q(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


# ---------------------------------------------------------------- case files


@pytest.mark.parametrize("split", SPLITS)
def test_split_parses_with_unique_prefixed_ids(split: str) -> None:
    loaded = cases(split)
    ids = [c.id for c in loaded]
    assert len(loaded) >= MIN_CASES_PER_SPLIT
    assert len(ids) == len(set(ids))
    assert all(i.startswith(f"{split}-") for i in ids)


def test_schema_rejects_unknown_fields_and_bad_values() -> None:
    good = {
        "id": "x",
        "kind": "mission",
        "q": "Where do I start?",
        "template": "t-x",
        "any_of": ["mml-book"],
        "note": "n",
    }
    assert DataCase.model_validate(good).kind == "mission"
    for bad in (
        {**good, "surprise": 1},
        {**good, "asks_for": ["code"]},  # asks_for on a non-resource case
        {**good, "kind": "resource", "asks_for": ["telepathy"]},
        {**good, "note": None},
        {**good, "lang": "zh"},  # no Chinese in q
        {**good, "contradicts_topics": True},  # without concepts
    ):
        with pytest.raises(ValueError):
            DataCase.model_validate(bad)
    with pytest.raises(ValueError):
        Term.model_validate(
            {"id": "term-x", "term": "norm", "resource": "mml-book", "file": "a.pdf", "q": "Where is norm?", "extra": 1}
        )


@pytest.mark.parametrize("split", SPLITS)
def test_resource_ids_are_catalog_resources(split: str) -> None:
    resources, parts = catalog_resources(), catalog_parts()
    bad = [(c.id, r) for c in cases(split) for r in (*c.any_of, *c.all_of) if r not in resources]
    assert bad == [], f"not catalog resource ids (parts: {[r for _, r in bad if r in parts]})"


@pytest.mark.parametrize("split", SPLITS)
def test_concepts_exist_and_contradiction_flag_is_exact(split: str) -> None:
    known = prereq_closure()
    for c in cases(split):
        assert [x for x in c.concepts if x not in known] == [], c.id
        assert c.contradicts_topics == contradicts(c.concepts), (
            f"{c.id}: contradicts_topics must be {contradicts(c.concepts)} for {c.concepts}"
        )
        if c.contradicts_topics:
            assert "topics.yaml" in (c.note or ""), f"{c.id}: say in the note where the order comes from"


def test_order_contradiction_detection() -> None:
    assert contradicts(("systems-of-linear-equations", "matrix-multiplication"))
    assert contradicts(("eigendecomposition", "vectors"))  # transitive prerequisite
    assert not contradicts(("vectors", "matrices", "matrix-multiplication"))
    assert not contradicts(("derivatives", "probability-basics"))  # unordered pair


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_has_contradicting_orders(split: str) -> None:
    assert sum(c.contradicts_topics for c in cases(split)) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
def test_expect_files_are_in_the_corpus_real_manifest(split: str) -> None:
    files = manifest_files()
    missing = [(c.id, f) for c in cases(split) for f in c.expect_files if f not in files]
    assert missing == []
    on_disk = {f for c in cases(split) for f in c.expect_files}
    assert [f for f in sorted(on_disk) if not (CORPUS / f).is_file()] == []


@pytest.mark.parametrize("split", SPLITS)
def test_in_scope_cases_with_corpus_material_name_files(split: str) -> None:
    # Concept and plan questions are all about material that corpus-real holds.
    for c in cases(split):
        if c.kind in ("concept", "plan") and c.expect_in_scope:
            assert c.expect_files, c.id


def test_dev_and_test_share_no_question() -> None:
    def keys(split: str) -> set[str]:
        return {normalize_q(" ".join([*(t.content for t in c.history), c.q])) for c in cases(split)}

    def bare(split: str) -> set[str]:
        return {normalize_q(c.q) for c in cases(split)}

    assert keys("dev") & keys("test") == set()
    assert bare("dev") & bare("test") == set()


def test_dev_and_test_share_no_template() -> None:
    assert {c.template for c in cases("dev")} & {c.template for c in cases("test")} == set()


@pytest.mark.parametrize("split", SPLITS)
def test_every_kind_is_present_with_the_chosen_chinese_share(split: str) -> None:
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases(split):
        by_kind[c.kind][c.lang] += 1
        if c.lang == "zh":
            assert _CJK.search(c.q), c.id
    assert set(by_kind) == set(KINDS)
    for kind, langs in by_kind.items():
        total = langs["en"] + langs["zh"]
        assert total >= 10, (kind, total)
        assert abs(langs["zh"] / total - ZH_SHARE) <= ZH_TOLERANCE, (kind, dict(langs))


@pytest.mark.parametrize("split", SPLITS)
def test_out_of_scope_share_and_traps(split: str) -> None:
    loaded = cases(split)
    oos = [c for c in loaded if not c.expect_in_scope]
    low, high = OOS_SHARE_RANGE[split]
    assert low <= len(oos) / len(loaded) <= high
    assert all(not c.any_of and not c.all_of and c.expect_no_citations for c in oos)
    traps = [c for c in oos if "trap" in (c.note or "")]
    assert len([c for c in traps if c.lang == "zh"]) >= 3 and len([c for c in traps if c.lang == "en"]) >= 3
    assert any(c.kind == "followup" for c in oos), "an off-topic turn inside a conversation"


@pytest.mark.parametrize("split", SPLITS)
def test_followups_end_with_a_sources_block(split: str) -> None:
    for c in cases(split):
        if c.kind == "followup":
            assert c.history and c.history[-1].role == "assistant"
            assert "**Sources**" in c.history[-1].content and "<http" in c.history[-1].content, c.id


@pytest.mark.parametrize("split", SPLITS)
def test_resource_cases_say_what_they_ask_for(split: str) -> None:
    for c in cases(split):
        if c.kind == "resource":
            assert c.asks_for, c.id


def test_test_split_is_frozen() -> None:
    readme = (EVALS / "README.md").read_text(encoding="utf-8")
    match = _SHA_LINE.search(readme)
    assert match, "evals/README.md must record the frozen test.jsonl sha256"
    assert hashlib.sha256((EVALS / "test.jsonl").read_bytes()).hexdigest() == match.group(1), (
        "evals/test.jsonl changed: the test split is frozen (see evals/README.md)"
    )


# ---------------------------------------------------------------- terms


@pytest.mark.parametrize("name", TERM_FILES)
def test_terms_parse_and_refer_to_catalog_resources(name: str) -> None:
    loaded = terms(name)
    assert len(loaded) >= (MIN_TERMS if name == "terms.jsonl" else MIN_TEST_TERMS)
    assert len({t.id for t in loaded}) == len(loaded)
    assert len({(t.resource, t.term.lower()) for t in loaded}) == len(loaded)
    assert {t.resource for t in loaded} <= catalog_resources()
    assert len({t.resource for t in loaded}) >= 5
    for t in loaded:
        assert t.resource in FOLDER_RESOURCES[t.file.split("/")[0]], t.id
        assert t.file not in NOT_DEFINING, t.id
        assert all(c.file.split("/")[0] == t.file.split("/")[0] for c in t.also), t.id


def test_terms_test_shares_no_term_with_dev() -> None:
    def keys(name: str) -> set[str]:
        return {normalize_q(re.sub(r"^(?:the|an?)\s+", "", t.term, flags=re.I)) for t in terms(name)}

    assert keys("terms.jsonl") & keys("terms-test.jsonl") == set()
    test = terms("terms-test.jsonl")
    assert all(t.q_zh for t in test), "every test term has a Chinese question"
    assert len({t.file.split("/")[0] for t in test}) >= 6, "spread over PDFs, markdown and transcripts"


def test_terms_test_is_frozen() -> None:
    match = _TERMS_SHA_LINE.search((EVALS / "README.md").read_text(encoding="utf-8"))
    assert match, "evals/README.md must record the frozen terms-test.jsonl sha256"
    assert hashlib.sha256((EVALS / "terms-test.jsonl").read_bytes()).hexdigest() == match.group(1), (
        "evals/terms-test.jsonl changed: the terms test set is frozen (see evals/README.md)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", TERM_FILES)
def test_term_locators_exist_in_corpus_real(name: str) -> None:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    files = manifest_files()
    readers: dict[str, PdfReader] = {}
    for t in terms(name):
        for loc in (t, *t.also):
            assert loc.file in files, t.id
            path = CORPUS / loc.file
            if loc.pages:
                reader = readers.setdefault(loc.file, PdfReader(str(path)))
                count = len(reader.pages)
                assert max(loc.pages) <= count, f"{t.id}: page {max(loc.pages)} > {count}"
                if loc is t and t.label:
                    assert tuple(reader.page_labels[p - 1] for p in t.pages) == t.label, t.id
                text = " ".join(_page_text(reader, p) for p in loc.pages)
                missing = [w for w in _content_stems(t.term) if w not in text]
                assert missing == [], f"{t.id}: {missing} not on page(s) {list(loc.pages)} of {loc.file}"
            elif loc.heading:
                text = path.read_text(encoding="utf-8")
                headings = {m.group(1).strip() for m in re.finditer(r"(?m)^#+ (.+)$", text)}
                assert loc.heading in headings, t.id
            else:
                text = path.read_text(encoding="utf-8", errors="ignore").lower()
                missing = [w for w in _content_stems(t.term) if w not in text]
                assert missing == [], f"{t.id}: {missing} not in {loc.file}"


_TERM_STOP = frozenset(
    {"the", "and", "with", "from", "into", "that", "this", "matrix", "matrices", "method", "methods"}
)


def _content_stems(term: str) -> list[str]:
    """Stems of a term's content words ("kernels in SVMs" -> ["kerne", "svm"]) to look for on its page."""
    words = [w for w in re.findall(r"[a-z]{4,}", term.lower()) if w not in _TERM_STOP]
    return [w.rstrip("s")[:5] for w in words]


def _page_text(reader: object, page: int) -> str:
    raw = reader.pages[page - 1].extract_text() or ""  # type: ignore[attr-defined]
    raw = raw.replace("\ufb01", "fi").replace("\ufb00", "ff").replace("\ufb02", "fl").replace("-\n", "")
    return re.sub(r"\s+", " ", raw).lower()


def test_content_stems() -> None:
    assert _content_stems("kernels in SVMs") == ["kerne", "svm"]
    assert _content_stems("the inverse of a matrix") == ["inver"]
    assert _content_stems("p-values") == ["value"]


# ---------------------------------------------------------------- no copied text


def _shingles(text: str) -> set[bytes]:
    words = [w.lower() for w in _WORD.findall(_URL.sub(" ", text))]
    return {
        hashlib.blake2b(" ".join(words[i : i + COPY_RUN]).encode(), digest_size=8).digest()
        for i in range(len(words) - COPY_RUN + 1)
    }


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def test_shingles_catch_a_twelve_word_run() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve"
    assert _shingles(text) & _shingles("prefix " + text + " suffix")
    assert not _shingles("one two three four five six seven eight nine ten eleven")
    assert not _shingles("see https://example.org/one-two-three-four-five-six-seven-eight-nine-ten-eleven-twelve")


@pytest.mark.slow
def test_no_twelve_word_run_from_corpus_real() -> None:
    """The check of shared/hooks/copycheck.py (corpus text files), on every string of the three files.

    URLs are blanked on both sides first: a catalog URL spells out a course title, which is a fact.
    """
    corpus = require_corpus()
    text_ext = {".txt", ".md", ".srt", ".vtt", ".xml", ".html", ".yaml", ".yml", ".json", ".jsonl", ".rst"}
    seen: set[bytes] = set()
    for p in corpus.rglob("*"):
        if (
            p.is_file()
            and p.suffix.lower() in text_ext
            and p.name not in ("manifest.jsonl", "MANIFEST.md")
            and not p.name.upper().startswith("LICENSE")
        ):
            seen |= _shingles(p.read_text(errors="ignore"))
    assert len(seen) > 100_000  # the corpus was really read
    for name in ("dev.jsonl", "test.jsonl", *TERM_FILES):
        for raw in _lines(EVALS / name):
            for s in _strings(raw):
                assert not (_shingles(s) & seen), (
                    f"{name} {raw.get('id')}: a 12-word run also in corpus-real: {s[:80]!r}"
                )
