"""The decision table of the word-sense check: which rule settles a question, on the evidence measured.

``tutor/offtopic.py`` measures (:class:`Evidence`); this module decides (:class:`Rules`), English and Chinese apart.
Every bar is a Settings field, tuned on the dev split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mathtutor.knowledge.zh import has_cjk
from mathtutor.tutor.offtopic_cues import CASUAL_OPENER, DECIDES_ZH
from mathtutor.tutor.scope import computes_a_probability, is_word_problem
from mathtutor.tutor.understand_cues import TOPIC_CHANGE

if TYPE_CHECKING:
    from mathtutor.settings import Settings
    from mathtutor.types import Context

#: What :meth:`SenseCheck.judge` returns when the question is not maths but no domain says which it is.
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the check measured for one question (for tests, tuning and the eval report)."""

    #: "ambiguous" (all its maths words have other senses), "followup" (would inherit the conversation's concepts),
    #: "mission" (asks what maths our field needs), "subject" (asks for material on a subject that names maths or
    #: ML), "named" (asks how to learn with a resource it names: "Is 18.065 too hard for me?"): only a scope model
    #: sure that any of these is not ours refuses it,
    #: "turn" (an English turn the conversation keeps, naming no concept: it points back or asks about the resource
    #: just cited; the scope model reads it alone), "turn-cue" (a Chinese turn like it, with another domain's cue
    #: word: the model reads its gloss at the cited bar), "unnamed" (names no concept), "compose" (asks for a poem, a
    #: letter, a toast: ``COMPOSE``), "cited" (points at the resource just cited, with another domain's cue word), or
    #: None: its maths words are clear, or it points back at the conversation
    case: str | None
    domain: str | None = None  #: the nearest other domain by embedding
    margin: float | None = None  #: that domain's similarity minus the best maths similarity
    cues: tuple[str, ...] = ()  #: domains whose cue words the question contains
    unexplained: float | None = None  #: Chinese only: share the term table does not explain
    glossed: bool = False  #: Chinese only: the margin was measured on the question's gloss (``Context.meaning``)
    #: A resource request naming no concept: what it asks about ("photography shoot manual mode"), when that names
    #: neither maths nor machine learning (None: not such a request, or its subject does name them)
    foreign_subject: str | None = None
    #: Asks for a decision or tips (``ADVICE``) with another domain's cue word in it ("any tips for training new
    #: café staff?"): that domain's at a lower bar, ``offtopic_advice_margin``
    advice: bool = False
    #: Changes the subject (``TOPIC_CHANGE``: "by the way", 说到期望，…): a maths word in it may be only the bridge,
    #: so a Chinese gloss that reads as maths does not keep it
    changed: bool = False
    #: The scope model's probability that the question is not ours (``tutor/scope_model.py``; None without one)
    p_other: float | None = None
    #: Asks for the maths itself (``ASKS_FOR_MATHS``: 数学上怎么描述, "I want to understand the maths")
    asks_maths: bool = False
    #: A first question whose clear maths words sit only in the learner's story and whose asking part asks nothing
    #: to learn (``tutor/asking.py``): the scope model's reading of the asking part alone ("...a bell curve ... Is a
    #: curved grade something I can formally appeal?"); None for every other question
    aside: float | None = None
    #: Chinese only: a request for material on a whole branch of maths (a term-table subject_cue: 概率统计, 线代),
    #: however many everyday words of the learner's day it tells ("每天通勤地铁…想拿来补概率统计…手机上看得清")
    branch: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :meth:`SenseCheck.verdict` decided, by which rule, on what evidence."""

    domain: str | None  #: the other domain the question is about (``OTHER`` when none is named), or None: ours
    rule: str  #: the rule that decided ("clear", "model", "cue-margin", "margin", "zh-gloss", ...)
    evidence: Evidence


def named(ev: Evidence, otherwise: str | None = None) -> str:
    """The domain a refused question is about: the first whose cue words it has, else ``otherwise``, else OTHER."""
    return ev.cues[0] if ev.cues else (otherwise or OTHER)


def reads_other(ev: Evidence, bar: float) -> bool:
    """Does the scope model read the question as not ours at ``bar`` or above? (False when there is no model.)"""
    return ev.p_other is not None and ev.p_other >= bar


def reads_ours(ev: Evidence, bar: float) -> bool:
    """Is the scope model sure, below ``bar``, that the question is ours? (False when there is no model.)"""
    return ev.p_other is not None and ev.p_other < bar


class Rules:
    """Decides a question on its :class:`Evidence`, by the bars of ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def decide(self, ctx: Context, ev: Evidence) -> tuple[str | None, str]:
        """(the other domain, or None: ours; the rule that decided)."""
        s = self.settings
        if ev.case is None:  # clear maths words: only a model sure of another subject refuses it
            if ev.aside is not None and ev.aside >= s.offtopic_aside_bar:
                # the maths words are the story's, and what it asks reads as another subject's ("...to a bell
                # curve. Is a curved grade something I can formally appeal?")
                return named(ev), "aside"
            # (a turn of a conversation is read without it: the bar of a turn read alone)
            bar = s.offtopic_model_turn_bar if ctx.conversation else s.offtopic_model_clear_bar
            if has_cjk(ctx.question):
                # a Chinese question, first or a turn: read through its gloss, in-scope ones stay lower than English
                # ones (turns with clear words <= 0.68 on dev; 贝叶斯号 the yacht 0.91)
                bar = min(bar, s.offtopic_model_clear_zh_bar)
            if ev.cues and not (ctx.conversation or has_cjk(ctx.question)):
                # an English first question with another domain's cue word that the model leans to call not ours:
                # the maths word is that domain's ("the James Webb telescope at the L2 Lagrange point... my kid
                # asked at dinner"), not the setting of a maths question (film ratings and the SVD: <= 0.51 on dev)
                bar = min(bar, s.offtopic_model_clear_cue_bar)
            return (named(ev) if reads_other(ev, bar) else None), "clear"
        if ev.case == "turn":  # a turn the conversation keeps, read alone: only a model sure it is not ours refuses it
            return (OTHER if reads_other(ev, s.offtopic_model_turn_bar) else None), "turn"
        if ev.case == "turn-cue":  # a Chinese turn with another domain's cue word: the bar of a pointer at the cited
            return (ev.cues[0] if reads_other(ev, s.offtopic_model_cited_bar) else None), "turn-cue"
        if ev.case in ("mission", "subject", "named"):
            return (named(ev) if reads_other(ev, s.offtopic_model_field_bar) else None), ev.case
        if ev.case == "compose":
            return "writing", "compose"
        if ev.case == "cited":  # "那本书的纸质版快递丢了" vs "书里给电影打分的例子是在说明什么？"
            # a clear margin, or a model sure it is not ours ("can I walk into that lecture hall? parking?")
            elsewhere = ev.margin is not None and ev.margin > s.offtopic_margin
            return (ev.cues[0] if elsewhere or reads_other(ev, s.offtopic_model_cited_bar) else None), "cited"
        if ev.foreign_subject is not None:  # "a free photography course?", 有没有学吉他的视频课程: not our subject
            return named(ev, ev.domain), "foreign-subject"
        if not ev.advice and computes_a_probability(ctx.question):
            # "抽卡出货率1%，100抽至少出一张的概率是多少？": the game only supplies the numbers
            return None, "computes-probability"
        if reads_other(ev, s.offtopic_model_bar):
            # the scope model reads the whole question as another subject's, in words no table of ours lists (the
            # nearest domain names it only when it reads closer than the maths)
            near = ev.domain if ev.margin is not None and ev.margin > 0 else None
            return named(ev, near), "model"
        if ev.asks_maths and not (ev.advice or ev.changed or self._leans_other(ctx, ev)):
            # "…every later row is pushed further: is there a name in maths for the directions that stay put?":
            # whatever the setting's words, it asks for the maths
            return None, "asks-maths"
        branch_kept = reads_ours(ev, s.offtopic_zh_branch_keep)
        if ev.branch and branch_kept and not (ev.advice or ev.changed or DECIDES_ZH.search(ctx.question)):
            # material on 概率统计 for the commute, on a phone: the branch is the subject, the day only the setting
            return None, "branch-request"
        if ev.cues and ev.margin is not None and ev.margin > s.offtopic_cue_margin:
            sure_ours = reads_ours(ev, s.offtopic_cue_model_keep)
            if ev.unexplained is None and not (ctx.followup or ev.advice) and sure_ours:
                # another domain's word in the setting, a question the model is sure is ours ("board game nights
                # with my kids: why do sums of five dice pile up in the middle?")
                return None, "cue-model-keep"
            return ev.cues[0], "cue-margin"
        if ev.advice and ev.margin is not None and ev.margin > s.offtopic_advice_margin:
            # advice, in another domain's words: "报哪所大学比较稳？", "tips for training baristas?"
            return ev.cues[0], "advice-margin"
        if ev.unexplained is None:  # English: the embedding reads the whole question
            return self._english(ctx, ev)
        return self._chinese(ctx, ev)

    def _english(self, ctx: Context, ev: Evidence) -> tuple[str | None, str]:
        """An English question the earlier rules left: its embedding's margin decides, the model where in doubt."""
        s = self.settings
        # after "totally different topic:" with no concept of its own, a new question: a lower bar
        changed = ev.changed and ev.case in ("followup", "unnamed")
        bar = s.offtopic_changed_margin if changed else s.offtopic_margin
        if ev.margin is None or ev.margin <= bar:
            # a first question whose setting reads a little closer than its maths, that the model leans to
            # call not ours ("the trail's last 2 km average a 14% gradient: too much for my 9-year-old?"), or
            # that changes the subject, names no concept and that the model leans to call not ours ("random
            # question: is the lecturer still teaching?"): nothing of the conversation is left to speak for it;
            # nor for one that names no concept and asks for no material, no maths for our field and no number
            # ("cheapest place to buy a printed copy of Mathematics for Machine Learning?", "how do I switch the
            # loss chart to log scale in the dashboard?"): only the passages its words match speak for it
            closer = ev.margin is not None and ev.margin > 0
            bare = ev.case == "unnamed" and ctx.intent is None and not is_word_problem(ctx.question)
            leans = self._leans_other(ctx, ev) and (changed or closer or bare)
            # a turn that changes the subject and names no concept of its own ("kinda unrelated, but is that pdf
            # from my discord legal?"): the conversation no longer speaks for it, so it is read as a first question
            leans = leans or (changed and ev.case == "followup" and reads_other(ev, s.offtopic_model_lean))
            # a first question whose maths words all have other senses reads close to the maths for those words
            # alone ("a trail with a 15% gradient", "gradient yarn"): a model that leans further decides
            # (a few words that only name a term, "What is a flumbert spectrum?" about a learner's upload, set no scene)
            worded = (
                ev.case == "ambiguous"
                and not ctx.conversation
                and len(ctx.question.split()) >= s.offtopic_ambiguous_lean_min_words
                and reads_other(ev, s.offtopic_model_ambiguous_lean)
            )
            if not (leans or worded):
                return None, "margin"
            if not leans:
                rule = "ambiguous-lean"
            elif changed:
                rule = "changed-lean"
            elif bare and not closer:
                rule = "unnamed-lean"
            else:
                rule = "model-lean"
            return ev.domain or OTHER, rule
        if self._kept_by_conversation(ctx, ev):
            return None, "conversation"  # "why the log?" after maximum likelihood: not a lumberjack's question
        # a first question the margin alone places elsewhere, that the scope model reads as ours ("warping a
        # sprite in my game engine: is skew-then-turn the same as one step?"): the domain lines matched its
        # setting, the model its question
        sure_ours = reads_ours(ev, s.offtopic_model_keep)
        if sure_ours and not changed and ev.case in ("unnamed", "ambiguous"):
            return None, "model-keep"
        return ev.domain, "margin"

    def _chinese(self, ctx: Context, ev: Evidence) -> tuple[str | None, str]:
        """A Chinese question the earlier rules left: the share the term table cannot explain decides, unless the
        conversation, the model, the gloss or a word problem's numbers speak for the maths."""
        s = self.settings
        # Chinese: the rewrite keeps only the words the term table knows, too little for the embedding alone, so
        # what the table cannot explain decides, unless the question's gloss reads clearly as maths ("我是程序员，
        # 转行要补多少数学": the table knows neither 程序员 nor 转行, the gloss does)
        bar = s.offtopic_zh_cue_unexplained if ev.cues else s.offtopic_zh_unexplained
        if ev.unexplained >= bar and self._leans_other(ctx, ev):
            # the table explains little of it and the model leans to call it not ours: neither a gloss that reads
            # a little like maths nor a few numbers keep it ("发了20多条，平均播放量卡在300到500，要不要重新养号？")
            return named(ev), "model-lean"
        # neither keeps a question that asks whether to do something ("平均分掉了10分，要不要报补习班？")
        decides = bool(DECIDES_ZH.search(ctx.question))
        if self._kept_by_conversation(ctx, ev) and not decides:
            # "那机器学习里哪里会用到这个？比如判断两个向量像不像那种": the conversation speaks for what the table
            # cannot explain
            return None, "conversation"
        if reads_ours(ev, s.offtopic_zh_model_keep) and not (
            ev.cues or ev.advice or decides or TOPIC_CHANGE.search(ctx.question)
        ):
            # a question the model is sure is ours, in everyday words the table does not know ("一次扔几十个骰子把
            # 点数加起来，为什么画出来越来越像个钟？")
            return None, "zh-model-keep"
        if (
            ev.glossed
            and not (ev.changed or decides)
            and ev.margin is not None
            and ev.margin <= s.offtopic_zh_gloss_maths
        ):
            return None, "zh-gloss"
        if is_word_problem(ctx.question) and not decides:
            # 连抛十次硬币出现七次正面: a word problem's everyday words are not the table's (cues aside)
            return None, "word-problem"
        return (named(ev) if ev.unexplained >= bar else None), "zh-unexplained"

    def _leans_other(self, ctx: Context, ev: Evidence) -> bool:
        """A first question the scope model leans to call not ours (``offtopic_model_lean``), short of sure."""
        return not ctx.followup and reads_other(ev, self.settings.offtopic_model_lean)

    def _kept_by_conversation(self, ctx: Context, ev: Evidence) -> bool:
        """A turn of a conversation about maths that changes no subject (nor opens with 话说), names no other domain's
        cue word, asks no advice, and that the scope model does not lean to call not ours (``offtopic_model_lean``;
        for a request for material, 有没有边跑代码边讲的教程, not sure it is not: ``offtopic_model_bar``): the
        conversation speaks for it, whatever the margin or the term table make of its few words alone."""
        q = ctx.question
        s = self.settings
        bar = s.offtopic_model_bar if ctx.intent == "resource" else s.offtopic_model_lean
        return (
            ctx.conversation
            and not (ev.cues or ev.advice or TOPIC_CHANGE.search(q) or CASUAL_OPENER.search(q))
            and reads_ours(ev, bar)
        )
