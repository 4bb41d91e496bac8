"""Every installed form prints: the answers of its first test case (or none), both languages
side by side, with every visible label in both languages and the stored answers embedded."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.catalog import Catalog
from engine.packs import default_pack_roots, load
from engine.store import PatientRecord, Store
from renderer.pdf.demo import Demo, record
from renderer.pdf.service import PdfService
from tests.renderer.pdf import readback
from tests.renderer.pdf.conftest import ROOT

FORMS = sorted(f.id for f in load(default_pack_roots(ROOT)).catalog.latest_forms())


@pytest.fixture(scope="module")
def patient(pdf_store: Store, demo: Demo) -> PatientRecord:
    """A patient of their own, so these documents stay out of the demo patient's chart."""
    return pdf_store.patients.create(demo.actor, mrn="F-1", given_name="Layla", family_name="Al-Harbi",
                                     given_name_ar="ليلى", family_name_ar="الحربي", sex="female",
                                     birth_date=dt.date(1991, 3, 14))


@pytest.mark.parametrize("form_id", FORMS)
def test_every_installed_form_prints(form_id: str, pdfs: PdfService, demo: Demo, pdf_store: Store, all_packs: Catalog,
                                     patient: PatientRecord) -> None:
    form = all_packs.form(form_id)
    assert form is not None
    answers = dict(form.tests[0].answers) if form.tests else {}
    doc = record(pdf_store, demo.actor, all_packs, patient, form_id, answers, sign=False)
    pdf = pdfs.document(demo.actor, doc.id, languages="both", layout="side").data
    text = readback.squeeze(readback.text(pdf, layout=False))  # a long title wraps in its column
    assert form.title.get("en") in text
    assert readback.words(form.title.get("ar")) <= readback.words(text)
    assert json.loads(readback.attachments(pdf)["answers.json"]) == doc.answers
    assert any(f["base"].startswith("Noto-Naskh-Arabic") for f in readback.fonts(pdf))
