"""Which part of a question asks, and which only tells the learner's story.

"My university curves every midterm to a bell curve ... Is a curved grade something I can formally appeal?"
names the normal distribution in its story and asks about an appeal; 这款精华的主成分是5%烟酰胺，…两个能不能叠加用？
names principal components in a clause that only sets the scene. The word-sense check reads the asking part
alone when the maths words sit only in the story (``tutor/offtopic.py``).

The asking part: each English sentence that ends with a question mark; in a Chinese question sentence, each
clause with a question word (吗, 什么, 能不能, ...) and the last clause. The rest is the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathtutor.knowledge.zh import has_cjk

_SENTENCES = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.])\s+")
_CLAUSES = re.compile(r"[，,、]")
_ZH_QUESTION_WORD = re.compile(
    r"吗|呢|什么|怎么|哪|多少|几|是不是|能不能|会不会|要不要|可不可以|有没有|为什么|为啥|如何|是否|咋"
)

#: What a learner asks when the question is about learning maths, whatever story comes first: to explain, learn,
#: compute or read something ("what does it mean?", "which ideas first, in what order?", 该从哪补起？, 有推荐吗？).
#: A question with maths words only in its story that asks none of these asks about the story (an appeal, a gift,
#: a skincare routine). Measured on dev (2026-12-03, 1,522 cases and the dev29 batch): every in-scope first question
#: whose asking part names no concept and that the scope model reads >= 0.25 not ours asks one of these.
ASKS_TO_LEARN = re.compile(
    r"\b(explain\w*|understand\w*|learn\w*|stud(y|ying)|read(ing)?|watch|intuit\w*|deriv\w*|prove|proof|comput\w*"
    r"|calculat\w*|formula|equation|maths?|mathematic\w*|statistic\w*|meaning|means?"
    r"|what (is|are|does|do) (it|this|that|they|these|those) (\w+ )?(do|doing|mean|measure|tell)\w*"
    r"|how\b.{0,40}\bworks?|how (is|are|was|were) .{0,40}\b(computed|calculated|defined|derived|found|chosen|measured"
    r"|estimated)|why|difference|differ|book|course|video|lecture|notes|tutorial|resources?"
    r"|textbook|page|chapter|example|work out|figure out|interpret\w*|model\w*|algorithm\w*|probabilit\w*|chance"
    r"|odds|expected|review|roadmap|(in|what|which) order|where (is|are) (that|this|it|they) (done|treated|covered)"
    r"|before (i|it|that|starting|taking|diving|tackling|trying)"
    r"|where (do|should|would|can) (i|you|one|we) (start|begin)"
    r"|(start|begin) (with|from)|anything like (that|this)|something like (that|this)|pdf)\b"
    r"|讲|学习|学什么|怎么学|先学|再学|学到|学起|自学|没学|学过|学扎实|学明白|学会|补|懂|理解|明白|搞清|弄清|为什么|为啥"
    r"|怎么算|如何算|算出|算一下|计算|推导|证明|公式|数学|是什么|啥意思|什么意思|含义|意义|区别|关系|原理|直观|书|课|视频"
    r"|资料|教程|例子|概率|几率|怎么来的|如何理解|怎么理解|是啥|顺序|从哪|推荐|入门|哪些.{0,4}(内容|知识|章节)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Parts:
    """A question split into the learner's story and what they ask."""

    story: tuple[str, ...]
    asking: tuple[str, ...]


def split_question(q: str) -> Parts:
    """The story and the asking part of ``q`` (no asking part when nothing in it ends with a question mark)."""
    story: list[str] = []
    asking: list[str] = []
    for sentence in (s.strip() for s in _SENTENCES.split(q)):
        if not sentence:
            continue
        if not sentence.endswith(("?", "？")):
            story.append(sentence)
        elif has_cjk(sentence):
            clauses = [c.strip() for c in _CLAUSES.split(sentence) if c.strip()]
            asks = [i for i, c in enumerate(clauses) if _ZH_QUESTION_WORD.search(c) or i == len(clauses) - 1]
            asking += [clauses[i] for i in asks]
            story += [c for i, c in enumerate(clauses) if i not in asks]
        else:
            asking.append(sentence)
    return Parts(tuple(story), tuple(asking))


def asks_to_learn(text: str) -> bool:
    """Does ``text`` ask to explain, learn, compute or read something (``ASKS_TO_LEARN``)?"""
    return bool(ASKS_TO_LEARN.search(text))
