"""Semantic versions and version ranges (`>=1.0,<2`) for packs and the engine."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$")
_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<|\^|~)?\s*([0-9][0-9A-Za-z.+-]*)\s*$")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """'1.2.3' -> (1, 2, 3); partial versions pad with zeros; None when not a version."""
    match = _VERSION.match(str(text).strip())
    if match is None:
        return None
    return tuple(int(part or 0) for part in match.groups())  # type: ignore[return-value]


def check_range(spec: str) -> str | None:
    """None when ``spec`` is a valid range, else what is wrong with it."""
    if not str(spec).strip():
        return "the range is empty"
    for clause in str(spec).split(","):
        match = _CLAUSE.match(clause)
        if match is None or parse_version(match.group(2)) is None:
            return f"'{clause.strip()}' is not a comparison such as >=1.0"
    return None


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` is inside every comma-separated clause of ``spec``.

    Clauses: >=, <=, >, <, ==, != and caret (^1.2: same major, at least 1.2) or tilde
    (~1.2: same minor). A bare version means ==.
    """
    have = parse_version(version)
    if have is None or check_range(spec) is not None:
        return False
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        assert match is not None
        op, want = match.group(1) or "==", parse_version(match.group(2))
        assert want is not None
        ok = {
            ">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want,
            "==": have == want, "!=": have != want,
            "^": have >= want and have[0] == want[0],
            "~": have >= want and have[:2] == want[:2],
        }[op]
        if not ok:
            return False
    return True
