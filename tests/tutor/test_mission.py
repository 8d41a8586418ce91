"""Mission questions (how much maths, in what order, for which role) read by structure and by meaning."""

from __future__ import annotations

import pytest

from mathtutor.knowledge.catalog import load_catalog
from mathtutor.knowledge.topics import load_topics
from mathtutor.settings import Settings
from mathtutor.tutor import mission
from mathtutor.tutor.understand import common_names, understand


@pytest.fixture(scope="module")
def shipped():
    return load_catalog(), load_topics()


def _intent(shipped, q, mission_like=None):
    catalog, topics = shipped
    ctx = understand(
        q,
        [],
        level=None,
        formats=None,
        topics=topics,
        catalog=catalog,
        common=common_names(topics),
        mission_like=mission_like,
    )
    return ctx


# Phrasings written for this test, none of them an eval case: the cues are structural, not a phrase list.
MISSION_EN = [
    "I'm a frontend dev and want to understand transformers. Which maths should I start with?",
    "How strong does my maths have to be for a machine learning master's?",
    "I hated maths in school - is ML hopeless for me?",
    "Do data scientists really need calculus?",
    "Should I do statistics before or after linear algebra?",
    "What's the bare minimum of maths to get into deep learning?",
    "Flunked calc years ago and now I want to know what my ML library does. Where do I restart?",
    "Gave up on an online ML course when the maths got heavy. How do I start over without wasting months?",
]
MISSION_ZH = [
    "做数据分析转机器学习，数学要补到什么程度？",
    "想学大模型，线性代数需不需要学？",
    "数学底子不好，从哪里补起比较好？",
    "学人工智能最重要的是哪几块数学？",
]
NOT_MISSION = [
    "What is an eigenvector?",
    "What should I learn before PCA?",  # a named concept: its study path
    "Is there a textbook with exercises and solutions?",
    "Can I still enrol in Microsoft's Essential Math for Machine Learning: Python Edition?",  # about a resource
    "What's the capital of France?",
    "Explain the chain rule without too much maths",
    "Is the new phone's on-device AI really faster, or is it mostly marketing?",  # "mostly" beside a field alone
]


@pytest.mark.parametrize("q", MISSION_EN + MISSION_ZH)
def test_learners_phrasings_are_mission_questions_by_structure(shipped, q):
    assert _intent(shipped, q).intent == "mission"


@pytest.mark.parametrize("q", NOT_MISSION)
def test_concept_resource_and_off_topic_questions_are_not(shipped, q):
    assert _intent(shipped, q).intent != "mission"


def test_a_field_named_in_a_mission_question_gets_its_study_path(shipped):
    ctx = _intent(shipped, "Which maths matters most for deep learning?")
    assert ctx.intent == "mission" and ctx.concepts == ["neural-networks"] and ctx.plan


def test_focus_is_the_branch_the_question_names():
    assert mission.focus_concepts("Do I need calculus to fine-tune models?", []) == ["derivatives"]
    assert mission.focus_concepts("linear algebra or probability first?", ["probability-basics"]) == [
        "probability-basics",
        "matrices",
    ]
    assert mission.focus_concepts("Is high-school maths enough?", ["algebra-precalculus"]) == []


def test_calc_is_calculus():
    assert mission.focus_concepts("I failed calc twice, where do I restart for ML?", []) == ["derivatives"]


def test_mostly_asks_how_much_of_the_maths_only_beside_the_maths():
    assert mission.has_cue("Is the maths of deep learning mostly linear algebra?")
    assert not mission.has_cue("Is on-device AI mostly marketing?")
    assert mission.has_cue("if i mostly care about neural nets which chapters can i skip for now")
    assert mission.has_cue("How much of AI is statistics?")


def test_a_data_analysts_branch_is_statistics():
    assert mission.focus_concepts("I'm a data analyst: how much maths before real modelling?", []) == [
        "probability-basics"
    ]
    assert mission.focus_concepts("career change into data analysis, where do I start?", []) == ["probability-basics"]
    assert mission.focus_concepts("I analyse data for a living", []) == []  # no role named


def test_similarity_bar_comes_from_settings_and_the_environment(monkeypatch):
    assert Settings().mission_min_similarity == 0.50
    monkeypatch.setenv("MATHTUTOR_MISSION_MIN_SIMILARITY", "0.7")
    assert Settings().mission_min_similarity == 0.7


def test_prototypes_are_not_eval_questions():
    import json

    from mathtutor.settings import PROJECT_ROOT

    asked = set()
    for name in ("dev.jsonl", "cases.jsonl"):
        for line in (PROJECT_ROOT / "evals" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                asked.add(json.loads(line)["q"].casefold())
    assert not {p.casefold() for p in mission.PROTOTYPES} & asked


@pytest.mark.slow
def test_meaning_catches_what_structure_misses_and_nothing_off_topic(real_embedder, shipped):
    """MiniLM: a mission question with no structural cue passes the bar; other questions with no concept stay
    under it (real model, the shipped bar)."""
    detect = mission.MissionDetector(real_embedder, Settings().mission_min_similarity)
    q = "I want to move into AI from accounting; what should my learning plan for the mathematics look like?"
    assert not mission.has_cue(q)
    assert detect(q)
    assert _intent(shipped, q, detect).intent == "mission"
    for other in ("What's the capital of France?", "Write me a poem about autumn", "What should I learn next?"):
        assert not detect(other), other
    assert detect.similarity("How do neural networks learn?") < detect.similarity(q)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I want to join the algorithms team", True),
        ("data mining competitions", True),
        ("recommender systems", True),
        ("reproduce the models in research papers", True),
        ("an airline pilot's entrance tests", False),
        ("bookkeeping for my shop", False),
    ],
)
def test_names_field_reads_jobs_and_parts_of_ml(text, named):
    assert mission.names_field(text) is named


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("I don't want to only call model.fit; I want to write a net from scratch", "developer"),
        ("starting a PhD next year on new kinds of models", "researcher"),
        ("我就想用Keras和XGBoost打打Kaggle比赛，不打算搞研究", "practitioner"),
        ("我现在就是调sklearn打kaggle", None),  # what the learner does now, not what they aim at
        ("我是做分子生物学实验的博士后，想用机器学习分析测序数据", None),
        ("I'd like to follow what the researchers say in meetings", None),
        ("Nobody expects me to invent new models, I just need to read the training code", None),
        ("I use scikit-learn at work; how far to write my own model from scratch?", "developer"),
        ("想读博做机器学习理论，数学要多深", "researcher"),
        ("我想自己从零实现一个神经网络，需要哪些数学", "developer"),
        ("I'm not going into research, I just use libraries at work", "practitioner"),
        ("junior data analyst interview next month: how much maths?", "practitioner"),
        ("how much maths do I need for machine learning?", None),
        ("I want to understand what is going on inside these models", None),
    ],
)
def test_depth_of_reads_the_degree_the_learner_aims_at(text, depth):
    assert mission.depth_of(text) == depth
