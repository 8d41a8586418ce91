"""The word-by-word gloss of Chinese questions: dictionary parsing, the fewest-words cut, the gloss itself."""

from __future__ import annotations

import pytest

from mathtutor.knowledge import zh, zh_gloss
from mathtutor.knowledge.zh_gloss import Glossary, gloss, parse_cedict, short_sense
from mathtutor.settings import PROJECT_ROOT

# Dictionary lines in CC-CEDICT's format, written for these tests.
LINES = [
    "# a comment line",
    "程序員 程序员 [cheng2 xu4 yuan2] /programmer/",
    "轉行 转行 [zhuan3 hang2] /to change profession/",
    "兩天 两天 [liang3 tian1] /two days/",
    "下雨 下雨 [xia4 yu3] /to rain/",
    "天下 天下 [tian1 xia4] /land under heaven/the whole world/",
    "兩 两 [liang3] /two/",
    "天 天 [tian1] /day/sky/",
    "雨 雨 [yu3] /rain/",
    "上高 上高 [Shang4 gao1] /Shanggao county/",
    "上 上 [shang4] /to go up/",
    "高中 高中 [gao1 zhong1] /senior high school/abbr. for 高級中學|高级中学[gao1 ji2 zhong1 xue2]/",
    "個 个 [ge4] /CL:個|个[ge4]/individual/",
    "的 的 [de5] /of/~'s (possessive particle)/",
    "被 被 [bei4] /quilt/by (indicates passive)/",
    "不完整 broken line without a definition",
]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return parse_cedict(LINES)


def test_parse_keeps_the_first_sense_of_the_first_entry(glossary):
    assert glossary.words["转行"] == "change profession"  # "to " dropped
    assert glossary.words["天下"] == "land under heaven"
    assert glossary.words["个"] == "individual"  # the measure-word sense skipped
    assert "上高" not in glossary.words  # capitalised pinyin: a place name
    assert "不完整" not in glossary.words and len(glossary) == 13


@pytest.mark.parametrize(
    ("definitions", "sense"),
    [
        ("to change profession", "change profession"),
        ("CL:個|个[ge4]/individual", "individual"),
        ("senior high school/abbr. for 高級中學|高级中学[gao1 ji2 zhong1 xue2]", "senior high school"),
        ("competition (sports etc)/match", "competition"),
        ("variant of 个[ge4]", ""),
        ("to review; to revise", "review"),
    ],
)
def test_short_sense(definitions, sense):
    assert short_sense(definitions) == sense


def test_cut_takes_the_fewest_words(glossary):
    assert glossary.cut("两天下雨") in (["two days", "rain"], ["two", "land under heaven", "rain"])
    assert glossary.cut("程序员转行") == ["programmer", "change profession"]
    assert glossary.cut("上高中") == ["go up", "senior high school"]  # not the county


def test_cut_drops_particles_and_unknown_characters(glossary):
    assert glossary.cut("程序员的雨") == ["programmer", "rain"]
    assert glossary.cut("鑫程序员") == ["programmer"]
    assert glossary.cut("") == []


def test_gloss_keeps_table_terms_latin_tokens_and_order(glossary):
    table = zh.load_terms(PROJECT_ROOT / "corpus" / "terms_zh.yaml")
    text = gloss("两天下雨要学PCA和概率", table, glossary)  # 下雨 is not a table term; 概率 is
    words = text.split()
    assert "rain" in words and "PCA" in words and "probability" in words
    assert words.index("rain") < words.index("PCA") < words.index("probability")


def test_gloss_without_the_dictionary_is_the_table_alone():
    table = zh.load_terms(PROJECT_ROOT / "corpus" / "terms_zh.yaml")
    text = gloss("两天下雨要学PCA和概率", table, Glossary({}))
    assert "rain" not in text and text.split()[-2:] == ["PCA", "probability"]


def test_the_installed_dictionary_loads_and_reads_a_career_question():
    words = zh_gloss.load_glossary()
    assert len(words) > 50_000
    text = gloss("我是程序员，转行做机器学习要补多少数学？")
    assert "programmer" in text and "machine learning" in text


def test_a_missing_package_gives_an_empty_glossary(monkeypatch):
    monkeypatch.setattr(zh_gloss, "CEDICT_PACKAGE", "no_such_package_here")
    zh_gloss.load_glossary.cache_clear()
    try:
        assert len(zh_gloss.load_glossary()) == 0
    finally:
        monkeypatch.undo()
        zh_gloss.load_glossary.cache_clear()
