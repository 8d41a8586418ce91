"""Study paths and resource picking: order, depth per level, formats, and the passage cited per step."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mathtutor.tutor.plan import IndexLookups
from mathtutor.types import Chunk


class _Store:
    def get_chunks(self, ids):
        return [Chunk(f"passage {i}", "f.md", "markdown", "t", 0, resource_id="r", id=int(i)) for i in ids]


def test_best_passage_takes_the_id_of_the_best_row_when_some_ids_have_no_vector():
    """Bug 6: chunk 10 has no vector; the best of chunks 11 and 12 is 12, not the 2nd id of the unfiltered list."""
    lookups = IndexLookups(
        _Store(),
        ids=np.array([11, 12]),
        vectors=np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32),
        row={11: 0, 12: 1},
        by_resource={"r": [10, 11, 12]},
        concept_vec={"c": np.array([1.0, 0.0], dtype=np.float32)},
    )
    chunk, score = lookups.best_passage("c", SimpleNamespace(id="r"), None)
    assert chunk.id == 12 and score == pytest.approx(1.0)


class _CountingEmbedder:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return np.array([1.0, 0.0] if "first" in text else [0.0, 1.0], dtype=np.float32)


def _lookups(store, embedder) -> IndexLookups:
    return IndexLookups(
        store,
        ids=np.array([11, 12]),
        vectors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        row={11: 0, 12: 1},
        by_resource={"r": [11, 12]},
        concept_text={"a": "A. The first concept.", "b": "B. The second concept."},
        embedder=embedder,
    )


def test_every_concept_is_embedded_alone_once_and_the_cited_passage_is_found_once():
    read: list[list[int]] = []

    class Store(_Store):
        def get_chunks(self, ids):
            read.append(list(ids))
            return super().get_chunks(ids)

    emb = _CountingEmbedder()
    lookups = _lookups(Store(), emb)
    lookups.embed_concepts()
    assert emb.texts == ["A. The first concept.", "B. The second concept."]  # one call each, as on demand
    res = SimpleNamespace(id="r")
    assert lookups.best_passage("a", res, None)[0].id == 11 and lookups.best_passage("b", res, None)[0].id == 12
    assert lookups.best_passage("a", res, None)[0].id == 11
    assert read == [[11], [12]] and len(emb.texts) == 2  # neither embedded nor read again


def test_concepts_embedded_on_demand_or_up_front_cite_the_same_passages():
    res = SimpleNamespace(id="r")
    lazy, eager = _lookups(_Store(), _CountingEmbedder()), _lookups(_Store(), _CountingEmbedder())
    eager.embed_concepts()
    for concept in ("b", "a", "b"):
        (x, sx), (y, sy) = lazy.best_passage(concept, res, None), eager.best_passage(concept, res, None)
        assert (x.id, sx) == (y.id, sy)


def test_best_passage_is_none_without_vectors_or_concept():
    lookups = IndexLookups(_Store(), ids=np.zeros(0), vectors=np.zeros((0, 2)), by_resource={"r": [10]})
    assert lookups.best_passage("c", SimpleNamespace(id="r"), None) is None


@pytest.mark.slow
@pytest.mark.parametrize(
    "q", ["What should I study for Bayesian inference?", "What should I study for neural networks?"]
)
def test_a_study_path_for_a_generic_title_cites_many_resources(tutor, q):
    """Bug 1: a subject that is also a catalog title must not make every step cite that one resource."""
    a = tutor.ask(q)
    assert a.in_scope and len(a.study_path) >= 5
    cited = {c.resource_id for c in a.citations}
    assert len(cited) >= 4, cited


class NoIndex:
    """Lookups of an empty index: resources are picked from the catalog alone."""

    def __init__(self) -> None:
        self.by_part: dict = {}
        self.by_resource: dict = {}


def test_a_learner_s_mastered_concepts_are_skipped_but_never_the_goal():
    from mathtutor.knowledge.catalog import load_catalog
    from mathtutor.knowledge.topics import load_topics
    from mathtutor.tutor.plan import study_path
    from mathtutor.types import Context

    topics, catalog = load_topics(), load_catalog()
    ctx = Context("What should I study for PCA?", ["pca"], True, set(), "beginner", set())
    _, _, full = study_path(ctx, topics, catalog, NoIndex())
    everything = [s.concept for s in full]
    ctx.mastered = {"vectors", "matrices", "pca"}
    _, _, short = study_path(ctx, topics, catalog, NoIndex())
    kept = [s.concept for s in short]
    assert {"vectors", "matrices"} <= set(everything) and not {"vectors", "matrices"} & set(kept)
    assert kept == [c for c in everything if c not in {"vectors", "matrices"}]
    assert kept[-1] == "pca"  # the goal stays even when marked mastered


def test_a_resource_the_learner_asked_to_move_away_from_is_never_picked():
    from mathtutor.knowledge.catalog import load_catalog
    from mathtutor.tutor.plan import pick_resources
    from mathtutor.types import Context

    catalog = load_catalog()
    ctx = Context("anything gentler?", ["probability-basics"], False, set(), "beginner", set())
    first = [r.id for r, _ in pick_resources("probability-basics", ctx, set(), 3, catalog, NoIndex())]
    ctx.exclude = {first[0]}
    again = [r.id for r, _ in pick_resources("probability-basics", ctx, set(), 3, catalog, NoIndex())]
    assert first[0] not in again and len(again) == 3
