"""The offline evals: case-file validation, the metrics on hand-made answers, and a regression gate.

The gate runs a representative subset of evals/cases.jsonl against the ``tutor`` fixture (default
corpus + a few extras) and holds the full tutor to thresholds set from a measured run.
"""

from __future__ import annotations

import json
import math
from argparse import Namespace

import pytest

from mathtutor import evals
from mathtutor.evals import (
    Case,
    CaseFileError,
    CaseResult,
    cited_sentences,
    concept_recall,
    hit_at_k,
    ndcg_at_k,
    order_agreement,
    parse_cases,
    ranked_resources,
    recall_at_k,
    reciprocal_rank,
    runner,
    score_answer,
    stray_urls,
    summarize,
    supported_share,
)
from mathtutor.evals.baseline import run_naive
from mathtutor.evals.cases import KINDS, SPLITS
from mathtutor.evals.report import report_paths
from mathtutor.evals.scoring import crashed_result
from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.links import normalize_url
from mathtutor.settings import Settings


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def topics():
    return load_topics()


@pytest.fixture(scope="module")
def shipped(catalog, topics) -> list[Case]:
    return evals.load_cases(SPLITS["legacy"], catalog=catalog, topics=topics)


# ================================================================ the shipped case file


def test_shipped_cases_are_valid_and_cover_every_kind(shipped):
    assert len(shipped) >= 120
    kinds = {c.kind for c in shipped}
    assert kinds == set(KINDS) - {"mission"}  # the legacy set predates the mission kind
    assert sum(c.lang == "zh" for c in shipped) >= 15
    assert sum(bool(c.history) for c in shipped) >= 15
    assert sum(not c.expect_in_scope for c in shipped) >= 15
    assert sum(c.level is not None for c in shipped) >= 8
    assert sum(bool(c.concepts) for c in shipped) >= 20


def test_every_catalog_resource_is_the_expected_answer_of_some_case(shipped, catalog):
    expected = set().union(*(c.expected_ids for c in shipped))
    missing = sorted(r.id for r in catalog.resources if r.id not in expected)
    assert not missing, f"catalog resources no case expects: {missing}"


def test_out_of_scope_cases_expect_nothing_cited(shipped):
    for c in shipped:
        if not c.expect_in_scope:
            assert c.expect_no_citations and not (c.any_of or c.all_of or c.concepts), c.id


# ================================================================ schema validation

GOOD = {"id": "c1", "kind": "concept", "q": "What is an eigenvector?", "any_of": ["mml-book"]}


def _line(**changes) -> str:
    case = {**GOOD, **changes}
    return json.dumps({k: v for k, v in case.items() if v is not None}, ensure_ascii=False)


BAD = [
    (_line(colour="red"), "unknown field 'colour'"),
    (_line(kind="quiz"), "kind: Input should be"),
    (_line(q=""), "q: String should have at least 1 character"),
    (json.dumps({"kind": "concept", "q": "x", "any_of": ["mml-book"]}), "missing field 'id'"),
    (_line(id="Plan PCA"), "lower-case slugs"),
    (_line(any_of=None), "needs any_of, all_of or concepts"),
    (_line(any_of=["mml-book", "mml-book"]), "listed more than once: mml-book"),
    (_line(all_of=["mml-book"]), "in both any_of and all_of: mml-book"),
    (_line(kind="out_of_scope", expect_in_scope=True), "needs expect_in_scope: false"),
    (_line(kind="out_of_scope", expect_in_scope=False, expect_no_citations=True), "cannot expect resources"),
    (_line(kind="out_of_scope", expect_in_scope=False, any_of=None), "must set expect_no_citations: true"),
    (_line(expect_no_citations=True), "only for out-of-scope cases"),
    (_line(kind="followup"), "needs a history"),
    (_line(history=[{"role": "user", "content": "hi"}]), "must end with the assistant"),
    (_line(history=[{"role": "system", "content": "hi"}]), "history.0.role"),
    (_line(kind="chinese"), "needs lang: 'zh'"),
    (_line(lang="zh"), "no Chinese characters"),
    (_line(level="expert"), "level: Input should be"),
    (_line(any_of=["mml"]), "any_of: 'mml' is not a catalog resource id"),
    (_line(any_of=None, all_of=["mml-book/ch10"]), "a part id: use its resource"),
    (_line(concepts=["eigenvalues"]), "unknown concept id 'eigenvalues'"),
    (_line(concepts=["svd", "eigendecomposition"]), "'svd' is listed before its prerequisite 'eigendecomposition'"),
    ("{not json", "not valid JSON"),
    ('["a list"]', "must be a JSON object"),
]


