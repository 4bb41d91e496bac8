"""Patient registration through the `core.registration` form definition.

The form is the definition of what registration asks; this module maps its answers onto the
store's patient record (names in both scripts, birth date, sex, contact) and keeps the full
answers as a signed registration document, so nothing the form asked is lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from engine.evaluator import Evaluation
from engine.observations import derive_observations
from engine.store import Actor, DuplicateError, PatientRecord, Store
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
