"""English term candidates from the materials' own term lists, and which lack a Chinese entry.

Sources (each is a list the authors wrote of their own terms):
  - the index of Mathematics for Machine Learning (``mml-book/backmatter.pdf``, pages headed "Index");
  - MML's margin keyword notes (short notes beside the body, as ingest keeps them in ``meta["margin"]``);
  - the section headings of d2l's Markdown and of the matrix-calculus article;
  - the PDF outlines (tables of contents) of Chasnov's books and of Seeing Theory;
  - the lecture titles of MIT 18.06SC and 18.065 (``manifest.jsonl``).

PYTHONPATH=src python scripts/glossary_candidates.py /work/shared/corpus-real            # missing ones
PYTHONPATH=src python scripts/glossary_candidates.py /work/shared/corpus-real --all      # every candidate

Each output line is ``term<TAB>sources``. Only terms are printed, never the materials' text. A candidate
counts as covered when an entry of the Chinese term table (``corpus/terms_zh*.yaml``) has the same English
after folding case, punctuation and plurals. Headings that are not vocabulary ("Summary", "Exercises")
are dropped by a short stop list; what remains still needs a human eye before it goes into the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

#: Headings and title pieces that name no maths or ML term (whole pieces, and words that alone say nothing).
_STOP_PHRASES = frozenset(
    {
        "summary", "exercises", "discussion", "discussions", "introduction", "further reading", "preliminaries",
        "notation", "index", "contents", "references", "appendix", "appendices", "overview", "motivation",
        "examples", "example", "problems", "solutions", "practice quiz", "conclusion", "background",
        "applications", "application", "final course review", "final exam problem solving", "exam review",
        "notation for deep learning", "the basics", "more details", "details", "properties", "key ideas",
        "intro", "scripts", "loops", "logicals", "job description", "good discussion", "simple example",
    }
)  # fmt: skip
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "b",
        "c",
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "vi",
        "part",
        "case",
        "project",
        "review",
        "exam",
        "problem",
        "solving",
        "lecture",
        "recitation",
        "example",
        "figure",
        "table",
        "more",
        "some",
        "first",
        "second",
        "third",
        "with",
        "of",
        "in",
        "on",
        "for",
        "to",
        "its",
        "their",
    ]
)
_SPLIT = re.compile(r"\s*(?:[,;:()\[\]]|\band\b|\bvs\.?|&|\?|!| - | – | — )\s*", re.I)
_NUMBERED = re.compile(r"^(?:lecture\s+)?\d+(?:\.\d+)*[a-z]?[.:)]?\s+", re.I)


def fold(term: str) -> str:
    """One spelling per term: NFKC (ligatures), lower case, plain apostrophes, one space."""
    t = unicodedata.normalize("NFKC", term).replace("’", "'").replace("‘", "'")
    t = re.sub(r"\s+", " ", t).strip(" .,:;-").lower()
    return re.sub(r"^(?:the|a|an)\s+", "", t)


def key(term: str) -> str:
    """Folded and de-pluralised word by word, for the coverage check ("matrices" ~ "matrix")."""
    words = re.findall(r"[a-z0-9]+", fold(term).replace("'s", ""))
    out = []
    for w in words:
        if w.endswith("ices") and len(w) > 5:
            w = w[:-4] + "ix"
        elif w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
        out.append(w)
    return " ".join(out)


def keep(term: str) -> bool:
    """A plausible vocabulary term: letters, 2-6 words, not a stop heading, not a code identifier."""
    if not term or term in _STOP_PHRASES or len(term) < 3 or not re.search(r"[a-z]{3}", term):
        return False
    words = term.split()
    if len(words) > 6 or all(w in _STOP_WORDS for w in words):
        return False
    return not re.search(r"[_=`{}\\$<>|/]|\d{3,}", term)


def pieces(title: str) -> Iterator[str]:
    """A heading or lecture title cut into its terms ("Transposes, Permutations, Vector Spaces")."""
    title = _NUMBERED.sub("", unicodedata.normalize("NFKC", title).strip())
    title = re.sub(r"\{[^}]*\}|:[a-z]+:`[^`]*`", "", title)  # d2l labels and roles
    for part in _SPLIT.split(title):
        term = fold(part)
        if keep(term):
            yield term


# ---------------------------------------------------------------- sources


def _pdf_reader(path: Path):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return PdfReader(str(path))


def mml_index(root: Path) -> Iterator[str]:
    """Entries of MML's index ("Cholesky decomposition, 114"): the text before the page numbers."""
    reader = _pdf_reader(root / "mml-book" / "backmatter.pdf")
    for page in reader.pages:
        text = page.extract_text() or ""
        if not text.lstrip().startswith("Index"):
            continue
        for line in text.splitlines()[1:]:
            m = re.match(r"^(?P<t>.+?),\s*[\d, –-]+$", line.strip())
            if m:
                term = fold(m.group("t"))
                if keep(term):
                    yield term


