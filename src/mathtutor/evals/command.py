"""The ``mathtutor eval`` command: validate the cases, run them, write the report, print the headline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mathtutor.evals.cases import SPLITS, CaseFileError, display_path, load_cases
from mathtutor.evals.report import headline, write_report
from mathtutor.evals.runner import evaluate
from mathtutor.evals.terms import TERM_SPLITS, load_terms
from mathtutor.settings import get_settings

if TYPE_CHECKING:
    import argparse


#: Exit status when the run finished but some case raised: the figures include them as misses.
EXIT_CRASHED = 1


def run_eval(args: argparse.Namespace) -> int:
    """``mathtutor eval``: validate the cases, run them, write the report, print the headline."""
    from mathtutor.knowledge.catalog import load_catalog
    from mathtutor.knowledge.topics import load_topics

    settings = get_settings(index_dir=args.index, backend=getattr(args, "backend", None))
    try:
        catalog = load_catalog(settings.corpus_dir / "catalog.yaml")
        topics = load_topics(settings.corpus_dir / "topics.yaml")
        split = getattr(args, "split", None) or "test"
        cases_path = Path(args.cases) if args.cases else SPLITS[split]
        cases = load_cases(cases_path, catalog=catalog, topics=topics)
        terms_path = TERM_SPLITS[split]
        terms = [] if getattr(args, "no_terms", False) else load_terms(terms_path)
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
        terms=terms,
    )
    report["meta"]["cases_file"] = display_path(cases_path)
    if report.get("terms"):
        report["terms"]["file"] = display_path(terms_path)
    seeds = getattr(args, "practice_seeds", 50)
    if seeds:
        from mathtutor.practice import selfcheck

        report["practice"] = selfcheck.run(seeds=seeds)
    paths = write_report(report, args.out)
    crashed = {name: s["overall"]["errors"] for name, s in report["summary"].items() if s["overall"]["errors"]}
    practice_failed = (report.get("practice") or {}).get("failed", 0)
    code = EXIT_CRASHED if crashed or practice_failed else 0
    if args.json:
        out = {"meta": report["meta"], "summary": report["summary"], "files": {k: str(v) for k, v in paths.items()}}
        print(json.dumps(out, ensure_ascii=False))
        return code
    meta = report["meta"]
    print(
        f"mathtutor eval: {meta['cases']} cases on {meta['index_dir']} ({meta['backend']}), "
        f"{len(meta['configs'])} configuration(s) in {meta['seconds_total']:.0f} s"
    )
    for name, s in report["summary"].items():
        print("  " + headline(meta["labels"].get(name, name), s["overall"]))
    if report.get("terms"):
        t = report["terms"]["summary"]
        k = report["terms"]["k"]
        print(
            f"  where is TERM explained: defining page cited first {t['hit@1']:.2f}, in the top {k} {t[f'hit@{k}']:.2f}"
            f" ({t['questions']} questions, {report['terms'].get('file', 'terms')})"
        )
    failing = report["summary"][meta["main"]]["overall"]["failing"]
    print(f"{failing} failing case(s) listed in {paths['md']}")
    print("Report: " + ", ".join(str(p) for p in paths.values()))
    if report.get("practice"):
        pr = report["practice"]
        c = pr["counts"]
        print(
            f"  practice: {c.get('problems', 0)} problems ({pr['generators']} generators x "
            f"{len(pr['levels'])} levels x {pr['seeds']} seeds): solutions {c.get('solution', 0)}, "
            f"rewrites {c.get('rewrite', 0)}, misconceptions "
            f"{c.get('misconception', 0)}, hints {c.get('hint', 0)}, citations {c.get('citations', 0)}; "
            f"{pr['failed']} failed"
        )
    if practice_failed:
        print(f"error: {practice_failed} practice check(s) failed (see the report)", file=sys.stderr)
    for name, n in crashed.items():
        print(f"error: {n} case(s) crashed under {name}; they count as misses (see the report)", file=sys.stderr)
    return code
