"""Password hashing with Argon2id.

The parameters are stated, not inherited from a library default: RFC 9106's second
recommended option ("low memory"): Argon2id, 64 MiB, 3 passes, 4 lanes, 16-byte salt, 32-byte
tag; about 0.1-0.3 s per hash on a server core, which is the point. A stored hash made with
other parameters is re-hashed at the next successful sign-in (``check_needs_rehash``).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

PARAMETERS = RFC_9106_LOW_MEMORY
assert PARAMETERS.type is Type.ID and PARAMETERS.memory_cost >= 65536 and PARAMETERS.time_cost >= 3
_HASHER = PasswordHasher.from_parameters(PARAMETERS)


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal usernames."""
    return _HASHER.hash("not a real password")

MIN_LENGTH = 10
#: longer passwords are refused (hashing megabytes on request would be a cheap denial of service)
MAX_LENGTH = 1024


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"password is too long: use at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs rehash). A missing hash costs the same time as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False, False
    try:
        _HASHER.verify(stored_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored_hash is None:
        return False, False
    return True, _HASHER.check_needs_rehash(stored_hash)
