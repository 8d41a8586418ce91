"""Study paths and resource picking: which concepts to study in which order, and from what.

A path runs through the topic graph's prerequisites of the concepts asked about (deeper for
beginners), and each step gets one to three catalog resources fitted to the learner's level and
preferred formats, preferring parts whose passages are indexed (so they can be cited exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mathtutor.knowledge.formats import catalog_formats
from mathtutor.types import Chunk, Context

if TYPE_CHECKING:
    from mathtutor.index.store import IndexStore
    from mathtutor.knowledge.catalog import Catalog, Part, Resource
    from mathtutor.knowledge.topics import TopicGraph

#: How many prerequisite hops a study path goes back, per level.
PATH_DEPTH = {"beginner": 4, "practitioner": 3, "researcher": 2}
MAX_PATH_STEPS = 14
#: Catalog formats grouped the way learners ask for them ("videos", "a book", ...).
Pick = tuple["Resource", "Part | None"]


@dataclass(slots=True)
class IndexLookups:
    """Per-index lookups built once: vectors by chunk id, chunks per part and resource; concept vectors on demand.

    A concept's vector is embedded alone, the first time a study step needs it or all at once by
    :meth:`embed_concepts` (a long-lived tutor, after the query embedding is configured; not in a one-shot
    ``ask``, where embedding all 70-odd was most of the time after the imports). Either way it is the same
    vector whichever question asked first. The passage cited for a (concept, resource, part) depends on
    nothing else, so it is found once and kept (``cited``); no question or learner enters that key.
    """

    store: Any
    ids: np.ndarray
    vectors: np.ndarray
    row: dict[int, int] = field(default_factory=dict)
    by_part: dict[str, list[int]] = field(default_factory=dict)
    by_resource: dict[str, list[int]] = field(default_factory=dict)
    concept_vec: dict[str, np.ndarray] = field(default_factory=dict)
    concept_text: dict[str, str] = field(default_factory=dict)
    embedder: Any = None
    cited: dict[tuple[str, str, str | None], tuple[Chunk, float] | None] = field(default_factory=dict)

    @classmethod
    def build(cls, store: IndexStore, embedder: Any, topics: TopicGraph | None, dim: int) -> IndexLookups:
        import faiss

        index = store.index
        n = int(index.ntotal)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64) if n else np.zeros(0, np.int64)
        vectors = index.index.reconstruct_n(0, n) if n else np.zeros((0, dim))
        out = cls(store, ids, vectors, {int(cid): i for i, cid in enumerate(ids)})
        for cid, rid, pid in store.chunk_owners():
            if pid:
                out.by_part.setdefault(pid, []).append(cid)
            if rid:
                out.by_resource.setdefault(rid, []).append(cid)
        if topics is not None and n:
            out.embedder = embedder
            out.concept_text = {c.id: f"{c.name}. {c.summary}" for c in topics.concepts}
        return out

    def concept_vector(self, concept: str) -> np.ndarray | None:
        """The embedding of a concept's name and summary (None for an unknown concept or an empty index)."""
        vec = self.concept_vec.get(concept)
        if vec is None and concept in self.concept_text:
            vec = self.concept_vec[concept] = self.embedder.embed_query(self.concept_text[concept])
        return vec

    def embed_concepts(self) -> None:
        """Embed every concept now (each alone, as on demand), so no question pays for it."""
        for concept in self.concept_text:
            self.concept_vector(concept)

    def best_passage(self, concept: str, res: Resource, part: Part | None) -> tuple[Chunk, float] | None:
        """The indexed passage of this part (or resource) closest to the concept, with its similarity.

        The chunk is shared by every answer that cites it: read it, never change it.
        """
        key = (concept, res.id, part.id if part is not None else None)
        if key not in self.cited:
            self.cited[key] = self._closest(concept, res, part)
        return self.cited[key]

    def _closest(self, concept: str, res: Resource, part: Part | None) -> tuple[Chunk, float] | None:
        ids = self.by_part.get(part.id, []) if part is not None else self.by_resource.get(res.id, [])
        vec = self.concept_vector(concept) if ids else None
        if vec is not None:
            ids = [c for c in ids if c in self.row]  # the same list the positions below refer to
            if ids:
                sims = self.vectors[[self.row[c] for c in ids]] @ vec
                best = int(np.argmax(sims))
                chunk = self.store.get_chunks([ids[best]])
                if chunk and chunk[0].kind != "catalog":
                    return chunk[0], float(sims[best])
        return None


