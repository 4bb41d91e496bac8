"""Chart queries: timeline, observation series, latest answer, problem/medication lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.store import Actor, ListSpec, NotFoundError, ObservationRow, Store
from engine.store.charts import resolve_path
from engine.store.records import DefinitionRecord, PatientRecord

from .conftest import publish_form

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
LOINC = "http://loinc.org"


def vitals(store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord,
           day: int, systolic: float, *, sign: bool = True) -> int:
    doc = store.documents.create(
        actor, patient_id=patient.id, definition_version_id=form.id, effective_at=T0 + timedelta(days=day),
        answers={"sbp": systolic, "position": ["sitting"]},
        observations=[ObservationRow("sbp", LOINC, "8480-6", value_num=systolic, unit="mm[Hg]"),
                      ObservationRow("position", coding_system="local", coding_code="sitting")],
    )
    if sign:
        store.documents.sign(actor, doc.id, base_version=1)
    return doc.id


def test_series_by_code_and_by_item_oldest_first_final_only(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    vitals(store, actor, patient, form, 2, 150)
    vitals(store, actor, patient, form, 0, 130)
    vitals(store, actor, patient, form, 1, 140)
    vitals(store, actor, patient, form, 3, 999, sign=False)  # a draft
    by_code = store.charts.series(actor, patient.id, code="8480-6", code_system=LOINC)
    assert [(p.effective_at, p.value_num, p.unit) for p in by_code] == [
        (T0, 130, "mm[Hg]"), (T0 + timedelta(days=1), 140, "mm[Hg]"), (T0 + timedelta(days=2), 150, "mm[Hg]")]
    assert [p.value_num for p in store.charts.series(actor, patient.id, item_path="sbp")] == [130, 140, 150]
    assert len(store.charts.series(actor, patient.id, code="8480-6", include_drafts=True)) == 4
    window = store.charts.series(actor, patient.id, code="8480-6", since=T0 + timedelta(days=1),
                                 until=T0 + timedelta(days=2))
    assert [p.value_num for p in window] == [140]
    assert store.charts.series(actor, patient.id, code="8480-6", code_system="other") == []
    with pytest.raises(ValueError, match="either a code or an item path"):
        store.charts.series(actor, patient.id)


def test_series_is_per_patient_and_per_clinic(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    vitals(store, actor, patient, form, 0, 130)
    other = store.patients.create(actor, mrn="2", given_name="B", family_name="C")
    assert store.charts.series(actor, other.id, code="8480-6") == []
    outsider = Actor(None, "clinician", store.accounts.create_clinic("south", "South").id)
    with pytest.raises(NotFoundError):
        store.charts.series(outsider, patient.id, code="8480-6")


def test_latest_answer_offers_the_previous_value(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    assert store.charts.latest_answer(actor, patient.id, "sbp") is None
    vitals(store, actor, patient, form, 0, 130)
    newest = vitals(store, actor, patient, form, 5, 145)
    vitals(store, actor, patient, form, 9, 200, sign=False)
    latest = store.charts.latest_answer(actor, patient.id, "sbp")
    assert latest is not None and (latest.value, latest.document_id, latest.status) == (145, newest, "signed")
    position = store.charts.latest_answer(actor, patient.id, "position")
    assert position is not None and position.value == ["sitting"]
    draft = store.charts.latest_answer(actor, patient.id, "sbp", include_drafts=True)
    assert draft is not None and draft.value == 200
    assert store.charts.latest_answer(actor, patient.id, "sbp", def_id="cardiology.ecg") is None


def test_lists_come_from_the_latest_final_document(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    problems_form = publish_form(store, actor, "core.problems")
    spec = ListSpec("problems", ("core.problems", "core.intake"), "problems")
    assert store.charts.current_list(actor, patient.id, spec) == []
    old = store.documents.create(actor, patient_id=patient.id, definition_version_id=problems_form.id,
                                 effective_at=T0, answers={"problems": [{"code": "I10"}]})
    store.documents.sign(actor, old.id, base_version=1)
    new = store.documents.create(actor, patient_id=patient.id, definition_version_id=problems_form.id,
                                 effective_at=T0 + timedelta(days=1),
                                 answers={"problems": [{"code": "I10"}, {"code": "E11"}]})
    store.documents.sign(actor, new.id, base_version=1)
    store.documents.create(actor, patient_id=patient.id, definition_version_id=problems_form.id,
                           effective_at=T0 + timedelta(days=2), answers={"problems": []})  # draft
    entries = store.charts.current_list(actor, patient.id, spec)
    assert [(e.value["code"], e.document_id) for e in entries] == [("I10", new.id), ("E11", new.id)]


def test_timeline_lists_encounters_documents_and_consents_newest_first(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    visit = store.encounters.open(actor, patient.id, kind="outpatient", started_at=T0)
    doc = vitals(store, actor, patient, form, 1, 120)
    consent = store.consents.record(actor, patient_id=patient.id, event="given", text_version="2.1",
                                    language="ar", text_sha256="a" * 64, method="tablet",
                                    signers=[{"name": "Ahmad", "role": "patient"}],
                                    signed_at=T0 + timedelta(days=2))
    assert [(e.kind, e.id, e.status) for e in store.charts.timeline(actor, patient.id)] == [
        ("consent", consent, "given"), ("document", doc, "signed"), ("encounter", visit.id, "open")]


def test_resolve_path() -> None:
    answers = {"meds": [{"name": "aspirin", "dose": {"value": 75}}], "x": 0}
    assert resolve_path(answers, "meds[0].dose.value") == 75
    assert resolve_path(answers, "x") == 0
    assert resolve_path(answers, "meds[3].name") is None
    assert resolve_path(answers, "x.y") is None


def test_latest_observations_one_per_code_final_only(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    assert store.charts.latest_observations(actor, patient.id) == []
    vitals(store, actor, patient, form, 0, 130)
    newest = vitals(store, actor, patient, form, 4, 145)
    vitals(store, actor, patient, form, 2, 150)
    vitals(store, actor, patient, form, 9, 999, sign=False)  # a draft is not the latest value
    latest = store.charts.latest_observations(actor, patient.id)
    # one row per (system, code); uncoded items ("position") are not observations by code
    assert [(p.code_system, p.code, p.value_num, p.document_id, p.effective_at) for p in latest] == [
        (LOINC, "8480-6", 145, newest, T0 + timedelta(days=4))]
    assert [p.value_num for p in store.charts.latest_observations(actor, patient.id, include_drafts=True)] == [999]


def test_coded_answers_come_from_the_latest_final_document_of_each_form(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    icd = "http://hl7.org/fhir/sid/icd-10"
    history = publish_form(store, actor, "cardiology.history")
    problems = publish_form(store, actor, "core.problems")

    def document(form: DefinitionRecord, day: int, codes: list[str], *, sign: bool = True) -> int:
        doc = store.documents.create(
            actor, patient_id=patient.id, definition_version_id=form.id, effective_at=T0 + timedelta(days=day),
            answers={"codes": codes},
            observations=[ObservationRow("codes", coding_system=icd, coding_code=c, coding_display=c) for c in codes]
            + [ObservationRow("position", coding_system="local", coding_code="sitting")])
        if sign:
            store.documents.sign(actor, doc.id, base_version=1)
        return doc.id

    document(history, 0, ["I48", "Z95.2"])
    newest = document(history, 3, ["Z95.2"])
    document(history, 5, ["I50"], sign=False)
    document(problems, 6, ["Z33"])
    found = store.charts.coded_answers(actor, patient.id, icd, exclude_forms=("core.problems",))
    assert [(p.coding_code, p.document_id) for p in found] == [("Z95.2", newest)]
    assert {p.coding_code for p in store.charts.coded_answers(actor, patient.id, icd)} == {"Z95.2", "Z33"}
    # the latest history names no condition any more: none is left from the older one
    document(history, 8, [])
    assert store.charts.coded_answers(actor, patient.id, icd, exclude_forms=("core.problems",)) == []
