"""Citations point at catalog parts that teach the concept."""

from __future__ import annotations

from mathtutor.practice.citations import catalog, citations_for


def test_citations_exist_and_teach_the_concept():
    cat = catalog()
    for concept in ("chain-rule", "eigendecomposition", "bayes-rule", "pca", "entropy-kl"):
        cites = citations_for(concept, "practitioner")
        assert cites, concept
        for c in cites:
            assert c.resource_id in cat
            if c.part_id is not None:
                assert concept in cat.get(c.part_id).concepts
                assert c.part_id.startswith(c.resource_id + "/")


def test_parts_preferred_and_distinct_resources():
    cites = citations_for("bayes-rule", "beginner", limit=3)
    assert cites[0].part_id is not None
    assert len({c.resource_id for c in cites}) == len(cites)
