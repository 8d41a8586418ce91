from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from mathtutor.learning import AccountError, InvalidName, LearnerStore, accounts

from .conftest import T0


def test_create_and_verify(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    assert store.verify("ann", "correct horse") is True
    assert store.verify("ann", "wrong horse!") is False
    assert store.verify("nobody", "correct horse") is False
    assert store.verify("../etc", "correct horse") is False
    assert store.verify("ann", 12345678) is False  # type: ignore[arg-type]


def test_passwords_are_stored_as_argon2id_hashes(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    with store.transaction() as s:
        stored = s.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_account_errors(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    with pytest.raises(AccountError, match="'ann' is already taken"):
        store.create_user("ann", "another password")
    with pytest.raises(AccountError, match=r"too short; use at least 8"):
        store.create_user("bob", "short")
    with pytest.raises(AccountError, match="too long"):
        store.create_user("bob", "x" * 1025)
    with pytest.raises(InvalidName, match=r"^The user name "):
        store.create_user("bob smith", "long enough")


def test_an_account_owns_the_learner_of_the_same_name(store: LearnerStore) -> None:
    store.for_learner("ann").record("vectors", True, "a", at=T0)
    store.create_user("ann", "correct horse")
    token = store.open_session("ann", now=T0)
    handle = store.for_session(token, now=T0)
    assert handle is not None and handle.name == "ann" and handle.attempt_count() == 1


def test_sessions_expire_and_close(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    token = store.open_session("ann", ttl=timedelta(hours=1), now=T0)
    assert len(token) == 43
    assert store.session_learner(token, now=T0 + timedelta(minutes=59)) == "ann"
    assert store.session_learner(token, now=T0 + timedelta(hours=1)) is None
    assert store.session_learner(token, now=T0) is None  # the expired row was removed
    second = store.sign_in("ann", "correct horse")
    assert second is not None and store.session_learner(second) == "ann"
    store.close_session(second)
    assert store.session_learner(second) is None
    assert store.sign_in("ann", "wrong horse!") is None


def test_only_the_token_hash_is_stored_and_junk_tokens_are_rejected(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    token = store.open_session("ann")
    with store.transaction() as s:
        stored = s.execute(text("SELECT token_hash FROM sessions")).scalar_one()
    assert stored == accounts.hash_token(token) and token not in stored
    for junk in ("", "short", "x" * 500, None, 7):
        assert store.session_learner(junk) is None  # type: ignore[arg-type]


def test_sessions_of_two_users_stay_apart(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    store.create_user("bob", "battery staple")
    ann_token = store.open_session("ann")
    bob_token = store.open_session("bob")
    assert store.session_learner(ann_token) == "ann"
    assert store.session_learner(bob_token) == "bob"
    with pytest.raises(AccountError, match="no account named 'carol'"):
        store.open_session("carol")


def test_purge_removes_only_expired_sessions(store: LearnerStore) -> None:
    store.create_user("ann", "correct horse")
    old = store.open_session("ann", ttl=timedelta(minutes=5), now=T0)
    live = store.open_session("ann", ttl=timedelta(days=1), now=T0)
    assert store.purge_sessions(now=T0 + timedelta(hours=1)) == 1
    assert store.session_learner(live, now=T0 + timedelta(hours=1)) == "ann"
    assert store.session_learner(old, now=T0) is None


def test_unknown_users_cost_a_real_argon2_verification(store: LearnerStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_user("ann", "correct horse")
    calls: list[str] = []
    real = accounts._HASHER

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(accounts, "_HASHER", Counting())
    assert store.verify("nobody", "correct horse") is False
    assert store.verify("../bad name", "correct horse") is False
    assert calls == [accounts._DUMMY_HASH, accounts._DUMMY_HASH]
    assert store.verify("ann", "wrong horse!") is False
    assert len(calls) == 3 and calls[2] != accounts._DUMMY_HASH and calls[2].startswith("$argon2id$")
