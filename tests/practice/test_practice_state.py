"""Signed practice states: round trip, and forged, garbled, oversized, old or unknown states refused."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from mathtutor import practice
from mathtutor.practice import state as st
from mathtutor.practice.types import PracticeError, StateError

S = st.PracticeState("chain-rule", "beginner", 42, "calc.chain-rule", 1, hints_shown=1, tries=2)


def test_round_trip():
    text = st.encode(S)
    assert text.startswith("p1.")
    assert st.decode(text) == S


def test_state_is_compact_and_holds_no_answer():
    problem = practice.make_problem("chain-rule", "beginner", 3)
    sol = practice.solution(problem.state)
    payload = base64.urlsafe_b64decode(problem.state.split(".")[1] + "==").decode()
    body = json.loads(payload)
    assert set(body) == {"c", "l", "s", "g", "v", "h", "t", "x", "r"}
    assert sol.answer not in payload
    assert len(problem.state) < 300


def test_forged_payload_rejected():
    prefix, payload, sig = st.encode(S).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["x"] = 1
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(StateError, match="not valid"):
        st.decode(f"{prefix}.{forged}.{sig}")


def test_other_key_rejected():
    with pytest.raises(StateError, match="not valid"):
        st.decode(st.encode(S, key=b"another-key"))


@pytest.mark.parametrize("text", ["", "p1", "p1.a.b.c", "p2.abc.def", "p1.!!!.???", "hello", "p1..", "p1.é.x", None, 5])
def test_garbled_rejected(text):
    with pytest.raises(StateError):
        st.decode(text)


def test_oversized_rejected_quickly():
    with pytest.raises(StateError, match="too long"):
        st.decode("p1." + "A" * 1_000_000 + ".x")


def test_signed_but_invalid_fields_rejected():
    key = b"k" * 32
    for body in [
        {"c": "chain-rule"},
        {**json.loads('{"c":"x","l":"expert","s":1,"g":"g","v":1,"h":0,"t":0,"x":0,"r":0}')},
    ]:
        payload = json.dumps(body).encode()
        text = f"p1.{st._b64(payload)}.{st._b64(st._sign(payload, key))}"
        with pytest.raises(StateError, match="garbled"):
            st.decode(text, key=key)


def test_old_version_and_unknown_generator_rejected():
    old = st.encode(st.PracticeState("chain-rule", "beginner", 1, "calc.chain-rule", 0))
    with pytest.raises(StateError, match="older version"):
        practice.check(old, "1")
    gone = st.encode(st.PracticeState("chain-rule", "beginner", 1, "calc.removed", 1))
    with pytest.raises(StateError, match="no longer exists"):
        practice.hint(gone)
    mismatch = st.encode(st.PracticeState("svd", "beginner", 1, "calc.chain-rule", 1))
    with pytest.raises(PracticeError):
        practice.solution(mismatch)


def test_key_file_created_private(tmp_path, monkeypatch):
    monkeypatch.delenv("MATHTUTOR_SECRET_KEY")
    path = tmp_path / "data" / st.KEY_FILE
    st._key_from_file.cache_clear()
    key = st._key_from_file(path)
    assert len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert st._key_from_file(path) == key
    st._key_from_file.cache_clear()
    assert st._key_from_file(path) == key  # read back from disk, not regenerated
