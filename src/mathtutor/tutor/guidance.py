"""Answers about resources and about the path itself: "is there a book/course/video like …" and "how much
maths do I need, where do I start, in what order?".

Resources are ranked as documents of their own (``mathtutor.recommend``), so a learner can ask for one by
what it is like, in English or Chinese, and the answer says why each fits. Our own notes and guides are
never the answer to "which resource". The degrees of depth and the learning order below are our summary
of what the source lists advise (practitioner, developer, researcher).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mathtutor.tutor import mission
from mathtutor.tutor.compose import label
from mathtutor.types import Answer, Context, StudyStep

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog, Resource
    from mathtutor.tutor.compose import CitationList


@dataclass(frozen=True, slots=True)
class Depth:
    """One degree of depth: who it is for, what maths it takes, and where the source lists start it."""

    key: str  #: "practitioner", "developer" or "researcher" (``mission.depth_of``)
    title: str
    text: str
    #: catalog resources the source lists name for this degree, first to start with
    start: tuple[str, ...]
    why: str  #: what they are for, at this degree


#: How deep to go, by goal: our own words, after the seeds' "degrees of depth" (the practitioner uses libraries
#: such as Keras and XGBoost; the developer writes models from scratch and from papers, with calculus, linear
#: algebra and some probability; the researcher invents models, and a text on random processes marks the level).
DEPTHS = (
    Depth(
        "practitioner",
        "Using ML libraries (practitioner)",
        "school algebra and functions, vectors and matrices as tables of numbers, derivatives as rates of change, "
        "and basic probability and statistics are enough to train and evaluate models with existing tools.",
        ("khan-statistics-probability", "seeing-theory", "statquest", "3b1b-neural-networks"),
        "statistics and probability to read your data and your results, and how a network learns, by intuition",
    ),
    Depth(
        "developer",
        "Building and debugging your own models (developer)",
        "add linear algebra you can compute with (matrix products, eigenvectors, the SVD), multivariable calculus "
        "with the chain rule and gradients (backpropagation is the chain rule), optimisation by gradient descent, "
        "and probability distributions with maximum likelihood.",
        ("mml-book", "matrix-calculus", "khan-linear-algebra", "khan-calculus"),
        "linear algebra and calculus to follow what your code computes, and the matrix calculus of backpropagation",
    ),
    Depth(
        "researcher",
        "Research",
        "add proofs and rigour: matrix calculus, convex optimisation, probability theory and information theory, "
        "read from textbooks and lecture courses that derive every result.",
        ("hajek-random-processes", "mackay-itila", "mit-18-065", "edx-probability"),
        "random processes, information theory and matrix methods, derived with proofs",
    ),
)
#: The order the source lists agree on, as topic-graph concept ids.
ORDER = (
    "algebra-precalculus",
    "vectors",
    "matrices",
    "matrix-multiplication",
    "eigendecomposition",
    "derivatives",
    "chain-rule",
    "gradients",
    "probability-basics",
    "gradient-descent",
)
#: Concept words a mission question may contain without asking about that concept ("is high-school maths
#: enough ..." names algebra, "how much probability ..." a whole branch): still about the path as a whole.
GENERAL = mission.GENERAL
#: Concepts that steer "where do I start" recommendations toward foundations.
FOUNDATIONS = ("algebra-precalculus", "vectors", "derivatives", "probability-basics")


def _cost(res: Resource) -> str:
    """What a resource costs, in the words every guidance answer uses."""
    return "free" if res.free else "not free"


def _cite(rec: Any, ctx: Context, catalog: Catalog, cites: CitationList) -> int:
    res = catalog.resource_of(rec.resource_id)
    for concept in ctx.concepts[:1]:
        return cites.add_resource(concept, res, None)  # the best indexed page or minute of it, if any
    return cites.add_catalog(res, None)


def resource_answer(ctx: Context, recs: list[Any], catalog: Catalog, cites: CitationList) -> Answer | None:
    """The resources that fit what the learner described, each with the reasons it fits."""
    if not recs:
        return None
    lines = ["**Resources that fit what you asked for:**", ""]
    for i, rec in enumerate(recs, start=1):
        n = _cite(rec, ctx, catalog, cites)
        why = "; ".join(rec.reasons) if rec.reasons else "covers the topic"
        lines.append(f"{i}. **{rec.title}** — {why} [{n}]")
    return Answer(ctx.question, True, "\n".join(lines), cites.list, [], list(ctx.concepts))


def mission_answer(
    ctx: Context,
    recs: list[Any],
    catalog: Catalog,
    cites: CitationList,
    names: dict[str, str],
    picks: Callable[[str, int], list[tuple[Any, Any]]],
) -> Answer:
    """How much maths, in what order, and where to start: the degrees of depth, where the branches the
    question names are taught, the order as a short study path (``picks(concept, n)``: up to n resources,
    and parts, to study each step from), then where to start. When the learner names the degree they aim at
    (``mission.depth_of``: "from scratch", 读博, "just Keras for Kaggle"), that degree's resources come first."""
    lines = ["How much maths you need depends on what you want to do with machine learning:", ""]
    lines += [f"- **{d.title}**: {d.text}" for d in DEPTHS]
    depth = next((d for d in DEPTHS if d.key == mission.depth_of(ctx.question)), None)
    started: set[str] = set()
    if depth is not None:  # "I want to write a small net from scratch", 读博: the learner's own degree first
        lines += ["", f"**For what you want to do (the {depth.key}'s degree):** {depth.why}. Start with:", ""]
        for rid in depth.start:
            res = catalog.resource_of(rid)
            lines.append(f"- **{res.title}** — {res.format}, {_cost(res)} [{cites.add_catalog(res, None)}]")
            started.add(rid)
    focus = mission.focus_concepts(ctx.search or ctx.question, ctx.concepts)
    if focus:  # "do I need calculus?", "linear algebra or probability first?": where each branch is taught
        lines += ["", "**For what you asked about:**", ""]
        for concept in focus:
            refs = "; ".join(
                f"{label(res, part)} [{cites.add_resource(concept, res, part)}]" for res, part in picks(concept, 2)
            )
            lines.append(f"- {names.get(concept, concept)}: {refs}" if refs else f"- {names.get(concept, concept)}")
    lines += ["", "**A good order:**", ""]
    steps = []
    for i, concept in enumerate(ORDER, start=1):
        numbers = [cites.add_resource(concept, res, part) for res, part in picks(concept, 1)]
        refs = ", ".join(f"[{n}]" for n in numbers)
        lines.append(f"{i}. {names.get(concept, concept)}" + (f" {refs}" if refs else ""))
        steps.append(StudyStep(concept, "the order the source lists recommend", numbers))
    lines.append("")
    recs = [r for r in recs if r.resource_id not in started]
    if recs:
        lines += ["**Where to start:**" if depth is None else "**Also good to start with:**", ""]
        for rec in recs:
            n = _cite(rec, ctx, catalog, cites)
            why = "; ".join(rec.reasons) if rec.reasons else ""
            lines.append(f"- **{rec.title}**" + (f" — {why}" if why else "") + f" [{n}]")
    lines += ["", 'Ask "What should I study for PCA?" (or any goal) for a step-by-step path with pages and minutes.']
    return Answer(ctx.question, True, "\n".join(lines), cites.list, steps, list(ctx.concepts))


