"""A clinic's own settings: its names, its letterhead (address, phone, logo) and its print
defaults, as its administrator (web: /admin/clinic) or the operator (`cliniform clinic
settings`) sets them.

The names are columns of the clinic row; the rest is the row's JSON ``settings`` document:

    {"address": {"en": "...", "ar": "..."}, "phone": "...", "logo_sha256": "...",
     "pdf": {"languages": "both", "layout": "side", "paper": "A4",
             "timezone": "Asia/Amman", "arabic_digits": false}}

A key that is absent means "the deployment's default" (``CLINIFORM_PDF_LANGUAGES``,
``CLINIFORM_PDF_LAYOUT``, ``CLINIFORM_PDF_PAPER``, ``CLINIFORM_TIMEZONE``,
``CLINIFORM_ARABIC_DIGITS``). The logo is a PNG or JPEG kept content-addressed in the
clinic's files table. A change is checked as a whole (every problem, by field, in one
:class:`InvalidSettingsError`) and audited: ``update`` on ``clinic`` with each changed
field's old and new value. Clinic settings are not patient data: reading them is not audited.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from engine.store.errors import InvalidSettingsError, NotFoundError
from engine.store.files import store_blob
from engine.store.models import Clinic, StoredFile
from engine.store.records import Actor
from engine.store.service import Service, Tx

#: print defaults a clinic may choose (renderer.pdf.settings uses the same tuples)
LANGUAGES = ("en", "ar", "both")
LAYOUTS = ("side", "stacked")
PAPERS = ("A4", "letter")
#: logo formats, recognised by their first bytes (never by a file name or a declared type)
LOGO_TYPES: tuple[tuple[bytes, str], ...] = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
LOGO_MAX_BYTES = 1024 * 1024
NAME_MAX, ADDRESS_MAX, PHONE_MAX = 200, 300, 40
PDF_KEYS = ("languages", "layout", "paper", "timezone", "arabic_digits")


class Keep(enum.Enum):
    """The marker of a setting a change leaves as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True)
