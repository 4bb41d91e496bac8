"""Every read of patient data through the store API leaves exactly one audit event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.store import Actor, ListSpec, ObservationRow, Store
from engine.store.models import AuditEvent
from engine.store.records import DefinitionRecord, PatientRecord

READS: dict[str, Callable[[Store, Actor, int, int], object]] = {
    "chart": lambda s, a, p, d: s.patients.get(a, p),
    "encounters": lambda s, a, p, d: s.encounters.for_patient(a, p),
    "document": lambda s, a, p, d: s.documents.get(a, d),
    "revisions": lambda s, a, p, d: s.documents.revisions(a, d),
    "timeline": lambda s, a, p, d: s.charts.timeline(a, p),
    "series": lambda s, a, p, d: s.charts.series(a, p, code="8480-6"),
    "latest_answer": lambda s, a, p, d: s.charts.latest_answer(a, p, "sbp"),
    "list": lambda s, a, p, d: s.charts.current_list(a, p, ListSpec("problems", ("core.vitals",), "sbp")),
    "alerts": lambda s, a, p, d: s.alerts.for_patient(a, p),
    "observations": lambda s, a, p, d: s.charts.latest_observations(a, p),
    "coded_answers": lambda s, a, p, d: s.charts.coded_answers(a, p, "http://hl7.org/fhir/sid/icd-10"),
    "consents": lambda s, a, p, d: s.consents.for_patient(a, p),
}


@pytest.mark.parametrize("entity", READS)
def test_each_read_is_audited_with_who_and_which_patient(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord, entity: str
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"sbp": 120},
                                 observations=[ObservationRow("sbp", "http://loinc.org", "8480-6", value_num=120)])
    before = store.verify_audit().head_seq or 0
    READS[entity](store, actor, patient.id, doc.id)
    with store.db.transaction() as session:
        new = list(session.scalars(select(AuditEvent).where(AuditEvent.seq > before)))
    assert [(e.action, e.entity_type, e.patient_id, e.ip, e.role) for e in new] == [
        ("read", entity, patient.id, actor.ip, actor.role)]


def test_naive_datetimes_are_refused_by_name(store: Store, actor: Actor, patient: PatientRecord,
                                             form: DefinitionRecord) -> None:
    naive = datetime(2024, 1, 1, 9, 0)
    with pytest.raises(ValueError, match="effective_at is a naive datetime"):
        store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                               answers={}, effective_at=naive)
    with pytest.raises(ValueError, match="started_at is a naive datetime"):
        store.encounters.open(actor, patient.id, kind="outpatient", started_at=naive)
    with pytest.raises(ValueError, match="since is a naive datetime"):
        store.charts.series(actor, patient.id, code="x", since=naive)