def facts_answer(
    ctx: Context, catalog: Catalog, cites: CitationList, names: dict[str, str], picks: Callable[[str, int], list[Any]]
) -> Answer | None:
    """ "Is that book free?", "who made it?": the catalog's facts about the resource cited before, and where
    in it the conversation's topic is."""
    if not ctx.resources:
        return None
    lines = []
    for rid in sorted(ctx.resources):
        res = catalog.resource_of(rid)
        n = cites.add_catalog(res, None)
        cost = _cost(res)
        levels, style = ", ".join(res.levels), f"; with {', '.join(res.style)}" if res.style else ""
        lines.append(
            f"**{res.title}** — by {', '.join(res.creators)}; {res.format}, {cost}{style}; for {levels} learners [{n}]."
        )
        lines.append("")
        retired = res.note if res.note and "retired" in res.note.lower() else ""  # other notes are ours, not theirs
        lines.append(f"{res.description} {retired}".strip())
        for concept in ctx.concepts[:1]:
            found = [(r, p) for r, p in picks(concept, 1) if r.id == rid or r.parent == rid]
            for r, part in found:
                lines += [
                    "",
                    f"On {names.get(concept, concept)}: {label(r, part)} [{cites.add_resource(concept, r, part)}]",
                ]
    return Answer(ctx.question, True, "\n".join(lines), cites.list, [], list(ctx.concepts))
