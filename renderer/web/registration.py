"""Patient registration through the `core.registration` form definition.

The form is the definition of what registration asks; this module maps its answers onto the
store's patient record (names in both scripts, birth date, sex, contact) and keeps the full
answers as a signed registration document, so nothing the form asked is lost.

Editing a patient's details fills the same form with the latest registration answers (or,
for a patient registered before there was one, with the record's own fields), changes the
record and amends the registration document, so its history shows every earlier version.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from engine.evaluator import Evaluation
from engine.observations import derive_observations
from engine.store import Actor, DuplicateError, PatientRecord, Store
from engine.store.records import DocumentRecord
from renderer.web.services import publish_form

FORM_ID = "core.registration"


def patient_fields(answers: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `store.patients.create` from registration answers."""
    birth = answers.get("birth_date")
    address = ", ".join(str(answers[k]) for k in ("address_line", "city", "region", "country") if answers.get(k))
    return {
        "given_name": answers.get("given_name_en") or "",
        "family_name": answers.get("family_name_en") or "",
        "given_name_ar": answers.get("given_name_ar"),
        "family_name_ar": answers.get("family_name_ar"),
        "birth_date": dt.date.fromisoformat(birth) if isinstance(birth, str) else birth,
        "sex": answers.get("sex") or "unknown",
        "phone": answers.get("phone"),
        "email": answers.get("email"),
        "address": address or None,
    }


def new_mrn() -> str:
    """A medical record number: ``P-`` and eight digits, unlikely to repeat (checked on save)."""
    return f"P-{secrets.randbelow(10**8):08d}"


def register(store: Store, actor: Actor, evaluation: Evaluation, mrn: str | None = None) -> PatientRecord:
    """Create the patient and their signed registration document from a valid evaluation."""
    answers = evaluation.answers_json()
    fields = patient_fields(answers)
    for attempt in range(5):
        try:
            patient = store.patients.create(actor, mrn=mrn or new_mrn(), **fields)
            break
        except DuplicateError:
            if mrn is not None or attempt == 4:
                raise
    definition = publish_form(store, actor, evaluation.form)
    observations = derive_observations(evaluation)
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=definition.id,
                                 answers=answers, observations=observations)
    store.documents.sign(actor, doc.id, base_version=doc.version)
    return patient


def record_answers(patient: PatientRecord) -> dict[str, Any]:
    """Registration answers from the patient record alone (no registration document yet)."""
    answers: dict[str, Any] = {
        "given_name_en": patient.given_name, "family_name_en": patient.family_name,
        "given_name_ar": patient.given_name_ar, "family_name_ar": patient.family_name_ar,
        "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
        "sex": patient.sex, "phone": patient.phone, "email": patient.email, "address_line": patient.address,
    }
    return {k: v for k, v in answers.items() if v not in (None, "")}


def current_registration(store: Store, actor: Actor, patient: PatientRecord) -> tuple[dict[str, Any], DocumentRecord | None]:
    """What the edit page starts from: the latest registration answers and their document."""
    doc = store.documents.latest_of_form(actor, patient.id, FORM_ID)
    return (dict(doc.answers), doc) if doc is not None else (record_answers(patient), None)


def update_registration(store: Store, actor: Actor, patient_id: int, evaluation: Evaluation,
                        document: DocumentRecord | None, base_version: int | None, reason: str) -> PatientRecord:
    """Keep the new answers and change the patient record to match.

    The registration document is amended (``base_version``: the version the page was filled
    from; a stale one raises ConflictError before anything changes) when it was captured with
    this form version; otherwise a new registration document is signed beside it.
    """
    answers = evaluation.answers_json()
    observations = derive_observations(evaluation)
    if document is not None and document.content_hash == evaluation.form.key.content_hash:
        store.documents.amend(actor, document.id, base_version=document.version if base_version is None else base_version,
                              answers=answers, reason=reason, observations=observations)
    else:
        definition = publish_form(store, actor, evaluation.form)
        doc = store.documents.create(actor, patient_id=patient_id, definition_version_id=definition.id,
                                     answers=answers, observations=observations)
        store.documents.sign(actor, doc.id, base_version=doc.version)
    return store.patients.update(actor, patient_id, **patient_fields(answers))
