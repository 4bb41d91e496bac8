"""The CDS Hooks 2.0 service, over real HTTP: discovery, patient-view, order-select, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.apps import serve

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1990-04-02", "gender": "female"}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def _med(code: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "status": status, "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": "urn:cliniform:drug", "code": code, "display": code.title()}]}}


ALLERGY = {"resourceType": "AllergyIntolerance", "clinicalStatus": {"coding": [{"code": "active"}]},
           "code": {"coding": [{"system": "urn:cliniform:substance", "code": "penicillin", "display": "Penicillin"}]}}
PREGNANT = {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "Z33", "display": "Pregnant state"}]}}


@pytest.fixture(scope="module")
def base_url(app: Litestar) -> Iterator[str]:
    with serve(app, lifespan="on", timeout=15) as url:
        yield url


def _request(hook: str, prefetch: dict[str, Any], **context: Any) -> dict[str, Any]:
    return {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "fhirServer": "https://ehr.example/fhir",
            "context": {"userId": "Practitioner/1", "patientId": "p1", **context}, "prefetch": prefetch}


def test_discovery(base_url: str) -> None:
    body = httpx.get(f"{base_url}/cds-services").json()
    hooks = {s["id"]: s["hook"] for s in body["services"]}
    assert hooks == {"cliniform-patient-view": "patient-view", "cliniform-order-select": "order-select"}
    for service in body["services"]:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["title"] and service["description"]


def test_patient_view_finds_an_active_drug_conflicting_with_an_allergy(base_url: str) -> None:
    request = _request("patient-view", {"patient": PATIENT, "allergies": _bundle(ALLERGY), "medications": _bundle(_med("amoxicillin"))})
    response = httpx.post(f"{base_url}/cds-services/cliniform-patient-view", json=request)
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]
    card = cards[0]
    assert "Penicillins" in card["summary"] and len(card["summary"]) <= 140
    assert card["source"]["label"] and card["uuid"]
    assert {r["code"] for r in card["overrideReasons"]} >= {"tolerated-before"}


def test_order_select_with_draft_orders(base_url: str) -> None:
    orders = _bundle(_med("isotretinoin", "draft"), _med("apixaban", "draft"))
    request = _request("order-select", {"patient": PATIENT, "conditions": _bundle(PREGNANT), "medications": _bundle(_med("warfarin"))},
                       draftOrders=orders, selections=["MedicationRequest/1"])
    response = httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request, headers={"Accept-Language": "ar"})
    assert response.status_code == 200
    cards = response.json()["cards"]
    summaries = " | ".join(c["summary"] for c in cards)
    assert [c["indicator"] for c in cards] == ["critical", "warning"], summaries
    assert "حامل" in cards[0]["summary"]  # teratogen in pregnancy, in Arabic
    # apixaban on top of warfarin: the classes named in Arabic, listed with the Arabic comma
    assert "مضادات التخثر الفموية، " in cards[1]["summary"] and "anticoagulants" not in cards[1]["summary"]


def test_no_card_when_nothing_applies(base_url: str) -> None:
    request = _request("order-select", {"patient": PATIENT}, draftOrders=_bundle(_med("metoprolol", "draft")), selections=[])
    assert httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request).json() == {"cards": []}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"hook": "order-select"}', "'hook' must be 'patient-view'"),
        (b'{"hook": "patient-view", "context": {"patientId": "p1"}, "prefetch": {}}', "'hookInstance'"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {}, "prefetch": {}}', "'context.patientId'"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}}', "'prefetch' is required"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}, "prefetch": {"patient": {"id": 1}}}', "prefetch.patient"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}, "prefetch": {"m": {"resourceType": "Bundle", "entry": [{"x": 1}]}}}', "prefetch.m.entry[0]"),
    ],
)
def test_malformed_requests_get_a_clear_400(base_url: str, body: bytes, fragment: str) -> None:
    response = httpx.post(f"{base_url}/cds-services/cliniform-patient-view", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_order_select_needs_draft_orders(base_url: str) -> None:
    request = _request("order-select", {"patient": PATIENT})
    response = httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request)
    assert response.status_code == 400
    assert "draftOrders" in response.json()["message"]


def test_unknown_service(base_url: str) -> None:
    response = httpx.post(f"{base_url}/cds-services/nope", json={})
    assert response.status_code == 404
