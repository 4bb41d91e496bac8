"""How the function library reads its arguments: lists flattened, texts checked.

Shared by engine.functions and engine.code_functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.sandbox import RecordList, kind

#: what counts as a list argument
SEQUENCES = (list, tuple, RecordList)


def flat(args: Iterable[Any]) -> list[Any]:
    """Arguments and the elements of list arguments, without missing values."""
    out: list[Any] = []
    for arg in args:
        if isinstance(arg, SEQUENCES):
            out.extend(v for v in arg if v is not None)
        elif arg is not None:
            out.append(arg)
    return out


def as_text(value: Any, name: str) -> str:
    """``value``, which ``name()`` needs to be text."""
    if type(value) is not str:
        raise TypeError(f"{name}() needs text, not {kind(value)}")
    return value
