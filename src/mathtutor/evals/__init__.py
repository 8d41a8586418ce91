"""Offline evals: score the tutor on ``evals/cases.jsonl``, with ablations and a naive RAG baseline.

A case says what a good tutor should answer (resources, study-path concepts, or nothing at all); the
metrics are small pure functions so the tests can check them on hand-made answers. The runner asks every
case once per configuration (BM25 only, dense only, hybrid, hybrid + topic graph, and a tutorial-style
LangChain RAG over the same files) in one process, then writes ``report.json``, ``report.md`` (failing
cases with what was expected and what came back) and ``ablation.png``. Heavy imports (the tutor,
LangChain, matplotlib, scipy) happen on first use.

Modules: ``cases`` (schema, loading) -> ``metrics`` (pure) -> ``scoring`` (one answer, aggregation) ->
``configs`` / ``baseline`` / ``runner`` (asking) -> ``report`` (JSON, markdown, chart) -> ``command``.
"""

from mathtutor.evals.baseline import NaiveRag
from mathtutor.evals.cases import DEFAULT_CASES, SUPPORT_THRESHOLD, Case, CaseFileError, load_cases, parse_cases
from mathtutor.evals.command import run_eval
from mathtutor.evals.configs import ABLATIONS, FULL, NAIVE, Config
from mathtutor.evals.metrics import (
    CitationFacts,
    citation_problems,
    cited_sentences,
    concept_recall,
    hit_at_k,
    ndcg_at_k,
    order_agreement,
    ranked_resources,
    recall_at_k,
    reciprocal_rank,
    stray_urls,
    supported_share,
)
from mathtutor.evals.report import render_markdown, write_report
from mathtutor.evals.runner import evaluate, run_config
from mathtutor.evals.scoring import CaseResult, score_answer, summarize, summarize_groups

__all__ = [
    "ABLATIONS",
    "DEFAULT_CASES",
    "FULL",
    "NAIVE",
    "SUPPORT_THRESHOLD",
    "Case",
    "CaseFileError",
    "CaseResult",
    "CitationFacts",
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