@pytest.mark.parametrize(("line", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_case_is_rejected_with_a_clear_message(line, message, catalog, topics):
    text = _line(id="ok-first") + "\n" + line + "\n"
    with pytest.raises(CaseFileError) as err:
        parse_cases(text, source="cases.jsonl", catalog=catalog, topics=topics)
    assert message in str(err.value)
    assert "cases.jsonl:2" in str(err.value)  # the line is named
    assert "cases.jsonl:1" not in str(err.value)  # the good line is not blamed


def test_all_problems_are_reported_together(catalog, topics):
    text = "\n".join([_line(id="a", any_of=["nope"]), _line(id="a"), "", _line(id="b", colour=1)])
    with pytest.raises(CaseFileError) as err:
        parse_cases(text, source="f.jsonl", catalog=catalog, topics=topics)
    msg = str(err.value)
    assert "3 problem(s)" in msg
    assert "f.jsonl:1 (id 'a')" in msg and "f.jsonl:2 (id 'a'): duplicate id (first used on line 1)" in msg
    assert "f.jsonl:4 (id 'b'): unknown field 'colour'" in msg


def test_empty_or_missing_case_file(tmp_path):
    with pytest.raises(CaseFileError, match="no cases"):
        parse_cases("\n\n")
    with pytest.raises(CaseFileError, match="cannot read eval cases"):
        evals.load_cases(tmp_path / "absent.jsonl")


def test_a_good_case_round_trips():
    case = parse_cases(_line(history=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]))[0]
    assert case.any_of == ("mml-book",) and case.history[-1].role == "assistant"
    assert case.expected_ids == {"mml-book"}


def test_eval_command_refuses_a_bad_case_file_before_loading_anything(tmp_path, capsys):
    from mathtutor.apps.cli import main

    bad = tmp_path / "cases.jsonl"
    bad.write_text(_line(any_of=["not-a-resource"]) + "\n")
    assert main(["eval", "--cases", str(bad), "--index", str(tmp_path / "no-index")]) == 2
    err = capsys.readouterr().err
    assert "'not-a-resource' is not a catalog resource id" in err and f"{bad}:1" in err


def test_eval_command_rejects_a_bad_limit(tmp_path, capsys):
    good = tmp_path / "cases.jsonl"
    good.write_text(_line() + "\n")
    args = Namespace(
        index=tmp_path / "idx", cases=good, out=tmp_path, backend=None, no_ablations=True, limit=0, json=False
    )
    assert evals.run_eval(args) == 2
    assert "--limit" in capsys.readouterr().err


# ================================================================ ranking metrics


def test_ranked_resources_maps_parts_drops_non_catalog_and_dedups(catalog):
    cites = [
        {"n": 1, "resource_id": "mathtutor-notes"},
        {"n": 2, "resource_id": "mml-book/ch10"},
        {"n": 3, "resource_id": None},
        {"n": 4, "resource_id": "statquest"},
        {"n": 5, "resource_id": "mml-book"},
        {"n": 6, "resource_id": "mit-18-06/lec29"},
    ]
    assert ranked_resources(cites, catalog) == ["mml-book", "statquest", "mit-18-06"]


def test_hit_recall_mrr_ndcg_on_groups():
    ranked = ["a", "x", "b", "y"]
    any_of, all_of = ["b", "z"], ["a"]
    assert hit_at_k(ranked, any_of, all_of, 1) == 1.0
    assert recall_at_k(ranked, any_of, all_of, 1) == 0.5  # {a} met, {b, z} not yet
    assert recall_at_k(ranked, any_of, all_of, 5) == 1.0
    assert reciprocal_rank(ranked, any_of, all_of) == 1.0
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, any_of, all_of, 10) == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert ndcg_at_k(ranked, any_of, all_of, 2) == pytest.approx(1 / ideal)  # b at rank 3 is cut off


