"""Resource recommendation: "is there a book with exercises?" ranks catalog resources, not passages.

Learners describe a resource by what it is like ("short videos I can watch on the bus", "a textbook
with exercises and solutions"), not by its title. Passage retrieval cannot answer that: a passage
never says "I am a short video". So every catalog resource becomes one document (title, creators,
description, format, levels, cost, style, the names of the concepts it teaches, part titles) with
its own BM25 and dense index, fused by reciprocal rank fusion, and then adjusted by what the question
asks for (format, level, style traits, concepts). Each result says in words why it fits.

Our own study notes (``mathtutor-notes``) are never recommended: they are not a resource to go to.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mathtutor.index.lexical import tokenize
from mathtutor.ingest.linking import NOTES_RESOURCE
from mathtutor.knowledge.catalog import Catalog, Resource, load_catalog
from mathtutor.knowledge.formats import catalog_formats
from mathtutor.recommend_cues import RequestCues, parse_request

if TYPE_CHECKING:
    from mathtutor.knowledge.topics import TopicGraph

__all__ = ["Recommendation", "Recommender", "resource_document"]

#: RRF constant. The catalog has a few dozen documents, so a small constant keeps rank differences
#: visible (60, the passage retriever's value, flattens 35 ranks into a 2% spread).
RRF_K = 5
#: Added to the fused score (which is 1.0 for a resource ranked first by both rankers).
FORMAT_BONUS = 0.5
TRAIT_BONUS = 0.35
#: A requested trait the resource lacks ("with solutions" from a book without them) costs this much.
TRAIT_MISS_PENALTY = 0.1
LEVEL_BONUS = 0.2
LEVEL_PENALTY = 0.3
CONCEPT_BONUS = 0.6
#: A resource that teaches none of the question's concepts loses this much.
NO_CONCEPT_PENALTY = 0.3
CACHE_DIR = "recommend"

_FORMAT_WORDS = {
    "book": "book textbook",
    "video-series": "video series youtube playlist videos",
    "channel": "youtube channel videos",
    "course": "course class",
    "interactive": "interactive website visualisations",
    "article": "article blog post",
}
_STYLE_WORDS = {
    "exercises": "exercises practice problems",
    "solutions": "worked solutions answers",
    "proofs": "proofs derivations rigorous",
    "code": "code programming python",
    "interactive": "interactive hands-on",
    "short": "short videos quick",
    "long": "in depth comprehensive",
    "visual": "visual animations pictures intuition",
    "lectures": "lectures lecture series",
    "problem-sets": "problem sets homework assignments",
}
_FORMAT_PHRASE = {
    "book": "a book",
    "video-series": "a video series",
    "channel": "a video channel",
    "course": "a course",
    "interactive": "an interactive site",
    "article": "an article",
}
_STYLE_PHRASE = {
    "exercises": "has exercises",
    "solutions": "includes worked solutions",
    "proofs": "goes through the proofs",
    "code": "comes with code",
    "interactive": "interactive",
    "short": "short episodes",
    "long": "long and thorough",
    "visual": "explains visually",
    "lectures": "recorded lectures",
    "problem-sets": "has problem sets",
}
#: A requested trait is met by any of these styles.
_TRAIT_STYLES = {
    "exercises": {"exercises", "problem-sets"},
    "problem-sets": {"problem-sets", "exercises"},
    "solutions": {"solutions"},
    "proofs": {"proofs"},
    "code": {"code"},
    "interactive": {"interactive"},
    "short": {"short"},
    "long": {"long"},
    "visual": {"visual", "interactive"},
    "lectures": {"lectures"},
}


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended resource and why it fits, in short phrases we wrote."""

    resource_id: str
    score: float
    reasons: tuple[str, ...]
    title: str = ""
    url: str = ""


