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
    r"\b(math|maths|mathematics|mathematical|calculus|linear algebra|algebra|statistics|stats|probability"
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
_ORDER = re.compile(
    r"\b(what|which|right|best|good) order\b|\b(learn|study|tackle|take|do|start)\b.{0,40}\b(first|before|then)\b"
    r"|\bfirst\b.{0,40}\b(learn|study|tackle)\b|\b(first|before)\b.{0,30}\bor\b",
    re.IGNORECASE,
)
_START = re.compile(
    r"\bwhere (do|should|can|would|to|might) (i |you |one |we )?(start|begin)\b|\b(start|begin)(ning)? with\b"
    r"|\bget(ting)? (started|into)\b|\bfirst steps?\b|\bbrush up\b|\brefresh(er)?\b|\bprepare\b"
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
    (re.compile(r"\b(calculus|derivatives?)\b", re.I), "derivatives"),
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


def has_cue(text: str) -> bool:
    """The structural reading: maths (or an ML field) with a need, amount, order, start, ability or role cue."""
    if _PHRASES.search(text):
        return True
    cue = any(rx.search(text) for rx in (_NEED, _AMOUNT, _ORDER, _START, _ABILITY, _ROLE))
    if _MATHS.search(text):
        return cue
    return bool(_FIELD.search(text)) and any(rx.search(text) for rx in (_START, _AMOUNT, _ABILITY))


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
