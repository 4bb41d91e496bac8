"""The clinic's print settings: letterhead (names, address, phone, logo) and PDF defaults.

The store's clinic row has the names in English and Arabic. Address, phone, logo and the
PDF defaults are read from a JSON ``settings`` column on that row when the store has one
(``{"address": {"en": ..., "ar": ...}, "phone": ..., "logo_sha256": ..., "pdf": {"languages":
"both", "layout": "side", "paper": "A4", "timezone": "Asia/Amman", "arabic_digits": false}}``);
until then only the names are printed and the defaults come from PdfSettings.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.store import Actor, Store
from engine.store.errors import StoreError
from engine.store.models import Clinic
from renderer.pdf.job import Letterhead
from renderer.pdf.settings import PdfSettings


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    id: int
    names: Mapping[str, str]
    address: Mapping[str, str] = field(default_factory=dict)
    phone: str = ""
    logo_sha256: str | None = None
    pdf: Mapping[str, Any] = field(default_factory=dict)

    def pdf_defaults(self, base: PdfSettings) -> dict[str, Any]:
        """Languages, layout, paper, time zone and digits: the clinic's choice, else ``base``."""
        keys = ("languages", "layout", "paper", "timezone", "arabic_digits")
        return {k: self.pdf.get(k, getattr(base, k)) for k in keys}


def clinic_settings(store: Store, actor: Actor) -> ClinicSettings:
    """The actor's clinic (names always; the rest from ``clinics.settings`` when it exists)."""
    with store.db.transaction() as session:
        row = session.get(Clinic, actor.clinic_id)
        if row is None:
            raise StoreError(f"clinic {actor.clinic_id} does not exist")
        extra: Any = getattr(row, "settings", None) or {}
        names = {"en": row.name, **({"ar": row.name_ar} if row.name_ar else {})}
    extra = extra if isinstance(extra, Mapping) else {}
    address = extra.get("address") or {}
    return ClinicSettings(
        id=actor.clinic_id, names=names,
        address=address if isinstance(address, Mapping) else {"en": str(address)},
        phone=str(extra.get("phone") or ""), logo_sha256=extra.get("logo_sha256"),
        pdf=extra.get("pdf") if isinstance(extra.get("pdf"), Mapping) else {},
    )


def letterhead(store: Store, actor: Actor, clinic: ClinicSettings) -> Letterhead:
    logo = None
    if clinic.logo_sha256:
        try:
            record, data = store.files.get(actor, clinic.logo_sha256)
            logo = data_uri(record.media_type, data)
        except StoreError:
            logo = None
    return Letterhead(clinic.names, clinic.address, clinic.phone, logo)


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
