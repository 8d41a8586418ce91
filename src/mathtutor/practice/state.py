"""The practice state string: what problem the learner is on, signed so any server process can continue it.

Format: ``p1.<base64url JSON>.<base64url HMAC-SHA256>``. The JSON names the concept, level, seed,
generator and its version, hints shown, tries and whether it is solved or revealed. It never holds
the answer: the answer is regenerated from the seed. The signature is checked (in constant time)
before the JSON is even parsed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from mathtutor.practice.types import LEVELS, StateError

PREFIX = "p1"
MAX_STATE_LENGTH = 512
MAX_SEED = 2**31 - 1
KEY_ENV = "MATHTUTOR_SECRET_KEY"
KEY_FILE = "practice-secret.key"
_FORGED = "This practice state is not valid (it was changed or comes from another server). Ask for a new problem."
_GARBLED = "This practice state is garbled. Ask for a new problem."


@dataclass(frozen=True)
class PracticeState:
    concept: str
    level: str
    seed: int
    generator: str
    version: int
    hints_shown: int = 0
    tries: int = 0
    solved: bool = False
    revealed: bool = False

    def updated(self, **changes: object) -> PracticeState:
        return replace(self, **changes)  # type: ignore[arg-type]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def _key_from_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise StateError("The practice signing key file is damaged; delete it to make a new one.") from None
        return key.encode("ascii")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key.encode("ascii")


def signing_key() -> bytes:
    """$MATHTUTOR_SECRET_KEY, else settings.secret_key, else a random key kept 0600 in settings.data_dir."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    from mathtutor.settings import get_settings  # the one settings import of the package

    settings = get_settings()
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode("utf-8")
    return _key_from_file(Path(settings.data_dir) / KEY_FILE)


def _sign(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, PREFIX.encode("ascii") + b"." + payload, hashlib.sha256).digest()


def encode(state: PracticeState, key: bytes | None = None) -> str:
    """The compact signed string for a state."""
    body = {
        "c": state.concept,
        "l": state.level,
        "s": state.seed,
        "g": state.generator,
        "v": state.version,
        "h": state.hints_shown,
        "t": state.tries,
        "x": int(state.solved),
        "r": int(state.revealed),
    }
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return f"{PREFIX}.{_b64(payload)}.{_b64(_sign(payload, key or signing_key()))}"


def _int(body: dict, name: str, lo: int, hi: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise StateError(_GARBLED)
    return value


def decode(text: object, key: bytes | None = None) -> PracticeState:
    """Verify and read a state string; StateError (with a learner-facing message) otherwise.

    Whether the concept and generator still exist is checked by the caller against the bank.
    """
    if not isinstance(text, str) or not text:
        raise StateError(_GARBLED)
    if len(text) > MAX_STATE_LENGTH:
        raise StateError("This practice state is too long to be one of ours. Ask for a new problem.")
    if not text.isascii():
        raise StateError(_GARBLED)
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise StateError(_GARBLED)
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
    except (binascii.Error, ValueError):
        raise StateError(_GARBLED) from None
    if not hmac.compare_digest(signature, _sign(payload, key or signing_key())):
        raise StateError(_FORGED)
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StateError(_GARBLED) from None
    if not isinstance(body, dict) or not isinstance(body.get("c"), str) or not isinstance(body.get("g"), str):
        raise StateError(_GARBLED)
    if body.get("l") not in LEVELS:
        raise StateError(_GARBLED)
    return PracticeState(
        concept=body["c"],
        level=body["l"],
        seed=_int(body, "s", 0, MAX_SEED),
        generator=body["g"],
        version=_int(body, "v", 0, 10**6),
        hints_shown=_int(body, "h", 0, 10),
        tries=_int(body, "t", 0, 10**6),
        solved=bool(_int(body, "x", 0, 1)),
        revealed=bool(_int(body, "r", 0, 1)),
    )
