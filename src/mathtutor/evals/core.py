"""Offline evals: score the tutor on ``evals/cases.jsonl``, with ablations and a naive RAG baseline.

A case says what a good tutor should answer (resources, study-path concepts, or nothing at all);
the metrics below are small pure functions so the tests can check them on hand-made answers. The
runner asks every case once per configuration (BM25 only, dense only, hybrid, hybrid + topic graph,
and a tutorial-style LangChain RAG over the same files) in one process, then writes
``report.json``, ``report.md`` (failing cases with what was expected and what came back) and
``ablation.png``. Heavy imports (the tutor, LangChain, matplotlib, scipy) happen on first use.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mathtutor.settings import PROJECT_ROOT, get_settings
from mathtutor.types import CITATION_MARKER

if TYPE_CHECKING:
    import argparse

    from mathtutor.knowledge.catalog import Catalog
    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.tutor import Tutor

DEFAULT_CASES = PROJECT_ROOT / "evals" / "cases.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "evals" / "reports"
KINDS = ("plan", "concept", "resource", "level", "chinese", "followup", "out_of_scope")
#: Cut-offs of the ranking metrics.
HIT_KS = (1, 5)
RECALL_K = 5
NDCG_K = 10
#: An answer sentence counts as supported when its embedding (MiniLM, cosine) is at least this close
#: to a passage it cites. Calibrated on the extractive answers of the eval set (2026-11-21), whose
#: sentences are copied from the passage they cite: against that passage they score p5 0.56 /
#: median 0.76 (default index, 250 sentences; corpus-real: p5 0.46 / median 0.69), against a
#: passage cited for another question median 0.18 / p95 0.49 (corpus-real 0.17 / 0.49). At 0.5,
#: 98 % (93 %) of genuine support passes and 5 % of unrelated pairs do: the point where both error
#: rates are small. Every extractive run re-measures this into the report ("support calibration").
SUPPORT_THRESHOLD = 0.5
#: Kendall tau below this is reported as a disagreement with the expected study order.
MIN_ORDER_TAU = 0.5
NAIVE_K = 5
NAIVE_CHUNK_CHARS, NAIVE_OVERLAP_CHARS = 1000, 200

_CJK = re.compile(r"[\u3400-\u9fff]")
_CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_URL_IN_TEXT = re.compile(r"https?://[^\s)\]>]+")


# ================================================================ cases


class Turn(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class Case(BaseModel):
    """One eval question and what a good tutor should answer.

    ``any_of``: one of these catalog resources is enough; ``all_of``: each of these is needed;
    ``concepts``: the study path should contain these, in this (prerequisite) order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Literal["plan", "concept", "resource", "level", "chinese", "followup", "out_of_scope"]
    q: str = Field(min_length=1)
    history: tuple[Turn, ...] = ()
    level: Literal["beginner", "practitioner", "researcher"] | None = None
    lang: Literal["en", "zh"] = "en"
    expect_in_scope: bool = True
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    expect_no_citations: bool = False
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _CASE_ID.match(v):
            raise ValueError(f"case ids are lower-case slugs ([a-z0-9-]): {v!r}")
        return v

    @field_validator("any_of", "all_of", "concepts")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        dupes = sorted({x for x in v if v.count(x) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        expects = bool(self.any_of or self.all_of or self.concepts)
        if set(self.any_of) & set(self.all_of):
            raise ValueError(f"in both any_of and all_of: {', '.join(sorted(set(self.any_of) & set(self.all_of)))}")
        if self.kind == "out_of_scope" and self.expect_in_scope:
            raise ValueError("kind 'out_of_scope' needs expect_in_scope: false")
        if not self.expect_in_scope:
            if expects:
                raise ValueError("an out-of-scope case cannot expect resources or concepts")
            if not self.expect_no_citations:
                raise ValueError("an out-of-scope case must set expect_no_citations: true")
        else:
            if self.expect_no_citations:
                raise ValueError("expect_no_citations is only for out-of-scope cases")
            if not expects:
                raise ValueError("an in-scope case needs any_of, all_of or concepts to score against")
        if self.kind == "followup" and not self.history:
            raise ValueError("a follow-up case needs a history")
        if self.history and self.history[-1].role != "assistant":
            raise ValueError("the history must end with the assistant's turn (the question is 'q')")
        if self.kind == "chinese" and self.lang != "zh":
            raise ValueError("kind 'chinese' needs lang: 'zh'")
        if self.lang == "zh" and not _CJK.search(self.q):
            raise ValueError("lang 'zh' but the question has no Chinese characters")
        return self

    @property
    def expected_ids(self) -> set[str]:
        return set(self.any_of) | set(self.all_of)


class CaseFileError(ValueError):
    """The eval case file is unreadable or a case is malformed; the message names the line and id."""


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown field {loc!r}")
        elif err["type"] == "missing":
            parts.append(f"missing field {loc!r}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_cases(
    text: str, *, source: str = "<cases>", catalog: Catalog | None = None, topics: TopicGraph | None = None
) -> list[Case]:
    """Validate JSONL text (one case per line); every problem is reported at once, by line and id.

    With ``catalog``/``topics``, resource ids must be catalog resources (not parts), concept ids must
    exist, and ``concepts`` must never list a concept after one of its own prerequisites.
    """
    cases: list[Case] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    resource_ids = {r.id for r in catalog.resources} if catalog is not None else None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{source}:{lineno}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict):
            errors.append(f"{source}:{lineno}: each line must be a JSON object, got {type(raw).__name__}")
            continue
        label = f"{source}:{lineno} (id {raw.get('id')!r})" if isinstance(raw.get("id"), str) else f"{source}:{lineno}"
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            errors.append(f"{label}: {_describe(exc)}")
            continue
        if case.id in seen:
            errors.append(f"{label}: duplicate id (first used on line {seen[case.id]})")
            continue
        seen[case.id] = lineno
        if resource_ids is not None:
            for group in ("any_of", "all_of"):
                for rid in getattr(case, group):
                    if rid not in resource_ids:
                        hint = " (a part id: use its resource)" if catalog is not None and rid in catalog else ""
                        errors.append(f"{label}: {group}: {rid!r} is not a catalog resource id{hint}")
        if topics is not None:
            unknown = [c for c in case.concepts if c not in topics]
            for c in unknown:
                errors.append(f"{label}: concepts: unknown concept id {c!r}")
            known = [c for c in case.concepts if c in topics]
            for i, later in enumerate(known):
                needs = set(topics.prerequisites(later))
                for earlier in known[i + 1 :]:
                    if earlier in needs:
                        errors.append(f"{label}: concepts: {later!r} is listed before its prerequisite {earlier!r}")
        cases.append(case)
    if errors:
        shown = errors[:25] + ([f"... and {len(errors) - 25} more"] if len(errors) > 25 else [])
        raise CaseFileError(f"invalid eval cases ({len(errors)} problem(s)):\n  - " + "\n  - ".join(shown))
    if not cases:
        raise CaseFileError(f"{source}: no cases")
    return cases


def load_cases(
    path: Path | str | None = None, *, catalog: Catalog | None = None, topics: TopicGraph | None = None
) -> list[Case]:
    """Read and validate a case file (default: evals/cases.jsonl); see :func:`parse_cases`."""
    p = Path(path) if path is not None else DEFAULT_CASES
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read eval cases {p}: {exc}") from exc
    return parse_cases(text, source=str(p), catalog=catalog, topics=topics)


# ================================================================ metrics (pure)


def ranked_resources(citations: Iterable[dict[str, Any]], catalog: Catalog | None) -> list[str]:
    """Catalog resource ids of the citations, in citation order, deduplicated (part ids -> resource).

    Citations of things that are not catalog resources (mathtutor's own notes, unlinked files) are left
    out: the ranking metrics are over catalog resources only.
    """
    out: list[str] = []
    for c in citations:
        rid = c.get("resource_id")
        if not rid:
            continue
        if catalog is not None:
            if rid not in catalog:
                continue
            rid = catalog.resource_of(rid).id
        if rid not in out:
            out.append(rid)
    return out


def _groups(any_of: Sequence[str], all_of: Sequence[str]) -> list[set[str]]:
    """Each all_of id is a group of its own; any_of is one group that any member satisfies."""
    groups = [{rid} for rid in all_of]
    if any_of:
        groups.append(set(any_of))
    return groups


def hit_at_k(ranked: Sequence[str], any_of: Sequence[str], all_of: Sequence[str], k: int) -> float | None:
    """1.0 if some expected resource is among the first ``k``; None when nothing is expected."""
    relevant = set(any_of) | set(all_of)
    if not relevant:
        return None
    return 1.0 if relevant & set(ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], any_of: Sequence[str], all_of: Sequence[str], k: int) -> float | None:
    """Share of expectation groups (each all_of id, the any_of set) satisfied within the first ``k``."""
    groups = _groups(any_of, all_of)
    if not groups:
        return None
    top = set(ranked[:k])
    return sum(1 for g in groups if g & top) / len(groups)


