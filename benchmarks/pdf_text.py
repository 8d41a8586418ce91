"""PDF page text before and after :mod:`mathtutor.ingest.pdftext`: noise counts and reading time, in one run.

    python benchmarks/pdf_text.py [--corpus ../shared/corpus-real] [--out benchmarks/results/pdf_text.json]

"Before" is what ``loading.load_pdf`` did until now: pypdf's plain ``page.extract_text()`` per page, lines
stripped, ``\\w-\\n\\w`` joined, running headers dropped. "After" is the current ``loading.load_pdf``. Both read
every PDF under the corpus, file by file in alternating order, so both see the same machine load.

Counts (over all pages; tokens are maximal runs of ASCII letters, ligatures expanded first so that (a) is
not inflated by words cut at a ligature):

(a) glued tokens. The dictionary is every word written alone as ``word`` or ``Word`` at least 3 times in the
    before and after texts of the whole corpus together, so it is the same for both sides.
    (a1) ``glued_camel``: a token shaped ``abC..`` or ``AbC..`` (lower case, then a capital inside) that splits
    at that capital into two dictionary words of 2+ letters (``ofTaylor``, ``TheJacobian``), except names:
    camel tokens written 3+ times on *both* sides (``YouTube``, ``PageRank``; listed in the JSON);
    (a2) ``glued_lower``: a lower-case token of 7+ letters, not a dictionary word, that splits into two
    dictionary words of 3+ letters each (``thematrix``). (a2) also catches rare words (``eigenbasis``): read
    it as an upper bound, and compare the two sides.
(b) duplicated margin phrases: (b1) a phrase of 2 to 5 words repeated immediately (``Taylor series Taylor
    series``); (b2) a margin line (2+ words, as the visitor places it outside the body column) found in the
    page's body text glued to the text before it or standing as a body line of its own. The margin notes that
    the new reader appends after the body (6+ words, each a paragraph after a blank line) are not part of the
    body for (b2); the old text has no blank lines, so it is counted whole.
(c) broken hyphenations: a lower-case word ending in ``-`` followed by white space and a lower-case word.
(d) ligature characters (U+FB00 to U+FB06) left in the text.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mathtutor.ingest import pdftext  # noqa: E402
from mathtutor.ingest.readers import LoadError, _drop_running_lines, load_pdf  # noqa: E402

_TOKEN = re.compile(r"[A-Za-z]+")
_PLAIN = re.compile(r"[A-Z]?[a-z]+")
_BROKEN_HYPHEN = re.compile(r"\b[a-z]{2,}-\s+[a-z]{2,}")
_LIGATURES = re.compile("[\ufb00-\ufb06]")
_OLD_HYPHEN = re.compile(r"(\w)-\n(\w)")


def old_load_pdf(data: bytes) -> list[str]:
    """The reader as it was: plain extract_text per page (page texts, empty pages kept for alignment)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    texts = []
    for page in reader.pages:
        try:
            text = _OLD_HYPHEN.sub(r"\1\2", page.extract_text() or "")
        except Exception:
            text = ""
        texts.append("\n".join(line.strip() for line in text.splitlines()))
    return _drop_running_lines(texts)


def new_load_pdf(data: bytes, n_pages: int) -> list[str]:
    texts = [""] * n_pages
    try:
        sections = load_pdf(data)
    except LoadError:
        return texts
    for section in sections:
        texts[section.page - 1] = section.text
    return texts


def without_notes(text: str) -> str:
    """The page text without the margin notes load_pdf appends as paragraphs, for count (b2) only."""
    return text.split("\n\n", 1)[0]


