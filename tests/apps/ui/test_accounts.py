"""Sign-in for the web UI against a real SQLite learner store in a temp folder."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from mathtutor.apps.ui import accounts
from mathtutor.apps.ui.accounts import Learners, signed_in_line
from mathtutor.learning import LearnerStore


@pytest.fixture
def learners(tmp_path: Path) -> Learners:
    store = LearnerStore(url=f"sqlite:///{tmp_path / 'learners.sqlite'}", data_dir=tmp_path)
    store.create_user("ann", "ann-password-1")
    store.create_user("bob", "bob-password-1")
    return Learners(store)


def test_sign_in_needs_the_right_password(learners: Learners) -> None:
    token, message = learners.sign_in("ann", "ann-password-1", "s1")
    assert token and message == "👤 Signed in as **ann**."
    assert learners.name_for("s1") == "ann" and learners.name_for("s2") is None
    for name, pw in (("ann", "bob-password-1"), ("nobody", "x-password"), ("../etc", "pw-pw-pw"), ("a" * 300, "pw")):
        assert learners.sign_in(name, pw, "s2") == (None, accounts.WRONG)
    assert learners.sign_in("", "", "s2") == (None, "Type your name and your password.")
    assert learners.sign_in(None, ["x"], "s2") == (None, "Type your name and your password.")
    assert learners.name_for("s2") is None


def test_handles_belong_to_the_token_or_the_auth_user(learners: Learners) -> None:
    token, _ = learners.sign_in("ann", "ann-password-1", "s1")
    assert learners.handle(token).name == "ann"
    assert learners.handle(token, "bob").name == "ann"  # the signed-in account wins over --auth
    assert learners.handle("", "bob").name == "bob"  # --auth USER:PASSWORD alone
    assert learners.handle("forged-" + "x" * 40) is None
    assert learners.handle(None) is None and learners.handle(123) is None


def test_restore_accepts_only_live_tokens(learners: Learners) -> None:
    token, _ = learners.sign_in("ann", "ann-password-1", "s1")
    assert learners.restore(token, "s9") == (token, "ann") and learners.name_for("s9") == "ann"
    assert learners.restore("forged-" + "x" * 40, "s8") == (None, None) and learners.name_for("s8") is None
    assert learners.restore("y" * 500, "s8") == (None, None)
    learners.sign_out(token, "s1")
    assert learners.name_for("s1") is None and learners.name_for("s9") is None  # every tab of that session
    assert learners.restore(token, "s7") == (None, None) and learners.handle(token) is None


def test_an_expired_session_stops_owning_uploads(tmp_path: Path, monkeypatch) -> None:
    store = LearnerStore(url=f"sqlite:///{tmp_path / 'l.sqlite'}", data_dir=tmp_path, session_ttl=timedelta(seconds=1))
    store.create_user("ann", "ann-password-1")
    learners = Learners(store)
    token, _ = learners.sign_in("ann", "ann-password-1", "s1")
    assert token and learners.name_for("s1") == "ann"
    time.sleep(1.2)
    monkeypatch.setattr(accounts, "RECHECK_S", 0.0)
    assert learners.name_for("s1") is None
    assert learners.handle(token) is None


def test_signed_in_line_escapes_the_name() -> None:
    assert signed_in_line("a*b<c>") == "👤 Signed in as **a\\*b&lt;c&gt;**."
    assert signed_in_line(None) == "👤 Not signed in: progress is not kept."