def test_any_of_members_count_once_and_misses_score_zero():
    assert ndcg_at_k(["b", "c"], ["b", "c"], [], 10) == 1.0  # one group, met at rank 1
    assert ndcg_at_k(["x", "b"], ["b", "c"], [], 10) == pytest.approx(1 / math.log2(3))
    assert reciprocal_rank(["x", "y", "c"], ["b", "c"], []) == pytest.approx(1 / 3)
    assert hit_at_k(["x", "b"], ["b"], [], 1) == 0.0 and hit_at_k(["x", "b"], ["b"], [], 5) == 1.0
    assert reciprocal_rank([], ["b"], []) == 0.0 and ndcg_at_k([], ["b"], [], 10) == 0.0
    assert recall_at_k(["p"], [], ["p", "q"], 5) == 0.5


def test_metrics_are_none_without_expectations():
    for value in (
        hit_at_k(["a"], [], [], 5),
        recall_at_k(["a"], [], [], 5),
        reciprocal_rank(["a"], [], []),
        ndcg_at_k(["a"], [], [], 10),
        concept_recall([], ["a"]),
    ):
        assert value is None


def test_concept_recall_and_kendall_tau():
    expected = ["a", "b", "c", "d"]
    assert concept_recall(expected, ["a", "c", "b", "x", "d"]) == 1.0
    assert concept_recall(expected, ["d", "a"]) == 0.5
    assert concept_recall(expected, []) == 0.0
    # positions a0 c1 b2 d4 -> one discordant pair of six: (5 - 1) / 6
    assert order_agreement(expected, ["a", "c", "b", "x", "d"]) == pytest.approx(4 / 6)
    assert order_agreement(expected, ["x", "a", "b", "c", "d"]) == pytest.approx(1.0)
    assert order_agreement(expected, ["d", "c", "b", "a"]) == pytest.approx(-1.0)
    assert order_agreement(expected, ["a", "x"]) is None  # one concept in common: no order to compare


# ================================================================ citation validity and support

FACTS = evals.CitationFacts(
    urls_of={
        "mml-book": frozenset(
            {
                normalize_url("https://mml-book.github.io/"),
                normalize_url("https://mml-book.github.io/book/mml-book.pdf"),
            }
        ),
        "3b1b-essence-linear-algebra": frozenset({normalize_url("https://www.youtube.com/watch?v=PFDu9oVAE-g")}),
    },
    chunk_file={7: "/c/mml-book.pdf", 8: "/c/eigen.srt"},
    file_pages={"/c/mml-book.pdf": 40},
    file_seconds={"/c/eigen.srt": 600.0},
)


def _cite(n, url, rid="mml-book", chunk_id=None):
    return {"n": n, "resource_id": rid, "title": "t", "url": url, "locator": "", "snippet": "", "chunk_id": chunk_id}


def test_citation_problems_accepts_resolvable_answers():
    cites = [
        _cite(1, "https://mml-book.github.io"),  # trailing slash and www differences normalise away
        _cite(2, "https://youtu.be/PFDu9oVAE-g?t=95s", "3b1b-essence-linear-algebra", 8),  # a deep link to a minute
        _cite(3, "http://127.0.0.1:7860/notes/svd", "mathtutor-notes"),
        _cite(4, "https://mml-book.github.io/book/mml-book.pdf#page=12", chunk_id=7),
    ]
    text = "Eigenvectors keep their direction [2]. See the book [1], page [4] and the note [3] <https://mml-book.github.io/>."
    assert evals.citation_problems(text, cites, FACTS) == []
    assert stray_urls(text, FACTS.all_urls) == []


def test_citation_problems_finds_dangling_markers_and_unknown_urls():
    cites = [_cite(1, "https://mml-book.github.io/"), _cite(2, "https://example.com/made-up"), _cite(3, None)]
    text = "Claim [1]. Another claim [4]."
    problems = evals.citation_problems(text, cites, FACTS)
    assert problems == [
        "[4] in the answer resolves to no citation",
        "citation [2] URL https://example.com/made-up is not a catalog URL of mml-book",
        "citation [3] has no URL",
    ]


