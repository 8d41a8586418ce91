"""Understanding a question in its conversation: concepts, study-path intent, level, formats, named resources.

The result is a :class:`~mathtutor.types.Context`. Elliptical follow-ups ("videos for that?", 有视频吗) carry the
concepts of earlier turns; "it" is the previous turn's concept unless the question names the resource ("that book",
这本) or asks a property of it, then the resource cited first. Mission questions are read in ``tutor/mission.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mathtutor.inputs import InputError
from mathtutor.knowledge.formats import FORMAT_GROUPS, catalog_formats
from mathtutor.knowledge.zh import has_cjk, translate_query
from mathtutor.recommend_cues import is_resource_request
from mathtutor.tutor import mission
from mathtutor.tutor.understand_cues import (
    ASKS_ABOUT_IT,
    DEFINES,
    ELLIPSIS,
    ENOUGH,
    HOW_LONG,
    IDIOMS,
    INSTEAD,
    LEVEL_ASKED,
    LEVEL_HINTS,
    NAMES_RESOURCE,
    NEXT,
    OTHER,
    PLAN,
    PREPARE_FOR,
    PROPERTY,
    REFERS_BACK,
    REFERS_TO_TOPIC,
    RELATES,
    TOPIC_CHANGE,
    UNLIKE,
    WHERE,
    WHICH_PART,
    ZH_ASKS_FOR_RESOURCE,
    asked_formats,
)
from mathtutor.types import Context

if TYPE_CHECKING:
    from mathtutor.knowledge.catalog import Catalog
    from mathtutor.knowledge.names import CommonNames
    from mathtutor.knowledge.topics import TopicGraph

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
    mission_like: Callable[[str], bool] | None = None,
    gloss: Callable[[str], str] | None = None,
) -> Context:
    """What ``q`` asks, read in the light of ``history``. ``topics`` None: no concepts (the no-graph ablation).

    ``common`` (see :func:`common_names`) keeps subject names that are also catalog titles from naming
    a resource; without it every title does. ``mission_like`` (a :class:`~mathtutor.tutor.mission.MissionDetector`)
    adds the similarity reading of mission questions to the structural one. ``gloss`` (for Chinese questions;
    :func:`mathtutor.knowledge.zh_gloss.gloss`) gives the English words both readings judge, instead of the term
    table's rewrite alone.
    """
    rewrite = translate_query(q) if has_cjk(q) else None
    english = rewrite.english if rewrite is not None and rewrite.english else q
    meaning = q
    if rewrite is not None:  # a Chinese question: its gloss, or failing that the table's rewrite
        meaning = (gloss(q) if gloss is not None else "") or english
    search = f"{q} {rewrite.english}".strip() if rewrite is not None and rewrite.english else q
    concepts = _concepts(q, topics)
    intents = set(rewrite.intents) if rewrite is not None else set()
    plan = bool(PLAN.search(q)) or bool(intents & {"plan"})
    wanted = set(formats or ()) | asked_formats(search)
    asked_level = next((lv for lv, rx in LEVEL_HINTS.items() if rx.search(search)), None)
    if level is None:
        level = asked_level or default_level
    named = catalog.names_in(q, common) if catalog is not None else set()
    intent = _intent(q, meaning, intents, concepts, None if named else mission_like)
    if intent == "mission" and named and not ENOUGH.search(meaning):
        intent = None  # "can I still enrol in <course>?" is about that resource; "is Khan Academy enough?" is not
    if intent is None and named and not concepts and ENOUGH.search(meaning):
        intent = "mission"  # "how do I tell whether I'm ready for the MML book?": how much maths, and where from
    if intent == "resource" and not concepts:
        plan = False  # "自学…的数学，有哪些免费资源": no path to plan without a concept, so the resources themselves
    if intent == "mission" and mission.specific(concepts):
        plan = True  # "what maths for deep learning": the study path toward the field the question names
    goal: set[str] = set()
    if plan and named and intent is None and PREPARE_FOR.search(q) and catalog is not None:
        # "what should I brush up on before starting 18.065?": the goal (the path leads to what it opens with)
        goal, named = named, set()
        concepts = concepts or _opening(min(goal), catalog, topics)
        own = {catalog.resource_of(g).format for g in goal}  # "Deisenroth's book" asks for no book
        wanted -= {f for f in wanted - set(formats or ()) if own & FORMAT_GROUPS.get(f, {f})}
    ctx = Context(q, concepts, plan, wanted, level, named, search=search, intent=intent, meaning=meaning, goal=goal)
    ctx.exclude = set(goal)
    ctx.conversation = bool(history)
    if history and topics is not None:
        _follow(ctx, history, topics, catalog)
    if len(ctx.resources) == 1 and NEXT.search(q) and not (HOW_LONG.search(q) or concepts):
        # "finished the Parr & Howard article. what comes after it?", "I've done 18.06, which course next?": what
        # builds on that resource, not the resource again
        done = min(ctx.resources)
        after = _after(done, catalog, topics) if catalog is not None and topics is not None else []
        if after:
            ctx.concepts, ctx.resources, ctx.plan, ctx.finished = after, set(), False, done
            ctx.exclude = ctx.exclude | {done}
    return ctx


def _english(text: str) -> str:
    """A text in English words: itself, or a Chinese text's rewrite."""
    return translate_query(text).english if has_cjk(text) else text