class PdfDefaults:
    """The clinic's print defaults; None: the deployment's default applies."""

    languages: str | None = None
    layout: str | None = None
    paper: str | None = None
    timezone: str | None = None
    arabic_digits: bool | None = None

    def chosen(self) -> dict[str, Any]:
        """Only what the clinic chose (the ``pdf`` part of the settings document)."""
        return {k: getattr(self, k) for k in PDF_KEYS if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class ClinicProfile:
    """A clinic as its letterhead and its pages show it."""

    id: int
    code: str
    name: str
    name_ar: str | None = None
    #: locale -> address lines (only the languages given)
    address: Mapping[str, str] = field(default_factory=dict)
    phone: str = ""
    logo_sha256: str | None = None
    pdf: PdfDefaults = PdfDefaults()

    @property
    def names(self) -> dict[str, str]:
        return {"en": self.name, **({"ar": self.name_ar} if self.name_ar else {})}


@dataclass(frozen=True, slots=True)
class ClinicChanges:
    """What to change; :data:`KEEP` leaves a setting as it is. An empty text or None clears
    an optional one (the deployment's default applies again); ``logo=None`` removes the logo."""

    name: str | Keep = KEEP
    name_ar: str | Keep | None = KEEP
    address_en: str | Keep | None = KEEP
    address_ar: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    #: the logo's bytes (PNG or JPEG)
    logo: bytes | Keep | None = KEEP
    #: or the SHA-256 of a PNG or JPEG already in the clinic's files (a logo uploaded with
    #: a form that had to be corrected, so that it is not chosen again)
    stored_logo: str | Keep = KEEP
    languages: str | Keep | None = KEEP
    layout: str | Keep | None = KEEP
    paper: str | Keep | None = KEEP
    timezone: str | Keep | None = KEEP
    arabic_digits: bool | Keep | None = KEEP

    def given(self) -> dict[str, Any]:
        """The settings this change touches, texts trimmed and empty texts as None."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is KEEP:
                continue
            if isinstance(value, str):
                value = value.strip() or None
            out[f.name] = value
        return out


def logo_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` when the bytes are one, else None."""
    return next((media for magic, media in LOGO_TYPES if data.startswith(magic)), None)


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str | None:
    return None if value in allowed else f"{what} {value!r} is not one of {', '.join(allowed)}"


def check(changes: Mapping[str, Any]) -> dict[str, str]:
    """Every problem of ``changes`` (as :meth:`ClinicChanges.given` returns them), by field."""
    problems: dict[str, str] = {}
    lengths = {"name": NAME_MAX, "name_ar": NAME_MAX, "address_en": ADDRESS_MAX, "address_ar": ADDRESS_MAX,
               "phone": PHONE_MAX}
    if "name" in changes and not changes["name"]:
        problems["name"] = "the clinic needs a name in English"
    for key, limit in lengths.items():
        value = changes.get(key)
        if isinstance(value, str) and len(value) > limit:
            problems[key] = f"{len(value)} characters; at most {limit}"
    logo = changes.get("logo")
    if "logo" in changes and "stored_logo" in changes:
        problems["logo"] = "give the logo's bytes or a stored logo, not both"
    elif isinstance(logo, bytes):
        if logo_type(logo) is None:
            problems["logo"] = "the logo must be a PNG or JPEG image"
        elif len(logo) > LOGO_MAX_BYTES:
            problems["logo"] = f"the logo is {len(logo) / 1024:.0f} KB; at most {LOGO_MAX_BYTES // 1024} KB"
    for key, allowed in (("languages", LANGUAGES), ("layout", LAYOUTS), ("paper", PAPERS)):
        value = changes.get(key)
        if value is not None and (problem := _one_of(value, allowed, key)):
            problems[key] = problem
    zone = changes.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems["timezone"] = f"unknown time zone {zone!r}; use an IANA name such as Asia/Amman or UTC"
    digits = changes.get("arabic_digits")
    if digits is not None and not isinstance(digits, bool):
        problems["arabic_digits"] = "arabic_digits is true, false or unset"
    return problems


def profile(row: Clinic) -> ClinicProfile:
    """The clinic row as a record; a malformed settings document reads as no settings."""
    doc: Any = row.settings if isinstance(row.settings, Mapping) else {}
    address = doc.get("address") if isinstance(doc.get("address"), Mapping) else {}
    pdf = doc.get("pdf") if isinstance(doc.get("pdf"), Mapping) else {}
    digits = pdf.get("arabic_digits")
    return ClinicProfile(
        id=row.id, code=row.code, name=row.name, name_ar=row.name_ar or None,
        address={k: str(v) for k, v in address.items() if k in ("en", "ar") and v},
        phone=str(doc.get("phone") or ""), logo_sha256=doc.get("logo_sha256") or None,
        pdf=PdfDefaults(**{k: str(pdf[k]) if pdf.get(k) else None for k in PDF_KEYS[:4]},
                        arabic_digits=digits if isinstance(digits, bool) else None),
    )


def _document(p: ClinicProfile) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if p.address:
        doc["address"] = dict(p.address)
    if p.phone:
        doc["phone"] = p.phone
    if p.logo_sha256:
        doc["logo_sha256"] = p.logo_sha256
    if chosen := p.pdf.chosen():
        doc["pdf"] = chosen
    return doc


def _flat(p: ClinicProfile) -> dict[str, Any]:
    """Each setting under its :class:`ClinicChanges` name (``logo`` is the logo's SHA-256)."""
    return {"name": p.name, "name_ar": p.name_ar, "address_en": p.address.get("en"),
            "address_ar": p.address.get("ar"), "phone": p.phone or None, "logo": p.logo_sha256,
            **{k: getattr(p.pdf, k) for k in PDF_KEYS}}


class Clinics(Service):
    """Read and change a clinic's settings (the web layer lets administrators only)."""

    def get(self, clinic_id: int) -> ClinicProfile:
        with self.db.transaction() as session:
            row = session.get(Clinic, clinic_id)
            if row is None:
                raise NotFoundError("clinic", clinic_id)
            return profile(row)

    def update(self, actor: Actor, changes: ClinicChanges) -> ClinicProfile:
        """Apply ``changes`` to the actor's clinic; InvalidSettingsError lists every problem."""
        given = changes.given()
        problems = check(given)
        if problems:
            raise InvalidSettingsError(problems)
        with self._tx(actor) as tx:
            row = tx.session.scalars(select(Clinic).where(Clinic.id == actor.clinic_id).with_for_update()).one_or_none()
            if row is None:
                raise NotFoundError("clinic", actor.clinic_id)
            before = _flat(profile(row))
            after = dict(before)
            for key, value in given.items():
                if key == "logo":
                    value = None if value is None else store_blob(tx, value, str(logo_type(value)), None)
                elif key == "stored_logo":
                    key, value = "logo", self._stored_logo(tx, value)
                after[key] = value
            changed = {k: [before[k], after[k]] for k in after if after[k] != before[k]}
            if changed:
                new = ClinicProfile(
                    row.id, row.code, after["name"], after["name_ar"],
                    {k: after[f"address_{k}"] for k in ("en", "ar") if after[f"address_{k}"]},
                    after["phone"] or "", after["logo"], PdfDefaults(**{k: after[k] for k in PDF_KEYS}),
                )
                row.name, row.name_ar = new.name, new.name_ar
                row.settings = _document(new) or None
                tx.audit("update", "clinic", row.id, changes=changed)
            return profile(row)

    @staticmethod
    def _stored_logo(tx: Tx, sha256: str | None) -> str:
        media_type = tx.session.scalar(select(StoredFile.media_type).where(
            StoredFile.clinic_id == tx.actor.clinic_id, StoredFile.sha256 == sha256))
        if media_type not in {media for _, media in LOGO_TYPES}:
            raise InvalidSettingsError({"logo": "the stored logo is gone or not a PNG or JPEG image: choose the file again"})
        return str(sha256)
