"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal usernames."""
    return _HASHER.hash("not a real password")

MIN_LENGTH = 10


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password is too short: use at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs rehash). A missing hash costs the same time as a wrong password."""
    try:
        _HASHER.verify(stored_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored_hash is None:
        return False, False
    return True, _HASHER.check_needs_rehash(stored_hash)