def margin_lines(data: bytes) -> list[list[str]]:
    """Per page, the margin lines (2+ words) as the new extractor places them, for count (b2)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    runs = [pdftext.page_runs(p) for p in reader.pages]
    columns = pdftext.find_columns(runs)
    out: list[list[str]] = []
    for i, page in enumerate(runs):
        if not columns:
            out.append([])
            continue
        side = [r for r in page if pdftext.is_margin(r, columns[i % 2])]
        lines = [pdftext.fix_characters(pdftext.join_runs(line)) for line in pdftext._lines(side)]
        out.append([ln for ln in lines if len(ln.split()) >= 2])
    return out


def dictionary(pages: list[str]) -> set[str]:
    counts: Counter[str] = Counter()
    for text in pages:
        counts.update(t.lower() for t in _TOKEN.findall(pdftext.fix_characters(text)) if _PLAIN.fullmatch(t))
    return {w for w, n in counts.items() if n >= 3 and len(w) >= 2}


_CAMEL = re.compile(r"([A-Za-z][a-z]+)([A-Z][a-z]+)")


def glued(token: str, words: set[str]) -> str | None:
    """``camel`` or ``lower`` when ``token`` looks like two words run together (see (a) above), else None."""
    m = _CAMEL.fullmatch(token)
    if m:
        a, b = m.groups()
        return "camel" if len(a) >= 2 and a.lower() in words and b.lower() in words else None
    if len(token) < 7 or not token.islower() or token in words:
        return None
    for i in range(3, len(token) - 2):
        if token[:i] in words and token[i:] in words:
            return "lower"
    return None


def repeated_phrases(text: str) -> int:
    words = [w.lower() for w in text.split()]
    hits = 0
    i = 0
    while i < len(words):
        for n in range(5, 1, -1):
            a, b = words[i : i + n], words[i + n : i + 2 * n]
            if len(b) == n and a == b and any(_TOKEN.search(w) for w in a):
                hits += 1
                i += 2 * n - 1
                break
        i += 1
    return hits


def injected(text: str, lines: list[str]) -> int:
    flat = " ".join(text.split())
    body_lines = {" ".join(ln.split()) for ln in text.splitlines()}
    hits = 0
    for line in lines:
        norm = " ".join(line.split())
        if norm in body_lines:
            hits += 1
            continue
        hits += len(re.findall(r"\S" + re.escape(norm), flat))
    return hits


def camel_names(sides: list[dict[str, list[str]]]) -> set[str]:
    """Camel-shaped tokens written 3+ times on every side: names, not glue."""
    per_side = []
    for side in sides:
        c = Counter(
            t for texts in side.values() for text in texts for t in _TOKEN.findall(pdftext.fix_characters(text))
        )
        per_side.append({t for t, n in c.items() if n >= 3 and _CAMEL.fullmatch(t)})
    return set.intersection(*per_side)


def counts(pages: dict[str, list[str]], margins: dict[str, list[list[str]]], words: set[str], names: set[str]) -> dict:
    out = Counter()
    examples: Counter[str] = Counter()
    for name, texts in pages.items():
        for text, lines in zip(texts, margins[name], strict=True):
            for tok in _TOKEN.findall(pdftext.fix_characters(text)):
                kind = None if tok in names else glued(tok, words)
                if kind:
                    out[f"glued_{kind}"] += 1
                    if kind == "camel":
                        examples[tok] += 1
            out["repeated_phrases"] += repeated_phrases(text)
            out["margin_lines_in_body"] += injected(pdftext.fix_characters(without_notes(text)), lines)
            out["broken_hyphenations"] += len(_BROKEN_HYPHEN.findall(text))
            out["ligatures"] += len(_LIGATURES.findall(text))
    return {**out, "glued_camel_most_common": [t for t, _ in examples.most_common(20)]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus-real")
    parser.add_argument("--only", default="", help="only PDFs whose path contains this (quick checks)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pdf_text.json")
    args = parser.parse_args()
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    files = [p for p in sorted(args.corpus.rglob("*.pdf")) if args.only in str(p.relative_to(args.corpus))]
    if not files:
        print(f"no PDF files under {args.corpus}", file=sys.stderr)
        return 2
    load_start = os.getloadavg()
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    seconds = {"before": 0.0, "after": 0.0}
    cpu_seconds = {"before": 0.0, "after": 0.0}
    for i, path in enumerate(files):
        data = path.read_bytes()
        name = str(path.relative_to(args.corpus))
        n_pages = len(PdfReader(io.BytesIO(data)).pages)
        order = ("before", "after") if i % 2 == 0 else ("after", "before")
        for side in order:
            t0, c0 = time.perf_counter(), time.process_time()
            if side == "before":
                before[name] = old_load_pdf(data)
            else:
                after[name] = new_load_pdf(data, n_pages)
            seconds[side] += time.perf_counter() - t0
            cpu_seconds[side] += time.process_time() - c0
    load_end = os.getloadavg()
    margins = {str(p.relative_to(args.corpus)): margin_lines(p.read_bytes()) for p in files}
    words = dictionary([t for side in (before, after) for texts in side.values() for t in texts])
    names = camel_names([before, after])
    result = {
        "corpus": str(args.corpus),
        "files": len(files),
        "pages": sum(len(t) for t in before.values()),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "ratio_after_over_before": round(seconds["after"] / seconds["before"], 3),
        "cpu_seconds": {k: round(v, 2) for k, v in cpu_seconds.items()},
        "cpu_ratio_after_over_before": round(cpu_seconds["after"] / cpu_seconds["before"], 3),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "loaded": load_start[0] > 0.5,
        "cpu": _machine_cpu(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "dictionary_words": len(words),
        "camel_names_not_counted": sorted(names),
        "before": counts(before, margins, words, names),
        "after": counts(after, margins, words, names),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"{result['files']} PDFs, {result['pages']} pages; load average at start {result['load_average_start']}")
    keys = ["glued_camel", "glued_lower", "repeated_phrases", "margin_lines_in_body"]
    keys += ["broken_hyphenations", "ligatures"]
    print(f"{'count':24} {'before':>8} {'after':>8}")
    for key in keys:
        print(f"{key:24} {result['before'].get(key, 0):>8} {result['after'].get(key, 0):>8}")
    for label, secs, ratio in (
        ("wall seconds", seconds, result["ratio_after_over_before"]),
        ("CPU seconds", cpu_seconds, result["cpu_ratio_after_over_before"]),
    ):
        print(f"{label:24} {secs['before']:>8.1f} {secs['after']:>8.1f}  after/before {ratio}")
    return 0


def _machine_cpu() -> str:
    """The CPU model, read the way the calibration reads it (mathtutor.ingest.machine)."""
    from mathtutor.ingest.machine import cpu_info

    return cpu_info()["cpu"]


if __name__ == "__main__":
    raise SystemExit(main())
