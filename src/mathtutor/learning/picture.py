"""The learner map: the topic graph around the goal, coloured by mastery, with due reviews marked.

Drawn with networkx and matplotlib (Agg backend, imported only when a map is asked for). The layout
is deterministic: nodes sit in layers by their longest prerequisite chain inside the drawn subgraph
(foundations at the top, the goal at the bottom), ordered within a layer by the topic file. SVG text
is kept as text (``svg.fonttype = none``) so labels stay searchable and accessible.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Mapping

from mathtutor.knowledge.topics import TopicGraph
from mathtutor.learning.bkt import MASTERY_THRESHOLD
from mathtutor.learning.errors import NothingToDraw

__all__ = ["LEGEND", "map_nodes", "node_label", "render_map"]

LEGEND = "green: mastered · light green: over 50% · yellow: some evidence · grey: none yet · blue ring: review due"
_LABEL_WIDTH = 13


def node_label(graph: TopicGraph, concept: str) -> str:
    """The concept's name wrapped onto short lines (each line is one SVG <text>)."""
    return "\n".join(textwrap.wrap(graph.get(concept).name, _LABEL_WIDTH)) or concept


def map_nodes(graph: TopicGraph, goals: Iterable[str], mastery: Mapping[str, float], *, hops: int = 2) -> list[str]:
    """The concepts drawn: the goals and their prerequisites within ``hops``; without a goal, the
    practised concepts and their direct prerequisites. In study order."""
    goal_ids = list(goals)
    nodes: set[str] = set()
    if goal_ids:
        for gid in goal_ids:
            nodes |= {gid, *graph.prerequisites(gid, depth=hops)}
    else:
        for cid in mastery:
            if cid in graph:
                nodes |= {cid, *graph.prerequisites(cid, depth=1)}
    return graph.learning_path(sorted(nodes), depth=0) if nodes else []


def _layers(graph: TopicGraph, nodes: list[str]) -> dict[str, int]:
    layer: dict[str, int] = {}
    inside = set(nodes)
    for cid in nodes:  # study order: prerequisites already have their layer
        below = [layer[p] for p in graph.prerequisites(cid) if p in inside]
        layer[cid] = 1 + max(below) if below else 0
    return layer


def _colour(p: float | None) -> str:
    if p is None:
        return "#d9d9d9"
    if p >= MASTERY_THRESHOLD:
        return "#4daf4a"
    if p >= 0.5:
        return "#c7e06b"
    return "#fdd663"


def render_map(
    graph: TopicGraph,
    goals: Iterable[str],
    mastery: Mapping[str, float],
    due: Iterable[str] = (),
    *,
    hops: int = 2,
    fmt: str = "svg",
) -> bytes:
    """Draw the map as ``svg`` or ``png`` bytes."""
    if fmt not in ("svg", "png"):
        raise ValueError("the learner map is drawn as 'svg' or 'png'")
    goal_ids = list(goals)
    nodes = map_nodes(graph, goal_ids, mastery, hops=hops)
    if not nodes:
        raise NothingToDraw("There is nothing to draw yet: set a goal or practise a concept first.")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    inside = set(nodes)
    g.add_edges_from((p, c) for c in nodes for p in graph.get(c).prereqs if p in inside)
    layer = _layers(graph, nodes)
    depth = max(layer.values())
    rows: dict[int, list[str]] = {}
    for cid in nodes:
        rows.setdefault(layer[cid], []).append(cid)
    width = max(len(r) for r in rows.values())
    pos = {}
    for lvl, members in rows.items():
        offset = (width - len(members)) / 2
        for i, cid in enumerate(members):
            pos[cid] = (offset + i, depth - lvl)
    due_set = set(due) & inside
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mathtutor", "font.size": 8}):
        fig, ax = plt.subplots(figsize=(max(4.0, 2.2 * width), max(3.0, 1.5 * (depth + 1)) + 0.6))
        try:
            nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=10, edge_color="#888888", node_size=2600)
            nx.draw_networkx_nodes(
                g,
                pos,
                ax=ax,
                node_size=2600,
                node_shape="o",
                node_color=[_colour(mastery.get(c)) for c in nodes],
                edgecolors=["#1f5fbf" if c in due_set else "#555555" for c in nodes],
                linewidths=[4.0 if c in due_set else 1.0 for c in nodes],
            )
            for cid in nodes:
                x, y = pos[cid]
                weight = "bold" if cid in goal_ids else "normal"
                ax.text(x, y, node_label(graph, cid), ha="center", va="center", fontsize=7, fontweight=weight)
            ax.set_title(LEGEND, fontsize=7)
            ax.set_axis_off()
            ax.margins(0.12)
            buf = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {}
            fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=110, metadata=metadata)
        finally:
            plt.close(fig)
    return buf.getvalue()