def _concepts(text: str, topics: TopicGraph | None) -> list[str]:
    """Concepts a text names, in English or Chinese (through its English rewrite)."""
    if topics is None:
        return []
    rewrite = translate_query(text) if has_cjk(text) else None
    found = topics.detect(f"{text} {rewrite.english}" if rewrite is not None and rewrite.english else text)
    if rewrite is not None:
        found += [c for c in rewrite.concepts if c not in found and c in topics]
    return found


def _follow(ctx: Context, history: list[dict[str, str]], topics: TopicGraph, catalog: Catalog | None) -> None:
    """Read ``ctx`` as a turn of the conversation: what "it"/"that" and an elliptical question refer to.

    "it"/"that" is the *concept* of the previous turn unless the question names the resource ("that book", 这本) or
    asks about a property of it (free, chapter, "does it cover"); a request for another never restricts to it.
    """
    q, own = ctx.question, ctx.search
    users = [m["content"] for m in history if m["role"] == "user"]
    previous_answer = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
    carried: list[str] = []
    carried_from = ""
    for text in reversed(users):
        carried = _concepts(text, topics)
        if carried:
            carried_from = text
            break
    refers = bool(REFERS_BACK.search(IDIOMS.sub(" ", q)))  # not the "it" of "got it"
    explicit = bool(NAMES_RESOURCE.search(q))
    asked = asked_formats(own)
    elliptical = refers or bool(
        asked or LEVEL_ASKED.search(own) or PROPERTY.search(q) or NEXT.search(q) or OTHER.search(q)
    )
    subject = False
    if not carried and not ctx.concepts and (NEXT.search(q) or (elliptical and not explicit)):
        # a branch named earlier ("线性代数入门看什么好？", "有没有直观讲微积分的视频？"): the concept that stands
        # for it, so that "what next?" and "a more rigorous one?" stay on that branch
        for text in reversed(users):
            carried = [c for c in mission.focus_concepts(_english(text), []) if c in topics]
            if carried:
                carried_from, subject = text, True
                break
    if TOPIC_CHANGE.search(q) and not elliptical:
        carried = []  # "by the way, ..." / 对了，…: a new question, not about the last topic
    if not ctx.concepts and carried:
        ctx.concepts, ctx.followup = list(carried), True
        if subject:  # the branch's own words search better than the concept standing for it
            ctx.search = f"{ctx.search} {_english(carried_from)}".strip()
        else:
            ctx.plan = ctx.plan or bool(PLAN.search(carried_from))
    elif carried and ctx.concepts and UNLIKE.search(own) and not explicit and _under(ctx.concepts, carried, topics):
        # "too dense, he flies through the algebra... something gentler?" after eigenvalues: another take on the
        # conversation's concept; the prerequisite it names is only where the learner got lost
        ctx.concepts = carried + [c for c in ctx.concepts if c not in carried]
        ctx.followup = True
    elif (
        ctx.concepts
        and (REFERS_TO_TOPIC.search(q) or (len(ctx.concepts) == 1 and RELATES.search(q)))
        and not (explicit or PROPERTY.search(q) or ctx.resources)
    ):
        # "how is it used in backpropagation?": it = the previous turn's concept, asked about with the new one
        extra = [c for c in carried if c not in ctx.concepts]
        if extra:
            ctx.concepts, ctx.followup = ctx.concepts + extra[:2], True
    elif carried and ctx.concepts and _tool_of(ctx, carried, topics) and not (ELLIPSIS.search(q) or NEXT.search(q)):
        # "why do we take the log?" after maximum likelihood, "where do eigenvectors come in?" after PCA: a tool of
        # the conversation's concept, asked about inside it; "what is a logarithm?" asks about the tool itself
        extra = [c for c in carried if c not in ctx.concepts][:2]
        defines = bool(DEFINES.search(q))
        ctx.concepts, ctx.followup = (ctx.concepts + extra) if defines else (extra + ctx.concepts), True
    elif ctx.concepts and users and ELLIPSIS.search(q):
        # "what about the SVD?", 那SVD呢: the same kind of question as the last one, about a new concept
        ctx.followup = True
        ctx.plan = ctx.plan or bool(PLAN.search(users[-1]))
        if ctx.intent is None and is_resource_request(users[-1]):
            ctx.intent = "resource"
    if NEXT.search(q) and ctx.followup and ctx.concepts:
        following = [d for c in ctx.concepts[:1] for d in topics.dependents(c)]
        if following:
            ctx.concepts, ctx.plan = following[:2], False
    if not ctx.concepts and users and elliptical:  # the topic is the previous question's, named or not
        last = users[-1]
        ctx.search = f"{ctx.search} {_english(last)}".strip()
        ctx.followup = True
    cited_before = _pointed_first(q, resources_in(previous_answer, catalog), catalog)
    instead = bool(UNLIKE.search(own) and (INSTEAD.search(q) or not LEVEL_ASKED.search(own)))
    if cited_before and catalog is not None and not explicit and (OTHER.search(q) or instead):
        # "anything shorter?" after 18.06, 看书有点枯燥，有视频吗: not the resource given (nor its format, if another)
        ctx.exclude = {cited_before[0]}
        given = catalog.resource_of(cited_before[0]).format
        unlike = {f for f in ctx.formats if given in FORMAT_GROUPS.get(f, {f})}
        if unlike and ctx.formats - unlike:
            ctx.formats = ctx.formats - unlike
    another = not explicit and not PROPERTY.search(q) and (asked or LEVEL_ASKED.search(own) or OTHER.search(q))
    if ctx.intent is None and users and another and is_resource_request(users[-1]):
        ctx.intent = "resource"  # "anything I could watch instead?" after "which book ...?"
    # a property with no subject of its own ("有配套代码吗", "what chapters should I read?") is the resource's too
    owns = bool(refers or not _concepts(q, topics))
    binds = explicit or (owns and bool(PROPERTY.search(q)) and ctx.intent != "resource")
    binds = binds or (ctx.intent == "where" and bool(WHICH_PART.search(q)))  # "which chapter covers regression?"
    # "way too dense, the first few pages lost me. anything gentler?": a page of the story, not the property asked
    binds = binds and (explicit or not (ctx.exclude and instead))
    if ctx.resources or not binds:
        return
    if PREPARE_FOR.search(q) and cited_before and catalog is not None:
        ctx.goal, ctx.exclude, ctx.plan = {cited_before[0]}, {cited_before[0]}, True  # the path to where it opens
        ctx.concepts = ctx.concepts or _opening(cited_before[0], catalog, topics)
    if NEXT.search(q) or PREPARE_FOR.search(q):
        return  # "学完这门以后下一步看什么？", "what before that book?": a milestone on the path, not the source
    cited = cited_before
    # "videos for that instead": a format word that the cited resource does not have keeps the topic only
    # ("chapter" is no format in "which chapter ...?", nor "interactive" in "does it ..., or is it interactive?")
    # ("the same site": named outright, it stays whatever format word comes with it)
    if cited and asked and catalog is not None and not (explicit or WHICH_PART.search(q) or ASKS_ABOUT_IT.search(q)):
        fmt = catalog.resource_of(cited[0]).format
        if fmt not in catalog_formats(asked):
            cited = []
    if cited:
        ctx.resources, ctx.exclude = {cited[0]}, ctx.exclude - {cited[0]}  # "does that course have shorter ones?"
        ctx.followup = True
        # a property with no topic of its own; "does it assume calculus?" asks one whatever topic it names
        asks_property = bool(PROPERTY.search(q)) and (not _concepts(q, topics) or bool(ASKS_ABOUT_IT.search(q)))
        if (ctx.intent is None or explicit) and ctx.intent != "where" and asks_property:
            ctx.intent = "facts"  # "is that book free?", "who made it?", 那个课程免费吗: answered from the catalog


