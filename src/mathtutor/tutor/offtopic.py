"""The word-sense check of the scope policy: does a question that names a maths word mean the maths?

The concept detector finds "matrix" in "Who plays Neo in The Matrix?" and 积分 in 信用卡积分怎么兑换, and such
questions can match a passage well enough to pass the similarity bar. So three kinds of question must also read
as maths: those whose only maths words are ambiguous (``corpus/offtopic.yaml``; a Chinese question's words are
judged as the Chinese words they are), follow-ups that would inherit the conversation's topic without naming a
concept, and questions that name no concept (the mission, facts, resource and practice paths answer some of those
without the similarity bar). For a follow-up, the earlier question that understand() carried counts on the maths
side.

Some questions are settled before any measuring:
- bound to the conversation: a follow-up about the resource just cited, one that points back ("it", 这个; not
  "got it", nor an "it" after the learner's own story: "my flatmate never cleans, how do I bring it up?"), or one
  that asks for another format or level with no other domain's cue word, unless it changes the subject ("while
  you're at it, ...", "speaking of momentum, ...", 对了, 另外);
- the mission question about machine learning ("做了五年后端，想转算法岗，数学怎么补？"): the maths for our field,
  whatever else the learner tells about their job;
- a resource request whose subject, without the request words, names neither maths nor ML ("a free photography
  course?", 有没有学吉他的视频课程): refused (``recommend_cues.request_subject``); one whose subject names them,
  with no other domain's cue word (有没有讲统计和机器学习的频道), kept;
- a word problem that asks for the probability itself ("1% per draw: the chance of one in 100?"): kept, unless
  it asks for advice;
- a request to compose a text that is not maths (a poem, a toast, a letter, 七言绝句): refused, whatever maths it
  names.

The rest is measured:
- English: the question's MiniLM embedding is compared with each other domain's descriptions and with the maths
  ones (our generic lines plus the name and summary of the concepts in play; for a follow-up that points back,
  the conversation's concepts and question too). It is another domain's when that difference exceeds
  ``offtopic_margin``, ``offtopic_cue_margin`` when a cue word of a domain is in it, ``offtopic_advice_margin``
  when it also asks for a decision or tips ("any tips for training new café staff?"), or
  ``offtopic_changed_margin`` when it changes the subject and names no concept ("totally different topic: ...").
  A pointer at the resource just cited with another domain's cue word (the book's parcel went missing) is that
  domain's only above ``offtopic_margin``.
- Chinese: the term table's rewrite keeps only the words it knows, so the share of the question the table does
  not explain decides: at least ``offtopic_zh_unexplained``, or ``offtopic_zh_cue_unexplained`` with a cue word.
  The margin is measured on the question's word-by-word gloss (``knowledge/zh_gloss.py``, ``Context.meaning``): a
  cue word with a gloss that reads as that domain decides for it, and a gloss that reads as maths by
  ``offtopic_zh_gloss_maths`` or more keeps the question whatever the table misses (not when its only maths word
  bridges a change of subject: 说到期望，…期望薪资); so does a numeric word problem.

The scope model (``tutor/scope_model.py``, fitted on examples we wrote, not on eval cases) reads the whole question
beside the tables: a measured question it is sure is not ours is refused (``offtopic_model_bar``), so is one with
clear maths words when it is surer still (``offtopic_model_clear_bar``: "my sigmoid colon is inflamed"), and an
English first question that only the margin places elsewhere, with no cue word, is kept when it reads clearly as
ours (``offtopic_model_keep``). It does not judge follow-ups bound to the conversation: alone, a turn has no topic.

All bars are Settings fields, tuned on the dev split (settings.py says how).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from mathtutor.knowledge.zh import ZhRewrite, has_cjk, translate_query
from mathtutor.recommend_cues import request_subject
from mathtutor.tutor import mission
from mathtutor.tutor.scope import computes_a_probability, is_word_problem
from mathtutor.tutor.scope_model import ScopeModel, judged_text
from mathtutor.tutor.understand import AGAIN, ELLIPSIS, IDIOMS, OTHER, REFERS_BACK, TOPIC_CHANGE, UNLIKE

#: Words that make a resource request's subject mathematical even when it names no concept of the topic graph.
MATHS_WORDS = re.compile(
    r"\b(math|maths|mathematics|mathematical|calculus|algebra|statistics|statistical|stats|probability|probabilistic"
    r"|geometry|trigonometry|theorems?|proofs?|formulas?|derivations?|analysis|optimi[sz]ation|numerical)\b",
    re.IGNORECASE,
)
#: Maths named in words no other domain uses ("statistics" and "probability" are also everyday words).
OUTRIGHT_MATHS = re.compile(r"\b(math|maths|mathematics|mathematical|calculus|linear algebra)\b", re.IGNORECASE)
#: Asking for the maths itself, in the learner's setting: "what is this called in maths?", 数学上怎么描述, 用矩阵怎么算,
#: "I want to understand the maths", 该按什么顺序学. In dev (2026-12-03) no trap asks this way; the scope model still
#: refuses one that it leans to call not ours (``offtopic_model_lean``).
ASKS_FOR_MATHS = re.compile(
    r"数学(上|里|中)|在数学|背后的数学|数学原理|数学(上)?(叫|怎么|该怎么)"
    r"|用(矩阵|向量|概率|微积分|线性代数|统计|导数|积分)(来)?(怎么|该怎么|算|表示|描述)|按什么顺序学"
    r"|\bmaths? behind\b|\bmathematically\b|\bin maths? terms\b|\bthe maths (of|here|works?)\b"
    r"|\b(understand|learn) (properly|the maths)\b|\bwhy (minimi[sz]e|square)\b"
    r"|\bis there a (name|theorem|formula) for\b|\bwhat(\'s| is) (this|that|it) called in maths?\b",
    re.IGNORECASE,
)
#: Asking for a decision or tips ("which one would you pick?", 报哪所大学比较稳): with another domain's cue word the
#: question is that domain's even when it names a maths word or points back at the maths just explained.
ADVICE = re.compile(
    r"\bwhich (one )?(would|should) (you|i) (pick|choose|take|buy|go (for|with))\b|\bshould i (pick|choose|buy|take"
    r"|go with|get|apply)\b|\b(any )?tips (for|on)\b|\bwhat would you (do|recommend|pick|choose)\b"
    r"|\bhow (should|do) i decide\b|\bwould you (book|buy|hire|risk|take|get) (it|one|them)\b|\bor risk it\b"
    r"|\bthe better (buy|choice|option|pick|deal)\b"
    r"|报哪|选哪|买哪|哪个更划算|哪个比较稳|怎么选|有什么建议|给点建议|求建议|推荐几(只|个|支|款)|帮我(选|挑)",
    re.IGNORECASE,
)
#: Asking, in Chinese, whether to do something (要不要报班, 值不值得, 哪个划算): a decision, not a word problem. In dev
#: (2026-12-03) 15 questions ask so, all of them traps; the mission question ("要不要先补线代？") is judged before.
DECIDES_ZH = re.compile(r"要不要|该不该|值不值得|值得(吗|不)|划算|有没有必要")
#: Branches of maths no other domain names: a question naming one is about the maths (线性代数, "linear algebra").
CLEAR_BRANCH = re.compile(
    r"线性代数|線性代數|线代|高等代数|微积分|微積分|概率论|概率論|機率論|数学分析"
    r"|\blinear algebra\b|\bprobability theory\b|\b(multivariable |multivariate |vector |matrix )calculus\b",
    re.IGNORECASE,
)
_CHANCE_WORDS = re.compile(r"\b(probabilit(y|ies)|chances?|odds|likelihood)\b|概率|几率|可能性", re.IGNORECASE)
_MEANING = re.compile(
    r"\bwhat does .{0,60}\bmean\b|\bmean(s)? as a probability\b|\binterpret|\bactually mean\b"
    r"|是什么意思|什么意思|怎么理解|从概率的角度|代表什么|意味着什么",
    re.IGNORECASE,
)


def is_probability_meaning(text: str) -> bool:
    """What a probability means ("what does a 70% chance of rain mean?", 降水概率70%是什么意思): the maths of
    chance, whatever domain the number comes from."""
    return bool(_CHANCE_WORDS.search(text)) and bool(_MEANING.search(text))


#: The learner telling of their own life ("my son", "my landlord", 我邻居): an "it" or "that" after it is about that
#: story ("my flatmate never does the dishes, how do I bring it up?"), not about the maths just explained.
OWN_STORY = re.compile(
    r"\bmy (?!(answer|question|homework|assignment|notes?|course|class|exams?|textbook|book|model|code|data|dataset"
    r"|network|loss|matri(x|ces)|vectors?|functions?|proof|solution|working|result|teacher|professor|lecturer)\b)"
    r"[a-z]+|我(家|儿子|女儿|老婆|老公|妈|爸|男朋友|女朋友|同事|室友|邻居|房东|老板|孩子)",
    re.IGNORECASE,
)
#: "speaking of which": a pointer back, or the bridge to another subject when another domain's cue word follows
#: (说到这个 is a change of subject already: ``TOPIC_CHANGE`` has 说到).
SPEAKING_OF_IT = re.compile(r"\bspeaking of (which|that|this|it)\b|说起这个", re.IGNORECASE)
#: Coming back to the maths after a story of one's own: "..., ha. but seriously, what if I crank it way up?"
BACK_TO_TOPIC = re.compile(
    r"\bbut seriously\b|\bback to (the|my) (question|topic|maths|math)\b|言归正传|说回正题|回到正题|说正经的",
    re.IGNORECASE,
)
#: Asking the tutor to compose a text that is not maths: a poem, a toast, an email, a cover letter, 七言绝句, 贺词.
COMPOSE = re.compile(
    r"\b(write|compose|draft)( me| us)? (a|an|my|the|some)( \w+){0,3}? (poems?|haikus?|limericks?|songs?|lyrics|toasts?"
    r"|speech|eulogy|cover letter|letter|e-?mails?|essay|story|tweets?|captions?|bio|vows|card message)\b"
    r"|(帮我|给我|替我|帮忙)写|写(一)?(首|封|篇|段|份)(?!.{0,12}(证明|推导|代码|程序|公式))",
    re.IGNORECASE,
)
#: What a composing request may ask for and still be maths: "write me a proof", 帮我写一段推导.
_MATHS_ARTEFACT = re.compile(
    r"\b(proofs?|derivations?|code|python|functions?|equations?)\b|证明|推导|代码|程序|公式|解题", re.IGNORECASE
)
#: Follow-ups that only make sense as a turn of the conversation: "and for X?", "anything less dry?", 换个别的,
#: 能再讲慢一点吗.
BOUND_TO_CONVERSATION = re.compile("|".join(f"(?:{rx.pattern})" for rx in (ELLIPSIS, UNLIKE, OTHER, AGAIN)), re.I)

if TYPE_CHECKING:
    from mathtutor.knowledge.senses import SenseTable
    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.settings import Settings
    from mathtutor.types import Context

#: What :meth:`SenseCheck.judge` returns when the question is not maths but no domain says which it is.
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the check measured for one question (for tests, tuning and the eval report)."""

    #: "ambiguous" (all its maths words have other senses), "followup" (would inherit the conversation's concepts),
    #: "unnamed" (names no concept), "compose" (asks for a poem, a letter, a toast: ``COMPOSE``), "cited" (points
    #: at the resource just cited, with another domain's cue word), or None: its maths words are clear, or it
    #: points back at the conversation
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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :meth:`SenseCheck.verdict` decided, by which rule, on what evidence."""

    domain: str | None  #: the other domain the question is about (``OTHER`` when none is named), or None: ours
    rule: str  #: the rule that decided ("clear", "model", "cue-margin", "margin", "zh-gloss", ...)
    evidence: Evidence


class SenseCheck:
    """Judges questions against the other domains of a :class:`SenseTable`. Thread-safe after the first call."""

    def __init__(
        self,
        settings: Settings,
        embedder: Any,
        topics: TopicGraph | None,
        table: SenseTable,
        model: ScopeModel | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.topics = topics
        self.table = table
        self._fitted = model

    @cached_property
    def _domain_vectors(self) -> tuple[np.ndarray, list[str]]:
        lines = [(d.id, about) for d in self.table.domains for about in d.about]
        return self.embedder.embed([a for _, a in lines]), [i for i, _ in lines]

    @cached_property
    def _maths_vectors(self) -> np.ndarray:
        return self.embedder.embed(list(self.table.maths))

    @cached_property
    def _concept_vectors(self) -> dict[str, np.ndarray]:
        """Each concept's maths sense: its name and summary (all at once: ~100 short texts, embedded once)."""
        if self.topics is None:
            return {}
        concepts = self.topics.concepts
        vectors = self.embedder.embed([f"{c.name}: {c.summary}" for c in concepts])
        return {c.id: v for c, v in zip(concepts, vectors, strict=True)}

    @cached_property
    def model(self) -> ScopeModel | None:
        """The scope model, when this embedder gives the vectors it was fitted on (checked once, on its probes)."""
        fitted = self._fitted
        return fitted if fitted is not None and fitted.reads(self.embedder.embed_query) else None

    def prepare(self) -> None:
        """Embed the domain, maths and concept descriptions now rather than on the first question that needs them."""
        _ = self._domain_vectors, self._maths_vectors, self._concept_vectors, self.model

    def evidence(self, ctx: Context) -> Evidence:
        """Measure what the judgement rests on; cheap (no embedding) when the question's maths words are clear."""
        q = ctx.question
        rewrite = translate_query(q) if has_cjk(q) else None
        # the question's own words (ctx.search may also carry an earlier question of the conversation)
        # (a Chinese question's words are judged as the Chinese words they are: 降维打击 is not "dimensionality
        # reduction", though that is how the term table rewrites 降维)
        own = self.topics.mentions(q) if self.topics is not None else []
        if rewrite is not None:
            own += [(t.concept, t.zh) for t in rewrite.matched if t.concept]
        cues = tuple(self.table.cue_domains(q))
        if COMPOSE.search(q) and not _MATHS_ARTEFACT.search(q):
            # "write a short poem for my grandma", 帮我写首七言绝句送给数学老师: not ours, whatever maths it names
            return Evidence("compose", "writing", cues=cues)
        advice = bool(cues) and bool(ADVICE.search(q))  # "which mortgage would you pick?", 报哪所大学比较稳
        # "by the way, ...", "speaking of momentum, ...": after it, a maths word is only the bridge to another subject
        # ("speaking of which/that, ..." points back, unless another domain's cue word follows: "speaking of that,
        # what's the best mode of transport to the airport?")
        changes = bool(TOPIC_CHANGE.search(q) or (cues and SPEAKING_OF_IT.search(q)))
        all_ambiguous = all(self.table.is_ambiguous(words) for _, words in own)
        clear = bool(own) and not changes and not all_ambiguous
        if (clear or CLEAR_BRANCH.search(q) or is_probability_meaning(q)) and not advice:
            # "eigenvalue", "covariance matrix", 矩阵求导, 线性代数: one sense only, unless the whole question reads
            # as another subject's ("my gastroenterologist found inflammation in my sigmoid colon": a clear word
            # in a name)
            return Evidence(None, p_other=self._p_other(ctx))
        if (
            not advice
            and mission.names_field(ctx.meaning or q)
            and self._asks_mission(ctx, rewrite, bool(own) and not changes)
        ):
            # "做了五年后端，想转算法组，数学怎么补？": the maths for our field, however much else the learner tells
            # (and whether or not they also ask for resources: "作为家长…打好哪些数学基础？有没有适合的资源？"), and
            # whichever of its words have other senses ("供应商满嘴'权重'…AI 系统…数学要学到什么程度？")
            return Evidence(None)
        alone = False  # a follow-up whose conversation does not speak for it (its concepts, its earlier question)
        if own or advice:
            case = "ambiguous"
            if ctx.intent == "resource" and not (cues or changes) and self._names_maths_outright(ctx, rewrite):
                return Evidence(None)  # "我是小学数学老师，AI 课要讲向量，有没有从零讲的？": maths material, by name
        elif ctx.followup and ctx.resources and not (changes or cues):
            return Evidence(None)  # about the resource cited before (文章最后有没有把公式汇总成表？)
        elif ctx.followup:
            story = OWN_STORY.search(q)
            back = BACK_TO_TOPIC.search(q, story.end()) if story else None
            # a pointer after the learner's own story points into it, unless they come back to the maths after it
            # ("like my marathon taper, ha. but seriously, what goes wrong if I crank it up?")
            pointed = q[back.end() :] if back else q[: story.start()] if story else q
            points_back = bool(REFERS_BACK.search(IDIOMS.sub(" ", pointed))) and not (changes or advice)
            other_take = bool(BOUND_TO_CONVERSATION.search(q))  # "something less dense?", 换个别的, 能再讲慢一点吗
            bound = not changes and (bool(ctx.formats) or other_take)
            # (a pointer at the book just cited, with another domain's cue word: "那本书的快递丢了，找谁？")
            kept = back or other_take or not ((story or ctx.resources) and cues)
            if (points_back and kept) or (bound and not cues):
                # "can I use it on stock prices?", "is there a video of that?", "and for the discrete case?",
                # 换个更严谨一点的, 能再讲慢一点吗: bound to the conversation. Not after a change of subject ("while
                # you're at it, write me a cover letter"); when the learner's own affairs are another domain's ("can
                # you also do that for my tax return?"), or an ellipsis has another domain's cue word, the margin
                # decides, the conversation's concepts on the maths side. A pointer that asks for another take on
                # it (gentler, shorter, another one) keeps the conversation whatever story follows ("I have to
                # explain it to my boss: something less dense I could watch?").
                return Evidence(None)
            # a pointer at the resource just cited with another domain's cue word: about the book's shipping or its
            # film-ratings example? Only a clear margin says the former
            case = "cited" if points_back and ctx.resources and not story else "followup"
            # after a change of subject, or when nothing in it only makes sense as a turn ("got it. my son has been
            # mean to his sister, how do I deal with it?")
            alone = not (points_back or bound)
        else:
            case = "unnamed"
        unexplained = self.table.unexplained_share(rewrite) if rewrite is not None else None
        text = judged_text(ctx)  # a Chinese question's gloss
        if not text.strip():
            return Evidence(case, cues=cues, unexplained=unexplained)
        foreign = None
        # a resource request, or a question asking for a video, course or site ("the best channel for chess openings?";
        # "book" also comes from "reading", so it alone does not count): what it asks about decides, when it names
        # maths or ML (有没有讲统计和机器学习的频道; a resource request with no other domain's cue word) or neither
        if case == "unnamed" and (ctx.intent == "resource" or ctx.formats & {"video", "course", "interactive"}):
            subject = request_subject(text)
            if subject and self._names_maths(subject, rewrite):
                if ctx.intent == "resource" and not cues:
                    return Evidence(None)
            elif subject:
                foreign = subject
        vec = self.embedder.embed_query(text)
        dom_vecs, dom_ids = self._domain_vectors
        sims = dom_vecs @ vec
        best = int(np.argmax(sims))
        carried = set() if alone else set(ctx.concepts)
        concept_ids = {c for c, _ in own} or carried
        maths = [float(np.max(self._maths_vectors @ vec))]
        maths += [float(self._concept_vectors[c] @ vec) for c in concept_ids if c in self._concept_vectors]
        # the earlier question understand() carried, unless the follow-up is judged alone ("totally unrelated, ...")
        carries = case == "followup" and ctx.search.startswith(q) and not alone
        earlier = ctx.search[len(q) :].strip() if carries else ""
        if earlier and rewrite is None:  # the earlier question understand() carried: the conversation's topic
            maths.append(float(self.embedder.embed_query(earlier) @ vec))
        margin = float(sims[best]) - max(maths)
        glossed = rewrite is not None and bool(ctx.meaning) and ctx.meaning != rewrite.english
        # after a change of subject only words with other senses may be a bridge ("说到期望，HR 问期望薪资…");
        # a clear term is the new question's own ("顺便问一下，PCA 是不是也在找特征向量？")
        bridged = changes and all_ambiguous
        p_other = round(self.model.p_other(vec), 4) if self.model is not None else None
        asks = bool(ASKS_FOR_MATHS.search(q))
        return Evidence(
            case, dom_ids[best], round(margin, 4), cues, unexplained, glossed, foreign, advice, bridged, p_other, asks
        )

    def _leans_other(self, ctx: Context, ev: Evidence) -> bool:
        """A first question the scope model leans to call not ours (``offtopic_model_lean``), short of sure."""
        return not ctx.followup and ev.p_other is not None and ev.p_other >= self.settings.offtopic_model_lean

    def _p_other(self, ctx: Context) -> float | None:
        """The scope model's reading of a question the check does not measure (None without a model)."""
        if self.model is None:
            return None
        return round(self.model.p_other(self.embedder.embed_query(judged_text(ctx))), 4)

    @staticmethod
    def _asks_mission(ctx: Context, rewrite: ZhRewrite | None, ambiguous: bool = False) -> bool:
        """The mission question, read as such, inside a resource request ("…要补哪些数学？有没有推荐的资料？"), or
        with words whose maths sense is in doubt (``ambiguous``), which understand() took for concepts."""
        if ctx.intent == "mission":
            return True
        asks = (rewrite is not None and "mission" in rewrite.intents) or mission.has_cue(ctx.meaning or ctx.question)
        return (ctx.intent == "resource" or ambiguous) and asks

    def request_about_maths(self, ctx: Context) -> bool:
        """A resource request whose subject is maths or ML: a concept, or a subject that names them. The catalog
        answers it, however few passages of a small index match its wording."""
        if ctx.intent != "resource" or ctx.offtopic is not None:
            return False
        if ctx.concepts:
            return True
        rewrite = translate_query(ctx.question) if has_cjk(ctx.question) else None
        subject = request_subject(ctx.meaning or ctx.question)
        return bool(subject) and self._names_maths(subject, rewrite)

    def _names_maths_outright(self, ctx: Context, rewrite: ZhRewrite | None) -> bool:
        """Does the question name maths or ML in words no other domain uses ("maths", 数学, "machine learning",
        人工智能), besides the maths words that have other senses?"""
        if rewrite is not None and any(
            {"maths_cue", "field_cue"} & set(t.intents) and not self.table.is_ambiguous(t.zh) for t in rewrite.matched
        ):
            return True
        return bool(OUTRIGHT_MATHS.search(ctx.question)) or mission.names_field(ctx.meaning or ctx.question)

    def _names_maths(self, subject: str, rewrite: ZhRewrite | None) -> bool:
        """Does the subject of a resource request name maths, a branch or concept of it, or machine learning?"""
        if rewrite is not None and any(
            t.concept or {"maths_cue", "subject_cue", "field_cue"} & set(t.intents) for t in rewrite.matched
        ):
            return True
        named = self.topics is not None and bool(self.topics.detect(subject))
        return named or bool(MATHS_WORDS.search(subject)) or mission.names_field(subject)

    def judge(self, ctx: Context) -> str | None:
        """The other domain the question is about ("film-tv", ..., or ``OTHER``), or None when it reads as maths."""
        return self.verdict(ctx).domain

    def verdict(self, ctx: Context) -> Verdict:
        """:meth:`judge` with the rule that decided and the evidence it read (for tuning and the eval report)."""
        ev = self.evidence(ctx)
        domain, rule = self._decide(ctx, ev)
        return Verdict(domain, rule, ev)

    def _decide(self, ctx: Context, ev: Evidence) -> tuple[str | None, str]:
        s = self.settings
        if ev.case is None:  # clear maths words: only a model sure of another subject refuses it
            sure = ev.p_other is not None and ev.p_other >= s.offtopic_model_clear_bar
            return ((ev.cues[0] if ev.cues else OTHER) if sure else None), "clear"
        if ev.case == "compose":
            return "writing", "compose"
        if ev.case == "cited":  # "那本书的纸质版快递丢了" vs "书里给电影打分的例子是在说明什么？"
            return (ev.cues[0] if ev.margin is not None and ev.margin > s.offtopic_margin else None), "cited"
        if ev.foreign_subject is not None:  # "a free photography course?", 有没有学吉他的视频课程: not our subject
            return (ev.cues[0] if ev.cues else (ev.domain or OTHER)), "foreign-subject"
        if not ev.advice and computes_a_probability(ctx.question):
            # "抽卡出货率1%，100抽至少出一张的概率是多少？": the game only supplies the numbers
            return None, "computes-probability"
        if ev.p_other is not None and ev.p_other >= s.offtopic_model_bar:
            # the scope model reads the whole question as another subject's, in words no table of ours lists (the
            # nearest domain names it only when it reads closer than the maths)
            near = ev.domain if ev.margin is not None and ev.margin > 0 else None
            return (ev.cues[0] if ev.cues else (near or OTHER)), "model"
        if ev.asks_maths and not (ev.advice or ev.changed or self._leans_other(ctx, ev)):
            # "…every later row is pushed further: is there a name in maths for the directions that stay put?":
            # whatever the setting's words, it asks for the maths
            return None, "asks-maths"
        if ev.cues and ev.margin is not None and ev.margin > s.offtopic_cue_margin:
            return ev.cues[0], "cue-margin"
        if ev.advice and ev.margin is not None and ev.margin > s.offtopic_advice_margin:
            # advice, in another domain's words: "报哪所大学比较稳？", "tips for training baristas?"
            return ev.cues[0], "advice-margin"
        if ev.unexplained is None:  # English: the embedding reads the whole question
            # after "totally different topic:" with no concept of its own, a new question: a lower bar
            changed = ev.changed and ev.case in ("followup", "unnamed")
            bar = s.offtopic_changed_margin if changed else s.offtopic_margin
            if ev.margin is None or ev.margin <= bar:
                # a first question whose setting reads a little closer than its maths, that the model leans to
                # call not ours ("the trail's last 2 km average a 14% gradient: too much for my 9-year-old?")
                leans = self._leans_other(ctx, ev) and not changed and ev.margin is not None and ev.margin > 0
                return ((ev.domain or OTHER) if leans else None), ("model-lean" if leans else "margin")
            # a first question the margin alone places elsewhere, that the scope model reads as ours ("warping a
            # sprite in my game engine: is skew-then-turn the same as one step?"): the domain lines matched its
            # setting, the model its question
            sure_ours = ev.p_other is not None and ev.p_other < s.offtopic_model_keep
            if sure_ours and not changed and ev.case in ("unnamed", "ambiguous"):
                return None, "model-keep"
            return ev.domain, "margin"
        # Chinese: the rewrite keeps only the words the term table knows, too little for the embedding alone, so
        # what the table cannot explain decides, unless the question's gloss reads clearly as maths ("我是程序员，
        # 转行要补多少数学": the table knows neither 程序员 nor 转行, the gloss does)
        bar = s.offtopic_zh_cue_unexplained if ev.cues else s.offtopic_zh_unexplained
        if ev.unexplained >= bar and self._leans_other(ctx, ev):
            # the table explains little of it and the model leans to call it not ours: neither a gloss that reads
            # a little like maths nor a few numbers keep it ("发了20多条，平均播放量卡在300到500，要不要重新养号？")
            return (ev.cues[0] if ev.cues else OTHER), "model-lean"
        # neither keeps a question that asks whether to do something ("平均分掉了10分，要不要报补习班？")
        decides = bool(DECIDES_ZH.search(ctx.question))
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
        return ((ev.cues[0] if ev.cues else OTHER) if ev.unexplained >= bar else None), "zh-unexplained"