def test_citation_problems_reject_another_resources_url_and_unlinked_files():
    """The old check accepted any URL of any ingested file: it could not fail."""
    cites = [
        _cite(1, "https://www.youtube.com/watch?v=PFDu9oVAE-g"),  # a catalog URL, but not mml-book's
        _cite(2, "file:///srv/uploads/x.pdf", None),
    ]
    assert evals.citation_problems("[1] [2]", cites, FACTS) == [
        "citation [1] URL https://www.youtube.com/watch?v=PFDu9oVAE-g is not a catalog URL of mml-book",
        "citation [2] URL file:///srv/uploads/x.pdf belongs to no catalog resource",
    ]


def test_citation_problems_catch_links_past_the_end_and_server_paths_for_notes():
    cites = [
        _cite(1, "https://mml-book.github.io/book/mml-book.pdf#page=98", chunk_id=7),  # a printed page, 40-page file
        _cite(2, "https://youtu.be/PFDu9oVAE-g?t=900s", "3b1b-essence-linear-algebra", 8),
        _cite(3, "file:///work/main/corpus/notes/svd.md", "mathtutor-notes"),
    ]
    assert evals.citation_problems("[1] [2] [3]", cites, FACTS) == [
        "citation [1] opens page 98 of a 40-page file",
        "citation [2] opens 900 s into a 600 s video",
        "citation [3] links a study note as file:///work/main/corpus/notes/svd.md, not at its notes address",
    ]


def test_stray_urls_are_links_in_the_text_we_cannot_vouch_for():
    text = "Read https://evil.example/page, the book <https://mml-book.github.io/> and https://tinyurl."
    assert stray_urls(text, FACTS.all_urls) == ["https://evil.example/page", "https://tinyurl"]
    assert stray_urls("No links here [1].", FACTS.all_urls) == []


def test_cited_sentences_reads_prose_only():
    text = (
        "Here is what the materials say about **SVD**:\n"
        "- The SVD factors any matrix into rotations and a scaling [1]\n"
        "It reveals the rank of the matrix. [2] [3]\n"
        "Too short [4].\n"
        "_Removed citation(s) [9] that pointed at no source._\n\n"
        "**Study path for SVD** (level: practitioner):\n1. **Rank** — The rank counts independent columns. [5]"
    )
    assert cited_sentences(text) == [
        ("The SVD factors any matrix into rotations and a scaling", [1]),
        ("It reveals the rank of the matrix.", [2, 3]),
    ]
    assert cited_sentences("奇异值分解把任意矩阵写成三个矩阵的乘积 [1]。") == [
        ("奇异值分解把任意矩阵写成三个矩阵的乘积 。", [1])
    ]


def test_supported_share_counts_uncited_sentences_as_unsupported():
    assert supported_share([0.9, 0.2, None, 0.5], threshold=0.5) == 0.5
    assert supported_share([]) is None


def test_support_needs_the_cited_passage_grounding_any_cited_passage(fake_embedder):
    from mathtutor.types import Chunk

    passages = [
        "The singular value decomposition factors every matrix into rotations and a scaling.",
        "Gradient descent takes small steps against the gradient of the loss function.",
    ]
    chunks = [
        Chunk(t, f"f{i}", "markdown", "t", 0, url=f"file:///n{i}.md", section="s") for i, t in enumerate(passages)
    ]

    class Store:
        def iter_chunks(self):
            return iter(chunks)

    lookup = runner.PassageLookup(type("T", (), {"store": Store(), "settings": Settings()})())
    cites = [_cite(1, "file:///n0.md") | {"locator": "§ s"}, _cite(2, "file:///n1.md") | {"locator": "§ s"}]
    answer = {
        "answer": f"{passages[0]} [1]\n{passages[1]}\nBananas are a good source of potassium for runners. [2]",
        "citations": cites,
    }
    own, anywhere = runner.sentence_similarities(fake_embedder, answer, lookup)
    assert own[0] == pytest.approx(1.0) and own[1] is None and own[2] < 0.5  # cited, uncited, wrong source
    assert anywhere[1] == pytest.approx(1.0) and anywhere[2] < 0.5  # the uncited sentence is still grounded
    assert supported_share(own) == pytest.approx(1 / 3) and supported_share(anywhere) == pytest.approx(2 / 3)