#: "the MIT one", "Strang's lectures", "the 18.06 videos": a cited resource told apart by its maker or course number
_MARK = re.compile(r"\b([A-Z]{2,}|\d+\.\d+[A-Za-z]?)\b")


def _pointed_first(q: str, cited: list[str], catalog: Catalog | None) -> list[str]:
    """The resources an earlier answer cited, the one the question points at first ("the MIT one is nearly an hour:
    anything shorter?" after 3Blue1Brown and 18.06): by a maker's surname or an acronym or course number of its
    title, else by its format ("the book"), when only one of them fits."""
    if catalog is None or len(cited) < 2:
        return cited
    words = {w.casefold() for w in re.findall(r"[A-Za-z]+|\d+\.\d+", q)}
    asked = catalog_formats(asked_formats(q))

    def marks(rid: str) -> set[str]:
        res = catalog.resource_of(rid)
        return {c.split()[-1].casefold() for c in res.creators if c.split()} | {
            m.casefold() for m in _MARK.findall(res.title)
        }

    by_name = [r for r in cited if marks(r) & words]
    by_format = [r for r in cited if catalog.resource_of(r).format in asked]
    for fits in (by_name, by_format):
        if len(fits) == 1:
            return [fits[0], *(r for r in cited if r != fits[0])]
    return cited


