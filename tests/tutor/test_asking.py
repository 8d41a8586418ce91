"""Splitting a question into the learner's story and what they ask."""

from __future__ import annotations

import pytest

from mathtutor.tutor.asking import asks_to_learn, split_question


def test_an_english_question_asks_in_the_sentences_that_end_with_a_question_mark():
    parts = split_question("My gym plots my lifts on a log scale. Can I export the chart? Thanks.")
    assert parts.asking == ("Can I export the chart?",)
    assert parts.story == ("My gym plots my lifts on a log scale.", "Thanks.")


def test_a_chinese_question_asks_in_its_question_clauses_and_its_last_clause():
    parts = split_question("我们公司的组织架构是矩阵式的，汇报线很乱，我该找哪个领导批假，还是直接走系统？")
    assert parts.asking == ("我该找哪个领导批假", "还是直接走系统？")
    assert parts.story == ("我们公司的组织架构是矩阵式的", "汇报线很乱")


def test_without_a_question_mark_nothing_asks():
    assert split_question("I want to understand eigenvectors properly").asking == ()
    assert split_question("").asking == ()


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("What does it mean?", True),
        ("Which ideas should come first, and in what order?", True),
        ("Anything like that, but free?", True),
        ("该从哪补起？", True),
        ("为啥会这样？", True),
        ("有推荐吗？", True),
        ("Where is that done properly?", True),
        ("中间必须经过哪些关键内容？", True),
        ("What is it actually doing, step by step?", True),
        ("How does that actually work?", True),
        ("How is the learning rate chosen?", True),
        ("Can I export the chart?", False),
        ("How do I find someone to rebind an old hardcover, and what does that usually cost?", False),
        ("What's the fastest route to a teaching license in Ohio?", False),
        ("Should I email the landlord first or call?", False),  # "first" alone asks nothing to learn
        ("我该找哪个领导批假，还是直接走系统？", False),
        ("要提前联系学校吗？", False),  # 学校 is not 学习
    ],
)
def test_asking_to_learn(text, asks):
    assert asks_to_learn(text) is asks
