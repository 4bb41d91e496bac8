"""PdfService: the cache by content hash, the audit of every print, options from the clinic
and the request, errors, consent snapshots kept in the files table."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from engine.catalog import Catalog
from engine.store import NotFoundError, Store
from engine.store.models import AuditEvent
from renderer.pdf.demo import Demo
from renderer.pdf.service import PdfService
from renderer.pdf.settings import PdfSettings, load_settings
from tests.renderer.pdf import readback
from tests.renderer.pdf.conftest import PRINTED_AT


def _events(store: Store, action: str) -> list[AuditEvent]:
    with store.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_a_second_print_of_the_same_content_comes_from_the_cache(pdfs: PdfService, demo: Demo) -> None:
    doc_id = demo.documents["allergies"].id
    first = pdfs.document(demo.actor, doc_id, languages="ar")
    second = pdfs.document(demo.actor, doc_id, languages="ar")
    assert not first.cached and second.cached and first.data == second.data
    other = pdfs.document(demo.actor, doc_id, languages="en")
    assert not other.cached and other.sha256 != first.sha256


def test_a_later_stamp_renders_again(pdf_store: Store, all_packs: Catalog, demo: Demo, tmp_path: Any) -> None:
    times = iter([PRINTED_AT, PRINTED_AT.replace(second=59), PRINTED_AT.replace(minute=42)])
    service = PdfService(pdf_store, all_packs, PdfSettings(workers=0, cache_dir=tmp_path), clock=lambda: next(times))
    doc_id = demo.documents["vitals"].id
    results = [service.document(demo.actor, doc_id, languages="en") for _ in range(3)]
    assert [r.cached for r in results] == [False, True, False]  # stamped to the minute


def test_a_day_stamp_prints_the_date_and_is_reused_all_day(pdf_store: Store, all_packs: Catalog, demo: Demo, tmp_path: Any) -> None:
    times = iter([PRINTED_AT, PRINTED_AT.replace(hour=20, minute=59)])  # 23:59 in Amman, same day
    settings = PdfSettings(workers=0, cache_dir=tmp_path, stamp="day", timezone="Asia/Amman")
    service = PdfService(pdf_store, all_packs, settings, clock=lambda: next(times))
    first, second = (service.document(demo.actor, demo.documents["vitals"].id, languages="en") for _ in range(2))
    assert not first.cached and second.cached
    footer = readback.squeeze(readback.text(first.data))
    assert "Printed by Dr Sara Haddad · May 3, 2025 · Page 1 of 1" in footer


def test_every_print_is_audited(pdfs: PdfService, demo: Demo, pdf_store: Store) -> None:
    before = len(_events(pdf_store, "export"))
    pdf = pdfs.document(demo.actor, demo.documents["medications"].id, languages="both", layout="stacked", action="export")
    pdfs.document(demo.actor, demo.documents["medications"].id, languages="both", layout="stacked", action="export")
    events = _events(pdf_store, "export")[before:]
    assert len(events) == 2 and [e.detail["cached"] for e in events] == [False, True]  # type: ignore[index]
    event = events[0]
    assert (event.entity_type, event.entity_id, event.patient_id, event.user_id) == (
        "document", str(demo.documents["medications"].id), demo.patient.id, demo.actor.user_id)
    assert event.detail == {"kind": "document", "languages": "both", "layout": "stacked", "pdf_sha256": pdf.sha256, "cached": False}
    assert pdf_store.verify_audit().ok


def test_summaries_are_audited_against_the_patient(pdfs: PdfService, demo: Demo, pdf_store: Store) -> None:
    pdfs.chart(demo.actor, demo.patient.id, languages="en")
    pdfs.encounter(demo.actor, demo.encounter_id, languages="en")
    kinds = [(e.entity_type, e.patient_id) for e in _events(pdf_store, "print")[-2:]]
    assert kinds == [("chart", demo.patient.id), ("encounter", demo.patient.id)]


def test_missing_records_and_bad_options(pdfs: PdfService, demo: Demo) -> None:
    with pytest.raises(NotFoundError):
        pdfs.document(demo.actor, 9999)
    with pytest.raises(NotFoundError):
        pdfs.encounter(demo.actor, 9999)
    with pytest.raises(NotFoundError):
        pdfs.chart(demo.actor, 9999)
    with pytest.raises(ValueError, match="layout"):
        pdfs.document(demo.actor, demo.documents["vitals"].id, layout="diagonal")
    with pytest.raises(ValueError, match="languages"):
        pdfs.document(demo.actor, demo.documents["vitals"].id, languages="en,ar,fr")
    with pytest.raises(ValueError, match="action"):
        pdfs.document(demo.actor, demo.documents["vitals"].id, action="fax")


def test_other_clinics_cannot_print_this_clinics_documents(pdfs: PdfService, demo: Demo, pdf_store: Store) -> None:
    other = pdf_store.accounts.create_clinic("pdf-other", "Other clinic")
    outsider = dataclasses.replace(demo.actor, clinic_id=other.id)
    with pytest.raises(NotFoundError):
        pdfs.document(outsider, demo.documents["vitals"].id)


def test_options_come_from_the_request_then_the_clinic_then_the_settings(pdfs: PdfService, demo: Demo) -> None:
    from renderer.pdf.clinic import ClinicSettings

    clinic = ClinicSettings(1, {"en": "X"}, pdf={"languages": "ar", "layout": "stacked"})
    options, _ = pdfs.options(clinic, None, None)
    assert (options.locales, options.layout) == (("ar",), "stacked")
    options, _ = pdfs.options(clinic, "both", "side")
    assert (options.locales, options.layout) == (("en", "ar"), "side")
    options, _ = pdfs.options(ClinicSettings(1, {"en": "X"}), None, None)
    assert (options.locales, options.layout) == (("en", "ar"), "side")


def test_consent_snapshot_is_kept_in_the_files_table(pdfs: PdfService, demo: Demo, pdf_store: Store) -> None:
    pdf = pdfs.consent_snapshot(demo.actor, demo.documents["consent"].id, languages="ar")
    record, data = pdf_store.files.get(demo.actor, pdf.sha256)
    assert data == pdf.data and record.media_type == "application/pdf"
    assert "09:41:27" in readback.attachments(pdf.data)["document.json"].decode()  # stamped to the second


def test_settings_from_the_environment(tmp_path: Any) -> None:
    settings = load_settings({"CLINIFORM_PDF_WORKERS": "0", "CLINIFORM_PDF_CACHE_DIR": "off",
                              "CLINIFORM_PDF_LANGUAGES": "ar", "CLINIFORM_TIMEZONE": "Asia/Riyadh"})
    assert (settings.workers, settings.cache_dir, settings.languages, settings.timezone) == (0, None, "ar", "Asia/Riyadh")
    assert load_settings({"CLINIFORM_PDF_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
    with pytest.raises(ValueError, match="layout"):
        load_settings({"CLINIFORM_PDF_LAYOUT": "zigzag"})
