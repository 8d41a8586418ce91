"""What a resource question asks for: is it one, and which format, level and style it wants.

English cues are our own word lists; Chinese questions go through the bilingual term table
(:func:`mathtutor.knowledge.zh.translate_query`), which already reports formats, levels, traits and
the ``resource_request`` intent. Kept apart from :mod:`mathtutor.recommend` so the tutor can ask
"is this a resource request?" without loading any index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mathtutor.knowledge.formats import FORMAT_GROUPS
from mathtutor.knowledge.zh import has_cjk, translate_query

if TYPE_CHECKING:
    from mathtutor.knowledge.topics import TopicGraph

__all__ = ["FORMAT_GROUPS", "RequestCues", "is_resource_request", "parse_request", "request_subject"]

#: Longer input is not a question; it is refused by the caller before it gets here.
MAX_CHARS = 4000

_RESOURCE_NOUN = (
    r"(?:text)?books?|textbooks?|texts?|courses?|class(?:es)?|mooc|channels?|videos?|lectures?|"
    r"lecture series|series|playlists?|tutorials?|blogs?|(?:blog )?posts?|articles?|websites?|sites?|"
    r"resources?|(?:lecture )?notes|materials?|podcasts?|apps?|tools?|references?|pdfs?|"
    r"something|anything|somewhere|problem sets?|exercises|visuali[sz]ations?|refreshers?|episodes"
)
_FORMAT_CUES: tuple[tuple[str, str], ...] = (
    ("book", r"\b(?:text)?books?\b|\btextbooks?\b|\bpdf\b|\blecture notes\b|\bbook chapter\b|\b(?:a|the) text\b"),
    ("video", r"\bvideos?\b|\byoutube\b|\bchannel\b|\bplaylist\b|\bwatch\b|\banimat"),
    ("course", r"\bcourses?\b|\bclass\b|\bmooc\b|\blecture series\b|\blectures\b"),
    ("interactive", r"\binteractive\b|\bplay with\b|\bdrag\b|\bsliders?\b|\bsimulat|\bin action\b"),
    ("article", r"\bblog\b|\bposts?\b|\barticles?\b|\bessay\b"),
)
_TRAIT_CUES: tuple[tuple[str, str], ...] = (
    ("exercises", r"\bexercises?\b|\bpracti[cs]e\b|\bproblems\b|\bquiz|\bproblem sets?\b|\bhomework\b"),
    ("solutions", r"\bsolutions?\b|\banswers\b|\bworked(?:[- ]out)? (?:solutions|answers)\b"),
    ("proofs", r"\bproofs?\b|\bprove[sn]?\b|\bproving\b|\brigou?r|\bderivations?\b|\bderives?\b|\bderiving\b"),
    ("code", r"\bcode\b|\bcoding\b|\bpython\b|\bprogramm|\bimplement|\bnotebooks?\b|\bjupyter\b|\bnumpy\b"),
    ("short", r"\bshort(er|est)?\b|\bbite[- ]sized\b|\bquick\b|\bon the bus\b|\bcommut|\bfew minutes\b|\bbrief\b"),
    ("interactive", r"\binteractive\b|\bplay with\b|\bdrag\b|\bsliders?\b|\bin action\b|\bhands[- ]on\b"),
    ("visual", r"\bvisual|\banimat|\bpictures?\b|\bgeometric(?:al)?(?:ly)? intuition\b|\bsee\b.*\bin action\b"),
    ("lectures", r"\blectures?\b|\bprofessor\b"),
    ("long", r"\bin[- ]depth\b|\bcomprehensive\b|\bthorough\b"),
    ("free", r"\bfree\b|\bwithout paying\b|\bno cost\b"),
)
_LEVEL_CUES: tuple[tuple[str, str], ...] = (
    ("beginner", r"\bbeginners?\b|\bbeginner[- ]friendly\b|\bintroduct|\bgentle\b|\bfrom scratch\b|\bnewcomers?\b"),
    ("researcher", r"\bgraduate\b|\badvanced\b|\brigou?rous\b|\bresearch(?:er)?s?\b|\bphd\b"),
    ("practitioner", r"\bpractitioners?\b|\bintermediate\b|\bengineers?\b"),
)
_REQUEST_CUES = (
    # ("is there a way to measure surprise in bits?" asks how, not for material)
    rf"\b(?:is|are) there\b(?! (?:a|any|some) (?:way|reason|formula|rule|name|theorem|trick|method|difference"
    rf"|relationship|connection|link|pattern)s?\b(?!.{{0,20}}\b(?:learn|study|practi[cs]e|watch|read)\b))"
    rf".{{0,60}}?\b(?:{_RESOURCE_NOUN})\b",
    rf"\b(?:any|good|best|great|decent|favou?rite)\s+(?:free\s+)?(?:{_RESOURCE_NOUN})\b",
    r"\bwho\s+(?:teaches|explains|covers|has|makes|does)\b",
    r"\bwhere\s+(?:can|could|should|do|would)\s+i\s+(?:practi[cs]e|find|watch|read|learn|get|study)\b",
    rf"\b(?:recommend|suggest|point me to)\b.{{0,60}}?\b(?:{_RESOURCE_NOUN})\b",
    r"\bcan you (?:recommend|suggest)\b",
    r"\bsomething\s+(?:with|that|i can|to)\b",
    r"\banything\s+(?:where|in which)\s+(?:i|you)\b",  # "anything where I compute them in python?"
    rf"^\s*(?:a|an|some|any)\s+(?:\w+[- ]?){{0,3}}(?:{_RESOURCE_NOUN})\s+(?:with|that|which|on|about|for|i can)\b",
    rf"\b(?:{_RESOURCE_NOUN})\s+(?:i can|to)\s+(?:watch|read|listen|play|practi[cs]e|follow)\b",
    rf"\b(?:{_RESOURCE_NOUN})\s+that\s+(?:go(?:es)? through|explains?|teach(?:es)?|covers?|derives?|shows?)\b",
    rf"\b(?:looking for|need|want|know of)\s+(?:a|an|some|any)\b.{{0,40}}?\b(?:{_RESOURCE_NOUN})\b",
    rf"\b(?:looking|searching|hunting) for\b.{{0,40}}?\b(?:{_RESOURCE_NOUN})\b",
    # "I want full length recorded university lectures", "i need lots of practice problems where i can check"
    rf"\b(?:i|we)\s+(?:really\s+)?(?:want|need|would like|'d like)\s+(?:[\w-]+\s+){{0,5}}?"
    rf"(?:{_RESOURCE_NOUN}|practi[cs]e (?:problems|questions))\b",
    r"\bwhat(?:'s| is) out there\b",
    rf"\b(?:i'?m|i am|we'?re) (?:after|on the lookout for)\b.{{0,40}}?\b(?:{_RESOURCE_NOUN})\b",
    rf"\bwhich\s+(?:[\w-]+\s+){{0,2}}?(?:{_RESOURCE_NOUN})\b",  # "which (youtube) channel", "which intro book"
    r"\bwhat(?:'s| is| was) (?:it|that|the (?:course|book|series|channel|site|video)) called\b",
)
#: "Where does the MML book explain X" asks for a page in a named resource, not for a resource.
_WHERE_EXPLAINED = re.compile(
    r"\bwhere\s+(?:does|do|is|are|in)\b.{0,80}\b(?:explain|define|cover|introduc|discuss)", re.I
)
_ZH_RESOURCE = re.compile(
    r"(有没有|有什么|有哪些|推荐|求).{0,30}(书|教材|课程|课|视频|频道|网站|网页|教程|讲义|博客|文章|资料|资源|公开课|笔记)"
)


@dataclass(frozen=True, slots=True)
class RequestCues:
    """What a question says it wants; ``search_text`` is the English text to retrieve with."""

    formats: tuple[str, ...] = ()
    level: str | None = None
    traits: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    search_text: str = ""
    chinese: bool = False


def _checked(question: str) -> str:
    if not isinstance(question, str):
        raise TypeError("the question must be text")
    if len(question) > MAX_CHARS:
        raise ValueError(f"the question is too long ({len(question)} characters; at most {MAX_CHARS})")
    return question


def _matches(cues: tuple[tuple[str, str], ...], text: str) -> list[str]:
    return [name for name, pattern in cues if re.search(pattern, text, re.I)]


def is_resource_request(question: str) -> bool:
    """Does the question ask for a resource (book, course, channel, video, site) rather than an answer?

    English: "is there a book/course/video ...", "who teaches/explains ...", "where can I practise ...",
    "something with code", "a textbook with exercises and solutions", "short videos I can watch on the
    bus", "lectures that go through the proofs". Chinese: the term table's resource_request intent, or
    有没有/推荐 with a resource word. "Where does BOOK explain X" is a page question, not a request.
    """
    text = _checked(question).strip()
    if not text:
        return False
    if has_cjk(text):
        if _ZH_RESOURCE.search(text) and "在哪" not in text:
            return True
        try:
            rewrite = translate_query(text)
        except ValueError:
            return False
        return "resource_request" in rewrite.intents and "where_explained" not in rewrite.intents
    lowered = " ".join(text.lower().split())
    if _WHERE_EXPLAINED.search(lowered):
        return False
    return any(re.search(p, lowered) for p in _REQUEST_CUES)


def parse_request(question: str, topics: TopicGraph | None = None) -> RequestCues:
    """Formats, level, traits and concepts a (resource) question asks for, and its English search text."""
    text = _checked(question)
    if has_cjk(text):
        rewrite = translate_query(text)
        english = " ".join(part for part in (rewrite.english, *rewrite.latin) if part)
        formats = list(rewrite.formats) + _matches(_FORMAT_CUES, english)
        traits = list(rewrite.traits) + _matches(_TRAIT_CUES, english)
        concepts = list(rewrite.concepts)
        if topics is not None:
            concepts += [c for c in topics.detect(english) if c not in concepts]
        return RequestCues(
            formats=tuple(dict.fromkeys(formats)),
            level=rewrite.level,
            traits=tuple(dict.fromkeys(traits)),
            concepts=tuple(concepts),
            search_text=english or text,
            chinese=True,
        )
    lowered = " ".join(text.lower().split())
    levels = _matches(_LEVEL_CUES, lowered)
    concepts = tuple(topics.detect(text)) if topics is not None else ()
    return RequestCues(
        formats=tuple(_matches(_FORMAT_CUES, lowered)),
        level=levels[0] if levels else None,
        traits=tuple(_matches(_TRAIT_CUES, lowered)),
        concepts=concepts,
        search_text=text,
        chinese=False,
    )


#: Words of a resource request that say nothing about its subject ("can you recommend a free online ... for
#: beginners"): what remains once they and the format, style and level cues are gone is what it is about.
_REQUEST_WORDS = re.compile(
    rf"\b(?:{_RESOURCE_NOUN}|is there|are there|is there a|can you|could you|would you|do you know|recommend(?:ed)?"
    r"|suggest(?:ion)?s?|any|some|good|great|best|decent|nice|free|online|cheap|beginners?|newbies?|novices?"
    r"|total|complete|self[- ]study|self[- ]taught|learn(?:ing)?|study(?:ing)?|teach(?:es|ing)?|explain(?:s|ing)?"
    r"|introduct(?:ion|ory)|basics?|from scratch|for|to|on|about|with|of|in|a|an|the|me|my|i|that|which|where"
    r"|can|could|suitable|no background|zero|watch|read|follow|do|how|what|is|are|there|or|and|please|want"
    r"|looking|find|get|start(?:ing)?|video tutorials?|tutorials?|lessons?|shows?)\b",
    re.IGNORECASE,
)


def request_subject(english: str) -> str:
    """The subject of a resource request, in English: "photography shoot manual mode" from "Can you recommend a
    free online photography course that teaches beginners to shoot in manual mode?". Empty: it names none."""
    text = english
    for _, pattern in (*_FORMAT_CUES, *_TRAIT_CUES, *_LEVEL_CUES):
        text = re.sub(rf"(?:{pattern})\w*", " ", text, flags=re.IGNORECASE)  # the whole word ("visualization")
    text = _REQUEST_WORDS.sub(" ", text)
    return " ".join(re.sub(r"[^\w\s'-]", " ", text).split())