def mml_margins(root: Path) -> Iterator[str]:
    """MML's margin keyword notes (short notes: a term beside the page that introduces it)."""
    from mathtutor.ingest.readers import load_pdf

    for path in sorted((root / "mml-book").glob("chapter*.pdf")):
        for section in load_pdf(path.read_bytes()):
            for note in section.meta.get("margin") or ():
                term = fold(note)
                if len(term.split()) <= 4 and keep(term):
                    yield term


def markdown_headings(paths: Iterable[Path]) -> Iterator[str]:
    """Section headings (``#`` lines outside code fences)."""
    for path in paths:
        fenced = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced and (m := re.match(r"^#{1,6}\s+(.+)$", line)):
                yield from pieces(m.group(1))


def pdf_outlines(paths: Iterable[Path]) -> Iterator[str]:
    """Titles in each PDF's outline (its table of contents)."""

    def walk(items: list) -> Iterator[str]:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield from pieces(re.sub(r"^[IVX]+\s+", "", str(item.title)))

    for path in paths:
        yield from walk(_pdf_reader(path).outline)


def lecture_titles(root: Path) -> Iterator[str]:
    """Titles of the MIT 18.06SC and 18.065 lectures and recitations, from the manifest."""
    for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        file = str(row.get("file", ""))
        if file.startswith("strang-18.06sc/"):
            yield from pieces(re.sub(r"^Lecture \d+\w*:\s*", "", str(row.get("title", ""))))
        elif file.startswith("strang-18.065/lectures/"):
            stem = re.sub(r"^lecture-\d+-", "", Path(file).stem)
            yield from pieces(stem.replace("-", " "))


def candidates(root: Path) -> dict[str, set[str]]:
    """Folded term -> the sources that list it."""
    found: dict[str, set[str]] = defaultdict(set)
    sources = {
        "mml-index": lambda: mml_index(root),
        "mml-margin": lambda: mml_margins(root),
        "d2l": lambda: markdown_headings(sorted((root / "d2l").rglob("*.md"))),
        "matrix-calculus": lambda: markdown_headings([root / "matrix-calculus" / "matrix-calculus.md"]),
        "chasnov": lambda: pdf_outlines(sorted((root / "chasnov").glob("*.pdf"))),
        "seeing-theory": lambda: pdf_outlines([root / "seeing-theory" / "seeing-theory.pdf"]),
        "mit": lambda: lecture_titles(root),
    }
    for name, read in sources.items():
        for term in read():
            found[term].add(name)
    return found


def covered_keys(corpus: Path) -> set[str]:
    """Keys of the English phrases the Chinese table(s) already give."""
    import yaml

    keys: set[str] = set()
    for path in sorted(corpus.glob("terms_zh*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or ():
            if isinstance(entry, dict) and isinstance(entry.get("en"), str):
                keys.add(key(entry["en"]))
    return keys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="the corpus folder (e.g. /work/shared/corpus-real)")
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / "corpus")
    ap.add_argument("--all", action="store_true", help="print every candidate, covered or not")
    args = ap.parse_args(argv)
    found = candidates(args.root)
    have = covered_keys(args.corpus)
    missing = 0
    for term in sorted(found):
        is_missing = key(term) not in have
        missing += is_missing
        if args.all or is_missing:
            print(f"{term}\t{','.join(sorted(found[term]))}")
    print(f"# {len(found)} candidates, {len(found) - missing} with a Chinese entry, {missing} without", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