# ================================================================ scoring and summaries


def _case(**kw) -> Case:
    return Case.model_validate({**GOOD, **kw})


def _answer(rids=(), in_scope=True, path=(), text="", ms=100.0):
    return {
        "in_scope": in_scope,
        "answer": text,
        "citations": [_cite(i, "https://mml-book.github.io/") | {"resource_id": r} for i, r in enumerate(rids, 1)],
        "study_path": [{"concept": c, "why": "", "citations": []} for c in path],
        "timings_ms": {"total": ms},
    }


def test_score_answer_flags_what_a_learner_would_notice(catalog):
    oos = _case(id="o", kind="out_of_scope", expect_in_scope=False, expect_no_citations=True, any_of=[])
    cited = score_answer(oos, _answer(["mml-book"]), config="x", catalog=catalog, facts=FACTS)
    assert cited.failures == ["out of scope, but cited 1 source(s)", "out of scope, but answered as in scope"]
    quiet = score_answer(oos, _answer([], in_scope=False), config="x", catalog=catalog, facts=FACTS)
    assert quiet.abstained and not quiet.failures

    plan = _case(id="p", kind="plan", any_of=[], all_of=["mml-book", "d2l"], concepts=["svd", "pca"])
    answer = _answer(["statquest", "mml-book"], path=["pca", "svd"], text="x [7] http://a.example/b")
    r = score_answer(plan, answer, config="x", catalog=catalog, facts=FACTS)
    assert (r.hit1, r.hit5, r.recall5, r.rr) == (0.0, 1.0, 0.5, 0.5)
    assert r.concept_recall == 1.0 and r.kendall_tau == pytest.approx(-1.0)
    assert "required resource(s) missing from the top 5: d2l" in r.failures
    assert any("study order disagrees" in f for f in r.failures)
    assert "[7] in the answer resolves to no citation" in r.failures
    assert r.stray_urls == ["http://a.example/b"] and r.failures[-1].startswith("answer text shows URL(s)")
    refused = score_answer(_case(), _answer([], in_scope=False), config="x", catalog=catalog, facts=FACTS)
    assert refused.abstained and refused.failures[0].startswith("refused")


