"""Per-session limits and identity; a public host needs a password or an explicit flag."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from mathtutor.apps.ui.sessions import RateLimiter, owner_key


def test_rate_limit_is_per_session_and_sliding() -> None:
    now = [1000.0]
    rate = RateLimiter(3, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("b")  # another session is not affected
    now[0] += 59.0
    assert not rate.allow("a")
    now[0] += 1.0
    assert rate.allow("a")


def test_owner_key_prefers_the_signed_in_learner() -> None:
    assert owner_key(SimpleNamespace(username="ada", session_hash="s1")) == "user:ada"
    assert owner_key(SimpleNamespace(username=None, session_hash="s1")) == "session:s1"
    assert owner_key(None) == "session:anonymous"


def test_public_host_without_auth_needs_the_insecure_flag(tmp_path: Path, capsys) -> None:
    from mathtutor.apps.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--index", str(tmp_path / "nope"), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0 without --auth" in err and "--insecure-public" in err
    # with the flag (or a password) it goes on, here to the missing index
    assert main(["serve", "--host", "0.0.0.0", "--insecure-public", "--index", str(tmp_path / "nope")]) == 2
    assert "no index at" in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0", "--auth", "a:b", "--index", str(tmp_path / "nope")]) == 2
    assert "no index at" in capsys.readouterr().err
