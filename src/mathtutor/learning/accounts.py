"""Password hashing (argon2id via argon2-cffi) and session tokens.

Unknown user names are verified against a fixed dummy hash so that "no such user" and "wrong
password" take the same time and give the same answer. Session tokens are 256-bit random strings;
the database stores only their SHA-256, so a copy of the sessions table cannot be used to sign in.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mathtutor.learning.errors import AccountError

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "check_password",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_token",
    "verify_password",
]

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # argon2 handles any length; this bounds the work a request can cause
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("mathtutor-dummy-password-for-unknown-users")


def check_password(password: object) -> str:
    """The password if it is acceptable, else :class:`AccountError` saying why."""
    if not isinstance(password, str):
        raise AccountError("The password must be text.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"The password is too short; use at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"The password is too long; use at most {MAX_PASSWORD_CHARS} characters.")
    return password


def hash_password(password: str) -> str:
    """An argon2id hash (with its salt and parameters) of a checked password."""
    return _HASHER.hash(check_password(password))


def verify_password(stored_hash: str | None, password: object) -> bool:
    """True if the password matches; an unknown user (``None``) costs the same time and is False."""
    candidate = password if isinstance(password, str) and len(password) <= MAX_PASSWORD_CHARS else ""
    try:
        ok = _HASHER.verify(stored_hash or _DUMMY_HASH, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's and should be replaced at sign-in."""
    return _HASHER.check_needs_rehash(stored_hash)


def new_token() -> str:
    """A fresh random session token (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: object) -> str | None:
    """SHA-256 hex of a token, or None for something that cannot be a token (wrong type or size)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128:
        return None
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
