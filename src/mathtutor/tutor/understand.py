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
from mathtutor.knowledge.catalog import FORMAT_GROUPS
from mathtutor.knowledge.zh import has_cjk, translate_query
from mathtutor.recommend_cues import is_resource_request
from mathtutor.tutor import mission
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
    r"|\bwhere (do|should|can) i (start|begin)\b|\b(what|which)\b.*\bbefore\b|\bunder (my|your|one's) belt\b"
    r"|\bbefore (tackling|starting|learning|studying|diving into|getting into|attempting|reading about)\b"
    r"|学什么|学习路线|学习路径|学习计划|需要.*(基础|先学|知识|学)|怎么学|如何学|先修|前置"
    r"|先会|得先|要先|需先|先掌握|先搞懂|先弄懂|得会哪些|要会哪些|需要会|需要掌握|要掌握哪些|得掌握"
    r"|按.{0,4}顺序|什么顺序|补哪些|前面.{0,8}(学|会|懂)|铺垫|打.{0,4}基础|路线|补课|先(复习|补|学|看)(哪些|什么|啥)"
    r"|\b(in|what|which|the right) order\b|\bsteps? (leading|building) up to\b|\blead(s|ing)? up to\b"
    r"|\bwhat (has|needs) to (click|make sense)\b|\b(review|revise|brush up on|go over|learn|study|know) first\b"
    r"|\bfoundations? (for|of|before)\b",
    re.IGNORECASE,
)
#: What to do before a resource the learner names: "before I start 18.065", 看 18.065 之前, 开始之前得先补什么.
PREPARE_FOR = re.compile(
    r"\bbefore (i |we )?(start|starting|begin|beginning|take|taking|read|reading|tackl\w*|div\w* into|open\w*)\b"
    r"|\b(do|read|learn|study|know) before (that|this|it)\b|\bbefore (that|this) (one|book|course|series)\b"
    r"|\b(prepare|get ready) for\b|\bprerequisites? (for|of)\b"
    r"|(开始|看|学|上|读)\S{0,12}(之前|以前)|之前(得|要|需要|应该)|开始前|(要|得|需要|应该)先(补|学|复习)",
    re.IGNORECASE,
)
FORMAT_HINTS = {
    "video": re.compile(r"\bvideos?\b|youtube|\bwatch\b|\blectures?\b(?! notes)|视频|讲座", re.IGNORECASE),
    "book": re.compile(
        # not the verb: "book me a table", "would you book it or risk it?", "I'll book a slot"
        r"(?<!\bto )(?<!\bll )(?<!\byou )(?<!\bwe )(?<!\bi )"
        r"\bbooks?\b(?!\s+(me|us|him|her|them|it|now|early|online|ahead|tickets?|flights?"
        r"|(a|an|the|our|my) (table|flight|hotel|room|seat|slot|session|appointment|venue|trip|holiday)))"
        r"|\bchapters?\b|\btextbooks?\b|\bpdf\b|\bread(ing)?\b|\blecture notes\b|书|教材|章节|讲义",
        re.IGNORECASE,
    ),
    "course": re.compile(r"\bcourses?\b|\bmooc\b|课程", re.IGNORECASE),
    "interactive": re.compile(
        r"\binteractive\b|\bexercises?\b|\bpractice\b|\b(simulations?|simulators?|simulate[sd]?|virtual(ly)?)\b"
        r"|\bplay (around )?with\b|\bweb ?sites? (where|that lets|to let)\b|\bdrag\b|\bsliders?\b"
        r"|交互|练习|模拟|动手玩|拖动|拖一拖|滑块",
        re.IGNORECASE,
    ),
}
#: A format the learner does not want: "instead of reading a textbook", "rather than videos", 不想看书, 而不是视频.
NOT_FORMAT = re.compile(
    r"\b(instead of|rather than|other than|not|no|without|tired of|sick of|no more)\s+(\w+\s+){0,2}$"
    r"|(不想|不要|不用|而不是|不是|别)\S{0,2}$",
    re.IGNORECASE,
)


#: A format the learner already has, told as background: "just started an ML course", "my textbook", 我在上的课.
HAS_FORMAT = re.compile(
    r"\b(taking|do|doing|keep|keeping|took|started|starting|finished|following|enrolled in|signed up for|attending"
    r"|my|our)\s+"
    r"(an?\s+|the\s+)?(\S+\s+){0,2}$|(在上|上过|在看|我的|我们的?|学校的?)\S{0,4}$",
    re.IGNORECASE,
)