def resource_document(resource: Resource, topics: TopicGraph | None = None) -> str:
    """The text a resource is retrieved by: what it is first, then what it covers."""
    concept_names: list[str] = []
    for cid in sorted(resource.all_concepts()):
        if topics is not None and cid in topics:
            c = topics.get(cid)
            concept_names.append(", ".join([c.name, *c.aliases]))
        else:
            concept_names.append(cid.replace("-", " "))
    lines = [
        resource.title,
        " ".join(resource.alt_titles),
        "by " + ", ".join(resource.creators),
        f"{_FORMAT_WORDS.get(resource.format, resource.format)} for {' and '.join(resource.levels)} learners",
        " ".join(_STYLE_WORDS[s] for s in resource.style),
        "free" if resource.free else "paid",
        resource.description,
        "Topics: " + "; ".join(concept_names),
        "Parts: " + "; ".join(p.title for p in resource.parts),
    ]
    return "\n".join(line for line in lines if line.strip())


class Recommender:
    """BM25 + dense ranking of catalog resources, adjusted by what the question asks for.

    ``embedder`` is anything with ``embed(texts) -> (n, d) unit rows`` and ``embed_query(text)`` (the
    project's :class:`~mathtutor.ingest.embedding.Embedder`); None ranks by BM25 alone. Resource
    vectors are computed once and cached as ``<cache_dir>/resources-<hash>.npy`` (no pickle), keyed by
    the documents and the model name, so a changed catalog never reads stale vectors.
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        topics: TopicGraph | None = None,
        embedder: Any | None = None,
        *,
        cache_dir: Path | str | None = None,
    ) -> None:
        self.catalog = catalog if catalog is not None else load_catalog()
        self.topics = topics
        self.embedder = embedder
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.resources = [r for r in self.catalog.resources if r.id != NOTES_RESOURCE]
        self.documents = [resource_document(r, topics) for r in self.resources]
        self._bm25 = self._build_bm25(self.documents)
        self._matrix: np.ndarray | None = None

    @classmethod
    def from_settings(cls, settings: Any, embedder: Any | None = None, topics: TopicGraph | None = None) -> Recommender:
        """The catalog and topic graph of ``settings.corpus_dir``; vectors cached in ``data_dir/recommend``."""
        from mathtutor.knowledge.topics import load_topics

        corpus = Path(settings.corpus_dir)
        catalog = load_catalog(corpus / "catalog.yaml")
        if topics is None and (corpus / "topics.yaml").is_file():
            topics = load_topics(corpus / "topics.yaml")
        return cls(catalog, topics, embedder, cache_dir=Path(settings.data_dir) / CACHE_DIR)

    # -- indexes
    @staticmethod
    def _build_bm25(documents: Sequence[str]) -> Any:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(tokenize(documents), show_progress=False)
        return bm25

    def catalog_hash(self) -> str:
        """Changes whenever a document or the embedder changes: its model, its kind and its precision.

        Test stand-ins carry the real model's name, and the Tutor now builds these vectors at open
        (``Tutor.prepare``): keyed by the name alone, a stand-in's vectors would be read as the model's.
        """
        kind = type(self.embedder)
        model = str(getattr(self.embedder, "model_name", kind.__name__))
        who = f"{model}|{kind.__module__}.{kind.__qualname__}|{getattr(self.embedder, 'precision', '')}"
        h = hashlib.sha256(who.encode())
        for doc in self.documents:
            h.update(b"\0" + doc.encode())
        return h.hexdigest()[:16]

    def matrix(self) -> np.ndarray:
        """Unit-length resource vectors, one row per resource (computed once, cached on disk)."""
        if self._matrix is not None:
            return self._matrix
        if self.embedder is None:
            raise RuntimeError("no embedder: the recommender ranks by BM25 only")
        path = self.cache_dir / f"resources-{self.catalog_hash()}.npy" if self.cache_dir else None
        matrix = None
        if path is not None and path.is_file():
            try:
                loaded = np.load(path, allow_pickle=False)
                if loaded.ndim == 2 and loaded.shape[0] == len(self.documents):
                    matrix = loaded.astype(np.float32, copy=False)
            except (OSError, ValueError):
                matrix = None  # a damaged cache is recomputed, never trusted
        if matrix is None:
            matrix = np.asarray(self.embedder.embed(self.documents), dtype=np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-12)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, matrix, allow_pickle=False)
                os.replace(tmp, path)
        self._matrix = matrix
        return matrix

    def lexical_ranking(self, text: str) -> list[int]:
        """Resource rows with any query word, best BM25 score first."""
        tokens = [t for t in tokenize([text])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        rows = [i for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        return [int(i) for i in rows]

    def dense_ranking(self, text: str) -> list[int]:
        """Every resource row, most similar first (empty without an embedder)."""
        if self.embedder is None or not text.strip():
            return []
        q = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        scores = self.matrix() @ q
        return [int(i) for i in np.argsort(-scores, kind="stable")]

    # -- search
    def understand(self, query: str) -> RequestCues:
        """What the question asks for (formats, level, traits, concepts), English or Chinese."""
        return parse_request(query, self.topics)

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        formats: Iterable[str] = (),
        level: str | None = None,
        traits: Iterable[str] = (),
        concepts: Iterable[str] = (),
    ) -> list[Recommendation]:
        """The ``k`` best resources for ``query``, best first, each with its reasons.

        What the caller passes (formats such as "book"/"video", a level, traits such as "exercises",
        concept ids) is added to what the question itself says.
        """
        if k <= 0:
            return []
        cues = self.understand(query)
        want_formats = _ordered([*formats, *cues.formats])
        want_traits = _ordered([*traits, *cues.traits])
        want_level = level or cues.level
        want_concepts = _ordered([*concepts, *cues.concepts])
        text = cues.search_text or query
        fused = np.zeros(len(self.resources), dtype=np.float64)
        for ranking in (self.lexical_ranking(text), self.dense_ranking(text)):
            for rank, row in enumerate(ranking):
                fused[row] += (RRF_K + 1) / (RRF_K + rank + 1) / 2
        scored = []
        for row, r in enumerate(self.resources):
            bonus, reasons = self._fit(r, want_formats, want_level, want_traits, want_concepts)
            scored.append((fused[row] + bonus, row, reasons))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [
            Recommendation(
                self.resources[row].id, round(float(s), 4), reasons, self.resources[row].title, self.resources[row].url
            )
            for s, row, reasons in scored[:k]
        ]

    def _fit(
        self, r: Resource, formats: list[str], level: str | None, traits: list[str], concepts: list[str]
    ) -> tuple[float, tuple[str, ...]]:
        """Bonus for what the question asked and the resource has, and the phrases saying so."""
        bonus = 0.0
        reasons: list[str] = []
        wanted_formats = catalog_formats(formats)
        if r.format in wanted_formats:
            bonus += FORMAT_BONUS
            reasons.append(f"{_FORMAT_PHRASE[r.format]}, as asked")
        else:
            reasons.append(_FORMAT_PHRASE[r.format])
        if level:
            if level in r.levels:
                bonus += LEVEL_BONUS
                reasons.append(f"suits {level}s")
            else:
                bonus -= LEVEL_PENALTY
        met = []
        for trait in traits:
            if trait == "free":
                continue
            styles = _TRAIT_STYLES.get(trait, {trait})
            if styles & set(r.style):
                bonus += TRAIT_BONUS
                met.append(trait)
            else:
                bonus -= TRAIT_MISS_PENALTY
        reasons.extend(_STYLE_PHRASE[t] for t in _ordered(met) if t in _STYLE_PHRASE)
        if concepts:
            taught = r.all_concepts()
            covered = [c for c in concepts if c in taught]
            if covered:
                bonus += CONCEPT_BONUS * len(covered) / len(concepts)
                names = [self.topics.get(c).name if self.topics and c in self.topics else c for c in covered[:3]]
                reasons.append("covers " + ", ".join(names))
            else:
                bonus -= NO_CONCEPT_PENALTY
        if r.free:
            reasons.append("free")
        return bonus, tuple(reasons)


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
