"""The cue words understand() reads a question by: study-path asks, formats, levels, pointers back at the
conversation, changes of subject, resource and "where is X explained" asks.

Kept apart from ``tutor/understand.py`` so that the rules read as rules, and so that the scope check
(``tutor/offtopic.py``) can share them without importing the reader itself.
"""

from __future__ import annotations

import re

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
    # what the learner cannot do is the format word itself ("symbols I couldn't read"), not "can't find a book"
    r"|\b(can'?t|couldn'?t|cannot|could not|unable to)\s+$"
    r"|(不想|不要|不用|而不是|不是|别)\S{0,2}$",
    re.IGNORECASE,
)


#: A format the learner already has, told as background: "just started an ML course", "my textbook", 我在上的课.
HAS_FORMAT = re.compile(
    r"\b(taking|do|doing|keep|keeping|took|started|starting|finished|following|enrolled in|signed up for|attending"
    r"|tried|attempted|gave up on|dropped|quit|abandoned|my|our)\s+"
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
        # a learner who failed or left the maths behind starts again at the beginning ("I failed calc twice")
        r"|\b(failed|flunked|dropped|gave up on|bombed)\b.{0,30}\b(calc|calculus|math|maths|algebra|statistics)\b"
        r"|\blast (did|took|studied) (any )?(math|maths)\b|\bhaven'?t (done|touched|studied) (any )?(math|maths)\b"
        r"|新手|入门|零基础|简单|浅显|通俗|易懂|看不懂|太难|更基础|基础一点|直观|挂过|挂科|多年没碰",
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
#: Asking how long something takes ("how long does 18.06 take to finish?", 学完要多久): not what comes after it.
HOW_LONG = re.compile(r"\bhow (long|many (hours|weeks|months))\b|多久|多长时间|几个月|几周", re.IGNORECASE)
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

#: Asking what a concept is ("what is a logarithm?", 对数是什么): about the concept itself, wherever it is used.
DEFINES = re.compile(
    r"^\W*(what('s| is| are)|define|definition of|explain)\b|什么是|是什么|啥是|是啥|定义",
    re.IGNORECASE,
)

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
