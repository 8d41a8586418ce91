"""The scope policy: does the index cover a question, and what to say when it does not.

The bars are Settings fields (``in_scope_min_similarity``, ``in_scope_min_similarity_with_concept``;
env ``MATHTUTOR_IN_SCOPE_MIN_SIMILARITY``...); settings.py records how they were measured. Before them,
``Context.offtopic`` (set by the word-sense check, ``tutor/offtopic.py``) refuses questions about other domains.
"""

from __future__ import annotations

import re

from mathtutor.settings import Settings
from mathtutor.tutor.offtopic_cues import LEARNS_WITH
from mathtutor.types import Answer, Context, Hit

OUT_OF_SCOPE_EXAMPLES = (
    "linear algebra (vectors, eigenvalues, SVD, PCA), calculus and matrix calculus, "
    "probability and statistics, optimization, information theory and the maths of neural networks"
)


#: A numeric word problem: counts or rates, and a question of chance, confidence or averages ("170 of 200 right: how
#: sure can I be?", 连抛十次硬币出现七次正面，硬币公平吗). Its maths names no concept, so few passages match it
#: closely; the word-sense check has already ruled out the other domains that use numbers (weather, betting).
_QUANTITY = re.compile(
    r"\d|[一二两三四五六七八九十百千万]+\s*(次|个|枚|张|天|人|只|颗|年|成|倍|分之|组|点)"
    r"|\b(two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|hundred|thousand|dozen)\b",
    re.IGNORECASE,
)
_CHANCE = re.compile(
    r"\b(probabilit(y|ies)|chances?|odds|likely|likelihood|how (sure|confident|certain)|confidence|fair|biased"
    r"|on average|average|expected|precise|precision|variance|how many ways|at random|randomly|best fit"
    r"|fits? (them|it|the (data|points)) best|line of best fit|trend ?line|least squares|accura(te|cy)"
    r"|false (positives?|negatives?)|tests? positive)\b"
    r"|概率|几率|可能性|机会|把握|置信|公平|均匀|平均|期望|方差|随机|有几种|拟合|最佳直线|准确率|阳性|阴性|误诊",
    re.IGNORECASE,
)


def is_word_problem(text: str) -> bool:
    """Numbers and a question of chance, confidence or averages: an applied probability or statistics question."""
    return bool(_QUANTITY.search(text)) and bool(_CHANCE.search(text))


#: Asking for a probability, an expected value or a count outright ("what's the chance that…", 概率是多少).
_ASKS_NUMBER = re.compile(
    r"\bwhat('s| is) the (probability|chance|odds|expected (value|number))\b|\bhow likely\b|\bhow many ways\b"
    r"|(概率|几率|可能性|期望值?)(是|有|大概)?多(少|大)"
    # or why the numbers come out as they do ("99% accurate, so why are most positives healthy?")
    r"|\bwhy (is|are|does|do|would)\b|\bhow come\b|为什么|怎么会",
    re.IGNORECASE,
)


def computes_a_probability(text: str) -> bool:
    """A word problem that asks for the number itself ("1% per draw: what's the chance of at least one in 100?"),
    or why it comes out as it does: the maths of chance, whatever game, shop or clinic the numbers come from."""
    return is_word_problem(text) and bool(_ASKS_NUMBER.search(text))


def in_scope(ctx: Context, hits: list[Hit], settings: Settings, mode: str = "hybrid") -> bool:
    """True when the retrieved passages (or the conversation, or a named resource) cover the question.

    A question the word-sense check (``tutor/offtopic.py``) placed in another domain is out of scope whatever
    it matched: "Who plays Neo in The Matrix?" names a concept and finds passages about matrices.
    """
    if ctx.offtopic is not None:
        return False
    if is_word_problem(ctx.question):
        return True
    dense = [h.dense for h in hits if h.dense is not None]
    if ctx.concepts:
        # Concepts carried from earlier turns ("and for a beginner?", "videos for that?") keep the
        # conversation's topic: such elliptical questions match few passages on their own. A question
        # that names a catalog resource (to use it, prepare for it or go on after it) is answered from the catalog
        # even if few passages are indexed.
        if ctx.followup or ctx.resources or ctx.goal or ctx.finished:
            return True
        return not dense or max(dense) >= settings.in_scope_min_similarity_with_concept or sure_ours(ctx, settings)
    if ctx.resources and LEARNS_WITH.search(ctx.question):
        return True  # "is Josh Starmer's channel a good first stop?": how to learn with a resource of ours
    if not dense:  # BM25-only ablation: its scores do not separate on- from off-topic, so any hit counts
        return bool(hits) and mode == "bm25"
    return max(dense) >= settings.in_scope_min_similarity or sure_ours(ctx, settings)


def sure_ours(ctx: Context, settings: Settings) -> bool:
    """The scope model is sure the question is ours: maths told as a story (balloons blown up at a party, a
    bottling line's gears) matches no passage's wording as closely as a question in the books' own words does."""
    return ctx.p_other is not None and ctx.p_other < settings.in_scope_model_sure


def out_of_scope(ctx: Context) -> Answer:
    """A refusal that cites nothing and says what the tutor can help with."""
    text = (
        "The materials I have don't cover that question, so I won't guess. "
        f'I can help with {OUT_OF_SCOPE_EXAMPLES}: for example, ask "What should I study for PCA?" '
        'or "What is the chain rule used for in backpropagation?"'
    )
    return Answer(ctx.question, False, text, [], [], [])