def asked_formats(text: str) -> set[str]:
    """Formats the text asks for: a format word counts unless every mention of it is turned down ("a website
    where I can roll dice virtually, instead of reading a textbook": interactive, not book) or told as what the
    learner already has ("just started an ML course")."""

    def counts(m: re.Match[str]) -> bool:
        before = text[max(0, m.start() - 30) : m.start()]
        return not (NOT_FORMAT.search(before) or HAS_FORMAT.search(before))

    return {f for f, rx in FORMAT_HINTS.items() if any(counts(m) for m in rx.finditer(text))}


LEVEL_HINTS = {
    "beginner": re.compile(
        r"\bbeginners?\b|\bnew to\b|\bno background\b|\bfrom scratch\b|\bnovice\b|\b(simpler|easier|gentler)\b"
        r"|\bover my head\b|\btoo (hard|difficult|advanced)\b|\bless (technical|mathematical)\b"
        r"|\bmore intuitive\b|\bgentle\b|\bnot a maths? person\b"
        r"|新手|入门|零基础|简单|浅显|通俗|易懂|看不懂|太难|更基础|基础一点|直观",
        re.IGNORECASE,
    ),
    "researcher": re.compile(
        r"\bresearch(er)?\b|\brigorous\b|\bproofs?\b|\bphd\b|\bgraduate\b|\bmore (theoretical|advanced|in[- ]depth)\b"
        r"|\bdeeper\b|研究|严谨|深入|理论性|进阶",
        re.IGNORECASE,
    ),
    "practitioner": re.compile(
        r"\bpractitioner\b|\bengineer\b|\bdeveloper\b|\bin practice\b|工程师|实践", re.IGNORECASE
    ),
}
#: A follow-up that asks for another level ("anything simpler?", 更深入一点的呢).
LEVEL_ASKED = re.compile("|".join(rx.pattern for rx in LEVEL_HINTS.values()), re.IGNORECASE)
REFERS_BACK = re.compile(
    r"\b(it|that|this|those|them|the same)\b|\b(that|this|the) (book|course|series|channel|video|lecture|one)\b"
    r"|它|这本|那本|这个|那个|这门|那门|这篇|那篇|^\W*里面|^\W*里头|^\W*其中",
    re.IGNORECASE,
)
#: "it" and "that" in set phrases point at nothing: "got it", "how do I deal with it?", "that's it".
IDIOMS = re.compile(
    r"\b(got|get|deal with|cope with|handle|make|made|love|hate|mean|take|took|hit|nail(ed)?|forget|stop"
    r") it\b|\bthat'?s (it|that|all)\b|\bis it (possible|ok(ay)?|normal|true|worth it)\b|\bat it\b"
    r"|\b(that|this|it) (makes sense|helps|helped|clears it up|clicks|works)\b|\bthat'?s clear\b"
    # a reaction to the last answer, not a pointer into the next question ("huh, that's really counterintuitive.")
    r"|\b(that'?s|that is|this is|it'?s) (really |so |very |pretty |quite |super |kind of |kinda )?(counterintuitive"
    r"|interesting|cool|wild|surprising|helpful|useful|neat|great|nice|amazing|crazy|weird|fascinating|good to know)\b",
    re.IGNORECASE,
)
#: "it" as a pronoun for a topic ("how is it used in ...?"); a bare "that"/"this" only at the end of a clause.
REFERS_TO_TOPIC = re.compile(
    r"\b(it|its|them)\b|\b(that|this)(?=\s*[?.!,]|\s*$)|\bthe same (topic|thing|idea|concept)\b|它|这个|那个",
    re.IGNORECASE,
)
#: Relating a named concept to something unnamed ("the difference from derivatives?"): that is the previous concept.
RELATES = re.compile(
    r"\b(difference|differ|relate[sd]?|relationship|compared?|versus|vs|what if)\b|区别|关系|不同|联系|比较|如果是"
    r"|(里|中)(怎么|如何)用|(里|中)的作用|用在哪",
    re.IGNORECASE,
)
#: Asking for something else than what was given ("any other recommendations?", 还有别的推荐吗).
OTHER = re.compile(
    r"\b(another|other|others|else|alternatives?|instead|rather than)\b|别的|其他|其它|换一个|换个|而不是",
    re.IGNORECASE,
)
#: Asking for something unlike what was given: shorter, simpler, more rigorous, 短一点, 看书有点枯燥.
UNLIKE = re.compile(
    r"\b(shorter|quicker|lighter|less (long|dense|dry)|too (long|dry|dense|boring))\b|短一点|短一些|更短|太长|枯燥|太干"
    r"|" + LEVEL_ASKED.pattern,
    re.IGNORECASE,
)
#: Asking for another resource ("anything gentler?", 有没有简单点的); a level word alone (proofs, 看不懂) asks about it
INSTEAD = re.compile(r"\b(anything|something|alternatives?)\b|有没有|有什么|有啥|换|推荐|别的|其他", re.IGNORECASE)
#: Asking for the last explanation again: slower, step by step, an example (能再讲慢一点吗, 举个例子): only as a turn.
AGAIN = re.compile(
    r"\b(again|slower|more slowly|step by step|one step at a time|walk me through|lost me|break it down)\b"
    r"|\b(didn'?t|don'?t|do not|can'?t|cannot) (get|follow|understand|see why)\b|\b(an|another|a concrete|a worked"
    r"|a real|a simple) example\b|\bexample with (actual|real|concrete)? ?numbers\b"
    r"|再讲|再说一|再解释|慢一点|慢点|一步一步|一步步|跟不上|没听懂|没看懂|没太懂|不太懂|举个.{0,6}例子|举例|再具体|详细一点|展开讲",
    re.IGNORECASE,
)
#: Which part of the resource just cited: "which chapter covers regression?", 第几章讲回归.
WHICH_PART = re.compile(
    r"\bwhich (chapter|section|part|lecture|episode|unit|page)s?\b|\bwhat (chapter|section|lecture|episode|page)\b"
    r"|哪一章|哪章|第几章|哪一节|哪节|哪一讲|哪一集|哪一页|第几页|第几讲|第几集",
    re.IGNORECASE,
)
#: The question names the resource cited before ("that book", 这门课), not only "it".
NAMES_RESOURCE = re.compile(
    r"\b(that|this|those|these|the|the same) ((?-i:[A-Z0-9][\w.]*) )?"  # "that MIT course", "the 3b1b series"
    r"(book|textbook|course|class|series|channel|video|lecture|notes|site"
    r"|website|article|post|playlist|pdf|text|one)s?\b|这本|那本|这门|那门|这篇|那篇|这套|那套|这份|那份"
    r"|(这|那)个(网站|课|视频|频道|系列|讲义|教程)|^\W*(文章|书里|书中|课程|课里|视频里|教材|讲义|网站)",
    re.IGNORECASE,
)
#: A yes/no question about the resource just cited: "does it write out the formulas, or is it mostly charts?".
ASKS_ABOUT_IT = re.compile(
    r"\b(does|did|will) (it|that|this) (actually |also |really |ever )?(write out|spell out|finish|end|start|open"
    r"|walk through|work through|assume|require|expect|use (code|python))\b|\bor is it (mostly|all|just|only)\b",
    re.IGNORECASE,
)
#: A property of a resource (cost, author, chapters, pages, what it covers): "it" is then the resource.
PROPERTY = re.compile(
    r"\b(free|cost|costs|price|pay|paid|buy|download|author|authors|wrote|written|made|created|chapters?|sections?"
    r"|pages?|episodes?|how long|length|subtitles|solutions?|answers|university|updated)\b"
    r"|\bdoes (it|that|this) (also )?(cover|include|have|explain|teach|go into|discuss|come with)\b"
    r"|\bis (it|that|this) (any )?(good|worth|suitable|up to date|still)\b"
    r"|\bhow (hard|difficult|long) is\b|\bdifficulty\b|\bhours?\b|\bper week\b|\bworkload\b|\btime commitment\b"
    r"|" + ASKS_ABOUT_IT.pattern + r"|收费|免费|付费|多少钱|谁写|作者|谁做|谁讲|第几章|哪一章|第几页|哪一页|章节|多长"
    r"|讲不讲|包括|包含|答案|习题课|配套|难吗|难不难|难度|框架|什么语言|用的什么|写的|要求|前提|门槛",
    re.IGNORECASE,
)
#: "What about X?", "and for X?", 那X呢: the previous question again, about X.
ELLIPSIS = re.compile(
    r"^\W*(and|what about|how about|same (for|with)|now)\b|^\W*那.*呢|呢\s*[？?]?\s*$"
    r"|^\W*(ok|okay|nice|cool|great|thanks|thank you|right|sure|hmm|i see)[\s,.!]+(and|what about|how about)\b",
    re.IGNORECASE,
)
#: "What comes after that?": the topics the previous one leads to.
NEXT = re.compile(
    r"\bwhat (comes|should i (learn|study|do|watch|read)|do i (learn|study)) (after|next)\b|\bwhat('s| is) next\b"
    r"|\bafter (that|this|it)\b|\bnext (topic|step)\b|\bthen what\b|^\W*and then\W*$|接下来|下一步|然后学|之后学|学完"
    r"|再学什么|然后呢|之后呢|接着呢|再然后",
    re.IGNORECASE,
)
#: A change of subject inside a conversation: what follows is not about the previous topic.
TOPIC_CHANGE = re.compile(
    r"\b(by the way|btw|unrelated|another question|different (question|thing|topic)|totally different"
    r"|something (else|different)|off[- ]topic|change of subject"
    r"|while you['’]?re at it|while i have you|one more thing|on (another|a side|a different) note"
    r"|side question|random question|speaking of(?! (which|that|this|it)\b)"
    r"|(not|nothing) to do with (maths?|math|this|that)"
    r"|changing the subject|different (kind|sort|type) of|in (a|another) (different )?sense)\b"
    r"|(^|[.!?]\s*)(also|anyway|oh,? and)\b"
    r"|对了|顺便|另外|换个话题|题外话|跟.{0,6}(无关|没关系)|说到|说起来|问个别的|还有个事|还有件事",
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
        concepts = concepts or [c for c in catalog.opening(min(goal)) if topics is not None and c in topics]
        own = {catalog.resource_of(g).format for g in goal}  # "Deisenroth's book" asks for no book
        wanted -= {f for f in wanted - set(formats or ()) if own & FORMAT_GROUPS.get(f, {f})}
    ctx = Context(q, concepts, plan, wanted, level, named, search=search, intent=intent, meaning=meaning, goal=goal)
    ctx.exclude = set(goal)
    ctx.conversation = bool(history)
    if history and topics is not None:
        _follow(ctx, history, topics, catalog)
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
    cited_before = resources_in(previous_answer, catalog)
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
        ctx.concepts = ctx.concepts or [c for c in catalog.opening(cited_before[0]) if c in topics]
    if NEXT.search(q) or PREPARE_FOR.search(q):
        return  # "学完这门以后下一步看什么？", "what before that book?": a milestone on the path, not the source
    cited = cited_before
    # "videos for that instead": a format word that the cited resource does not have keeps the topic only
    # ("chapter" is no format in "which chapter ...?", nor "interactive" in "does it ..., or is it interactive?")
    # ("the same site": named outright, it stays whatever format word comes with it)
    if cited and asked and catalog is not None and not (explicit or WHICH_PART.search(q) or ASKS_ABOUT_IT.search(q)):
        fmt = catalog.resource_of(cited[0]).format
        if not any(fmt in FORMAT_GROUPS.get(f, {f}) for f in asked):
            cited = []
    if cited:
        ctx.resources, ctx.exclude = {cited[0]}, ctx.exclude - {cited[0]}  # "does that course have shorter ones?"
        ctx.followup = True
        # a property with no topic of its own; "does it assume calculus?" asks one whatever topic it names
        asks_property = bool(PROPERTY.search(q)) and (not _concepts(q, topics) or bool(ASKS_ABOUT_IT.search(q)))
        if (ctx.intent is None or explicit) and ctx.intent != "where" and asks_property:
            ctx.intent = "facts"  # "is that book free?", "who made it?", 那个课程免费吗: answered from the catalog


#: Asking what a concept is ("what is a logarithm?", 对数是什么): about the concept itself, wherever it is used.
DEFINES = re.compile(
    r"^\W*(what('s| is| are)|define|definition of|explain)\b|什么是|是什么|啥是|是啥|定义",
    re.IGNORECASE,
)


def _under(concepts: list[str], carried: list[str], topics: TopicGraph) -> bool:
    """Whether every concept is a prerequisite, at any depth, of one of the conversation's concepts."""
    below = {p for c in carried if c in topics for p in topics.prerequisites(c)}
    return all(c in below for c in concepts)


def _tool_of(ctx: Context, carried: list[str], topics: TopicGraph) -> bool:
    """Whether the turn asks, in a plain explanation, only about prerequisites of the conversation's concept."""
    if ctx.intent is not None or ctx.plan or ctx.resources or ctx.formats or TOPIC_CHANGE.search(ctx.question):
        return False
    return _under(ctx.concepts, carried, topics)


#: "Is <resource> enough for the maths of ML?": the mission question, though it names a resource.
ENOUGH = re.compile(
    r"\b(enough|sufficient|suffice)\b|\b(am i|i'?m|be) ready (for|to)\b"
    r"|够不够|够吗|足够|准备好.{0,6}(没|吗)|能不能看懂",
    re.IGNORECASE,
)

#: Words that ask for a resource in Chinese (有没有…课程, 推荐…): without them a course word (数学课) is no request.
ZH_ASKS_FOR_RESOURCE = re.compile(r"有没有|有无|推荐|求|有什么好|有哪些好|哪本|哪门|哪套|哪个(网站|视频|课|频道)")

#: "Where does BOOK explain X", "which page defines X": the page, not a summary.
WHERE = re.compile(
    r"\bwhere (does|do|is|are|can i find)\b.*\b(explain|explained|define|defined|introduce|introduced|cover|covered"
    r"|discuss|discussed|derive|derived)\b|\bwhich (page|chapter|section)\b|\bon what page\b",
    re.IGNORECASE,
)


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
