"""Patients and encounters: MRN per clinic, bilingual search, tenant isolation, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from engine.store import Actor, DuplicateError, NotFoundError, Store
from engine.store.models import AuditEvent
from engine.store.records import PatientRecord
from engine.store.text import normalise


def _events(store: Store) -> list[AuditEvent]:
    with store.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_create_and_open_a_patient(store: Store, actor: Actor) -> None:
    created = store.patients.create(actor, mrn=" 00042 ", given_name="Layla", family_name="Haddad",
                                    given_name_ar="ليلى", family_name_ar="حداد",
                                    birth_date=date(1990, 5, 17), sex="female", phone="+962700000")
    opened = store.patients.get(actor, created.id)
    assert opened == created
    assert (opened.mrn, opened.birth_date, opened.family_name_ar) == ("00042", date(1990, 5, 17), "حداد")
    last = _events(store)[-1]
    assert (last.action, last.entity_type, last.patient_id, last.ip) == ("read", "chart", created.id, "10.0.0.7")


def test_mrn_is_unique_per_clinic_only(store: Store, actor: Actor, patient: PatientRecord) -> None:
    with pytest.raises(DuplicateError, match="MRN 'MRN-1' is already used"):
        store.patients.create(actor, mrn="MRN-1", given_name="X", family_name="Y")
    other = store.accounts.create_clinic("south", "South clinic")
    twin = store.patients.create(Actor(None, "reception", other.id), mrn="MRN-1",
                                 given_name="X", family_name="Y")
    assert twin.clinic_id == other.id


def test_bad_input_is_refused_with_a_message(store: Store, actor: Actor) -> None:
    with pytest.raises(ValueError, match="MRN is required"):
        store.patients.create(actor, mrn="  ", given_name="A", family_name="B")
    with pytest.raises(ValueError, match="unknown sex 'f'"):
        store.patients.create(actor, mrn="9", given_name="A", family_name="B", sex="f")


@pytest.mark.parametrize("query", [
    "احمد",            # bare alef for أ
    "أحمد صالح",
    "أَحْمَد",          # with tashkeel
    "صال",             # partial
    "ahm",
    "AHMAD sal",
    "Sáleh",           # accents folded
    "MRN-1",
])
def test_search_finds_the_patient(store: Store, actor: Actor, patient: PatientRecord, query: str) -> None:
    assert [p.id for p in store.patients.search(actor, query)] == [patient.id]


def test_search_folds_taa_marbuta_and_alef_maqsura(store: Store, actor: Actor) -> None:
    fatima = store.patients.create(actor, mrn="7", given_name="Fatima", family_name="Mustafa",
                                   given_name_ar="فاطمة", family_name_ar="مصطفى")
    assert [p.id for p in store.patients.search(actor, "فاطمه مصطفي")] == [fatima.id]
    assert store.patients.search(actor, "زينب") == []
    assert store.patients.search(actor, "   ") == []


def test_search_escapes_like_wildcards(store: Store, actor: Actor, patient: PatientRecord) -> None:
    assert store.patients.search(actor, "%") == []
    assert store.patients.search(actor, "_") == []


def test_search_puts_an_mrn_match_first(store: Store, actor: Actor, patient: PatientRecord) -> None:
    named = store.patients.create(actor, mrn="X", given_name="Mrn-1", family_name="Person")
    assert [p.id for p in store.patients.search(actor, "MRN-1")] == [patient.id, named.id]


def test_other_clinics_patients_are_invisible(store: Store, actor: Actor, patient: PatientRecord) -> None:
    other = store.accounts.create_clinic("south", "South clinic")
    outsider = Actor(None, "clinician", other.id)
    with pytest.raises(NotFoundError, match="patient 1 not found in this clinic"):
        store.patients.get(outsider, patient.id)
    assert store.patients.search(outsider, "Ahmad") == []
    with pytest.raises(NotFoundError):
        store.encounters.open(outsider, patient.id, kind="outpatient")


def test_search_is_audited_with_its_results(store: Store, actor: Actor, patient: PatientRecord) -> None:
    store.patients.search(actor, "ahmad")
    last = _events(store)[-1]
    assert (last.action, last.entity_type, last.detail) == (
        "search", "patient", {"query": "ahmad", "results": [patient.id]})


def test_encounters_open_close_and_list(store: Store, actor: Actor, patient: PatientRecord) -> None:
    first = store.encounters.open(actor, patient.id, kind="outpatient", reason="follow-up",
                                  started_at=datetime(2024, 1, 1, 9, tzinfo=UTC))
    second = store.encounters.open(actor, patient.id, kind="telephone")
    closed = store.encounters.close(actor, first.id, ended_at=datetime(2024, 1, 1, 10, tzinfo=UTC))
    assert closed.status == "closed" and closed.ended_at == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert [e.id for e in store.encounters.for_patient(actor, patient.id)] == [second.id, first.id]


@given(st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي", min_size=1, max_size=12),
       st.lists(st.sampled_from("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"), max_size=4))
def test_normalise_ignores_tashkeel_and_is_idempotent(word: str, marks: list[str]) -> None:
    decorated = word[:1] + "".join(marks) + word[1:]
    assert normalise(decorated) == normalise(word)
    assert normalise(normalise(word)) == normalise(word)


def test_normalise_alef_forms_digits_and_case() -> None:
    assert normalise("أإآٱا") == "ااااا"
    assert normalise("مدرسة مستشفى") == "مدرسه مستشفي"
    assert normalise("٠١٢٣ Émile  O'Neil") == "0123 emile o'neil"


def test_update_changes_demographics_and_audits_the_old_values(store: Store, actor: Actor, patient: PatientRecord) -> None:
    updated = store.patients.update(actor, patient.id, family_name="Haddad-Saleh", family_name_ar="حداد صالح", phone="+962711111")
    assert (updated.family_name, updated.family_name_ar, updated.phone) == ("Haddad-Saleh", "حداد صالح", "+962711111")
    last = _events(store)[-1]
    assert (last.action, last.entity_type, last.patient_id) == ("update", "patient", patient.id)
    assert store.patients.search(actor, "صالح")[0].id == patient.id
    with pytest.raises(ValueError, match="cannot change mrn"):
        store.patients.update(actor, patient.id, mrn="X")
    with pytest.raises(ValueError, match="unknown sex"):
        store.patients.update(actor, patient.id, sex="robot")


def test_update_of_another_clinics_patient_is_not_found(store: Store, patient: PatientRecord) -> None:
    other = store.accounts.create_clinic("south", "South clinic")
    with pytest.raises(NotFoundError):
        store.patients.update(Actor(user_id=None, role="clinician", clinic_id=other.id), patient.id, phone="1")
