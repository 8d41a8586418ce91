"""Is a question about the path as a whole: how much maths, in what order, for which role, where to start?

Learners ask this in endless ways ("I build websites, where do I begin with the maths behind LLMs?", "I was
never good at maths, can I still do ML?"), so a list of phrasings does not generalise. Two signals instead:

- structure: a word for maths (or a branch of it) together with a need / amount / order / start / ability
  / role cue, or a field of ML with a start or amount cue;
- meaning: MiniLM similarity to a handful of prototypes we wrote (none of them an eval question), at or
  above ``Settings.mission_min_similarity`` (env ``MATHTUTOR_MISSION_MIN_SIMILARITY``).

Chinese questions get the same structural reading in ``knowledge/zh.py`` (the ``mission`` intent) and are
compared with the prototypes through their English rewrite. A question that names a specific concept is
about that concept (a study path), whatever its phrasing; branches of maths ("calculus", "probability")
are not specific concepts but the focus of the answer (:func:`focus_concepts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

#: The older phrase list, kept: every phrasing it matched is still a mission question.
_PHRASES = re.compile(
    r"\bhow much (more )?(math|maths|mathematics)\b|\b(math|maths|mathematics) (do|would|will|should) i need\b"
    r"|\b(is|are) (high[- ]school|basic|school|undergrad(uate)?) (math|maths|mathematics)\b.*\benough\b"
    r"|\bwhere (do|should|can) i (start|begin)\b|\bwhat order\b.*\b(learn|study)\b"
    r"|\bwhich (math|maths|mathematics)\b.*\b(for|as)\b|\bwhat (math|maths|mathematics) (do|should|would)\b"
    r"|\bfrom using (libraries|frameworks)\b|\b(math|maths|mathematics) (background|prerequisites) for\b"
    r"|\b(need|use) (any )?(math|maths|mathematics) at all\b|\bdo i (even )?need (math|maths|mathematics)\b",
    re.IGNORECASE,
)
_MATHS = re.compile(
    r"\b(math|maths|mathematics|mathematical|calculus|calc|linear algebra|algebra|statistics|stats|probability"
    r"|trigonometry|optimi[sz]ation theory|proofs?)\b",
    re.IGNORECASE,
)
_FIELD = re.compile(
    r"\b(machine learning|ml|deep learning|ai|artificial intelligence|neural (net|network)s?|llms?"
    r"|large language models?|data science|transformers?|nlp|computer vision)\b",
    re.IGNORECASE,
)
_NEED = re.compile(
    r"\b(need|needs|needed|require[sd]?|required|requirements?|prerequisites?|have to|must|necessary|essential"
    r"|enough|sufficient|get by|at all|without|worth (it|learning|studying|the (effort|time))|pointless"
    r"|(a )?waste of time|missing|lacking|gaps?)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"\bhow (much|deep|far|good|strong)\b|\bto what (level|depth|extent)\b|\b(bare )?minimum\b"
    r"|\bmost (important|useful|relevant)\b|\bmatters? (the )?most\b|\b(mostly|mainly)\b"
    r"|\bwhat (level|kind|sort|type|areas?|topics|parts|branches|fields) of\b|\bwhich (areas?|topics|parts|branches)\b",
    re.IGNORECASE,
)
#: "Mostly" and "mainly" ask how much of the maths is which branch ("is it mostly linear algebra?"); beside a field
#: alone they ask nothing of the kind ("is the phone's on-device AI faster or mostly marketing?") unless they say
#: what the learner is after ("I mostly care about neural nets: which chapters can I skip?").
_MOSTLY = re.compile(r"\b(mostly|mainly)\b(?! (care|cared|interested|want|wanted|need|focus|work|use)\b)", re.I)
_ORDER = re.compile(
    r"\b(what|which|right|best|good) order\b|\b(learn|study|tackle|take|do|start)\b.{0,40}\b(first|before|then)\b"
    r"|\bfirst\b.{0,40}\b(learn|study|tackle)\b|\b(first|before)\b.{0,30}\bor\b",
    re.IGNORECASE,
)
_START = re.compile(
    r"\bwhere (do|should|can|would|to|might) (i |you |one |we )?(start|begin)\b|\b(start|begin)(ning)? with\b"
    r"|\bget(ting)? (started|into)\b|\bfirst steps?\b|\bbrush up\b|\brefresh(er)?\b|\bprepare\b"
    r"|\b(re-?start|start (over|again|afresh))\b|\bget back into\b|\bpick (it|things|maths?) back up\b"
    r"|\bbefore (an?|the|my)\b",
    re.IGNORECASE,
)
_ABILITY = re.compile(
    r"\b(bad|weak|terrible|rubbish|awful|poor|not good|never (any )?good|struggle[ds]?|hopeless) (at|in|with)\b"
    r"|\b(hate[ds]?|dislike[ds]?|afraid of|scared of|fear|anxious about)\b|\bhopeless\b"
    r"|\brusty\b|\bforg[eo]t(ten)?\b|\bmost of it is gone\b|\bcan i still\b|\bam i (too|good enough)\b",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\b(engineers?|developers?|researchers?|practitioners?|data scientists?|programmers?|career|job|role"
    r"|for a living)\b",
    re.IGNORECASE,
)
#: Fields and jobs of machine learning, wider than ``_FIELD``: in a question that already reads as the mission
#: question (maths with a need / amount / order cue), "algorithm", "model" or "Kaggle" name our field.
_ML_WORLD = re.compile(
    _FIELD.pattern + r"|\b(algorithms?|models?|data (mining|analy(sis|tics|st))|kaggle|research papers?|papers"
    r"|recommender systems?|recommendation (systems?|algorithms?)|self[- ]driving|autonomous (cars?|vehicles?|driving)"
    r"|robot(s|ics)?|drones?)\b",
    re.IGNORECASE,
)
#: Our field in words no hobby shares: ``_FIELD``, recommender systems, data mining, Kaggle.
_ML_ITSELF = re.compile(
    _FIELD.pattern + r"|\b(data mining|kaggle|recommender systems?|recommendation (systems?|algorithms?))\b",
    re.IGNORECASE,
)
#: Branches of maths named in a mission question, and the concept that stands for each in the answer.
_SUBJECTS = (
    (re.compile(r"\b(calculus|calc|derivatives?)\b", re.I), "derivatives"),
    (re.compile(r"\blinear algebra\b|\bmatri(x|ces)\b", re.I), "matrices"),
    (re.compile(r"\b(probability|statistics|stats)\b", re.I), "probability-basics"),
    # a data analyst's maths is statistics first (the role names the branch)
    (re.compile(r"\bdata analy(st|sts|sis|tics)\b", re.I), "probability-basics"),
    (re.compile(r"\boptimi[sz]ation\b", re.I), "gradient-descent"),
)
#: Concepts that are a whole branch or the school basics: a mission question may name them.
GENERAL = frozenset({"algebra-precalculus", "functions", "probability-basics"})
#: Concepts that stand for a whole field ("deep learning"): the mission question about it is its study path.
FIELDS = frozenset({"neural-networks"})

#: Our own prototypes of the mission question (deliberately none of them an eval question).
PROTOTYPES = (
    "How much mathematics is required to work in machine learning?",
    "Which mathematical topics are needed for AI, and in what order should I study them?",
    "Where is the best place to begin learning the math behind neural networks?",
    "Am I good enough at math to study machine learning?",
    "What level of math do machine learning engineers, developers and researchers need?",
    "Do you really need math for data science and deep learning?",
)


#: The degree of depth a learner aims at (the seeds' practitioner, developer and researcher), in words that say a
#: goal, not what the learner does now ("I use sklearn at work" says neither; "I just want to use Keras" does).
_DEPTH_CUES = (
    (
        "researcher",
        re.compile(
            r"\bph\.?d\b|\bdoctora(l|te)\b|\b(do|doing|go into|career in|position in) research\b"
            r"|\bresearch (career|position|scientist|lab|group|degree)\b|\bbecome a researcher\b"
            r"|\b(invent\w*|design\w*|creat\w*|come up with) (new|novel)\b|\bnew (kinds?|types?|sorts?) of models?\b"
            r"|\bnovel (models?|architectures?|methods?)\b|\bpublish\w*\b"
            r"|读博|博士(?!后)|搞研究|做研究|发论文|研究(岗|员|方向|生涯)|(提出|发明|设计)新(的)?模型",
            re.IGNORECASE,
        ),
    ),
    (
        "developer",
        re.compile(
            r"\b(writ|buil|cod|implement|mak|creat)\w*\b.{0,40}\bfrom scratch\b|\bimplement\w*\b"
            r"|\b(write|build|code|design) (my|our|your|their) own\b"
            r"|\bown (models?|networks?|layers?|architectures?)\b|\b(port|turn|translate)\w* .{0,40}\bpapers?\b"
            r"|\bpapers? into code\b|\bcustom (layers?|models?|loss\w*)\b|\b(read|follow|understand) (the )?papers\b"
            r"|从零(开始)?(实现|写|搭)|手写|自己(实现|写|搭)|造轮子|复现|自定义(层|模型|损失)|(读|看)(懂|得懂).{0,8}论文",
            re.IGNORECASE,
        ),
    ),
    (
        "practitioner",
        re.compile(
            # only to use what exists ("I just want to use Keras for Kaggle", 会用就行), no research, an analyst's job
            r"\b(just|only|simply) (want|need|plan|hope)s? to (use|apply|run|train|call|compete)\b"
            r"|\b(not|never) (going|planning|aiming|trying) (to do |to go |into )+research\b"
            r"|\bdata analy(st|sts)\b|\banaly(st|tics) (job|role|position)\b"
            r"|(就|只)(想|打算|需要)(用|调|打|跑|做应用)|会用就行|(不打算|不想|不准备|不会)(搞|做)研究|数据分析(师|岗)?",
            re.IGNORECASE,
        ),
    ),
)
#: A depth cue the learner turns down ("nobody expects me to invent new models", "don't want to only call model.fit").
_NOT_DEPTH = re.compile(
    r"\b(not|no|never|don'?t|do not|won'?t|without|rather than|instead of|more than|beyond|nobody expects me to"
    r"|no one expects me to|not expected to|don'?t need to)\b[^.?!,;]{0,40}$"
    r"|(不|没|别|不想|不打算|不准备|不用|不需要|不必|不只是|不止)[^。？！，；]{0,8}$",
    re.IGNORECASE,
)


def depth_of(text: str) -> str | None:
    """The degree of depth the learner says they aim at: "researcher" (a PhD, new kinds of models), "developer"
    (their own models from scratch, papers into code) or "practitioner" (libraries, Kaggle, data analysis); None
    when they say none. A cue they turn down does not count, and the deepest one they keep wins."""
    for depth, rx in _DEPTH_CUES:
        if any(not _NOT_DEPTH.search(text[: m.start()]) for m in rx.finditer(text)):
            return depth
    return None


def has_cue(text: str) -> bool:
    """The structural reading: maths (or an ML field) with a need, amount, order, start, ability or role cue."""
    if _PHRASES.search(text):
        return True
    if _MATHS.search(text):
        return any(rx.search(text) for rx in (_NEED, _AMOUNT, _ORDER, _START, _ABILITY, _ROLE))
    amount = any(not _MOSTLY.match(text, m.start()) for m in _AMOUNT.finditer(text))
    return bool(_FIELD.search(text)) and (amount or any(rx.search(text) for rx in (_START, _ABILITY)))


def names_field(text: str) -> bool:
    """The text names machine learning, a part of it or a job in it (English, or a Chinese question's gloss)."""
    return bool(_ML_WORLD.search(text))


def names_field_itself(text: str) -> bool:
    """The text names machine learning or AI in words no hobby shares ("deep learning", "LLMs"): not "model",
    "algorithm" or "robot", which name our field only in a question that already asks what maths to learn
    (model railways, 建筑模型)."""
    return bool(_ML_ITSELF.search(text))


def specific(concepts: Iterable[str], fields: Iterable[str] = ()) -> list[str]:
    """The concepts that make a question about one topic rather than the path (branches and fields excluded)."""
    skip = GENERAL | set(fields)
    return [c for c in concepts if c not in skip]


def focus_concepts(text: str, concepts: Iterable[str]) -> list[str]:
    """Branches of maths the mission question names, as the concepts that stand for them, in order."""
    found = [c for c in concepts if c in GENERAL and c != "algebra-precalculus"]
    found += [cid for rx, cid in _SUBJECTS if rx.search(text)]
    return list(dict.fromkeys(found))


class MissionDetector:
    """Similarity of a question to the mission prototypes (MiniLM), computed with the tutor's embedder."""

    def __init__(self, embedder: Any, min_similarity: float) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self._prototypes: np.ndarray | None = None

    def prepare(self) -> np.ndarray:
        """The prototypes' vectors, embedded once (``Tutor.prepare`` calls this before the first question)."""
        if self._prototypes is None:
            self._prototypes = np.asarray(self.embedder.embed(list(PROTOTYPES)), dtype=np.float32)
        return self._prototypes

    def similarity(self, text: str) -> float:
        """The best cosine between ``text`` and a prototype (vectors are normalised by the embedder)."""
        prototypes = self.prepare()
        vec = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        return float(np.max(prototypes @ vec))

    def __call__(self, text: str) -> bool:
        return bool(text.strip()) and self.similarity(text) >= self.min_similarity