def reciprocal_rank(ranked: Sequence[str], any_of: Sequence[str], all_of: Sequence[str]) -> float | None:
    """1 / rank of the first expected resource (0 if none came back); None when nothing is expected."""
    relevant = set(any_of) | set(all_of)
    if not relevant:
        return None
    for i, rid in enumerate(ranked, start=1):
        if rid in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], any_of: Sequence[str], all_of: Sequence[str], k: int) -> float | None:
    """Binary nDCG over expectation groups: a group earns gain 1 at the rank where it is first met."""
    groups = _groups(any_of, all_of)
    if not groups:
        return None
    met: set[int] = set()
    dcg = 0.0
    for i, rid in enumerate(ranked[:k]):
        for gi, group in enumerate(groups):
            if gi not in met and rid in group:
                met.add(gi)
                dcg += 1.0 / math.log2(i + 2)
                break
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(groups), k)))
    return dcg / ideal


def concept_recall(expected: Sequence[str], path: Sequence[str]) -> float | None:
    """Share of the expected concepts that the study path contains; None when none are expected."""
    if not expected:
        return None
    got = set(path)
    return sum(1 for c in expected if c in got) / len(expected)


def order_agreement(expected: Sequence[str], path: Sequence[str]) -> float | None:
    """Kendall tau between the expected order and the path's order of the concepts both contain.

    None when fewer than two expected concepts are in the path (no order to compare).
    """
    position = {c: i for i, c in enumerate(path)}
    common = [c for c in expected if c in position]
    if len(common) < 2:
        return None
    from scipy.stats import kendalltau

    tau = kendalltau(list(range(len(common))), [position[c] for c in common]).statistic
    return None if tau is None or math.isnan(tau) else float(tau)


def citation_problems(answer_text: str, citations: Sequence[dict[str, Any]], valid_urls: set[str]) -> list[str]:
    """What does not resolve: ``[n]`` markers without a citation, cited URLs we do not know.

    ``valid_urls`` holds normalised URLs (catalog.normalize_url) of the catalog and the ingested files.
    """
    from mathtutor.links import normalize_url

    problems: list[str] = []
    numbers = {c.get("n") for c in citations}
    missing = sorted({int(n) for n in CITATION_MARKER.findall(answer_text or "")} - numbers)
    problems += [f"[{n}] in the answer resolves to no citation" for n in missing]
    for c in citations:
        url = c.get("url")
        if not url:
            problems.append(f"citation [{c.get('n')}] has no URL")
        elif normalize_url(url) not in valid_urls:
            problems.append(f"citation [{c.get('n')}] URL {url} is neither a catalog URL nor an ingested file's")
    return problems


def stray_urls(answer_text: str, valid_urls: set[str]) -> list[str]:
    """URLs written in the answer text that are neither catalog URLs nor ingested files' URLs.

    Not citations, but a learner sees them as links the tutor vouches for: copied from a passage
    (third-party, sometimes cut off) or, with an LLM backend, made up.
    """
    from mathtutor.links import normalize_url

    out = []
    for url in _URL_IN_TEXT.findall(answer_text or ""):
        url = url.rstrip(".,;:'\"")
        if normalize_url(url) not in valid_urls and url not in out:
            out.append(url)
    return out


