"""The clinic's print settings: letterhead (names, address, phone, logo) and PDF defaults.

They are the clinic's settings in the store (engine.store.clinics: the names on the clinic
row, the rest in its JSON ``settings`` column), set by its administrator at /admin/clinic or
by the operator with `cliniform clinic settings`. A print default the clinic has not chosen
comes from PdfSettings (the deployment's environment); a print may override both.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.store import Actor, Store
from engine.store.clinics import ClinicProfile
from engine.store.errors import StoreError
from renderer.pdf.job import Letterhead
from renderer.pdf.settings import PdfSettings


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    id: int
    names: Mapping[str, str]
    address: Mapping[str, str] = field(default_factory=dict)
    phone: str = ""
    logo_sha256: str | None = None
    #: only what the clinic chose (languages, layout, paper, timezone, arabic_digits)
    pdf: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, clinic: ClinicProfile) -> ClinicSettings:
        return cls(clinic.id, clinic.names, clinic.address, clinic.phone, clinic.logo_sha256, clinic.pdf.chosen())

    def pdf_defaults(self, base: PdfSettings) -> dict[str, Any]:
        """Languages, layout, paper, time zone and digits: the clinic's choice, else ``base``."""
        keys = ("languages", "layout", "paper", "timezone", "arabic_digits")
        return {k: self.pdf.get(k, getattr(base, k)) for k in keys}


def clinic_settings(store: Store, actor: Actor) -> ClinicSettings:
    """The actor's clinic as printed."""
    return ClinicSettings.of(store.clinics.get(actor.clinic_id))


def letterhead(store: Store, actor: Actor, clinic: ClinicSettings) -> Letterhead:
    logo = None
    if clinic.logo_sha256:
        try:
            record, data = store.files.get(actor, clinic.logo_sha256)
            logo = data_uri(record.media_type, data)
        except StoreError:
            logo = None  # a logo that cannot be read (gone, corrupt) is left out, not the print
    return Letterhead(clinic.names, clinic.address, clinic.phone, logo)


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
