"""Running the cases: the full tutor and each ablation in one process, support calibration, the whole report."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.evals.baseline import NaiveRag, run_naive
from mathtutor.evals.cases import HIT_KS, SUPPORT_THRESHOLD, Case, display_path
from mathtutor.evals.configs import ABLATIONS, FULL, NAIVE, Config
from mathtutor.evals.metrics import (
    CitationFacts,
    cited_sentences,
    hit_at_k,
    percentile,
    ranked_resources,
    reciprocal_rank,
    supported_share,
)
from mathtutor.evals.scoring import CaseResult, crashed_result, score_answer, summarize_groups
from mathtutor.evals.terms import Term, indexed_terms, run_terms

if TYPE_CHECKING:
    from mathtutor.tutor import Tutor


def citation_facts(tutor: Tutor) -> CitationFacts:
    """Catalog URLs per resource, and each passage's file with the file's length, from the live index."""
    from mathtutor.index.store import read_manifest
    from mathtutor.links import normalize_url

    urls_of: dict[str, frozenset[str]] = {}
    if tutor.catalog is not None:
        for res in tutor.catalog.resources:
            urls = set(res.all_urls())
            for part in res.parts:
                urls.update(([part.url] if part.url else []) + list(part.alias_urls))
            urls_of[res.id] = frozenset(normalize_url(u) for u in urls)
    manifest = read_manifest(tutor.settings.index_dir) or {}
    files = manifest.get("files") or {}
    file_pages = {k: int(e.get("pages") or 0) for k, e in files.items()}
    file_urls: dict[str, str] = {}
    chunk_file: dict[int, str] = {}
    file_seconds: dict[str, float] = {}
    for chunk in tutor.store.iter_chunks():
        if chunk.id is not None:
            chunk_file[chunk.id] = chunk.file_key
        # a file's own address: the URL its sources manifest gives it, else where it lies (the operator's files)
        own = chunk.url if (chunk.url or "").startswith("http") else Path(chunk.file_key).resolve().as_uri()
        file_urls.setdefault(chunk.file_key, normalize_url(own))
        if chunk.end_s is not None:
            file_seconds[chunk.file_key] = max(file_seconds.get(chunk.file_key, 0.0), chunk.end_s)
    return CitationFacts(urls_of, chunk_file, file_pages, file_seconds, file_urls)


class PassageLookup:
    """Full text of the passage behind a citation (matched by link and locator), for the support metric."""

    def __init__(self, tutor: Tutor):
        self._by_key: dict[tuple[str, str], list[str]] = {}
        from mathtutor.tutor.compose import public_link

        for chunk in tutor.store.iter_chunks():
            link = public_link(chunk, tutor.settings.public_url)  # as citations show it (study notes!)
            self._by_key.setdefault((link or "", chunk.locator()), []).append(chunk.text)

    def texts(self, citation: dict[str, Any]) -> list[str]:
        found = self._by_key.get((citation.get("url") or "", citation.get("locator") or ""))
        return found or [f"{citation.get('title', '')}. {citation.get('snippet', '')}"]


def _support_pairs(answer: dict[str, Any], lookup: PassageLookup) -> list[tuple[str, list[str]]]:
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


def sentence_similarities(
    embedder: Any, answer: dict[str, Any], lookup: PassageLookup
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
    facts: CitationFacts | None = None,
    lookup: PassageLookup | None = None,
    bar: Any = None,
    answers: dict[str, dict[str, Any]] | None = None,
    retrieval: bool = True,
) -> list[CaseResult]:
    """Ask every case under ``config`` (its retrieval mode and topic-graph switch are call arguments).

    ``answers``, when given, receives each answer dict by case id (for the support calibration).
    With ``retrieval``, the passages the retriever finds for the question are scored too. A case that
    raises is recorded as crashed and scored as a miss.
    """
    results: list[CaseResult] = []
    indexed = frozenset(k.replace("\\", "/") for k in (facts.file_pages if facts else {})) if retrieval else frozenset()
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
            error = f"{type(exc).__name__}: {exc}"
            r = crashed_result(case, config.name, error, latency_ms=(time.perf_counter() - t0) * 1000)
            results.append(r)
        else:
            if answers is not None:
                answers[case.id] = answer
            r = score_answer(case, answer, config=config.name, catalog=tutor.catalog, facts=facts)
            if retrieval and (case.expected_ids or case.expect_files):
                _score_retrieval(tutor, case, config, r, indexed)
            if lookup is not None and backend != "extractive" and answer.get("in_scope"):
                own, anywhere = sentence_similarities(tutor.embedder, answer, lookup)
                r.support, r.grounded = supported_share(own), supported_share(anywhere)
                r.support_sentences = len(own)
            results.append(r)
        if bar is not None:
            bar.update(1)
    return results


def _score_retrieval(tutor: Tutor, case: Case, config: Config, r: CaseResult, indexed: frozenset[str]) -> None:
    """Resource ranking of the raw retrieved passages (question only, before the answer is composed).

    This isolates what each retrieval mode finds from what the tutor then does with it (scope gate,
    catalog recommendations); with the graph, detected concepts expand the query as in the tutor.
    ``expect_files`` are scored only when one of them is in the index (``indexed``: its file keys).
    """
    use_graph = config.use_graph and tutor.topics is not None
    concepts = tutor.topics.detect(case.q) if use_graph else []
    hits = tutor.retriever.search(case.q, k=tutor.settings.top_k, concepts=concepts, mode=config.mode or "hybrid")
    r.retrieved = ranked_resources(({"resource_id": h.chunk.resource_id} for h in hits), tutor.catalog)
    if case.expected_ids:
        r.ret_hit5 = hit_at_k(r.retrieved, case.any_of, case.all_of, HIT_KS[1])
        r.ret_rr = reciprocal_rank(r.retrieved, case.any_of, case.all_of)
    if case.expect_files and any(k == f or k.endswith("/" + f) for k in indexed for f in case.expect_files):
        top = [h.chunk.file_key.replace("\\", "/") for h in hits[: HIT_KS[1]]]
        r.ret_file_hit5 = float(any(k == f or k.endswith("/" + f) for k in top for f in case.expect_files))


def support_calibration(tutor: Tutor, answers: Iterable[dict[str, Any]], lookup: PassageLookup) -> dict[str, Any]:
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


def evaluate(
    tutor: Tutor,
    cases: Sequence[Case],
    *,
    backend: str = "extractive",
    ablations: bool = True,
    naive: bool = True,
    progress: bool = True,
    calibrate: bool = True,
    terms: Sequence[Term] = (),
) -> dict[str, Any]:
    """Run the full tutor (and, with ``ablations``, every ablation and the naive baseline); return the report.

    ``terms`` whose files are in the index are asked too ('where does BOOK explain TERM').
    """
    t_start = time.perf_counter()
    facts = citation_facts(tutor)
    scored_terms = indexed_terms(terms, list(facts.file_pages))
    lookup = PassageLookup(tutor) if (backend != "extractive" or calibrate) else None
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
                facts=facts,
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
            "index_dir": display_path(tutor.settings.index_dir),
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
        "terms": run_terms(tutor, scored_terms) if scored_terms else None,
        "results": results,
        "cases": {c.id: c for c in cases},
    }