def cited_sentences(answer_text: str) -> list[tuple[str, list[int]]]:
    """The answer's prose sentences with the ``[n]`` numbers each cites (markers removed from the text).

    The study-path block, notes in italics (``_..._``) and lead-in lines ending in a colon are not prose
    claims and are skipped; a marker
    that stands after the full stop (``... end. [2]``) belongs to the sentence before it.
    """
    body = (answer_text or "").split("**Study path for", 1)[0].split("**Where to read more**", 1)[0]
    out: list[tuple[str, list[int]]] = []
    for raw_line in body.splitlines():
        line = raw_line.strip().lstrip("-*• ").strip()
        if not line or line.startswith(("_", "**")) or (line.endswith(":") and not CITATION_MARKER.search(line)):
            continue  # notes in italics, bold headings, lead-ins such as "Here is what the materials say:"
        for piece in re.split(r"(?<=[.!?。！？])\s+", line):
            numbers = [int(n) for n in CITATION_MARKER.findall(piece)]
            text = " ".join(CITATION_MARKER.sub(" ", piece).split())
            if out and numbers and len(re.sub(r"\W", "", text)) == 0:
                out[-1][1].extend(numbers)
                continue
            words = len(text.split()) + len(_CJK.findall(text))
            if words < 4:
                continue
            out.append((text, numbers))
    return out


def supported_share(similarities: Sequence[float | None], threshold: float = SUPPORT_THRESHOLD) -> float | None:
    """Share of sentences whose best similarity to a cited passage reaches ``threshold`` (None = uncited)."""
    if not similarities:
        return None
    return sum(1 for s in similarities if s is not None and s >= threshold) / len(similarities)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


# ================================================================ scoring one answer


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
    valid_urls: set[str] | None,
    latency_ms: float | None = None,
) -> CaseResult:
    """Score an answer dict (``Answer.to_dict()`` shape) against a case. ``valid_urls`` None: not checked."""
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
    if valid_urls is not None:
        r.citation_problems = citation_problems(answer.get("answer") or "", citations, valid_urls)
        r.citations_valid = not r.citation_problems
        r.stray_urls = stray_urls(answer.get("answer") or "", valid_urls)
    r.failures = _failures(case, r)
    return r


