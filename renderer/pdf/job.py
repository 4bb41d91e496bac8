"""Plain data between gathering (store -> what to print) and composing (-> final HTML).

A `PrintJob` holds everything the print templates show, already read from the store and
evaluated: no template or renderer reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.model import Text
from engine.store.records import DocumentRecord, EncounterRecord, TimelineEntry
from renderer.documents import DocumentView
from renderer.pdf.engine import AttachmentData


@dataclass(frozen=True, slots=True)
class PrintOptions:
    """Which languages, in which bilingual layout, on which paper."""

    locales: tuple[str, ...] = ("en", "ar")
    layout: str = "side"
    paper: str = "A4"

    @property
    def bilingual(self) -> bool:
        return len(self.locales) > 1

    @property
    def label(self) -> str:
        return "both" if self.bilingual else self.locales[0]


def parse_languages(value: str) -> tuple[str, ...]:
    """``en`` | ``ar`` | ``both`` (English and Arabic) | a comma list such as ``en,ar``."""
    value = value.strip().lower()
    if value == "both":
        return ("en", "ar")
    locales = tuple(dict.fromkeys(x.strip() for x in value.split(",") if x.strip()))
    if not locales or len(locales) > 2 or not all(x.isalpha() and 2 <= len(x) <= 3 for x in locales):
        raise ValueError(f"languages {value!r}: use en, ar, both, or two codes such as en,ar")
    return locales


@dataclass(frozen=True, slots=True)
class Letterhead:
    """The clinic as printed at the top of the first page."""

    names: Mapping[str, str]
    address: Mapping[str, str] = field(default_factory=dict)
    phone: str = ""
    #: the logo as a data: URI
    logo: str | None = None

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names.get("en") or next(iter(self.names.values()), "")

    def address_in(self, locale: str, *, alone: bool) -> str:
        """The address in ``locale``; on a print in one language (``alone``), the address in
        another language when the clinic gave none in this one."""
        found = self.address.get(locale, "")
        if found or not alone:
            return found
        return self.address.get("en") or next(iter(self.address.values()), "")


@dataclass(frozen=True, slots=True)
class PatientHeader:
    """The running header of every page."""

    names: Mapping[str, str]
    mrn: str
    birth_date: dt.date | None
    sex: str

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names.get("en", "")


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who printed and when, to the precision printed (``second``, ``minute`` or ``day``)."""

    printed_by: str
    printed_at: dt.datetime
    precision: str = "minute"


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """One stored document, evaluated against its pinned definition version."""

    record: DocumentRecord
    title: Text
    view: DocumentView
    #: SHA-256 of the embedded answers.json (canonical JSON of the stored answers)
    answers_sha256: str
    signed_by: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class PrintJob:
    kind: str
    title: Mapping[str, str]
    options: PrintOptions
    letterhead: Letterhead
    patient: PatientHeader
    stamp: Stamp
    parts: tuple[DocumentPart, ...]
    attachments: tuple[AttachmentData, ...]
    #: footer facts: (label msgid, value), e.g. ("Document", "12 v3")
    footer: tuple[tuple[str, str], ...]
    encounter: EncounterRecord | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    timezone: str = "UTC"
    arabic_digits: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
