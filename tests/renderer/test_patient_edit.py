"""Editing a patient's details: the registration form filled with what is on record, the
record changed, the registration document amended (its history keeps every version), a
stale page refused as a conflict, bad answers refused with nothing changed."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from engine.store import Actor, Store
from engine.store.models import AuditEvent, Document
from tests.renderer.conftest import sign_in

Client = TestClient[Litestar]
REGISTRATION = {"given_name_en": "Hala", "family_name_en": "Barakat", "given_name_ar": "هالة", "family_name_ar": "بركات",
                "birth_date": "1984-09-12", "sex": "female", "phone": "+962790000123", "preferred_language": "ar"}


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _register(client: Client, **changes: str) -> int:
    response = client.post("/patients/new", data={**REGISTRATION, **changes}, follow_redirects=False)
    assert response.status_code == 303, _soup(response).find(id="error-summary")
    return int(response.headers["location"].rsplit("/", 1)[1])


def _form_data(soup: BeautifulSoup) -> dict[str, str]:
    """What the browser would post back unchanged: the inputs' values and the checked choices."""
    data: dict[str, str] = {}
    for el in soup.select("#answers-form input[name], #answers-form textarea[name], #answers-form select[name]"):
        name, kind = el["name"], el.get("type", "")
        if el.name == "select":
            chosen = el.find("option", selected=True)
            data[name] = chosen["value"] if chosen else ""
        elif kind in ("radio", "checkbox"):
            if el.has_attr("checked"):
                data[name] = el["value"]
        elif kind not in ("submit", "file"):
            data[name] = el.get("value", "") if el.name == "input" else el.get_text()
    return data


def _registration_documents(store: Store, patient_id: int) -> list[Document]:
    with store.db.transaction() as session:
        return list(session.scalars(select(Document).where(Document.patient_id == patient_id,
                                                           Document.def_id == "core.registration")))


def test_the_edit_page_starts_from_the_details_on_record(client: Client) -> None:
    patient = _register(client)
    chart = _soup(client.get(f"/patients/{patient}"))
    link = chart.select_one(".patient-banner a.patient-edit")
    assert link is not None and link["href"] == f"/patients/{patient}/edit"
    page = _soup(client.get(link["href"]))
    assert page.find("h1").get_text(strip=True) == "Edit patient details"
    assert page.find(id="f-given_name_en")["value"] == "Hala"
    assert page.find(id="f-given_name_ar")["value"] == "هالة"
    assert page.find(id="f-birth_date")["value"] == "1984-09-12"
    assert page.find(id="f-phone")["value"] == "+962790000123"
    assert page.find("input", attrs={"name": "_version"}) is not None


def test_saving_changes_the_record_and_amends_the_registration(client: Client, store: Store) -> None:
    patient = _register(client)
    data = _form_data(_soup(client.get(f"/patients/{patient}/edit")))
    data.update({"family_name_en": "Barakat-Odeh", "family_name_ar": "بركات عودة", "phone": "+962790000456",
                 "_reason": "Married name", "_action": "save"})
    saved = client.post(f"/patients/{patient}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/patients/{patient}"
    chart = _soup(client.get(f"/patients/{patient}"))
    assert "Hala Barakat-Odeh" in chart.select_one(".patient-name").get_text()
    assert "بركات عودة" in chart.select_one(".patient-name-ar").get_text()
    found = _soup(client.get("/patients", params={"q": "بركات عودة"})).select("#results td:first-child a")
    assert [a.get_text() for a in found] == ["Hala Barakat-Odeh"]
    # one registration document, amended: the history has both versions and the reason
    docs = _registration_documents(store, patient)
    assert len(docs) == 1 and docs[0].status == "amended" and docs[0].answers["phone"] == "+962790000456"
    history = _soup(client.get(f"/documents/{docs[0].id}")).find(class_="history").get_text()
    assert "Amended" in history and "Signed" in history and "Married name" in history
    # the record's change is audited with the fields and their earlier values
    with store.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_type == "patient",
                                                         AuditEvent.patient_id == patient)).one()
    assert event.detail["changed"] == ["family_name", "family_name_ar", "phone"]
    assert event.detail["before"]["phone"] == "+962790000123"


def test_bad_answers_are_refused_and_nothing_changes(client: Client, store: Store) -> None:
    patient = _register(client)
    data = _form_data(_soup(client.get(f"/patients/{patient}/edit")))
    refused = client.post(f"/patients/{patient}/edit", data={**data, "birth_date": "2999-01-01", "phone": "+962791111111",
                                                              "_reason": "typo", "_action": "save"})
    assert refused.status_code == 422
    soup = _soup(refused)
    assert soup.find(id="error-summary").find("a", href="#f-birth_date") is not None
    assert soup.find(id="f-phone")["value"] == "+962791111111"  # what was typed is kept
    assert soup.find(id="f-_reason").get_text() == "typo"
    assert _soup(client.get(f"/patients/{patient}/edit")).find(id="f-phone")["value"] == "+962790000123"
    assert _registration_documents(store, patient)[0].status == "signed"


def test_a_stale_page_is_a_conflict_that_keeps_both(client: Client, store: Store) -> None:
    patient = _register(client)
    first = _form_data(_soup(client.get(f"/patients/{patient}/edit")))
    second = dict(first)
    assert client.post(f"/patients/{patient}/edit", data={**first, "phone": "+962790000777", "_action": "save"},
                       follow_redirects=False).status_code == 303
    stale = client.post(f"/patients/{patient}/edit", data={**second, "phone": "+962790000888", "_action": "save"})
    assert stale.status_code == 409 and "someone else changed" in stale.text
    assert _soup(stale).find(id="f-phone")["value"] == "+962790000888"
    assert _soup(client.get(f"/patients/{patient}/edit")).find(id="f-phone")["value"] == "+962790000777"


def test_a_patient_without_a_registration_document_gets_one(client: Client, store: Store) -> None:
    clinic = store.accounts.clinic_by_code("demo")
    assert clinic is not None
    # registered before registration was a form: a record and no registration document
    patient = store.patients.create(Actor.system(clinic.id), mrn="X-EDIT-1", given_name="Yusuf", family_name="Amin", given_name_ar=None,
                                    family_name_ar=None, birth_date=None, sex="male", phone=None, email=None, address="Irbid")
    page = _soup(client.get(f"/patients/{patient.id}/edit"))
    assert page.find(id="f-given_name_en")["value"] == "Yusuf" and page.find(id="f-address_line")["value"] == "Irbid"
    assert page.find("input", attrs={"name": "_version"}) is None
    data = {**_form_data(page), "birth_date": "1970-01-02", "preferred_language": "en", "phone": "+962790000321", "_action": "save"}
    saved = client.post(f"/patients/{patient.id}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303, _soup(saved).find(id="error-summary")
    docs = _registration_documents(store, patient.id)
    assert len(docs) == 1 and docs[0].status == "signed" and docs[0].answers["birth_date"] == "1970-01-02"


def test_who_may_edit(anonymous: Client) -> None:
    sign_in(anonymous, "reception")
    assert anonymous.get("/patients/1/edit").status_code == 200
    sign_in(anonymous, "auditor")
    assert anonymous.get("/patients/1/edit").status_code == 403
