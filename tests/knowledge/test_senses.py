"""The other-domain table (corpus/offtopic.yaml): cue words, ambiguous aliases, how much of Chinese is explained."""

from __future__ import annotations

import pytest
import yaml

from mathtutor.knowledge.senses import SenseTableError, load_senses, parse_senses
from mathtutor.knowledge.topics import load_topics
from mathtutor.knowledge.zh import translate_query
from mathtutor.settings import PROJECT_ROOT

PATH = PROJECT_ROOT / "corpus" / "offtopic.yaml"


@pytest.fixture(scope="module")
def table():
    return load_senses(PATH)


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("How do I set a gradient background in CSS?", ["web-design"]),
        ("Should I hedge my stock portfolio with options?", ["finance"]),
        ("Which films should I watch this weekend?", ["film-tv"]),  # plural of a Latin cue
        ("《黑客帝国》上映后票房怎么样？", ["film-tv"]),  # Chinese cues match inside the sentence
        ("股票的梯度止盈怎么设置？", ["finance"]),
        ("Which Linux distribution is best for gaming?", ["computing", "games-music"]),  # order of mention
        ("What is stochastic gradient descent?", []),  # "stock" is not inside "stochastic"
        ("Is there a video on the eigenvectors of a matrix?", []),
        ("有没有讲矩阵微积分的书？", []),
    ],
)
def test_cue_domains(table, text, domains):
    assert table.cue_domains(text) == domains


def test_ambiguous_words_are_everyday_words_not_whole_maths_terms(table):
    assert table.is_ambiguous("Matrix") and table.is_ambiguous("matrices") and table.is_ambiguous("梯度")
    assert table.is_ambiguous("gradients") and table.is_ambiguous("derivative")
    assert not table.is_ambiguous("covariance matrix") and not table.is_ambiguous("gradient descent")
    assert not table.is_ambiguous("eigenvalue") and not table.is_ambiguous("矩阵求导")


def test_every_ambiguous_word_names_a_concept():
    """An entry the concept detector never reports would be dead weight (or a typo)."""
    topics = load_topics()
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    assert [w for w in data["ambiguous"]["en"] if not topics.detect(w)] == []
    assert [w for w in data["ambiguous"]["zh"] if not (topics.detect(w) or translate_query(w).concepts)] == []


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("梯度是什么？", 0.0, 0.0),  # every word known
        ("讲得更深入一点的呢？", 0.0, 0.1),  # function characters count on neither side
        ("我是初学者，向量到底是什么？", 0.1, 0.3),
        ("产业梯度转移对中西部的经济有什么影响？", 0.7, 1.0),  # a lone maths word among unknown ones
        ("顺便问一下，周末去哪里爬山比较好？", 1.0, 1.0),
    ],
)
def test_unexplained_share_of_chinese(table, text, low, high):
    assert low <= table.unexplained_share(translate_query(text)) <= high


def test_the_table_has_many_domains_each_with_english_and_chinese_cues(table):
    assert len(table.domains) >= 12 and len(table.maths) >= 3
    for d in table.domains:
        assert d.about and any(c.isascii() for c in d.cues) and any(not c.isascii() for c in d.cues), d.id


GOOD = """
maths: [maths for ML]
ambiguous: {en: [matrix], zh: [矩阵]}
function_zh: 的吗
domains:
  - {id: film, about: [films], cues: [movie, 电影]}
"""


def test_parse_accepts_a_minimal_table():
    t = parse_senses(GOOD)
    assert t.cue_domains("a movie about a 电影") == ["film"] and t.is_ambiguous("matrix")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (GOOD + "extra: 1\n", "exactly the keys"),
        (GOOD.replace("{en: [matrix], zh: [矩阵]}", "{en: [matrix]}"), "en and zh"),
        (GOOD.replace("function_zh: 的吗", "function_zh: ab"), "Chinese characters"),
        (GOOD.replace("cues: [movie, 电影]", "cues: []"), "non-empty list"),
        (GOOD.replace("id: film,", "id: Film Club,"), "slug"),
        (GOOD + "  - {id: tv, about: [tv], cues: [Movie]}\n", "is in both film and tv"),
        (GOOD + "  - {id: film, about: [tv], cues: [tv]}\n", "unique"),
    ],
)
def test_parse_refuses_a_broken_table(bad, message):
    with pytest.raises(SenseTableError, match=message):
        parse_senses(bad)


def test_a_missing_file_is_an_error_that_names_it(tmp_path):
    with pytest.raises(SenseTableError, match=r"offtopic\.yaml"):
        load_senses(tmp_path / "offtopic.yaml")
