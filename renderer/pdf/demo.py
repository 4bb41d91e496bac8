"""A small, realistic clinic for PDF tests, benchmarks and trying prints by hand.

`seed(store, catalog)` publishes the installed forms it uses, registers a patient with
English and Arabic names, opens an encounter and records signed documents (vital signs,
allergies, medications, a dental examination, the general consent with a signature image).
Everything goes through the store API, as the web app will.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.store import Actor, Store
from engine.store.records import DocumentRecord, PatientRecord


def signature_png() -> bytes:
    """A drawn signature (a pen stroke on white), as a PNG made with Pillow."""
    import io
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(image)
    points = [(20 + x, 70 - 28 * math.sin(x / 17) * math.exp(-x / 400) - (12 if 140 < x < 190 else 0))
              for x in range(0, 320, 3)]
    draw.line(points, fill=(20, 30, 90), width=4, joint="curve")
    draw.line([(30, 98), (320, 92)], fill=(20, 30, 90), width=2)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@dataclass(slots=True)
class Demo:
    actor: Actor
    patient: PatientRecord
    encounter_id: int
    documents: dict[str, DocumentRecord] = field(default_factory=dict)


VITALS = {"systolic": 128, "diastolic": 84, "heart_rate": 76, "respiratory_rate": 16,
          "temperature": {"value": 37.2, "unit": "Cel"}, "spo2": 97, "on_oxygen": False,
          "weight": {"value": 72.5, "unit": "kg"}, "height": {"value": 175, "unit": "cm"},
          "pain_score": 3, "pain_location": "Lower back / أسفل الظهر"}


ALLERGIES = {"no_known_allergies": False, "allergies": [
    {"substance": "penicillin", "allergy_type": "allergy", "reaction": ["126485001", "41291007"],
     "severity": "severe", "reaction_date": "2019-06-14", "allergy_status": "active"},
    {"substance": "nsaid", "allergy_type": "intolerance", "reaction": ["422587007"], "severity": "mild",
     "allergy_status": "active"},
]}

MEDICATIONS = {"no_current_medications": False, "medications": [
    {"drug": "azithromycin", "dose": {"value": 500, "unit": "mg"}, "route": "26643006",
     "frequency": "once_daily", "indication": "Sinusitis / التهاب الجيوب", "start_date": "2025-04-28",
     "medication_status": "active"},
    {"drug": "warfarin", "dose": {"value": 5, "unit": "mg"}, "route": "26643006", "frequency": "once_daily",
     "indication": "AF", "start_date": "2021-02-01", "medication_status": "stopped", "stop_date": "2025-01-10",
     "stop_reason": "Switched to apixaban"},
]}

CONSENT = {"read_in_own_language": True, "questions_answered": True, "can_withdraw": True,
           "intent_to_sign": True, "patient_name": "Ahmad Saleh", "interpreter_used": False,
           "clinician_name": "Dr Sara Haddad"}

DENTAL = {"chief_complaint": "Pain on chewing, lower right / ألم عند المضغ", "pain_score": 6,
          "soft_tissue_findings": ["gingivitis"], "soft_tissue_notes": "Generalised marginal gingivitis.",
          "oral_hygiene": "fair", "dentition": "permanent", "charting_complete": True,
          "teeth_permanent": {"46": {"status": "caries", "surfaces": ["O", "D"]}, "36": {"status": "filled", "surfaces": ["O"]},
                              "18": {"status": "missing", "missing_reason": "orthodontic"},
                              "11": {"status": "crown", "tooth_note": "Porcelain crown 2019"}}}


def publish(store: Store, actor: Actor, catalog: Catalog, form_id: str) -> int:
    form = catalog.form(form_id)
    if form is None:
        raise LookupError(f"form {form_id} is not installed")
    record = store.definitions.publish(actor, kind="form", def_id=form.id, version=form.version,
                                       source_text=form.source_text, content_hash=form.key.content_hash)
    return record.id


def record(store: Store, actor: Actor, catalog: Catalog, patient: PatientRecord, form_id: str,
           raw: dict[str, Any], *, encounter_id: int | None = None, sign: bool = True) -> DocumentRecord:
    """Evaluate ``raw`` with the one evaluator, store the typed answers, and sign."""
    form = catalog.form(form_id)
    assert form is not None
    evaluation = evaluate(form, raw, Context(patient={"sex": patient.sex, "birth_date": patient.birth_date}))
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=publish(store, actor, catalog, form_id),
                                 answers=evaluation.answers_json(), encounter_id=encounter_id)
    return store.documents.sign(actor, doc.id, base_version=doc.version) if sign else doc


def seed(store: Store, catalog: Catalog, *, clinic_code: str = "pdf-demo", user: bool = True) -> Demo:
    clinic = store.accounts.clinic_by_code(clinic_code) or store.accounts.create_clinic(
        clinic_code, "Cliniform Demo Clinic", "عيادة كلينيفورم التجريبية")
    operator = Actor.system(clinic.id)
    user_id = None
    if user:
        account = store.accounts.create_user(operator, f"sara.{clinic_code}", "correct horse battery staple",
                                             "Dr Sara Haddad", ("clinician",))
        user_id = account.id
    actor = Actor(user_id, "clinician", clinic.id)
    patient = store.patients.create(actor, mrn="A-10234", given_name="Ahmad", family_name="Saleh",
                                    given_name_ar="أحمد", family_name_ar="صالح",
                                    birth_date=dt.date(1980, 1, 2), sex="male", phone="+962 6 555 0100")
    encounter = store.encounters.open(actor, patient.id, kind="outpatient", reason="Back pain")
    demo = Demo(actor, patient, encounter.id)
    docs = demo.documents
    docs["vitals"] = record(store, actor, catalog, patient, "core.vitals", VITALS, encounter_id=encounter.id)
    docs["allergies"] = record(store, actor, catalog, patient, "core.allergies", ALLERGIES, encounter_id=encounter.id)
    docs["medications"] = record(store, actor, catalog, patient, "core.medications", MEDICATIONS, encounter_id=encounter.id)
    consent = dict(CONSENT, patient_signature=signature_ref(store, actor, patient.id, "Ahmad Saleh"),
                   clinician_signature=signature_ref(store, actor, patient.id, "Dr Sara Haddad"))
    docs["consent"] = record(store, actor, catalog, patient, "core.general_consent_form", consent, encounter_id=encounter.id)
    if catalog.form("dental.exam") is not None:
        docs["dental"] = record(store, actor, catalog, patient, "dental.exam", DENTAL)
    return demo


def signature_ref(store: Store, actor: Actor, patient_id: int, signer: str) -> dict[str, Any]:
    stored = store.files.put(actor, signature_png(), "image/png", patient_id=patient_id)
    return {"file": stored.sha256, "name": "signature.png", "media_type": "image/png",
            "size": stored.size, "signer": signer, "signed_at": "2025-05-03T09:30:00+00:00"}
