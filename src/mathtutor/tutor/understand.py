"""Understanding a question in its conversation: concepts, study-path intent, level, formats, named resources.

The result is a :class:`~mathtutor.types.Context`. Elliptical follow-ups ("and for a beginner?",
"videos for that?") carry the concepts of earlier turns; "it"/"that book" refers to the resource the
previous answer cited first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mathtutor.inputs import InputError
from mathtutor.knowledge.catalog import FORMAT_GROUPS
from mathtutor.knowledge.zh import has_cjk, translate_query
from mathtutor.recommend_cues import is_resource_request
from mathtutor.types import Context

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog
    from mathtutor.knowledge.names import CommonNames
    from mathtutor.knowledge.topics import TopicGraph

LEVELS = ("beginner", "practitioner", "researcher")
MAX_QUESTION_CHARS = 2000

PLAN = re.compile(
    r"\b(what|which)\b.*\b(study|learn|know|read|watch|cover|need)\b"
    r"|\bstudy (path|plan|guide)|\broad ?map\b|\blearning (path|plan)\b|\bprereq|\bprerequisite"
    r"|\bhow (do|can|should|would) (i|you|one) (learn|study|get (into|started)|prepare|master)"
    r"|\bwhere (do|should|can) i (start|begin)\b|\bwhat .*\bbefore\b"
    r"|学什么|学习路线|学习路径|学习计划|需要.*(基础|先学|知识|学)|怎么学|如何学|先修|前置",
    re.IGNORECASE,
)
FORMAT_HINTS = {
    "video": re.compile(r"\bvideos?\b|youtube|\bwatch\b|\blectures?\b|视频|讲座", re.IGNORECASE),
    "book": re.compile(r"\bbooks?\b|\bchapters?\b|\btextbooks?\b|\bpdf\b|\bread(ing)?\b|书|教材|章节", re.IGNORECASE),
    "course": re.compile(r"\bcourses?\b|\bmooc\b|课程", re.IGNORECASE),
    "interactive": re.compile(r"\binteractive\b|\bexercises?\b|\bpractice\b|交互|练习", re.IGNORECASE),
}
LEVEL_HINTS = {
    "beginner": re.compile(
        r"\bbeginner\b|\bnew to\b|\bno background\b|\bfrom scratch\b|\bnovice\b|新手|入门|零基础", re.IGNORECASE
    ),
    "researcher": re.compile(r"\bresearch(er)?\b|\brigorous\b|\bproofs?\b|\bphd\b|\bgraduate\b|研究", re.IGNORECASE),
    "practitioner": re.compile(
        r"\bpractitioner\b|\bengineer\b|\bdeveloper\b|\bin practice\b|工程师|实践", re.IGNORECASE
    ),
}
REFERS_BACK = re.compile(
    r"\b(it|that|this|those|them|the same)\b|\b(that|this|the) (book|course|series|channel|video|lecture|one)\b"
    r"|它|这本|那本|这个|那个|这门|那门",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s)\]>]+")


#: The tutor's name for a question it cannot take (the one check lives in :mod:`mathtutor.inputs`).
QuestionError = InputError


def understand(
    q: str,
    history: list[dict[str, str]],
    *,
    level: str | None,
    formats: set[str] | None,
    topics: TopicGraph | None,
    catalog: Catalog | None,
    default_level: str | None = None,
    common: CommonNames | None = None,
) -> Context:
    """What ``q`` asks, read in the light of ``history``. ``topics`` None: no concepts (the no-graph ablation).

    ``common`` (see :func:`common_names`) keeps subject names that are also catalog titles from naming
    a resource; without it every title does.
    """
    rewrite = translate_query(q) if has_cjk(q) else None
    search = f"{q} {rewrite.english}".strip() if rewrite is not None and rewrite.english else q
    concepts = topics.detect(search) if topics is not None else []
    if rewrite is not None and topics is not None:
        concepts += [c for c in rewrite.concepts if c not in concepts and c in topics]
    intents = set(rewrite.intents) if rewrite is not None else set()
    plan = bool(PLAN.search(q)) or bool(intents & {"plan"})
    wanted = set(formats or ()) | {f for f, rx in FORMAT_HINTS.items() if rx.search(search)}
    if level is None:
        level = next((lv for lv, rx in LEVEL_HINTS.items() if rx.search(search)), None) or default_level
    named = catalog.names_in(q, common) if catalog is not None else set()
    ctx = Context(q, concepts, plan, wanted, level, named, search=search, intent=_intent(q, intents))
    previous_users = [m["content"] for m in history if m["role"] == "user"]
    previous_answer = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
    if history and topics is not None:
        if not concepts:
            for text in reversed(previous_users):
                carried = topics.detect(text)
                if carried:
                    ctx.concepts, ctx.followup = carried, True
                    ctx.plan = plan or bool(PLAN.search(text))
                    break
        # "that book" binds to the resource cited first; "videos for that instead" asks for another format of
        # the same topic, so a format word that the cited resource does not have keeps the topic only
        asked = {f for f, rx in FORMAT_HINTS.items() if rx.search(search)}
        if not named and REFERS_BACK.search(q):
            cited = resources_in(previous_answer, catalog)
            if cited and asked and catalog is not None:
                fmt = catalog.resource_of(cited[0]).format
                if not any(fmt in FORMAT_GROUPS.get(f, {f}) for f in asked):
                    cited = []  # another format of the same topic, not the resource cited before
            if cited:
                ctx.resources = {cited[0]}
                ctx.followup = True
    return ctx


#: On-mission questions with no concept word: what maths, how much, in what order, for which role.
MISSION = re.compile(
    r"\bhow much (more )?(math|maths|mathematics)\b|\b(math|maths|mathematics) (do|would|will|should) i need\b"
    r"|\b(is|are) (high[- ]school|basic|school|undergrad(uate)?) (math|maths|mathematics)\b.*\benough\b"
    r"|\bwhere (do|should|can) i (start|begin)\b|\bwhat order\b.*\b(learn|study)\b"
    r"|\bwhich (math|maths|mathematics)\b.*\b(for|as)\b|\bwhat (math|maths|mathematics) (do|should|would)\b"
    r"|\bfrom using (libraries|frameworks)\b|\b(math|maths|mathematics) (background|prerequisites) for\b"
    r"|\b(math|maths|mathematics)\b.*\b(researchers?|engineers?|developers?|practitioners?|data scientists?)\b"
    r"|\b(need|use) (any )?(math|maths|mathematics) at all\b|\bdo i (even )?need (math|maths|mathematics)\b",
    re.IGNORECASE,
)
#: "Where does BOOK explain X", "which page defines X": the page, not a summary.
WHERE = re.compile(
    r"\bwhere (does|do|is|are|can i find)\b.*\b(explain|explained|define|defined|introduce|introduced|cover|covered"
    r"|discuss|discussed|derive|derived)\b|\bwhich (page|chapter|section)\b|\bon what page\b",
    re.IGNORECASE,
)


def _intent(q: str, zh_intents: set[str]) -> str | None:
    """ "where", "resource" or "mission", or None for an explanation / study path (see ``Context.intent``)."""
    if WHERE.search(q) or "where_explained" in zh_intents:
        return "where"
    if is_resource_request(q):
        return "resource"
    if MISSION.search(q) or "mission" in zh_intents:
        return "mission"
    return None


def common_names(topics: TopicGraph | None) -> CommonNames | None:
    """The topic graph's concept names and aliases: subjects, which no catalog title names on its own."""
    from mathtutor.knowledge.names import CommonNames

    return CommonNames.of(t for c in topics.concepts for t in c.terms) if topics is not None else None


def resources_in(text: str, catalog: Catalog | None) -> list[str]:
    """Catalog resources an earlier answer cited, in order of first mention (by URL)."""
    if catalog is None or not text:
        return []
    out: list[str] = []
    for url in _URL.findall(text):
        m = catalog.match(url=url.rstrip(".,;"))
        if m is not None and m.resource_id not in out:
            out.append(m.resource_id)
    return out
