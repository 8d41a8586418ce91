"""Reports: the JSON record, the markdown report with every failing case, and the ablation chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathtutor.evals.cases import DEFAULT_OUT, KINDS, NAIVE_CHUNK_CHARS, NAIVE_OVERLAP_CHARS, NDCG_K, Case
from mathtutor.evals.configs import NAIVE

if TYPE_CHECKING:
    pass


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
    ("passages found@5", "retrieval_file_hit@5", False),
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


def _practice_section(practice: dict[str, Any] | None) -> list[str]:
    """The practice bank's self-check: every generator x level x seed, exact checks that can fail."""
    if not practice:
        return []
    c = practice["counts"]
    lines = [
        "### Practice bank self-check",
        "",
        f"{c.get('problems', 0)} problems ({practice['generators']} generators x {len(practice['levels'])} levels x "
        f"{practice['seeds']} seeds) in {practice['seconds']:.0f} s; **{practice['failed']} failed**.",
        "",
        "| check | run | failed |",
        "|---|---:|---:|",
    ]
    for kind, label in (
        ("solution", "worked solution passes the checker"),
        ("rewrite", "equivalent rewrites pass"),
        ("misconception", "scripted wrong answers fail with their misconception"),
        ("hint", "hints never contain the answer"),
        ("citations", "citations resolve in the catalog"),
    ):
        lines.append(f"| {label} | {c.get(kind, 0)} | {c.get(kind + '_failed', 0)} |")
    lines += ["", *(f"- `{f['problem']}` {f['check']}: {f['detail'][:200]}" for f in practice["failures"][:20]), ""]
    return lines


def _terms_section(terms: dict[str, Any] | None) -> list[str]:
    """'Where does BOOK explain TERM': the share of questions citing the defining page, and the misses."""
    if not terms:
        return []
    k, t = terms["k"], terms["summary"]
    lines = [
        f"### Where is TERM explained (defining page, from `{terms.get('file', 'evals/terms.jsonl')}`)",
        "",
        f"| lang | questions | defining page first | in the top {k} |",
        "|---|---:|---:|---:|",
        f"| all | {t['questions']} | {_fmt(t['hit@1'])} | {_fmt(t[f'hit@{k}'])} |",
        *(
            f"| {lang} | {v['questions']} | {_fmt(v['hit@1'])} | {_fmt(v[f'hit@{k}'])} |"
            for lang, v in t.items()
            if isinstance(v, dict)
        ),
        "",
    ]
    misses = [r for r in terms["rows"] if r["rank"] is None or r["rank"] > k]
    if misses:
        lines += [f"Misses ({len(misses)}):", ""]
        lines += [
            f"- `{r['id']}` ({r['lang']}): cited {', '.join(r['cited']) or 'nothing'}"
            + (f"; error {r['error']}" if r["error"] else "")
            for r in misses
        ]
        lines.append("")
    return lines


def _lang_kind_section(groups: dict[str, Any]) -> list[str]:
    """Kind within language: hit@5 and over-refusal, the two the Chinese target is stated in."""
    if not groups:
        return []
    lines = [
        "### Per language and kind",
        "",
        "| language, kind | n | hit@1 | hit@5 | MRR | OOS abstention | over-refusal |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in groups.items():
        lines.append(
            f"| {name} | {v['cases']} | {_fmt(v.get('hit@1'))} | {_fmt(v.get('hit@5'))} | {_fmt(v.get('mrr'))} "
            f"| {_fmt(v.get('oos_abstention'), pct=True)} | {_fmt(v.get('over_refusal'), pct=True)} |"
        )
    return [*lines, ""]


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
        *_lang_kind_section(s.get("by_lang_kind", {})),
        *_terms_section(report.get("terms")),
        *_practice_section(report.get("practice")),
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
        "ret_file_hit5",
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
    out = {"meta": report["meta"], "summary": report["summary"], "terms": report.get("terms"), "cases": cases_out}
    return out | {"practice": report["practice"]} if report.get("practice") else out


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


def headline(name: str, s: dict[str, Any]) -> str:
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