def test_summarize_averages_each_metric_over_the_cases_it_applies_to():
    def res(**kw) -> CaseResult:
        base = {"case_id": "c", "kind": "concept", "lang": "en", "config": "x", "expect_in_scope": True}
        return CaseResult(**(base | kw))

    rs = [
        res(hit1=1.0, hit5=1.0, recall5=1.0, rr=1.0, ndcg10=1.0, citations_valid=True, latency_ms=100),
        res(
            hit1=0.0,
            hit5=1.0,
            recall5=0.5,
            rr=0.5,
            ndcg10=0.5,
            citations_valid=False,
            latency_ms=300,
            concept_recall=0.5,
            kendall_tau=1.0,
            abstained=False,
        ),
        res(expect_in_scope=True, abstained=True, hit1=0.0, hit5=0.0, recall5=0.0, rr=0.0, ndcg10=0.0, latency_ms=200),
        res(kind="out_of_scope", expect_in_scope=False, abstained=True, n_citations=0, latency_ms=400),
        res(kind="out_of_scope", expect_in_scope=False, abstained=False, n_citations=2, latency_ms=500),
    ]
    s = summarize(rs)
    assert s["cases"] == 5 and s["ranked_cases"] == 3
    assert s["hit@1"] == pytest.approx(1 / 3) and s["hit@5"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx(0.5) and s["concept_recall"] == 0.5 and s["concept_cases"] == 1
    assert s["citation_validity"] == 0.5
    assert s["oos_abstention"] == 0.5 and s["over_refusal"] == pytest.approx(1 / 3)
    assert s["latency_p50_ms"] == 300 and s["latency_p95_ms"] == pytest.approx(480)
    groups = evals.summarize_groups(rs)
    assert set(groups["by_kind"]) == {"concept", "out_of_scope"} and groups["by_kind"]["out_of_scope"]["cases"] == 2
    assert set(groups["by_lang_kind"]) == {"en concept", "en out_of_scope"}
    assert groups["by_lang_kind"]["en concept"]["over_refusal"] == pytest.approx(1 / 3)


def test_summarize_groups_splits_kind_within_language():
    def res(lang: str, kind: str, hit5: float) -> CaseResult:
        return CaseResult(
            case_id="c",
            kind=kind,
            lang=lang,
            config="x",
            expect_in_scope=True,
            hit1=hit5,
            hit5=hit5,
            recall5=hit5,
            rr=hit5,
            ndcg10=hit5,
            abstained=not hit5,
        )

    rs = [res("en", "mission", 1.0), res("zh", "mission", 0.0), res("zh", "mission", 1.0), res("zh", "resource", 1.0)]
    groups = evals.summarize_groups(rs)["by_lang_kind"]
    assert list(groups) == ["en mission", "zh resource", "zh mission"]  # language, then the report's kind order
    assert groups["zh mission"]["hit@5"] == 0.5 and groups["zh mission"]["over_refusal"] == 0.5
    assert groups["en mission"]["hit@5"] == 1.0


def test_run_config_passes_the_ablation_as_call_arguments_and_survives_a_crash(catalog):
    class Stub:
        catalog = None

        def ask(self, q, history=None, level=None, backend=None, mode="hybrid", use_graph=True):
            seen.append((mode, use_graph))
            raise RuntimeError("boom")

    seen: list = []
    stub = Stub()
    out = evals.run_config(stub, [_case()], evals.ABLATIONS[0])
    assert seen == [("bm25", False)]
    assert not hasattr(stub, "retrieval_mode") and not hasattr(stub, "use_graph")
    assert out[0].error == "RuntimeError: boom" and out[0].failures == ["error: RuntimeError: boom"]


def test_a_crashed_case_is_a_miss_not_left_out():
    """Bug 8: a case that raised used to vanish from every denominator (hit@5 stayed 1.0 here)."""
    ok = score_answer(
        _case(),
        {"in_scope": True, "citations": [{"n": 1, "resource_id": "mml-book"}], "answer": "x [1]"},
        config="c",
        catalog=None,
        facts=None,
    )
    crashed = crashed_result(_case(), "c", "RuntimeError: boom")
    s = summarize([ok, crashed])
    assert s["errors"] == 1 and s["ranked_cases"] == 2
    assert s["hit@5"] == 0.5 and s["mrr"] == 0.5
    assert s["over_refusal"] == 0.5


def test_a_crashed_out_of_scope_case_is_not_an_abstention():
    case = Case(
        id="oos-x", kind="out_of_scope", q="capital of France?", expect_in_scope=False, expect_no_citations=True
    )
    crashed = crashed_result(case, "c", "RuntimeError: boom")
    assert summarize([crashed])["oos_abstention"] == 0.0


def test_eval_command_exits_non_zero_when_a_case_crashed(monkeypatch, tmp_path, capsys):
    """Bug 8: `mathtutor eval` exited 0 although cases had crashed."""
    from mathtutor.evals import command

    class Boom:
        catalog = None

        def ask(self, *a, **k):
            raise RuntimeError("boom")

    def fake_evaluate(tutor, cases, **kw):
        results = evals.run_config(Boom(), cases[:2], evals.FULL)
        summary = {evals.FULL.name: evals.summarize_groups(results)}
        meta = {
            "cases": 2,
            "index_dir": "x",
            "backend": "extractive",
            "configs": [evals.FULL.name],
            "labels": {},
            "seconds_total": 0.0,
            "main": evals.FULL.name,
        }
        return {"meta": meta, "summary": summary}

    monkeypatch.setattr("mathtutor.tutor.Tutor.open", classmethod(lambda cls, *a, **k: Boom()))
    monkeypatch.setattr(command, "evaluate", fake_evaluate)
    monkeypatch.setattr(command, "write_report", lambda report, out: {"md": tmp_path / "r.md"})
    args = Namespace(index=None, cases=None, limit=2, no_ablations=True, json=False, out=tmp_path / "r")
    assert command.run_eval(args) == 1
    assert "2 case(s) crashed" in capsys.readouterr().err


def test_report_paths_and_written_report(tmp_path, catalog):
    assert report_paths(tmp_path)["png"] == tmp_path / "ablation.png"
    named = report_paths(tmp_path / "report-corpus-real.json")
    assert named["md"].name == "report-corpus-real.md" and named["png"].name == "ablation-corpus-real.png"

    case = _case(id="c-miss", any_of=["d2l"])
    results = {
        name: [score_answer(case, _answer(["mml-book"]), config=name, catalog=catalog, facts=FACTS)]
        for name in ("bm25", "hybrid+graph")
    }
    report = {
        "meta": {
            "created": "now",
            "index_dir": "/x/idx",
            "index_chunks": 1,
            "index_files": 1,
            "index_chunker": None,
            "backend": "extractive",
            "main": "hybrid+graph",
            "cases": 1,
            "configs": list(results),
            "labels": {"bm25": "BM25 only", "hybrid+graph": "full"},
            "seconds": {"bm25": 1.0, "hybrid+graph": 1.0},
            "seconds_total": 2.0,
            "support_threshold": 0.5,
            "naive": None,
            "support_calibration": None,
        },
        "summary": {k: evals.summarize_groups(v) for k, v in results.items()},
        "results": results,
        "cases": {case.id: case},
    }
    paths = evals.write_report(report, named["json"])
    md = paths["md"].read_text()
    assert "## Failing cases (1 of 1)" in md and "`c-miss`" in md
    assert "Expected: any of d2l" in md and "resources mml-book" in md and "no expected resource in the top 5" in md
    assert "![ablation chart](ablation-corpus-real.png)" in md
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["json"].read_text())
    assert data["summary"]["hybrid+graph"]["overall"]["hit@5"] == 0.0
    assert data["cases"]["hybrid+graph"][0]["failures"] and "ranked" in data["cases"]["bm25"][0]


