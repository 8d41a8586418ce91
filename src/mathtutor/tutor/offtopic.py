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
  whatever else the learner tells about their job, unless the scope model is sure it is not ours
  (``offtopic_model_field_bar``: 模型 glosses as "model", and 高达模型 is a hobby's);
- a resource request whose subject, without the request words, names neither maths nor ML ("a free photography
  course?", 有没有学吉他的视频课程, "a course on model railways"): refused (``recommend_cues.request_subject``); one
  whose subject names them in words no hobby shares, with no other domain's cue word (有没有讲统计和机器学习的频道),
  kept, unless the scope model is sure it is not ours (the same bar);
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
  bridges a change of subject: 说到期望，…期望薪资); so does a numeric word problem. A turn of a conversation that
  changes no subject (nor opens with 话说), names no other domain's cue word and that the scope model does not lean
  to call not ours (``offtopic_model_lean``) is kept by the conversation whatever the table misses, and so is a
  question the model is sure is ours (``offtopic_zh_model_keep``, a strict bar: it reads Chinese through the gloss).

The scope model (``tutor/scope_model.py``, fitted on examples we wrote, not on eval cases) reads the whole question
beside the tables: a measured question it is sure is not ours is refused (``offtopic_model_bar``), so is one with
clear maths words when it is surer still (``offtopic_model_clear_bar``: "my sigmoid colon is inflamed"; in a turn
of a conversation, read without it, ``offtopic_model_turn_bar``), and an
English first question that only the margin places elsewhere, with no cue word, is kept when it reads clearly as
ours (``offtopic_model_keep``; with another domain's cue word, ``offtopic_cue_model_keep``). A first question the
margins leave in doubt, or one that changes the subject and names no concept ("random question: is the lecturer
retired?"), goes the way the model leans (``offtopic_model_lean``), and so does an English first question that
names no concept and asks for no material, no maths of our field and no number, whatever its margin ("cheapest
place to buy a printed copy of Mathematics for Machine Learning?"). A first question whose clear maths words are
only its story's and whose asking part asks nothing to learn (``tutor/asking.py``: "...curved to a bell curve. Can
I appeal the grade?") is refused when the model leans away from the whole (``offtopic_aside_lean``) and is sure of
the asking part (``offtopic_aside_bar``). Of the follow-ups bound to the conversation it reads only English turns
that point back or ask about the resource just cited and name no concept, no study plan, no next topic, no format
and no other take: such a turn is refused when the model, reading it alone, is sure it is not ours
(``offtopic_model_turn_bar``: "how much is the printed hardcover on amazon right now?"); "who are the authors?" and
"got anything less dry?" stay the conversation's.

The measuring is here; the decision table, English and Chinese apart, is ``tutor/offtopic_rules.py``. All bars are
Settings fields, tuned on the dev split (settings.py says how).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from mathtutor.knowledge.zh import ZhRewrite, has_cjk, translate_query
from mathtutor.knowledge.zh_gloss import gloss
from mathtutor.recommend_cues import request_subject
from mathtutor.tutor import mission
from mathtutor.tutor.asking import asks_to_learn, split_question
from mathtutor.tutor.offtopic_cues import (
    ADVICE,
    ASKS_FOR_MATHS,
    BACK_TO_TOPIC,
    BOUND_TO_CONVERSATION,
    CLEAR_BRANCH,
    COMPOSE,
    LEARNS_WITH,
    MATHS_ARTEFACT,
    MATHS_WORDS,
    OUTRIGHT_MATHS,
    OWN_STORY,
    POINTS_AT_MATERIAL,
    SPEAKING_OF_IT,
    TAKES_NEXT,
    is_probability_meaning,
)
from mathtutor.tutor.offtopic_rules import Evidence, Rules, Verdict
from mathtutor.tutor.scope_model import ScopeModel, judged_text
from mathtutor.tutor.understand_cues import IDIOMS, NEXT, REFERS_BACK, TOPIC_CHANGE, asked_formats

if TYPE_CHECKING:
    from mathtutor.knowledge.senses import SenseTable
    from mathtutor.knowledge.topics import TopicGraph
    from mathtutor.settings import Settings
    from mathtutor.types import Context


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
        self.rules = Rules(settings)

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
        own = self._mentions(q, rewrite)
        cues = tuple(self.table.cue_domains(q))
        if COMPOSE.search(q) and not MATHS_ARTEFACT.search(q):
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
            p_other = self._p_other(ctx)
            return Evidence(None, cues=cues, p_other=p_other, aside=self._aside(ctx, p_other))
        if (
            not advice
            and not (changes and cues)  # "顺便问一下，我表弟高考考了620，想学人工智能专业，能上哪些学校？"
            and mission.names_field(ctx.meaning or q)
            and self._asks_mission(ctx, rewrite, bool(own) and not changes)
        ):
            # "做了五年后端，想转算法组，数学怎么补？": the maths for our field, however much else the learner tells
            # (and whether or not they also ask for resources: "作为家长…打好哪些数学基础？有没有适合的资源？"), and
            # whichever of its words have other senses ("供应商满嘴'权重'…AI 系统…数学要学到什么程度？"), unless
            # the scope model is sure it is another hobby's ("新手想入坑高达模型…": 模型 glosses as "model")
            return Evidence("mission", cues=cues, p_other=self._p_other(ctx))
        alone = False  # a follow-up whose conversation does not speak for it (its concepts, its earlier question)
        if own or advice:
            case = "ambiguous"
            if ctx.intent == "resource" and not (cues or changes) and self._names_maths_outright(ctx, rewrite):
                return Evidence(None)  # "我是小学数学老师，AI 课要讲向量，有没有从零讲的？": maths material, by name
        elif ctx.followup and ctx.resources and not (changes or cues):
            return self._turn(ctx)  # about the resource cited before (文章最后有没有把公式汇总成表？)
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
                return self._turn(ctx, cues)
            # a pointer at the resource just cited with another domain's cue word: about the book's shipping or its
            # film-ratings example? Only a clear margin says the former
            case = "cited" if points_back and ctx.resources and not story else "followup"
            # after a change of subject, or when nothing in it only makes sense as a turn ("got it. my son has been
            # mean to his sister, how do I deal with it?")
            alone = not (points_back or bound)
        else:
            case = "unnamed"
            takes_next = ctx.finished is not None and (asks_to_learn(q) or TAKES_NEXT.search(q))
            if takes_next and not (cues or changes or advice):
                # "I've worked through all of 18.06: what should I take after it?": what builds on a resource of
                # ours, which the model reads as a student's course choice
                return Evidence(None)
            if (ctx.resources or ctx.goal) and LEARNS_WITH.search(q) and not (cues or changes or advice):
                # "Is 18.065 too hard for me?", "what should I brush up on before starting it?": how to learn with a
                # resource of ours, named by its title or course number, which no model reads as maths
                return Evidence("named", p_other=self._p_other(ctx))
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
                outright = bool(ctx.formats) and not (advice or changes) and self._names_maths_outright(ctx, rewrite)
                if ctx.intent == "resource" and (not cues or outright):
                    # material on maths or ML, unless the model is sure the request is another hobby's (its
                    # subject names ML only through a word like "model": 高达模型); another domain's word is only the
                    # setting when the subject is maths or ML outright ("the company pays for courses with a
                    # certificate: any on the maths of machine learning?")
                    return Evidence("subject", cues=cues, p_other=self._p_other(ctx))
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
        p_other = round(self.model.p_other(vec, text), 4) if self.model is not None else None
        asks = bool(ASKS_FOR_MATHS.search(q))
        subjects = rewrite.matched if rewrite is not None and ctx.intent == "resource" else []
        branch = any("subject_cue" in t.intents for t in subjects)
        return Evidence(
            case,
            dom_ids[best],
            round(margin, 4),
            cues,
            unexplained,
            glossed,
            foreign,
            advice,
            bridged,
            p_other,
            asks,
            branch=branch,
        )

    def _aside(self, ctx: Context, p_other: float | None) -> float | None:
        """The scope model's reading of what a first question asks, when its maths words are only the story's
        (``Evidence.aside``): read only for questions the model leans to call not ours (``offtopic_aside_lean``)."""
        if ctx.conversation or p_other is None or p_other < self.settings.offtopic_aside_lean or self.model is None:
            return None
        if ctx.intent == "mission":
            return None  # "...forgotten trig and logs. where do I restart?": the story is the learner's maths
        parts = split_question(ctx.question)
        asking = " ".join(parts.asking)
        if not asking or asks_to_learn(asking) or self._names_concept(asking):
            return None
        if not any(self._names_concept(s) for s in parts.story):
            return None
        text = asking
        if has_cjk(asking):
            text = (gloss(asking) if self.settings.zh_gloss else "") or translate_query(asking).english
        return round(self.model.p_other(self.embedder.embed_query(text), text), 4) if text.strip() else None

    def _turn(self, ctx: Context, cues: tuple[str, ...] = ()) -> Evidence:
        """A turn the conversation keeps (it points back, or asks about the resource just cited), naming no concept of
        its own. An English one that asks for no study plan, no next topic, no format and no other take ("got anything
        less dry?", which alone reads as not ours) is read alone by the scope model (``Evidence.case`` "turn"): "how
        much is the printed hardcover on amazon right now?" is about the book, and not ours; "who are the authors?"
        is about the book, and ours. A Chinese one is read alone only when it has another domain's cue word
        (``Evidence.case`` "turn-cue": 这个PDF看了一晚上…有什么眼药水推荐吗), its gloss being too rough otherwise."""
        q = ctx.question
        if cues and has_cjk(q) and self.model is not None and not (ctx.plan or NEXT.search(q)):
            return Evidence("turn-cue", cues=cues, p_other=self._p_other(ctx))
        # (a format word that points at the material just cited asks for no format: "his videos", "that chapter")
        bound = (
            ctx.plan
            or NEXT.search(q)
            or BOUND_TO_CONVERSATION.search(q)
            or asked_formats(POINTS_AT_MATERIAL.sub(" ", q))
        )
        if has_cjk(q) or self.model is None or bound:
            return Evidence(None)
        return Evidence("turn", p_other=self._p_other(ctx))

    def _mentions(self, text: str, rewrite: ZhRewrite | None) -> list[tuple[str, str]]:
        """(concept, its words) named in ``text``: topic-graph aliases, and a Chinese text's term-table matches."""
        found = self.topics.mentions(text) if self.topics is not None else []
        if rewrite is not None:
            found += [(t.concept, t.zh) for t in rewrite.matched if t.concept]
        return found

    def _names_concept(self, text: str) -> bool:
        """Does ``text`` name a concept or a branch of maths (in English or Chinese)?"""
        rewrite = translate_query(text) if has_cjk(text) else None
        return bool(CLEAR_BRANCH.search(text) or self._mentions(text, rewrite))

    def _p_other(self, ctx: Context) -> float | None:
        """The scope model's reading of a question the check does not measure (None without a model)."""
        if self.model is None:
            return None
        text = judged_text(ctx)
        return round(self.model.p_other(self.embedder.embed_query(text), text), 4)

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
        return named or bool(MATHS_WORDS.search(subject)) or mission.names_field_itself(subject)

    def judge(self, ctx: Context) -> str | None:
        """The other domain the question is about ("film-tv", ..., or ``OTHER``), or None when it reads as maths."""
        return self.verdict(ctx).domain

    def verdict(self, ctx: Context) -> Verdict:
        """:meth:`judge` with the rule that decided and the evidence it read (for tuning and the eval report)."""
        ev = self.evidence(ctx)
        domain, rule = self.rules.decide(ctx, ev)
        return Verdict(domain, rule, ev)
