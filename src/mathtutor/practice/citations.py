"""Which catalog part teaches a concept: the citation a problem carries (page refinement comes later)."""

from __future__ import annotations

from functools import lru_cache

from mathtutor.knowledge.catalog import Catalog, load_catalog  # the one import of the catalog (moves to knowledge/)
from mathtutor.practice.types import Citation

_LEVEL_RANK = {"beginner": 0, "practitioner": 1, "researcher": 2}


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The catalog, loaded once per process."""
    return load_catalog()


def citations_for(concept: str, level: str, limit: int = 2) -> tuple[Citation, ...]:
    """The best parts teaching ``concept`` at ``level``: parts before whole resources, level-matched
    resources first, then the most specific part (fewest concepts), then catalog order."""
    cat = catalog()
    hits = cat.teaching(concept)
    want = _LEVEL_RANK[level]

    def score(item: tuple[int, tuple]) -> tuple:
        pos, (res, part) = item
        level_gap = min(abs(_LEVEL_RANK[lv] - want) for lv in res.levels)
        specificity = len(part.concepts) if part is not None else 99
        return (part is None, level_gap, specificity, pos)

    ranked = sorted(enumerate(hits), key=score)
    out: list[Citation] = []
    seen: set[str] = set()
    for _, (res, part) in ranked:
        if res.id in seen:
            continue
        seen.add(res.id)
        out.append(
            Citation(
                resource_id=res.id,
                part_id=part.id if part is not None else None,
                title=f"{res.title}: {part.title}" if part is not None else res.title,
                url=(part.url if part is not None and part.url else res.url),
                page=part.page if part is not None else None,
            )
        )
        if len(out) >= limit:
            break
    return tuple(out)
