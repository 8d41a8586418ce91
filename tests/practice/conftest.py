"""Practice tests sign states with a fixed test key and never touch the user's data dir."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATHTUTOR_SECRET_KEY", "practice-test-key-0123456789abcdef")