# ================================================================ the naive baseline (real model)


@pytest.mark.slow
def test_naive_baseline_maps_hits_to_the_resource_of_their_file(tmp_path, real_embedder, catalog):
    from mathtutor.ingest.pipeline import ingest
    from mathtutor.settings import Settings

    src = tmp_path / "src"
    src.mkdir()
    (src / "svd.md").write_text(
        "---\nresource: mit-18-06\n---\n# SVD\nThe singular value decomposition factors a matrix into "
        "two rotations and a diagonal scaling of singular values.\n"
    )
    (src / "bayes.md").write_text(
        "---\nresource: seeing-theory\n---\n# Bayes\nBayes' rule updates a prior belief with the likelihood "
        "of new evidence to give a posterior probability.\n"
    )
    settings = Settings(index_dir=tmp_path / "index", parse_workers=0)
    assert ingest([src], settings, embedder=real_embedder, progress=False).ok
    rag = evals.NaiveRag.build(settings.index_dir, real_embedder)
    assert rag.stats["files"] == 2 and rag.stats["chunks"] == 2
    cases = [
        _case(id="svd", any_of=["mit-18-06"]),
        _case(id="bayes", q="What is a posterior?", any_of=["seeing-theory"]),
    ]
    first, second = run_naive(rag, cases, catalog)
    assert first.ranked[0] == "mit-18-06" and first.rr == 1.0
    assert second.ranked[0] == "seeing-theory"


# ================================================================ regression gate (real model, fixture index)

#: Representative cases: every kind, both languages, levels, follow-ups and out-of-scope traps.
GATE_IDS = [
    "plan-pca", "plan-backprop", "plan-gradient-descent", "plan-bayesian-inference", "plan-hypothesis-testing",
    "concept-eigenvector", "concept-chain-rule", "concept-kl", "concept-jacobian", "concept-p-value",
    "res-mml-book", "res-matrix-calculus", "res-hajek", "res-compare-strang", "res-video-la",
    "level-beginner-pca", "level-researcher-pca", "level-text-phd-info",
    "zh-svd", "zh-backprop-plan", "zh-bayes",
    "fu-mml-pca", "fu-chain-backprop", "fu-oos-lasagna",
    "oos-capital", "oos-poem", "oos-matrix-movie", "oos-zh-weather",
]  # fmt: skip

