"""'Where does BOOK explain TERM?': does the tutor cite the page that defines the term?

``evals/terms.jsonl`` was built from the materials themselves (the page where each term is defined or
first developed, read off the PDF text), so this measures page precision against the books, not against
our catalog. A term counts as found when one of the first ``k`` passage citations of the answer is in
the term's file and, for PDFs, on one of its pages (physical, 1-based, as the index stores them); for
markdown, under its heading; for plain text, anywhere in the file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mathtutor.evals.cases import CJK, EVALS_DIR, CaseFileError

if TYPE_CHECKING:
    from mathtutor.tutor import Tutor
    from mathtutor.types import Chunk

DEFAULT_TERMS = EVALS_DIR / "terms.jsonl"
#: Which terms file each case split scores: ``terms.jsonl`` has been tuned on, so it is the dev set;
#: ``terms-test.jsonl`` is frozen (its sha256 is recorded in evals/README.md) and only reported.
TERM_SPLITS = {"test": EVALS_DIR / "terms-test.jsonl", "dev": DEFAULT_TERMS, "legacy": DEFAULT_TERMS}
TERMS_K = 5


def _check_locator(file: str, pages: tuple[int, ...], label: tuple[str, ...], heading: str | None) -> None:
    """A PDF is located by pages, markdown by heading, plain text by the file alone."""
    suffix = Path(file).suffix.lower()
    if suffix == ".pdf":
        if not pages or heading is not None:
            raise ValueError("a PDF term needs pages (and no heading)")
        if list(pages) != sorted(set(pages)) or pages[0] < 1:
            raise ValueError("pages must be ascending, unique and 1-based")
        if label and len(label) != len(pages):
            raise ValueError("label must give one printed label per page")
    elif suffix == ".md":
        if pages or label or not heading:
            raise ValueError("a markdown term is located by heading, not pages")
    elif pages or label or heading:
        raise ValueError("a plain-text term is located by its file only")


class Copy(BaseModel):
    """The same text in another file (Seeing Theory's chapter PDFs repeat the whole book's pages)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    pages: tuple[int, ...] = ()
    heading: str | None = None

    @model_validator(mode="after")
    def _locator(self) -> Copy:
        _check_locator(self.file, self.pages, (), self.heading)
        return self


class Term(BaseModel):
    """One 'where does BOOK explain TERM' entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^term-[a-z0-9-]+$")
    term: str = Field(min_length=2)
    resource: str
    file: str
    pages: tuple[int, ...] = ()
    label: tuple[str, ...] = ()
    heading: str | None = None
    q: str = Field(min_length=10)
    q_zh: str | None = None
    #: Other files holding the same defining text; citing one of them counts too.
    also: tuple[Copy, ...] = ()

    @model_validator(mode="after")
    def _locator(self) -> Term:
        _check_locator(self.file, self.pages, self.label, self.heading)
        if self.term.lower() not in self.q.lower():
            raise ValueError("q must name the term")
        if self.q_zh is not None and not CJK.search(self.q_zh):
            raise ValueError("q_zh has no Chinese")
        return self


def load_terms(path: Path | str | None = None) -> list[Term]:
    """Read and validate ``terms.jsonl``; every problem is reported at once, by line."""
    p = Path(path) if path is not None else DEFAULT_TERMS
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"cannot read terms {p}: {exc}") from exc
    terms, errors = [], []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            terms.append(Term.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            errors.append(f"{p}:{lineno}: {exc}")
    if errors:
        raise CaseFileError("invalid terms:\n  - " + "\n  - ".join(errors[:25]))
    return terms


def defines(term: Term, chunk: Chunk) -> bool:
    """Is ``chunk`` where ``term`` is defined (its file, and its page or heading, or one of its copies)?"""
    return any(_located(loc, chunk) for loc in (term, *term.also))


def _located(loc: Term | Copy, chunk: Chunk) -> bool:
    key = chunk.file_key.replace("\\", "/")
    if not (key == loc.file or key.endswith("/" + loc.file)):
        return False
    if loc.pages:
        return chunk.page is not None and chunk.page in loc.pages
    if loc.heading:
        return bool(chunk.section) and loc.heading.lower() in chunk.section.lower()
    return True


def indexed_terms(terms: Sequence[Term], file_keys: Sequence[str]) -> list[Term]:
    """The terms whose file is in the index (the others cannot be found and are not scored)."""
    keys = [k.replace("\\", "/") for k in file_keys]

    def found(file: str) -> bool:
        return any(k == file or k.endswith("/" + file) for k in keys)

    return [t for t in terms if any(found(f) for f in (t.file, *(c.file for c in t.also)))]


def cited_chunks(tutor: Tutor, answer: dict[str, Any]) -> list[Chunk]:
    """The passages an answer cites, in citation order (catalog-only citations have no passage)."""
    ids = [c["chunk_id"] for c in answer.get("citations") or [] if c.get("chunk_id") is not None]
    by_id = {c.id: c for c in tutor.store.get_chunks(ids)}
    return [by_id[i] for i in ids if i in by_id]


def run_terms(tutor: Tutor, terms: Sequence[Term], *, k: int = TERMS_K, chinese: bool = True) -> dict[str, Any]:
    """Ask each term's question (and its Chinese one); score whether the defining page is cited in the top ``k``.

    A question that raises counts as a miss.
    """
    rows: list[dict[str, Any]] = []
    for term in terms:
        for lang, q in (("en", term.q), ("zh", term.q_zh if chinese else None)):
            if not q:
                continue
            row: dict[str, Any] = {"id": term.id, "lang": lang, "q": q, "rank": None, "error": None}
            t0 = time.perf_counter()
            try:
                chunks = cited_chunks(tutor, tutor.ask(q).to_dict())
            except Exception as exc:  # a crash is a miss, never a dropped case
                row["error"] = f"{type(exc).__name__}: {exc}"
                chunks = []
            row["latency_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            row["rank"] = next((i + 1 for i, c in enumerate(chunks) if defines(term, c)), None)
            row["cited"] = [
                f"{Path(c.file_key).name}:{c.page if c.page is not None else c.section or ''}" for c in chunks[:k]
            ]
            rows.append(row)
    return {"k": k, "summary": summarize_terms(rows, k), "rows": rows}


def summarize_terms(rows: Sequence[dict[str, Any]], k: int = TERMS_K) -> dict[str, Any]:
    """Share of questions whose defining page is cited first / in the top ``k``, overall and per language."""

    def share(rs: Sequence[dict[str, Any]], cut: int) -> float | None:
        return sum(1 for r in rs if r["rank"] is not None and r["rank"] <= cut) / len(rs) if rs else None

    out: dict[str, Any] = {"questions": len(rows), "errors": sum(1 for r in rows if r["error"])}
    out["hit@1"], out[f"hit@{k}"] = share(rows, 1), share(rows, k)
    for lang in sorted({r["lang"] for r in rows}):
        rs = [r for r in rows if r["lang"] == lang]
        out[lang] = {"questions": len(rs), "hit@1": share(rs, 1), f"hit@{k}": share(rs, k)}
    return out
