"""The dialogue layer: intents in English and Chinese, pure and replayable."""

from __future__ import annotations

from mathtutor.practice import dialogue, engine


def _open(concept: str = "chain-rule", level: str = "beginner") -> str:
    return engine.make_problem(concept, level, 3).state


def test_new_problem_on_named_concept():
    t = dialogue.respond("Can you give me a practice problem on the chain rule?")
    assert t.intent == "new" and t.state
    assert t.record["problem"]["concept"] == "chain-rule"
    assert "**Practice: Chain rule**" in t.reply and "$" in t.reply


def test_new_problem_on_what_we_just_covered():
    t = dialogue.respond("give me a practice problem on what we just covered", None, "eigendecomposition")
    assert t.intent == "new" and t.record["problem"]["concept"] == "eigendecomposition"


def test_replay_is_deterministic():
    a = dialogue.respond("practice problem on svd please")
    b = dialogue.respond("practice problem on svd please")
    assert a.state == b.state and a.reply == b.reply


def test_hint_and_answer_and_solution():
    state = _open()
    h = dialogue.respond("hint", state)
    assert h.intent == "hint" and h.reply.startswith("**Hint 1/")
    a = dialogue.respond("I got 2x cos(x^2)", h.state)
    assert a.intent == "answer" and a.reply.startswith("❌")
    assert a.record["feedback"]["correct"] is False
    s = dialogue.respond("show me the solution", a.state)
    assert s.intent == "solution" and "**Answer:**" in s.reply
    answer = s.record["solution"]["answer"]
    ok = dialogue.respond(answer, s.state)
    assert ok.intent == "answer" and ok.record["feedback"]["correct"] is True


def test_bare_answer_only_while_a_problem_is_open():
    assert dialogue.respond("3x^2").intent == "none"
    assert dialogue.respond("3x^2", _open()).intent == "answer"
    assert dialogue.respond("ok thanks", _open()).intent == "none"
    assert dialogue.respond("好的", _open()).intent == "none"
    assert dialogue.respond("it is a good question", _open()).intent == "none"
    assert dialogue.respond("is it 4x - 5?", _open()).intent == "answer"


def test_another_harder_and_easier():
    state = _open(level="practitioner")
    harder = dialogue.respond("another one, harder", state)
    assert harder.intent == "another" and harder.record["problem"]["level"] == "researcher"
    easier = dialogue.respond("another one, easier", state)
    assert easier.record["problem"]["level"] == "beginner"
    assert harder.record["problem"]["concept"] == "chain-rule"


def test_chinese_intents():
    t = dialogue.respond("出一道贝叶斯的题")
    assert t.intent == "new" and t.record["problem"]["concept"] == "bayes-rule" and "练习" in t.reply
    assert dialogue.respond("提示", t.state).intent == "hint"
    assert dialogue.respond("答案是 1/2", t.state).intent == "answer"
    assert dialogue.respond("看答案", t.state).intent == "solution"
    assert dialogue.respond("答案是什么", t.state).intent == "solution"
    assert dialogue.respond("再来一道", t.state).intent == "another"
    assert dialogue.respond("难一点", t.state).record["problem"]["level"] == "researcher"


def test_not_about_practice():
    assert dialogue.respond("what is a jacobian?").intent == "none"
    assert dialogue.respond("").intent == "none"


def test_concept_without_problems_and_unknown(monkeypatch):
    monkeypatch.delitem(engine.BY_CONCEPT, "fourier-transform")
    t = dialogue.respond("practice problem on the fourier transform")
    assert t.intent == "error" and "no practice problems" in t.reply
    ask = dialogue.respond("give me a practice problem")
    assert ask.intent == "ask-concept"


def test_forged_state_is_reported_not_raised():
    t = dialogue.respond("hint", "p1.abc.def")
    assert t.intent == "error" and t.state is None and "Ask for a new problem" in t.reply
