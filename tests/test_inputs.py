from __future__ import annotations

import pytest

from mathtutor.inputs import InputError, check_history, check_question, clean_text, terminal_safe


def test_terminal_safe_strips_escape_sequences_and_controls():
    assert terminal_safe("a\x1b]0;title\x07b") == "ab"
    assert terminal_safe("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert terminal_safe("\x1b[2J\x1b[31mred\x1b[0m") == "red"
    assert terminal_safe("x\x9b2Jy") == "xy"
    assert terminal_safe("bell\x07 del\x7f c1\x85") == "bell del c1"
    assert terminal_safe("keep\ttabs\nand lines") == "keep\ttabs\nand lines"
    assert terminal_safe("lone \ud800") == "lone \ufffd"
    assert terminal_safe("σ² = E[(x−μ)²]") == "σ² = E[(x−μ)²]"


def test_clean_text_keeps_words_apart():
    assert clean_text("a\x00b\x1b[2Jc") == "a b c"
    assert clean_text("\udcff\udcfe") == "\ufffd\ufffd"


def test_checks():
    assert check_question("  what\x00 is\n svd? ") == "what is svd?"
    with pytest.raises(InputError, match="empty"):
        check_question("\x00\x1b[2J ")
    with pytest.raises(InputError, match="must be text"):
        check_question(None)
    with pytest.raises(InputError, match=r"history\[1\]"):
        check_history([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])
    assert check_history([{"role": "assistant", "content": "x\x07"}]) == [{"role": "assistant", "content": "x "}]
    with pytest.raises(InputError, match="51 turns"):
        check_history([{"role": "user", "content": "a"}] * 51)