#: Floors (ceilings for over-refusal) from a measured run of the full tutor on the `tutor` fixture
#: (2026-11-21; the measured value is next to each). Retrieval is deterministic, so the floors sit
#: just under the measurement: with 23 ranked cases one lost hit costs 0.043, which fails the gate.
#: Known misses at measurement time (tutor weaknesses, listed in evals/reports/report.md):
#: plan-hypothesis-testing, concept-p-value, res-compare-strang, res-video-la, fu-chain-backprop,
#: fu-oos-lasagna, oos-matrix-movie. Raise the floors when the tutor improves; never lower them to
#: let a change through.
GATE_MIN = {
    "hit@1": 0.82,  # measured 0.826 (19 of 23) late on 2026-12-02; 0.783 earlier, 0.522 before study paths
    "hit@5": 0.91,  # measured 0.913 (21 of 23); was 0.870, 0.826
    "recall@5": 0.91,  # measured 0.913; was 0.870, 0.826
    "mrr": 0.85,  # measured 0.857; was 0.813, 0.608
    "ndcg@10": 0.86,  # measured 0.870; was 0.827, 0.661
    "concept_recall": 0.97,  # measured 0.975
    "kendall_tau": 0.99,  # measured 1.000
    "retrieval_hit@5": 0.99,  # measured 1.000: the retriever finds an expected resource; answers drop some
    "retrieval_mrr": 0.95,  # measured 0.957
    "citation_validity": 1.0,  # measured 1.000 (since 2026-12-02 the stricter check: own catalog URL, pages in range)
    "oos_abstention": 1.0,  # measured 1.000 (5 of 5) since the word-sense check; 0.600 before ("The Matrix", lasagna)
}
GATE_MAX = {
    "over_refusal": 0.05,  # measured 0.043 (1 of 23: res-compare-strang)
    "stray_url_answers": 0.0,  # measured 0.000
}


@pytest.mark.slow
def test_gate_full_tutor_on_representative_cases(tutor, shipped):
    by_id = {c.id: c for c in shipped}
    cases = [by_id[i] for i in GATE_IDS]
    results = evals.run_config(tutor, cases, evals.FULL, facts=runner.citation_facts(tutor))
    s = summarize(results)
    report = {k: round(s[k], 3) for k in (*GATE_MIN, *GATE_MAX)}
    assert s["errors"] == 0, [r.error for r in results if r.error]
    problems = {r.case_id: r.citation_problems for r in results if r.citation_problems}
    for key, floor in GATE_MIN.items():
        assert s[key] >= floor, f"{key} fell to {s[key]:.3f} (gate {floor}); all: {report}; citations: {problems}"
    for key, ceiling in GATE_MAX.items():
        assert s[key] <= ceiling, f"{key} rose to {s[key]:.3f} (gate {ceiling}); all: {report}"


def test_a_file_outside_the_catalog_is_valid_only_at_its_own_manifest_url():
    facts = evals.CitationFacts(
        urls_of={"mml-book": frozenset({normalize_url("https://mml-book.github.io/")})},
        chunk_file={5: "/c/talk.srt", 6: "/c/injection.md"},
        file_urls={"/c/talk.srt": normalize_url("https://youtu.be/TESTgd01")},
    )
    ok = _cite(1, "https://www.youtube.com/watch?v=TESTgd01&t=9s", None, 5)
    other = _cite(2, "https://example.com/elsewhere", None, 5)
    local = _cite(3, "file:///srv/c/injection.md", None, 6)
    assert evals.citation_problems("[1] [2] [3]", [ok, other, local], facts) == [
        "citation [2] URL https://example.com/elsewhere belongs to no catalog resource",
        "citation [3] URL file:///srv/c/injection.md belongs to no catalog resource",
    ]
