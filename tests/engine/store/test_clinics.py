"""A clinic's settings (engine.store.clinics): names, letterhead, print defaults; checked as a
whole, audited, the logo content-addressed in the clinic's files; on both backends."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.store import Actor, Store
from engine.store.clinics import LOGO_MAX_BYTES, ClinicChanges, PdfDefaults
from engine.store.errors import InvalidSettingsError
from engine.store.models import AuditEvent, Clinic
from engine.store.records import ClinicRecord


def png(colour: str = "navy", size: tuple[int, int] = (60, 24)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "teal").save(out, "JPEG")
    return out.getvalue()


def _events(store: Store, action: str, entity: str) -> list[AuditEvent]:
    with store.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                             AuditEvent.entity_type == entity).order_by(AuditEvent.seq)))


def test_a_new_clinic_has_only_its_names(store: Store, clinic: ClinicRecord) -> None:
    profile = store.clinics.get(clinic.id)
    assert profile.names == {"en": "North clinic", "ar": "عيادة الشمال"}
    assert profile.address == {} and profile.phone == "" and profile.logo_sha256 is None
    assert profile.pdf == PdfDefaults()


def test_settings_are_stored_read_back_and_audited(store: Store, clinic: ClinicRecord, actor: Actor) -> None:
    logo = png()
    saved = store.clinics.update(actor, ClinicChanges(
        name="North Clinic", name_ar="عيادة الشمال الجديدة", address_en=" 12 Zahran St, Amman ",
        address_ar="١٢ شارع زهران، عمّان", phone="+962 6 555 0100", logo=logo, languages="ar", layout="stacked",
        paper="letter", timezone="Asia/Amman", arabic_digits=True))
    assert store.clinics.get(clinic.id) == saved
    assert saved.names == {"en": "North Clinic", "ar": "عيادة الشمال الجديدة"}
    assert saved.address == {"en": "12 Zahran St, Amman", "ar": "١٢ شارع زهران، عمّان"}
    assert saved.pdf == PdfDefaults("ar", "stacked", "letter", "Asia/Amman", True)
    record, data = store.files.get(actor, saved.logo_sha256 or "")
    assert data == logo and record.media_type == "image/png"
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None and row.settings == {
            "address": {"en": "12 Zahran St, Amman", "ar": "١٢ شارع زهران، عمّان"}, "phone": "+962 6 555 0100",
            "logo_sha256": saved.logo_sha256,
            "pdf": {"languages": "ar", "layout": "stacked", "paper": "letter", "timezone": "Asia/Amman",
                    "arabic_digits": True}}
    (event,) = _events(store, "update", "clinic")
    assert event.entity_id == str(clinic.id) and event.clinic_id == clinic.id
    changes = (event.detail or {})["changes"]
    assert changes["phone"] == [None, "+962 6 555 0100"] and changes["logo"] == [None, saved.logo_sha256]
    assert changes["name"] == ["North clinic", "North Clinic"] and changes["arabic_digits"] == [None, True]
    assert store.verify_audit().ok


def test_only_what_is_given_changes_and_an_empty_value_clears(store: Store, clinic: ClinicRecord, actor: Actor) -> None:
    store.clinics.update(actor, ClinicChanges(phone="+962 6 555 0100", languages="ar", logo=jpeg(), timezone="Asia/Amman"))
    after = store.clinics.get(clinic.id)
    assert after.name == "North clinic" and store.files.get(actor, after.logo_sha256 or "")[0].media_type == "image/jpeg"
    cleared = store.clinics.update(actor, ClinicChanges(languages="", timezone=None, logo=None, phone="  "))
    assert cleared.pdf == PdfDefaults() and cleared.logo_sha256 is None and cleared.phone == ""
    assert cleared.name == "North clinic"
    # nothing changed, nothing written or audited
    before = len(_events(store, "update", "clinic"))
    store.clinics.update(actor, ClinicChanges(name="North clinic"))
    assert len(_events(store, "update", "clinic")) == before


def test_every_problem_is_reported_at_once_and_nothing_is_saved(store: Store, clinic: ClinicRecord, actor: Actor) -> None:
    with pytest.raises(InvalidSettingsError) as refused:
        store.clinics.update(actor, ClinicChanges(
            name=" ", phone="9" * 41, logo=b"GIF89a not a logo", languages="fr", layout="diagonal", paper="A3",
            timezone="Asia/Ammman", address_en="x" * 301))
    assert set(refused.value.problems) == {"name", "phone", "logo", "languages", "layout", "paper", "timezone", "address_en"}
    assert "Asia/Ammman" in refused.value.problems["timezone"] and "PNG or JPEG" in refused.value.problems["logo"]
    assert "one of en, ar, both" in refused.value.problems["languages"]
    with pytest.raises(InvalidSettingsError, match="at most 1024 KB"):
        store.clinics.update(actor, ClinicChanges(logo=b"\x89PNG\r\n\x1a\n" + b"\0" * LOGO_MAX_BYTES))
    assert store.clinics.get(clinic.id).name == "North clinic"
    assert _events(store, "update", "clinic") == []


def test_a_stored_logo_must_be_an_image_of_this_clinic(store: Store, clinic: ClinicRecord, actor: Actor) -> None:
    kept = store.files.put(actor, png("red"), "image/png")
    assert store.clinics.update(actor, ClinicChanges(stored_logo=kept.sha256)).logo_sha256 == kept.sha256
    pdf = store.files.put(actor, b"%PDF-1.7 not an image", "application/pdf")
    other = store.accounts.create_clinic("south", "South clinic")
    theirs = store.files.put(Actor.system(other.id), png("green"), "image/png")
    for sha in (pdf.sha256, theirs.sha256, "0" * 64):
        with pytest.raises(InvalidSettingsError, match="choose the file again"):
            store.clinics.update(actor, ClinicChanges(stored_logo=sha))
    assert store.clinics.get(clinic.id).logo_sha256 == kept.sha256
    with pytest.raises(InvalidSettingsError, match="not both"):
        store.clinics.update(actor, ClinicChanges(logo=png(), stored_logo=kept.sha256))


def test_an_administrator_changes_only_their_own_clinic(store: Store, clinic: ClinicRecord) -> None:
    other = store.accounts.create_clinic("south", "South clinic")
    store.clinics.update(Actor(None, "admin", other.id), ClinicChanges(phone="+1 555"))
    assert store.clinics.get(clinic.id).phone == "" and store.clinics.get(other.id).phone == "+1 555"


def test_a_malformed_settings_document_reads_as_no_settings(store: Store, clinic: ClinicRecord) -> None:
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None
        row.settings = {"address": "a string", "pdf": ["not", "a", "map"], "phone": 5}
    profile = store.clinics.get(clinic.id)
    assert profile.address == {} and profile.pdf == PdfDefaults() and profile.phone == "5"
