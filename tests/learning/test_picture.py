from __future__ import annotations

import io
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning import LearnerStore, NothingToDraw
from mathtutor.learning.picture import map_nodes, node_label, render_map

from .conftest import T0


def test_nodes_are_the_goal_and_its_prerequisites_within_n_hops(graph: TopicGraph) -> None:
    assert map_nodes(graph, ["pca"], {}, hops=1) == graph.learning_path(
        ["svd", "covariance-correlation", "pca"], depth=0
    )
    two = map_nodes(graph, ["pca"], {}, hops=2)
    assert set(two) == {"pca", *graph.prerequisites("pca", depth=2)}
    assert two[-1] == "pca"
    assert map_nodes(graph, [], {"vectors": 0.5}) == ["algebra-precalculus", "vectors"]
    assert map_nodes(graph, [], {}) == []


def test_svg_shows_every_label_and_is_deterministic(graph: TopicGraph) -> None:
    mastery = {"svd": 0.97, "covariance-correlation": 0.4}
    svg = render_map(graph, ["pca"], mastery, due={"svd"}, hops=1, fmt="svg")
    assert svg.startswith(b"<?xml")
    text = svg.decode()
    for cid in ("pca", "svd", "covariance-correlation"):
        for line in node_label(graph, cid).split("\n"):
            assert escape(line) in text
    assert "#4daf4a" in text  # mastered colour (svd)
    assert "#1f5fbf" in text  # due-review ring
    assert render_map(graph, ["pca"], mastery, due={"svd"}, hops=1, fmt="svg") == svg


def test_png_decodes(graph: TopicGraph) -> None:
    import matplotlib.image as mpimg

    png = render_map(graph, ["backpropagation"], {"chain-rule": 0.99}, hops=2, fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(io.BytesIO(png), format="png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_errors(graph: TopicGraph) -> None:
    with pytest.raises(NothingToDraw, match="set a goal or practise a concept first"):
        render_map(graph, [], {})
    with pytest.raises(ValueError, match="'svg' or 'png'"):
        render_map(graph, ["pca"], {}, fmt="gif")


def test_a_learners_map_from_the_store(store: LearnerStore, graph: TopicGraph) -> None:
    ann = store.for_learner("ann")
    ann.set_goal("PCA")
    ann.record("svd", True, "a", at=T0)
    svg = ann.learner_map(now=T0 + timedelta(days=30)).decode()
    assert escape(node_label(graph, "pca").split("\n")[0]) in svg
    assert "#1f5fbf" in svg  # svd's review is due a month later
