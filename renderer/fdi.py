"""FDI two-digit tooth codes (ISO 3950) laid out as a dentist reads a chart, facing the
patient: upper right 18-11 | upper left 21-28 over lower right 48-41 | lower left 31-38, then
the primary teeth 55-51 | 61-65 over 85-81 | 71-75. The quadrant digit is 1-4 (permanent) or
5-8 (primary), the second digit the position from the midline. Used by the tooth chart of a
grid (renderer/tooth_chart.py) and by the tooth picker of a multiple choice (renderer/fields.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
_TOOTH = re.compile(r"[1-8][1-8]")
#: (patient's right, patient's left) quadrants of each jaw, permanent then primary
_JAWS = ((True, 1, 2), (False, 4, 3), (True, 5, 6), (False, 8, 7))


@dataclass(frozen=True, slots=True)
class Arch(Generic[T]):
    """One jaw of one dentition, as (patient's right, patient's left) from the midline out."""

    upper: bool
    right: tuple[T, ...]
    left: tuple[T, ...]


def all_teeth(codes: Iterable[object]) -> bool:
    """Whether there are codes and every one is an FDI tooth code."""
    codes = list(codes)
    return bool(codes) and all(isinstance(c, str) and _TOOTH.fullmatch(c) for c in codes)


def arches(teeth: Mapping[str, T]) -> list[Arch[T]] | None:
    """``teeth`` (by FDI code) placed in their jaws, or None when a code is not a tooth code."""
    codes = list(teeth)
    if not all_teeth(codes):
        return None
    laid_out = []
    for upper, right_q, left_q in _JAWS:
        right = tuple(teeth[c] for c in sorted((c for c in codes if int(c[0]) == right_q), reverse=True))
        left = tuple(teeth[c] for c in sorted(c for c in codes if int(c[0]) == left_q))
        if right or left:
            laid_out.append(Arch(upper, right, left))
    return laid_out