@dataclass(slots=True)
class PlannedStep:
    concept: str
    why: str
    picks: list[Pick]


def pick_resources(
    concept: str, ctx: Context, used: set[str], limit: int, catalog: Catalog | None, lookups: IndexLookups
) -> list[Pick]:
    """One to three catalog resources that teach ``concept``, fitted to level and format."""
    if catalog is None:
        return []
    wanted = catalog_formats(ctx.formats)
    level = ctx.level or "practitioner"
    scored = []
    for order, (res, part) in enumerate(catalog.teaching(concept)):
        if ctx.resources and res.id not in ctx.resources and res.parent not in ctx.resources:
            continue
        if res.id in ctx.exclude:
            continue  # "anything gentler?" after it: another resource is what was asked for
        score = 0.0
        score += 2.0 if level in res.levels else 0.0
        score += 3.0 if wanted and res.format in wanted else (-2.0 if wanted else 0.0)
        score += 2.0 if part is not None and part.id in lookups.by_part else 0.0
        score += 1.0 if res.id in lookups.by_resource else 0.0
        score += 1.0 if part is not None else 0.0
        if level == "beginner" and res.format in ("video-series", "channel", "interactive"):
            score += 1.0
        if level == "researcher" and res.format in ("book", "course"):
            score += 1.0
        if res.id in used:
            score -= 0.75
        if not res.free or (res.note and "retired" in res.note.lower()):
            score -= 1.0
        scored.append((-score, order, res, part))
    scored.sort(key=lambda t: (t[0], t[1]))
    if wanted and any(res.format in wanted for _, _, res, _ in scored):
        scored = [t for t in scored if t[2].format in wanted]  # honour the preference when we can
    picks: list[Pick] = []
    seen: set[str] = set()
    for _, _, res, part in scored:
        if res.id in seen:
            continue
        seen.add(res.id)
        picks.append((res, part))
        if len(picks) >= limit:
            break
    return picks


def study_path(
    ctx: Context, topics: TopicGraph, catalog: Catalog | None, lookups: IndexLookups
) -> tuple[str, list[str], list[PlannedStep]]:
    """(level, target concepts, steps in study order) for the concepts ``ctx`` asks about."""
    level = ctx.level or "practitioner"
    targets = [c for c in ctx.concepts if c in topics][:3]
    path = topics.learning_path(targets, depth=PATH_DEPTH[level])
    if level != "beginner":
        path = [c for c in path if c in targets or topics.get(c).area != "foundations"]
    if len(path) > MAX_PATH_STEPS:  # keep the targets and the prerequisites closest to them
        keep = set(targets)
        for hops in range(1, PATH_DEPTH[level] + 1):
            near = set().union(*(topics.prerequisites(t, depth=hops) for t in targets))
            if len(keep | near) > MAX_PATH_STEPS:
                break
            keep |= near
        path = [c for c in path if c in keep]
    path = [c for c in path if c in targets or c not in ctx.mastered]  # what the learner has mastered is done
    in_path = set(path)
    steps: list[PlannedStep] = []
    used: set[str] = set()
    for cid in path:
        concept = topics.get(cid)
        needed_by = [topics.get(d).name for d in topics.dependents(cid) if d in in_path]
        why = concept.summary
        if cid in targets:
            why = f"The goal. {why}"
        elif needed_by:
            why = f"{why} Needed for {', '.join(needed_by[:3])}."
        picks = pick_resources(cid, ctx, used, 2 if level != "beginner" else 3, catalog, lookups)
        used.update(res.id for res, _ in picks)
        steps.append(PlannedStep(cid, why, picks))
    return level, targets, steps