def _opening(resource_id: str, catalog: Catalog, topics: TopicGraph | None) -> list[str]:
    """The concepts a resource opens with that the topic graph knows: where a path to it should lead."""
    return [c for c in catalog.opening(resource_id) if topics is not None and c in topics]


def _after(resource_id: str, catalog: Catalog, topics: TopicGraph) -> list[str]:
    """What a finished resource prepares for: concepts it does not teach whose direct prerequisites it teaches or
    comes after, at least one of them its own topic; those resting on most of its topics, two at most (none when
    nothing builds on it)."""
    covered = {c for c in catalog.resource_of(resource_id).topics if c in topics}
    done = covered | {p for c in covered for p in topics.prerequisites(c)}
    builds: dict[str, int] = {}
    for concept in topics.ids:
        direct = set(topics.get(concept).prereqs)
        if concept not in done and direct and direct <= done and direct & covered:
            builds[concept] = len(direct & covered)
    ranked = sorted(builds, key=lambda c: -builds[c])  # stable: file order among equals
    return [c for c in ranked if builds[c] == builds[ranked[0]]][:2] if ranked else []


def _under(concepts: list[str], carried: list[str], topics: TopicGraph) -> bool:
    """Whether every concept is a prerequisite, at any depth, of one of the conversation's concepts."""
    below = {p for c in carried if c in topics for p in topics.prerequisites(c)}
    return all(c in below for c in concepts)


def _tool_of(ctx: Context, carried: list[str], topics: TopicGraph) -> bool:
    """Whether the turn asks, in a plain explanation, only about prerequisites of the conversation's concept."""
    if ctx.intent is not None or ctx.plan or ctx.resources or ctx.formats or TOPIC_CHANGE.search(ctx.question):
        return False
    return _under(ctx.concepts, carried, topics)


def _intent(
    q: str, meaning: str, zh_intents: set[str], concepts: list[str], mission_like: Callable[[str], bool] | None
) -> str | None:
    """ "where", "resource" or "mission", or None for an explanation / study path (see ``Context.intent``).

    Mission: the structural cues (``tutor/mission.py``; for Chinese, the term table's reading) or, failing
    those, similarity to the mission prototypes; never when the question names a specific concept other than
    a field (then it asks for that concept's study path).
    """
    if WHERE.search(q) or "where_explained" in zh_intents:
        return "where"
    if (
        "mission" in zh_intents
        and mission.names_field(meaning)
        and not ZH_ASKS_FOR_RESOURCE.search(q)
        and not mission.specific(concepts, mission.FIELDS)
    ):
        return "mission"  # 进了大学哪些数学课一定要学扎实 (to work in AI): which maths, not which resource
    if is_resource_request(q):
        return "resource"
    if mission.specific(concepts, mission.FIELDS):
        return None
    if "mission" in zh_intents or mission.has_cue(meaning):
        return "mission"
    if mission_like is not None and not mission.specific(concepts) and mission_like(meaning):
        return "mission"  # by meaning alone only with no concept at all: "how do neural networks learn?" is not
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
