from __future__ import annotations

import pytest

from mathtutor.learning import InvalidName, validate_name


@pytest.mark.parametrize("name", ["alice", "Bob_2", "a.b-c", "李雷", "ゆき", "김민준", "x" * 64, "0"])
def test_accepted_names_come_back_unchanged(name: str) -> None:
    assert validate_name(name) == name


def test_names_are_nfc_normalised() -> None:
    assert validate_name("Jose\u0301") == "Jos\u00e9"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "is empty"),
        ("x" * 65, "too long (65 characters)"),
        ("x" * 10_240, "too long (10240 characters)"),
        ("../etc", "not start with '.'"),
        (".hidden", "not start with '.'"),
        ("a/b", "not allowed ('/')"),
        ("a\\b", "not allowed ('\\\\')"),
        ("bob'; DROP TABLE learners;--", 'not allowed ("\'")'),
        ('say"hi', "not allowed ('\"')"),
        ("a b", "not allowed (U+0020)"),
        ("tab\there", "not allowed (U+0009)"),
        ("nul\x00", "not allowed (U+0000)"),
        ("rtl\u202eevil", "not allowed (U+202E)"),
        ("a:b", "not allowed (':')"),
    ],
)
def test_hostile_names_are_refused_with_the_reason(name: str, fragment: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(name)
    message = str(info.value)
    assert fragment in message
    assert message.startswith("The learner name ")
    assert "1-64 letters or digits" in message


def test_non_text_and_label() -> None:
    with pytest.raises(InvalidName, match=r"^The user name must be text"):
        validate_name(42, what="user name")
