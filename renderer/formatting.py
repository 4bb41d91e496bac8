"""Values and chrome text in a given language, for read-only documents (web and PDF).

A printed document may show two languages at once, so nothing here reads the request:
every function takes the locale. Numbers, dates and times go through Babel; chrome strings
("Page", "calculated", "Date of birth") come from the ``print`` gettext domain in
``locale/<lang>/LC_MESSAGES/print.po``, read directly from the .po file (English text is
the message id, so a missing catalog shows English). Adding a language is a catalog, not code.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "print"
#: Unicode bidi controls (marks, embeddings, isolates): what tests strip from extracted text
BIDI_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ISOLATE = {"ltr": "\u2066", "rtl": "\u2067", "auto": "\u2068"}
PDI = "\u2069"


def text_direction(text: str) -> str:
    """``rtl`` or ``ltr`` by the first strong character (``ltr`` when there is none)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def isolate(text: str, direction: str = "auto") -> str:
    """``text`` between Unicode isolate controls (LRI/RLI/FSI ... PDI), so a number, unit,
    MRN or code never reorders its neighbours. Browsers isolate <bdi> by themselves; the
    PDF renderer does not support ``unicode-bidi: isolate``, so prints carry the controls."""
    return f"{_ISOLATE.get(direction, _ISOLATE['auto'])}{text}{PDI}" if text else text


@lru_cache(maxsize=16)
def catalog(locale: str, locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    """msgid -> translation for ``locale`` (empty when the catalog does not exist)."""
    path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def tr(locale: str, message: str, **params: Any) -> str:
    """``message`` in ``locale``, then filled with ``params`` (``%(name)s``)."""
    text = catalog(locale).get(message, message)
    return text % params if params else text


@lru_cache(maxsize=32)
def direction(locale: str) -> str:
    """``rtl`` or ``ltr`` for the locale's script."""
    try:
        return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


@dataclass(frozen=True, slots=True)
class Formatter:
    """Babel formatting for one locale: digits, dates, times, in the clinic's time zone."""

    locale: str
    arabic_digits: bool = False
    timezone: str = "UTC"

    @property
    def digits(self) -> str:
        return "arab" if self.arabic_digits and self.locale == "ar" else "latn"

    def number(self, value: Any, decimals: int | None = None) -> str:
        if value is None or isinstance(value, bool):
            return ""
        pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        # Babel's numbering system sets the separators; the digits are translated here
        return self.localise(format_decimal(value, pattern, locale=self.locale, numbering_system=self.digits))

    def integer(self, value: Any) -> str:
        """A whole number as people write a count or a year: no group separators (2016, not 2,016)."""
        if value is None or isinstance(value, bool):
            return ""
        return self.localise(format_decimal(value, "0", locale=self.locale, numbering_system=self.digits))

    def date(self, value: Any) -> str:
        value = _parse(value)
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        if isinstance(value, dt.date):
            return self.localise(format_date(value, "long", locale=self.locale))
        return "" if value is None else str(value)

    def time(self, value: Any) -> str:
        value = _parse_time(value)
        if isinstance(value, dt.time):
            return self.localise(format_time(value, "short", locale=self.locale))
        return "" if value is None else str(value)

    def datetime(self, value: Any) -> str:
        value = _parse(value)
        if isinstance(value, dt.datetime):
            local = self.local(value)
            return f"{self.date(local.date())} {self.time(local.time())}"
        return self.date(value)

    def local(self, value: dt.datetime) -> dt.datetime:
        """An aware datetime in the clinic's zone (naive ones are taken as UTC)."""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(zone(self.timezone))

    def localise(self, text: str) -> str:
        """``text`` (already formatted by Babel) with Arabic-Indic digits when the locale is
        Arabic and the clinic asks for them. Babel's ``numbering_system`` only changes the
        separators, so the digits are translated here; the web filters use this too."""
        if self.digits == "arab":
            return text.translate(_ARABIC_INDIC)
        return text


_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _parse_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            return value
    return value
