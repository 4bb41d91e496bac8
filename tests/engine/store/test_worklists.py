"""Dashboard lists: recent encounters, my drafts, the documents of an encounter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.store import Actor, NotFoundError, Store
from engine.store.models import AuditEvent
from engine.store.records import DefinitionRecord, PatientRecord

T0 = datetime(2024, 6, 1, 8, tzinfo=UTC)


def test_recent_encounters_newest_first_with_patient_names(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    store.encounters.open(actor, patient.id, kind="old", started_at=T0 - timedelta(days=2))
    morning = store.encounters.open(actor, patient.id, kind="morning", started_at=T0)
    noon = store.encounters.open(actor, patient.id, kind="noon", started_at=T0 + timedelta(hours=4))
    rows = store.worklists.encounters_since(actor, T0)
    assert [(r.id, r.title, r.patient_name, r.patient_name_ar, r.mrn) for r in rows] == [
        (noon.id, "noon", "Ahmad Saleh", "أحمد صالح", "MRN-1"),
        (morning.id, "morning", "Ahmad Saleh", "أحمد صالح", "MRN-1")]
    with store.db.transaction() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last is not None and (last.entity_type, last.detail) == ("worklist", {"patients": [patient.id]})
    assert store.encounters.get(actor, noon.id).kind == "noon"


def test_my_drafts_and_encounter_documents(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    me = Actor(store.accounts.create_user(actor, "me", "long enough pw", "Me").id, "clinician", actor.clinic_id)
    other = Actor(store.accounts.create_user(actor, "other", "long enough pw", "Other").id, "clinician",
                  actor.clinic_id)
    visit = store.encounters.open(me, patient.id, kind="outpatient")
    mine = store.documents.create(me, patient_id=patient.id, definition_version_id=form.id, answers={},
                                  encounter_id=visit.id)
    signed = store.documents.create(me, patient_id=patient.id, definition_version_id=form.id,
                                    answers={}, encounter_id=visit.id)
    store.documents.sign(me, signed.id, base_version=1)
    store.documents.create(other, patient_id=patient.id, definition_version_id=form.id, answers={})
    assert [r.id for r in store.worklists.drafts(me)] == [mine.id]
    assert [(r.id, r.status) for r in store.worklists.encounter_documents(me, visit.id)] == [
        (mine.id, "draft"), (signed.id, "signed")]
    outsider = Actor(None, "clinician", store.accounts.create_clinic("south", "South").id)
    with pytest.raises(NotFoundError):
        store.worklists.encounter_documents(outsider, visit.id)
    assert store.worklists.encounters_since(outsider, T0) == []