def _failures(case: Case, r: CaseResult) -> list[str]:
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
    in_scope = [r for r in results if r.expect_in_scope and not r.error]
    oos = [r for r in results if not r.expect_in_scope and not r.error]
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
        "hit@1": _mean(r.hit1 for r in ranked_cases),
        "hit@5": _mean(r.hit5 for r in ranked_cases),
        "recall@5": _mean(r.recall5 for r in ranked_cases),
        "mrr": _mean(r.rr for r in ranked_cases),
        "ndcg@10": _mean(r.ndcg10 for r in ranked_cases),
        "ranked_cases": len(ranked_cases),
        "concept_recall": _mean(r.concept_recall for r in concept_cases),
        "kendall_tau": _mean(r.kendall_tau for r in concept_cases),
        "concept_cases": len(concept_cases),
        "tau_cases": sum(1 for r in concept_cases if r.kendall_tau is not None),
        "citation_validity": (sum(validity) / len(validity)) if validity else None,
        "stray_url_answers": (sum(1 for r in checked if r.stray_urls) / len(checked)) if checked else None,
        "oos_abstention": (sum(1 for r in oos if r.abstained and not r.n_citations) / len(oos)) if oos else None,
        "oos_cases": len(oos),
        "over_refusal": (sum(1 for r in in_scope if r.abstained) / len(in_scope)) if in_scope else None,
        "retrieval_hit@5": _mean(r.ret_hit5 for r in ranked_cases),
        "retrieval_mrr": _mean(r.ret_rr for r in ranked_cases),
        "supported_sentences": _mean(support),
        "grounded_sentences": _mean(grounded),
        "support_answers": len(support),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def summarize_groups(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Overall, per kind and per language."""
    by_kind = {k: summarize([r for r in results if r.kind == k]) for k in KINDS if any(r.kind == k for r in results)}
    langs = sorted({r.lang for r in results})
    return {
        "overall": summarize(results),
        "by_kind": by_kind,
        "by_lang": {lang: summarize([r for r in results if r.lang == lang]) for lang in langs},
    }


# ================================================================ running


@dataclass(frozen=True, slots=True)
class Config:
    """One ablation: a retrieval mode with or without the topic graph (or the naive baseline)."""

    name: str
    label: str
    mode: str | None = None
    use_graph: bool = True


FULL = Config("hybrid+graph", "hybrid + topic graph (full tutor)", "hybrid", True)
ABLATIONS = (
    Config("bm25", "BM25 only", "bm25", False),
    Config("dense", "dense only", "dense", False),
    Config("hybrid", "hybrid (BM25 + dense, RRF)", "hybrid", False),
    FULL,
)
NAIVE = Config("naive-rag", f"naive LangChain RAG (FAISS top-{NAIVE_K}, no catalog)")


def valid_url_set(tutor: Tutor) -> set[str]:
    """Normalised URLs a citation may point at: catalog resources and parts (with aliases), ingested files."""
    from mathtutor.index.store import read_manifest
    from mathtutor.links import normalize_url

    urls: set[str] = set()
    if tutor.catalog is not None:
        for res in tutor.catalog.resources:
            urls.update(res.all_urls())
            for part in res.parts:
                urls.update(([part.url] if part.url else []) + list(part.alias_urls))
    manifest = read_manifest(tutor.settings.index_dir) or {}
    urls.update(e["url"] for e in (manifest.get("files") or {}).values() if e.get("url"))
    from mathtutor.tutor.compose import public_link

    for chunk in tutor.store.iter_chunks():
        if chunk.url:
            urls.add(public_link(chunk, tutor.settings.public_url) or chunk.url)
    return {normalize_url(u) for u in urls}


class _PassageLookup:
    """Full text of the passage behind a citation (matched by link and locator), for the support metric."""

    def __init__(self, tutor: Tutor):
        from mathtutor.tutor.compose import public_link

        self._by_key: dict[tuple[str, str], list[str]] = {}
        for chunk in tutor.store.iter_chunks():
            link = public_link(chunk, tutor.settings.public_url)  # as citations show it (study notes!)
            self._by_key.setdefault((link or "", chunk.locator()), []).append(chunk.text)

    def texts(self, citation: dict[str, Any]) -> list[str]:
        found = self._by_key.get((citation.get("url") or "", citation.get("locator") or ""))
        return found or [f"{citation.get('title', '')}. {citation.get('snippet', '')}"]


def _support_pairs(answer: dict[str, Any], lookup: _PassageLookup) -> list[tuple[str, list[str]]]:
    """(sentence, texts of the passages it cites) for each prose sentence of an answer."""
    by_n = {c["n"]: c for c in answer.get("citations") or []}
    return [
        (text, [t for n in dict.fromkeys(numbers) if n in by_n for t in lookup.texts(by_n[n])])
        for text, numbers in cited_sentences(answer.get("answer") or "")
    ]


def _embed_unique(embedder: Any, texts: Iterable[str]) -> dict[str, Any]:
    unique = list(dict.fromkeys(texts))
    return dict(zip(unique, embedder.embed(unique), strict=True)) if unique else {}


def _best_similarity(vecs: dict[str, Any], sentence: str, passages: Sequence[str]) -> float | None:
    if not passages:
        return None
    return max(float(vecs[p] @ vecs[sentence]) for p in passages)


def _sentence_similarities(
    embedder: Any, answer: dict[str, Any], lookup: _PassageLookup
) -> tuple[list[float | None], list[float | None]]:
    """Per prose sentence: best cosine to a passage it cites (None if it cites nothing), and best
    cosine to any passage the answer cites (grounding whether or not the sentence has a marker)."""
    pairs = _support_pairs(answer, lookup)
    every = [t for c in answer.get("citations") or [] for t in lookup.texts(c)]
    vecs = _embed_unique(embedder, [t for s, group in pairs for t in (s, *group)] + every)
    return [_best_similarity(vecs, s, group) for s, group in pairs], [
        _best_similarity(vecs, s, every) for s, _ in pairs
    ]


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, unit="case", dynamic_ncols=True, file=sys.stderr)


def run_config(
    tutor: Tutor,
    cases: Sequence[Case],
    config: Config,
    *,
    backend: str = "extractive",
    valid_urls: set[str] | None = None,
    lookup: _PassageLookup | None = None,
    bar: Any = None,
    answers: dict[str, dict[str, Any]] | None = None,
    retrieval: bool = True,
) -> list[CaseResult]:
    """Ask every case with ``config``'s ablation (retrieval mode, topic graph) as arguments of each call.

    ``answers``, when given, receives each answer dict by case id (for the support calibration).
    With ``retrieval``, the passages the retriever finds for the question are scored too.
    """
    results: list[CaseResult] = []
    for case in cases:
        t0 = time.perf_counter()
        try:
            answer = tutor.ask(
                case.q,
                history=[t.model_dump() for t in case.history],
                level=case.level,
                backend=backend,
                mode=config.mode or "hybrid",
                use_graph=config.use_graph,
            ).to_dict()
        except Exception as exc:  # one broken case must not hide the other results
            r = CaseResult(case.id, case.kind, case.lang, config.name, case.expect_in_scope)
            r.error = f"{type(exc).__name__}: {exc}"
            r.latency_ms = (time.perf_counter() - t0) * 1000
            r.failures = _failures(case, r)
            results.append(r)
        else:
            if answers is not None:
                answers[case.id] = answer
            r = score_answer(case, answer, config=config.name, catalog=tutor.catalog, valid_urls=valid_urls)
            if retrieval and case.expected_ids:
                _score_retrieval(tutor, case, config, r)
            if lookup is not None and backend != "extractive" and answer.get("in_scope"):
                own, anywhere = _sentence_similarities(tutor.embedder, answer, lookup)
                r.support, r.grounded = supported_share(own), supported_share(anywhere)
                r.support_sentences = len(own)
            results.append(r)
        if bar is not None:
            bar.update(1)
    return results


def _score_retrieval(tutor: Tutor, case: Case, config: Config, r: CaseResult) -> None:
    """Resource ranking of the raw retrieved passages (question only, before the answer is composed).

    This isolates what each retrieval mode finds from what the tutor then does with it (scope gate,
    catalog recommendations); with the graph, detected concepts expand the query as in the tutor.
    """
    use_graph = config.use_graph and tutor.topics is not None
    concepts = tutor.topics.detect(case.q) if use_graph else []
    hits = tutor.retriever.search(case.q, k=tutor.settings.top_k, concepts=concepts, mode=config.mode or "hybrid")
    r.retrieved = ranked_resources(({"resource_id": h.chunk.resource_id} for h in hits), tutor.catalog)
    r.ret_hit5 = hit_at_k(r.retrieved, case.any_of, case.all_of, HIT_KS[1])
    r.ret_rr = reciprocal_rank(r.retrieved, case.any_of, case.all_of)


def support_calibration(tutor: Tutor, answers: Iterable[dict[str, Any]], lookup: _PassageLookup) -> dict[str, Any]:
    """Similarity of extractive sentences to their own cited passage vs to a passage cited elsewhere.

    Extractive sentences are copied from the passage they cite, so "own" is what support looks like;
    "other" (the passages of a sentence half the list away, almost always another question's) is
    what unrelated text scores.
    """
    sentences = [
        (text, group)
        for answer in answers
        if answer.get("in_scope")
        for text, group in _support_pairs(answer, lookup)
        if group
    ]
    if len(sentences) < 4:
        return {"pairs": len(sentences)}
    vecs = _embed_unique(tutor.embedder, [t for s, group in sentences for t in (s, *group)])
    half = len(sentences) // 2
    own = [_best_similarity(vecs, s, group) or 0.0 for s, group in sentences]
    other = [
        _best_similarity(vecs, s, sentences[(i + half) % len(sentences)][1]) or 0.0
        for i, (s, _) in enumerate(sentences)
    ]
    return {
        "pairs": len(sentences),
        "threshold": SUPPORT_THRESHOLD,
        "own_p5": percentile(own, 5),
        "own_p50": percentile(own, 50),
        "other_p50": percentile(other, 50),
        "other_p95": percentile(other, 95),
        "own_at_or_above": sum(s >= SUPPORT_THRESHOLD for s in own) / len(own),
        "other_at_or_above": sum(s >= SUPPORT_THRESHOLD for s in other) / len(other),
    }


# ---------------------------------------------------------------- the naive baseline


class NaiveRag:
    """The tutorial pipeline: whole files -> 1000/200-character chunks -> FAISS (in memory) -> top 5.

    It knows nothing of the catalog or the topic graph; its "resource ids" are the resource each
    hit's source file was linked to at ingest time (index manifest ``files[key]["resource_id"]``).
    """

    def __init__(self, store: Any, resource_of: dict[str, str | None], url_of: dict[str, str | None], stats: dict):
        self.store = store
        self.resource_of = resource_of
        self.url_of = url_of
        self.stats = stats

    @classmethod
    def build(cls, index_dir: Path, embedder: Any) -> NaiveRag:
        """Load the files the index was built from, split, embed with ``embedder.as_langchain()``."""
        import logging
        import warnings

        with warnings.catch_warnings():  # the package's own "being sunset" notice: the baseline is meant to be it
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.document_loaders import PyPDFLoader, TextLoader
            from langchain_community.vectorstores import FAISS
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from mathtutor.index.store import read_manifest

        t0 = time.perf_counter()
        files = (read_manifest(Path(index_dir)) or {}).get("files") or {}
        docs, missing, failed = [], [], []
        pypdf_log = logging.getLogger("pypdf")
        level = pypdf_log.level
        pypdf_log.setLevel(logging.ERROR)  # "Ignoring wrong pointing object" noise on real-world PDFs
        try:
            for key, entry in files.items():
                path = Path(key)
                if not path.is_file():
                    alt = PROJECT_ROOT / entry.get("path", "")
                    if not alt.is_file():
                        missing.append(key)
                        continue
                    path = alt
                try:
                    if path.suffix.lower() == ".pdf":
                        loaded = PyPDFLoader(str(path)).load()
                    else:  # .md / .txt / .srt / .vtt / catalog.yaml: as plain text
                        loaded = TextLoader(str(path), autodetect_encoding=True).load()
                except Exception as exc:  # a tutorial would crash; record it and go on
                    failed.append(f"{key}: {type(exc).__name__}: {exc}")
                    continue
                for d in loaded:
                    d.metadata["file_key"] = key
                docs.extend(loaded)
        finally:
            pypdf_log.setLevel(level)
        chunks = RecursiveCharacterTextSplitter(
            chunk_size=NAIVE_CHUNK_CHARS, chunk_overlap=NAIVE_OVERLAP_CHARS
        ).split_documents(docs)
        if not chunks:
            raise RuntimeError(f"naive baseline: no text could be loaded from the files of {index_dir}")
        store = FAISS.from_documents(chunks, embedder.as_langchain())
        stats = {
            "files": len(files) - len(missing) - len(failed),
            "files_missing": missing,
            "files_failed": failed,
            "chunks": len(chunks),
            "build_seconds": round(time.perf_counter() - t0, 1),
        }
        return cls(
            store,
            {k: e.get("resource_id") for k, e in files.items()},
            {k: e.get("url") for k, e in files.items()},
            stats,
        )

    def answer(self, question: str) -> dict[str, Any]:
        """The top-5 passages as an ``Answer.to_dict()``-shaped dict (it never abstains, has no path)."""
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question, k=NAIVE_K)
        ms = (time.perf_counter() - t0) * 1000
        citations = []
        for n, d in enumerate(docs, start=1):
            key = d.metadata.get("file_key")
            citations.append(
                {
                    "n": n,
                    "resource_id": self.resource_of.get(key),
                    "title": Path(key or "").name,
                    "url": self.url_of.get(key),
                    "locator": "",
                    "snippet": d.page_content[:300],
                    "score": 0.0,
                }
            )
        text = "\n\n".join(f"{d.page_content[:200]} [{c['n']}]" for d, c in zip(docs, citations, strict=True))
        return {
            "question": question,
            "in_scope": True,
            "answer": text,
            "citations": citations,
            "study_path": [],
            "concepts": [],
            "timings_ms": {"total": round(ms, 2)},
        }


def run_naive(rag: NaiveRag, cases: Sequence[Case], catalog: Catalog | None, bar: Any = None) -> list[CaseResult]:
    """Score the baseline. Only the last question is searched: the tutorial pipeline has no memory."""
    results = []
    for case in cases:
        answer = rag.answer(case.q)
        r = score_answer(case, answer, config=NAIVE.name, catalog=catalog, valid_urls=None)
        r.retrieved, r.ret_hit5, r.ret_rr = r.ranked, r.hit5, r.rr  # its answer is its retrieval
        if r.concept_recall is None and case.concepts:
            r.concept_recall = 0.0
        results.append(r)
        if bar is not None:
            bar.update(1)
    return results


# ---------------------------------------------------------------- whole evaluation


def evaluate(
    tutor: Tutor,
    cases: Sequence[Case],
    *,
    backend: str = "extractive",
    ablations: bool = True,
    naive: bool = True,
    progress: bool = True,
    calibrate: bool = True,
) -> dict[str, Any]:
    """Run the full tutor (and, with ``ablations``, every ablation and the naive baseline); return the report."""
    t_start = time.perf_counter()
    valid_urls = valid_url_set(tutor)
    lookup = _PassageLookup(tutor) if (backend != "extractive" or calibrate) else None
    main_cfg = FULL if backend == "extractive" else Config("tutor", f"full tutor, {backend} backend", "hybrid", True)
    plan: list[Config] = list(ABLATIONS) if ablations else []
    if main_cfg not in plan:
        plan.append(main_cfg)
    total = len(cases) * (len(plan) + (1 if ablations and naive else 0))
    results: dict[str, list[CaseResult]] = {}
    seconds: dict[str, float] = {}
    naive_stats: dict[str, Any] | None = None
    extractive_answers: dict[str, dict[str, Any]] = {}
    with _progress(total, progress) as bar:
        for config in plan:
            bar.set_description(config.name)
            t0 = time.perf_counter()
            results[config.name] = run_config(
                tutor,
                cases,
                config,
                backend=backend if config is main_cfg else "extractive",
                valid_urls=valid_urls,
                lookup=lookup,
                bar=bar,
                answers=extractive_answers if config is FULL else None,
            )
            seconds[config.name] = round(time.perf_counter() - t0, 1)
        if ablations and naive:
            bar.set_description("naive-rag: embedding the files")
            t0 = time.perf_counter()
            rag = NaiveRag.build(tutor.settings.index_dir, tutor.embedder)
            naive_stats = rag.stats
            bar.set_description(NAIVE.name)
            results[NAIVE.name] = run_naive(rag, cases, tutor.catalog, bar=bar)
            seconds[NAIVE.name] = round(time.perf_counter() - t0, 1)
    calibration = None
    if calibrate and lookup is not None and extractive_answers:
        calibration = support_calibration(tutor, extractive_answers.values(), lookup)
    labels = {c.name: c.label for c in (*ABLATIONS, NAIVE)}
    labels["tutor"] = f"full tutor, {backend} backend"
    from mathtutor.index.store import read_manifest

    manifest = read_manifest(tutor.settings.index_dir) or {}
    return {
        "meta": {
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "index_dir": _display_path(tutor.settings.index_dir),
            "index_chunks": len(tutor.store),
            "index_files": len(manifest.get("files") or {}),
            "index_chunker": manifest.get("chunker"),
            "backend": backend,
            "main": main_cfg.name,
            "cases": len(cases),
            "configs": list(results),
            "labels": {k: labels.get(k, k) for k in results},
            "seconds": seconds,
            "seconds_total": round(time.perf_counter() - t_start, 1),
            "support_threshold": SUPPORT_THRESHOLD,
            "naive": naive_stats,
            "support_calibration": calibration,
        },
        "summary": {name: summarize_groups(rs) for name, rs in results.items()},
        "results": results,
        "cases": {c.id: c for c in cases},
    }


# ================================================================ reports


def _display_path(path: Path | str) -> str:
    """Relative to the checkout when inside it, so committed reports do not name one machine's folders."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(p)


def report_paths(out: Path | None) -> dict[str, Path]:
    """``--out DIR`` -> DIR/report.json, report.md, ablation.png; ``--out DIR/report-X.json`` -> *-X.* there."""
    out = Path(out) if out is not None else DEFAULT_OUT
    if out.suffix.lower() == ".json":
        tail = out.stem.removeprefix("report")
        return {
            "json": out,
            "md": out.with_suffix(".md"),
            "png": out.with_name(f"ablation{tail}.png"),
        }
    return {"json": out / "report.json", "md": out / "report.md", "png": out / "ablation.png"}


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v * 100:.0f}%" if pct else f"{v:.2f}"
    return str(v)


_TABLE_COLS = (
    ("n", "cases", False),
    ("hit@1", "hit@1", False),
    ("hit@5", "hit@5", False),
    ("recall@5", "recall@5", False),
    ("MRR", "mrr", False),
    ("nDCG@10", "ndcg@10", False),
    ("retrieved hit@5", "retrieval_hit@5", False),
    ("retrieved MRR", "retrieval_mrr", False),
    ("concept recall", "concept_recall", False),
    ("order τ", "kendall_tau", False),
    ("citations valid", "citation_validity", True),
    ("stray URLs", "stray_url_answers", True),
    ("OOS abstention", "oos_abstention", True),
    ("over-refusal", "over_refusal", True),
    ("supported", "supported_sentences", True),
    ("grounded", "grounded_sentences", True),
    ("p50 ms", "latency_p50_ms", False),
    ("p95 ms", "latency_p95_ms", False),
)


def _row(name: str, s: dict[str, Any]) -> str:
    cells = []
    for _, key, pct in _TABLE_COLS:
        v = s.get(key)
        cells.append(f"{v:.0f}" if key.startswith("latency") and v is not None else _fmt(v, pct))
    return f"| {name} | " + " | ".join(cells) + " |"


def _header(first: str) -> list[str]:
    return [
        f"| {first} | " + " | ".join(h for h, _, _ in _TABLE_COLS) + " |",
        "|---|" + "---:|" * len(_TABLE_COLS),
    ]


def render_markdown(report: dict[str, Any], png_name: str | None) -> str:
    """The human report: headline, per kind/language, ablations, calibration, failing cases."""
    meta, summary = report["meta"], report["summary"]
    main = meta["main"]
    s = summary[main]
    source = f" from `{meta['cases_file']}`" if meta.get("cases_file") else ""
    lines = [
        f"# mathtutor eval report — {Path(meta['index_dir']).name}",
        "",
        f"- Created {meta['created']} on index `{meta['index_dir']}` ({meta['index_files']} files, "
        f"{meta['index_chunks']} chunks, chunker {meta['index_chunker']}).",
        f"- {meta['cases']} cases{source}; backend `{meta['backend']}`; configurations: {', '.join(meta['configs'])}.",
        f"- Wall time {meta['seconds_total']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in meta["seconds"].items())
        + ").",
        "",
        f"## Headline ({meta['labels'][main]})",
        "",
        *_header("scope"),
        _row("overall", s["overall"]),
        "",
        "### Per kind",
        "",
        *_header("kind"),
        *(_row(k, v) for k, v in s["by_kind"].items()),
        "",
        "### Per language",
        "",
        *_header("lang"),
        *(_row(k, v) for k, v in s["by_lang"].items()),
        "",
    ]
    if len(summary) > 1:
        lines += ["## Ablations (all cases)", "", *_header("configuration")]
        for name, sm in summary.items():
            lines.append(_row(meta["labels"].get(name, name), sm["overall"]))
        lines.append("")
        if png_name:
            lines += [f"![ablation chart]({png_name})", ""]
        lines += ["Per kind, hit@5 / concept recall / OOS abstention:", ""]
        kinds = [k for k in KINDS if k in s["by_kind"]]
        lines += ["| configuration | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
        for name, sm in summary.items():
            cells = []
            for k in kinds:
                v = sm["by_kind"].get(k, {})
                if k == "out_of_scope":
                    cells.append(f"abst. {_fmt(v.get('oos_abstention'), True)}")
                else:
                    cr = v.get("concept_recall")
                    cells.append(f"{_fmt(v.get('hit@5'))}" + (f" / {_fmt(cr)}" if cr is not None else ""))
            lines.append(f"| {meta['labels'].get(name, name)} | " + " | ".join(cells) + " |")
        lines.append("")
        if meta.get("naive"):
            nv = meta["naive"]
            lines += [
                f"Naive baseline: {nv['files']} files, {nv['chunks']} chunks of {NAIVE_CHUNK_CHARS}/"
                f"{NAIVE_OVERLAP_CHARS} characters, built in {nv['build_seconds']} s"
                + (f"; {len(nv['files_failed'])} file(s) failed to load" if nv["files_failed"] else "")
                + (f"; {len(nv['files_missing'])} file(s) missing" if nv["files_missing"] else "")
                + ". It searches the last question only, never abstains and builds no study path.",
                "",
            ]
            if not any(r.ranked for r in report["results"].get(NAIVE.name, [])):
                lines += [
                    "Its resource ids come only from files that were linked to a catalog resource at ingest; "
                    "none of this index's files is (study notes and catalog.yaml), so it cannot name a "
                    "catalog resource and scores 0 on the ranking metrics by construction.",
                    "",
                ]
    cal = meta.get("support_calibration")
    lines += ["## Supported sentences", ""]
    lines.append(
        f"A sentence of an LLM answer is *supported* when its MiniLM embedding has cosine similarity "
        f">= {meta['support_threshold']} with a passage it cites (uncited sentences count as unsupported); "
        "*grounded* relaxes this to any passage the answer cites, marker or not, which separates "
        '"says sourced things but forgets the [n]" from "says things no source says".'
    )
    if cal and cal.get("pairs", 0) >= 4:
        lines.append(
            f"Calibration on this run's extractive answers ({cal['pairs']} sentences, each copied from the "
            f"passage it cites): against its own passage p5 {cal['own_p5']:.2f}, median {cal['own_p50']:.2f} "
            f"({cal['own_at_or_above'] * 100:.0f}% at or above the threshold); against a passage cited for "
            f"another question median {cal['other_p50']:.2f}, p95 {cal['other_p95']:.2f} "
            f"({cal['other_at_or_above'] * 100:.0f}% at or above). The threshold sits between the two."
        )
    if meta["backend"] == "extractive":
        lines.append("The extractive backend copies its sentences, so the share is reported for LLM backends only.")
    lines += ["", "## Metric definitions", ""]
    lines += [
        "- Ranked list: resource ids of the answer's citations in citation order, part ids mapped to their "
        "resource, deduplicated, non-catalog sources (study notes) left out. For study plans the order is the "
        "path's, so hit@1 there asks whether the *first step* already cites an expected resource.",
        "- any_of is one group (any member satisfies it), each all_of id is a group of its own; recall@5 is the "
        "share of groups met in the top 5, nDCG@10 gives gain 1 to a group at the rank where it is first met.",
        "- Retrieved hit@5 / MRR: the same ranking metrics over the resource ids of the passages the "
        "retriever returns for the question alone (top_k, before the answer is composed): what each retrieval "
        "mode finds, separated from what the tutor then does with it.",
        "- Concept recall: share of expected concepts in the study path; order τ: Kendall tau between the "
        "expected order and the path's order of the concepts both contain (cases with >= 2 in common).",
        "- Citations valid: every [n] resolves to a citation and every cited URL is a catalog URL "
        "(resource or part, aliases included) or the URL of an ingested file. Stray URLs: share of answers "
        "whose *text* shows a URL that is neither (copied from a passage, or made up by an LLM).",
        "- OOS abstention: out-of-scope questions answered with nothing cited; over-refusal: in-scope "
        "questions refused or answered without any citation.",
        "",
    ]
    failing = [r for r in report["results"][main] if r.failures]
    lines += [f"## Failing cases ({len(failing)} of {len(report['results'][main])})", ""]
    for r in failing:
        case: Case = report["cases"][r.case_id]
        expected = []
        if case.any_of:
            expected.append("any of " + ", ".join(case.any_of))
        if case.all_of:
            expected.append("all of " + ", ".join(case.all_of))
        if case.concepts:
            expected.append("path " + " → ".join(case.concepts))
        if not case.expect_in_scope:
            expected.append("abstain, cite nothing")
        got = [f"in_scope={r.in_scope}", f"{r.n_citations} citations"]
        got.append("resources " + (", ".join(r.ranked[:NDCG_K]) or "none"))
        if case.concepts:
            got.append("path " + (" → ".join(r.path) or "none"))
        hist = f" (after {len(case.history)} earlier turns)" if case.history else ""
        lvl = f" [level {case.level}]" if case.level else ""
        lines += [
            f"### `{r.case_id}` ({r.kind}){lvl}",
            "",
            f"- Q{hist}: {case.q}",
            f"- Expected: {'; '.join(expected)}",
            f"- Got: {'; '.join(got)}",
            f"- Why it fails: {'; '.join(r.failures)}",
            f"- Answer begins: {r.answer_excerpt[:200]}" if r.answer_excerpt else "- Answer: (none)",
            "",
        ]
    return "\n".join(lines)


def plot_ablation(report: dict[str, Any], path: Path) -> None:
    """Grouped bars: one group per metric, one bar per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [
        ("hit@1", "hit@1"),
        ("hit@5", "hit@5"),
        ("MRR", "mrr"),
        ("nDCG@10", "ndcg@10"),
        ("retrieved\nhit@5", "retrieval_hit@5"),
        ("concept\nrecall", "concept_recall"),
        ("OOS\nabstention", "oos_abstention"),
        ("1 - over-\nrefusal", "over_refusal"),
    ]
    summary, labels = report["summary"], report["meta"]["labels"]
    names = list(summary)
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=110)
    for i, name in enumerate(names):
        s = summary[name]["overall"]
        vals = []
        for _, key in metrics:
            v = s.get(key)
            if key == "over_refusal" and v is not None:
                v = 1.0 - v
            vals.append(v if v is not None else 0.0)
        xs = [m + (i - (len(names) - 1) / 2) * width for m in range(len(metrics))]
        bars = ax.bar(xs, vals, width, label=labels.get(name, name))
        for b, v in zip(bars, vals, strict=True):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(metrics)), [m for m, _ in metrics])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("score (higher is better)")
    ax.set_title(f"mathtutor ablation — {Path(report['meta']['index_dir']).name}, {report['meta']['cases']} cases")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready report: full per-case results for the main configuration, compact ones for the rest."""
    main = report["meta"]["main"]
    compact = (
        "case_id",
        "hit1",
        "hit5",
        "recall5",
        "rr",
        "ndcg10",
        "ret_hit5",
        "ret_rr",
        "concept_recall",
        "kendall_tau",
        "abstained",
    )
    cases_out = {}
    for name, rs in report["results"].items():
        if name == main:
            cases_out[name] = [r.to_dict() for r in rs]
        else:
            cases_out[name] = [{k: getattr(r, k) for k in compact} | {"ranked": r.ranked[:5]} for r in rs]
    return {"meta": report["meta"], "summary": report["summary"], "cases": cases_out}


def write_report(report: dict[str, Any], out: Path | None = None) -> dict[str, Path]:
    """Write the JSON, markdown and (with more than one configuration) PNG; return their paths."""
    paths = report_paths(out)
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    paths["json"].write_text(json.dumps(report_json(report), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    png = paths["png"] if len(report["summary"]) > 1 else None
    if png is not None:
        plot_ablation(report, png)
    else:
        paths.pop("png")
    rel = png.name if png is not None and png.parent == paths["md"].parent else (str(png) if png else None)
    paths["md"].write_text(render_markdown(report, rel) + "\n", encoding="utf-8")
    return paths


def _headline(name: str, s: dict[str, Any]) -> str:
    def f(key: str, pct: bool = False) -> str:
        return _fmt(s.get(key), pct)

    p50, p95 = s.get("latency_p50_ms"), s.get("latency_p95_ms")
    lat = f"p50 {p50:.0f} ms, p95 {p95:.0f} ms" if p50 is not None else "latency –"
    sup = ""
    if s.get("supported_sentences") is not None:
        sup = f", supported {f('supported_sentences', True)} (grounded {f('grounded_sentences', True)})"
    return (
        f"{name}: hit@1 {f('hit@1')}  hit@5 {f('hit@5')}  recall@5 {f('recall@5')}  MRR {f('mrr')}  "
        f"nDCG@10 {f('ndcg@10')} | concepts {f('concept_recall')}, tau {f('kendall_tau')} | "
        f"citations valid {f('citation_validity', True)}, stray URLs {f('stray_url_answers', True)} | "
        f"OOS abstention {f('oos_abstention', True)}, over-refusal {f('over_refusal', True)}{sup} | {lat}"
    )


# ================================================================ CLI


def run_eval(args: argparse.Namespace) -> int:
    """``mathtutor eval``: validate the cases, run them, write the report, print the headline."""
    from mathtutor.knowledge.catalog import load_catalog
    from mathtutor.knowledge.topics import load_topics

    settings = get_settings(index_dir=args.index, backend=getattr(args, "backend", None))
    try:
        catalog = load_catalog(settings.corpus_dir / "catalog.yaml")
        topics = load_topics(settings.corpus_dir / "topics.yaml")
        cases = load_cases(args.cases, catalog=catalog, topics=topics)
    except CaseFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit is not None:
        if args.limit < 1:
            print("error: --limit must be at least 1", file=sys.stderr)
            return 2
        cases = cases[: args.limit]
    from mathtutor.tutor import Tutor

    tutor = Tutor.open(settings.index_dir, backend=settings.backend)
    backend = settings.backend
    if backend != "extractive":
        from mathtutor.llm import backend_status

        status = backend_status(backend, tutor.settings)
        if not status.available:
            print(f"error: backend {backend} is not available: {status.detail}", file=sys.stderr)
            return 2
    report = evaluate(
        tutor,
        cases,
        backend=backend,
        ablations=not args.no_ablations,
        progress=not args.json,
    )
    report["meta"]["cases_file"] = _display_path(Path(args.cases) if args.cases else DEFAULT_CASES)
    paths = write_report(report, args.out)
    if args.json:
        out = {"meta": report["meta"], "summary": report["summary"], "files": {k: str(v) for k, v in paths.items()}}
        print(json.dumps(out, ensure_ascii=False))
        return 0
    meta = report["meta"]
    print(
        f"mathtutor eval: {meta['cases']} cases on {meta['index_dir']} ({meta['backend']}), "
        f"{len(meta['configs'])} configuration(s) in {meta['seconds_total']:.0f} s"
    )
    for name, s in report["summary"].items():
        print("  " + _headline(meta["labels"].get(name, name), s["overall"]))
    failing = report["summary"][meta["main"]]["overall"]["failing"]
    print(f"{failing} failing case(s) listed in {paths['md']}")
    print("Report: " + ", ".join(str(p) for p in paths.values()))
    return 0


__all__ = [
    "ABLATIONS",
    "DEFAULT_CASES",
    "FULL",
    "NAIVE",
    "SUPPORT_THRESHOLD",
    "Case",
    "CaseFileError",
    "CaseResult",
    "Config",
    "NaiveRag",
    "citation_problems",
    "cited_sentences",
    "concept_recall",
    "evaluate",
    "hit_at_k",
    "load_cases",
    "ndcg_at_k",
    "order_agreement",
    "parse_cases",
    "ranked_resources",
    "recall_at_k",
    "reciprocal_rank",
    "render_markdown",
    "run_config",
    "run_eval",
    "score_answer",
    "stray_urls",
    "summarize",
    "summarize_groups",
    "supported_share",
    "write_report",
]
