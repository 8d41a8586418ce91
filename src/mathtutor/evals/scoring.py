"""Scoring one answer against its case, and aggregating results overall, per kind and per language.

A case that crashed counts as a miss in every metric it would have had (it is never dropped from a
denominator), so a broken tutor cannot look better than a working one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mathtutor.evals.cases import HIT_KS, KINDS, MIN_ORDER_TAU, NDCG_K, RECALL_K, Case
from mathtutor.evals.metrics import (
    CitationFacts,
    citation_problems,
    concept_recall,
    hit_at_k,
    mean,
    ndcg_at_k,
    order_agreement,
    percentile,
    ranked_resources,
    recall_at_k,
    reciprocal_rank,
    stray_urls,
)

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog


@dataclass(slots=True)
class CaseResult:
    """What one configuration answered for one case, and how it scored."""

    case_id: str
    kind: str
    lang: str
    config: str
    expect_in_scope: bool
    in_scope: bool | None = None
    n_citations: int = 0
    ranked: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    hit1: float | None = None
    hit5: float | None = None
    recall5: float | None = None
    rr: float | None = None
    ndcg10: float | None = None
    concept_recall: float | None = None
    kendall_tau: float | None = None
    citations_valid: bool | None = None
    citation_problems: list[str] = field(default_factory=list)
    stray_urls: list[str] = field(default_factory=list)
    abstained: bool = False
    support: float | None = None
    grounded: float | None = None
    support_sentences: int = 0
    retrieved: list[str] = field(default_factory=list)
    ret_hit5: float | None = None
    ret_rr: float | None = None
    ret_file_hit5: float | None = None
    latency_ms: float | None = None
    error: str | None = None
    answer_excerpt: str = ""
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_answer(
    case: Case,
    answer: dict[str, Any],
    *,
    config: str,
    catalog: Catalog | None,
    facts: CitationFacts | None,
    latency_ms: float | None = None,
) -> CaseResult:
    """Score an answer dict (``Answer.to_dict()`` shape) against a case. ``facts`` None: citations not checked."""
    citations = answer.get("citations") or []
    ranked = ranked_resources(citations, catalog)
    path = [s["concept"] for s in answer.get("study_path") or []]
    in_scope = answer.get("in_scope")
    abstained = in_scope is False or not citations
    r = CaseResult(
        case.id,
        case.kind,
        case.lang,
        config,
        case.expect_in_scope,
        in_scope=in_scope,
        n_citations=len(citations),
        ranked=ranked,
        path=path,
        abstained=abstained,
        latency_ms=latency_ms if latency_ms is not None else (answer.get("timings_ms") or {}).get("total"),
        answer_excerpt=" ".join((answer.get("answer") or "").split())[:280],
    )
    if case.expect_in_scope:
        r.hit1 = hit_at_k(ranked, case.any_of, case.all_of, HIT_KS[0])
        r.hit5 = hit_at_k(ranked, case.any_of, case.all_of, HIT_KS[1])
        r.recall5 = recall_at_k(ranked, case.any_of, case.all_of, RECALL_K)
        r.rr = reciprocal_rank(ranked, case.any_of, case.all_of)
        r.ndcg10 = ndcg_at_k(ranked, case.any_of, case.all_of, NDCG_K)
        r.concept_recall = concept_recall(case.concepts, path)
        r.kendall_tau = order_agreement(case.concepts, path)
    if facts is not None:
        r.citation_problems = citation_problems(answer.get("answer") or "", citations, facts)
        r.citations_valid = not r.citation_problems
        r.stray_urls = stray_urls(answer.get("answer") or "", facts.all_urls)
    r.failures = failures(case, r)
    return r


def crashed_result(case: Case, config: str, error: str, *, latency_ms: float | None = None) -> CaseResult:
    """A case whose run raised: a miss in every metric it has (never left out of a denominator).

    In scope, it scores as an empty answer (hit 0, recall 0, refused); out of scope, it is not an
    abstention (the learner got an error, not a refusal).
    """
    empty = {"in_scope": None, "citations": [], "answer": "", "study_path": []}
    r = score_answer(case, empty, config=config, catalog=None, facts=None, latency_ms=latency_ms)
    r.error = error
    r.abstained = case.expect_in_scope
    r.failures = failures(case, r)
    return r


def failures(case: Case, r: CaseResult) -> list[str]:
    out: list[str] = []
    if r.error:
        return [f"error: {r.error}"]
    if not case.expect_in_scope:
        if r.n_citations:
            out.append(f"out of scope, but cited {r.n_citations} source(s)")
        if r.in_scope:
            out.append("out of scope, but answered as in scope")
        return out
    if r.abstained:
        out.append("refused or cited nothing, though the materials cover it")
    if r.hit5 == 0.0:
        out.append("no expected resource in the top 5")
    elif r.recall5 is not None and r.recall5 < 1.0 and case.all_of:
        missing = [rid for rid in case.all_of if rid not in r.ranked[:RECALL_K]]
        if missing:
            out.append(f"required resource(s) missing from the top 5: {', '.join(missing)}")
    if case.concepts:
        if not r.path:
            out.append("no study path")
        else:
            missing = [c for c in case.concepts if c not in r.path]
            if missing:
                out.append(f"study path misses: {', '.join(missing)}")
            if r.kendall_tau is not None and r.kendall_tau < MIN_ORDER_TAU:
                out.append(f"study order disagrees (Kendall tau {r.kendall_tau:.2f})")
    out += r.citation_problems
    if r.stray_urls:
        out.append(f"answer text shows URL(s) outside the catalog and the index: {', '.join(r.stray_urls)}")
    return out


# ================================================================ aggregation


def summarize(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Mean metrics over a set of results (each metric over the cases it applies to)."""
    in_scope = [r for r in results if r.expect_in_scope]
    oos = [r for r in results if not r.expect_in_scope]
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    checked = [r for r in results if r.citations_valid is not None]
    validity = [r.citations_valid for r in checked]
    support = [r.support for r in results if r.support is not None]
    grounded = [r.grounded for r in results if r.grounded is not None]
    ranked_cases = [r for r in in_scope if r.hit1 is not None]
    concept_cases = [r for r in in_scope if r.concept_recall is not None]
    return {
        "cases": len(results),
        "errors": sum(1 for r in results if r.error),
        "failing": sum(1 for r in results if r.failures),
        "hit@1": mean(r.hit1 for r in ranked_cases),
        "hit@5": mean(r.hit5 for r in ranked_cases),
        "recall@5": mean(r.recall5 for r in ranked_cases),
        "mrr": mean(r.rr for r in ranked_cases),
        "ndcg@10": mean(r.ndcg10 for r in ranked_cases),
        "ranked_cases": len(ranked_cases),
        "concept_recall": mean(r.concept_recall for r in concept_cases),
        "kendall_tau": mean(r.kendall_tau for r in concept_cases),
        "concept_cases": len(concept_cases),
        "tau_cases": sum(1 for r in concept_cases if r.kendall_tau is not None),
        "citation_validity": (sum(validity) / len(validity)) if validity else None,
        "stray_url_answers": (sum(1 for r in checked if r.stray_urls) / len(checked)) if checked else None,
        "oos_abstention": (sum(1 for r in oos if r.abstained and not r.n_citations) / len(oos)) if oos else None,
        "oos_cases": len(oos),
        "over_refusal": (sum(1 for r in in_scope if r.abstained) / len(in_scope)) if in_scope else None,
        "retrieval_hit@5": mean(r.ret_hit5 for r in ranked_cases),
        "retrieval_mrr": mean(r.ret_rr for r in ranked_cases),
        "retrieval_file_hit@5": mean(r.ret_file_hit5 for r in in_scope),
        "file_cases": sum(1 for r in in_scope if r.ret_file_hit5 is not None),
        "supported_sentences": mean(support),
        "grounded_sentences": mean(grounded),
        "support_answers": len(support),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def summarize_groups(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Overall, per kind, per language, and per kind within each language (issue 11's Chinese target is per kind)."""
    kinds = [k for k in KINDS if any(r.kind == k for r in results)]
    by_kind = {k: summarize([r for r in results if r.kind == k]) for k in kinds}
    langs = sorted({r.lang for r in results})
    return {
        "overall": summarize(results),
        "by_kind": by_kind,
        "by_lang": {lang: summarize([r for r in results if r.lang == lang]) for lang in langs},
        "by_lang_kind": {
            f"{lang} {k}": summarize(group)
            for lang in langs
            for k in kinds
            if (group := [r for r in results if r.lang == lang and r.kind == k])
        },
    }
