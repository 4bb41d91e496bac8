"""Text helpers shared by the HTML and PDF renderers: labels in the chosen language (and the
language they fell back to), UCUM units as people write them, values as inputs show them,
and HTML ids for answer paths."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from engine.model import Text

UNIT_LABELS: dict[str, str] = {
    "[lb_av]": "lb", "[in_i]": "in", "Cel": "°C", "[degF]": "°F", "mm[Hg]": "mmHg",
    "kg/m2": "kg/m²", "/min": "/min", "%": "%", "ug": "µg",
    # UCUM's time units: an age of "36 a" reads as "36 yr"
    "a": "yr", "mo": "mo", "wk": "wk", "d": "d", "h": "h",
}


def unit_label(unit: str | None) -> str:
    """A UCUM code as people write it (``[lb_av]`` -> ``lb``)."""
    return UNIT_LABELS.get(unit or "", unit or "")


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_SAFE = re.compile(r"[A-Za-z0-9_-]*")


def dom_id(path: str) -> str:
    """An HTML id fragment for an answer path: ``meds[0].dose`` -> ``meds-0-dose``."""
    if _SAFE.fullmatch(path):  # a plain item id
        return path
    path = path.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")
    return _UNSAFE.sub(lambda m: f"_{ord(m.group()):x}", path)


@dataclass(frozen=True, slots=True)
class Label:
    """Text in the chosen language, or in the language it fell back to (``lang`` set)."""

    text: str
    lang: str | None = None

    @property
    def missing(self) -> bool:
        return self.lang is not None

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def label(text: Text, locale: str) -> Label:
    if text.has(locale) or not text.values:
        return Label(text.get(locale))
    fallback = text.default_locale if text.has(text.default_locale) else next(iter(text.values))
    return Label(text.get(locale), fallback)


def show(value: Any) -> str:
    """A value as an input shows it: numbers without a spurious '.0', ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
