"""Ranking, study-path and citation metrics: small pure functions, checked on hand-made answers."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mathtutor.evals.cases import CJK, SUPPORT_THRESHOLD, URL_IN_TEXT
from mathtutor.ingest.linking import NOTES_RESOURCE
from mathtutor.links import is_note_location
from mathtutor.types import CITATION_MARKER

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog


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


@dataclass(frozen=True, slots=True)
class CitationFacts:
    """What a citation may point at, read once from the catalog and the index.

    ``urls_of``: resource id -> its catalog URLs (resource, parts, aliases), normalised; ``chunk_file``:
    passage id -> its file; ``file_pages`` / ``file_seconds``: how long each file is, so a deep link
    past the end of the document is caught.
    """

    urls_of: Mapping[str, frozenset[str]]
    chunk_file: Mapping[int, str] = field(default_factory=dict)
    file_pages: Mapping[str, int] = field(default_factory=dict)
    file_seconds: Mapping[str, float] = field(default_factory=dict)
    #: file -> its own normalised address (its sources manifest's URL, else its ``file:`` URI), for files that
    #: are no catalog resource: a citation of such a file is valid only at that address
    file_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def all_urls(self) -> frozenset[str]:
        return frozenset().union(*self.urls_of.values()) if self.urls_of else frozenset()


def _deep_position(url: str) -> tuple[int | None, float | None]:
    """The ``#page=`` and ``t=`` of a deep link, when it has them."""
    parts = urlsplit(url)
    page = re.search(r"(?:^|&)page=(\d+)", parts.fragment)
    t = re.search(r"(?:^|&)t=(\d+)s?(?:&|$)", parts.query)
    return (int(page.group(1)) if page else None), (float(t.group(1)) if t else None)


def citation_problems(answer_text: str, citations: Sequence[dict[str, Any]], facts: CitationFacts) -> list[str]:
    """What does not hold up: markers without a citation, URLs that are not the cited resource's catalog
    URL, study-note links that name a server file, and deep links past the end of the cited document."""
    from mathtutor.links import normalize_url

    problems: list[str] = []
    numbers = {c.get("n") for c in citations}
    missing = sorted({int(n) for n in CITATION_MARKER.findall(answer_text or "")} - numbers)
    problems += [f"[{n}] in the answer resolves to no citation" for n in missing]
    for c in citations:
        n, url, rid = c.get("n"), c.get("url"), c.get("resource_id")
        if not url:
            problems.append(f"citation [{n}] has no URL")
            continue
        if rid == NOTES_RESOURCE or is_note_location(url):  # our notes and guides
            if url.startswith("file:") or not ("/notes/" in url or url.startswith("corpus/notes/")):
                problems.append(f"citation [{n}] links a study note as {url}, not at its notes address")
        elif rid is None or rid not in facts.urls_of:
            own = facts.file_urls.get(facts.chunk_file.get(c.get("chunk_id"), ""))  # type: ignore[arg-type]
            if own is None or normalize_url(url) != own:
                problems.append(f"citation [{n}] URL {url} belongs to no catalog resource")
        elif normalize_url(url) not in facts.urls_of[rid]:
            problems.append(f"citation [{n}] URL {url} is not a catalog URL of {rid}")
        file = facts.chunk_file.get(c["chunk_id"]) if c.get("chunk_id") is not None else None
        page, seconds = _deep_position(url)
        if file is not None and page is not None:
            pages = facts.file_pages.get(file) or 0
            if pages and not 1 <= page <= pages:
                problems.append(f"citation [{n}] opens page {page} of a {pages}-page file")
        if file is not None and seconds is not None:
            length = facts.file_seconds.get(file)
            if length is not None and seconds > length + 1:
                problems.append(f"citation [{n}] opens {seconds:.0f} s into a {length:.0f} s video")
    return problems


def stray_urls(answer_text: str, valid_urls: Set[str]) -> list[str]:
    """URLs written in the answer text that are neither catalog URLs nor ingested files' URLs.

    Not citations, but a learner sees them as links the tutor vouches for: copied from a passage
    (third-party, sometimes cut off) or, with an LLM backend, made up.
    """
    from mathtutor.links import normalize_url

    out = []
    for url in URL_IN_TEXT.findall(answer_text or ""):
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
            words = len(text.split()) + len(CJK.findall(text))
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


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
