"""The CDS Hooks 2.0 service, over real HTTP: discovery, patient-view, order-select, errors.

Every card and every discovery answer is checked against the shape the specification
gives (CDS Hooks 2.0, "Card Attributes" and "Discovery"), written below as JSON Schema:
required keys, their types and allowed values, and no key the specification does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from litestar import Litestar

from engine.decisions import card_for
from engine.packs import load
from engine.rules import ELLIPSIS, SUMMARY_LIMIT
from engine.testing import rule_env
from tests.apps import serve

ROOT = Path(__file__).resolve().parents[2]
_CODING = {"type": "object", "required": ["code", "system", "display"], "additionalProperties": False,
           "properties": {"code": {"type": "string", "minLength": 1}, "system": {"type": "string", "format": "uri", "minLength": 1},
                          "display": {"type": "string", "minLength": 1}}}
_URL = {"type": "string", "pattern": "^https?://"}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "additionalProperties": False,
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": SUMMARY_LIMIT},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {"type": "object", "required": ["label"], "additionalProperties": False,
                   "properties": {"label": {"type": "string", "minLength": 1}, "url": _URL, "icon": _URL, "topic": _CODING}},
        "suggestions": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["label"], "additionalProperties": False,
            "properties": {"label": {"type": "string", "minLength": 1}, "uuid": {"type": "string", "format": "uuid"},
                           "isRecommended": {"type": "boolean"},
                           "actions": {"type": "array", "items": {
                               "type": "object", "required": ["type", "description"],
                               "properties": {"type": {"enum": ["create", "update", "delete"]}, "description": {"type": "string"},
                                              "resource": {"type": "object"}, "resourceId": {"type": "string"}}}}}}},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": _CODING},
        "links": {"type": "array", "items": {
            "type": "object", "required": ["label", "url", "type"],
            "properties": {"label": {"type": "string"}, "url": {"type": "string"}, "type": {"enum": ["absolute", "smart"]},
                           "appContext": {"type": "string"}}}},
    },
    # suggestions need selectionBehavior
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}
RESPONSE = {"type": "object", "required": ["cards"], "properties": {"cards": {"type": "array", "items": CARD},
                                                                    "systemActions": {"type": "array"}}}
DISCOVERY = {
    "type": "object", "required": ["services"], "additionalProperties": False,
    "properties": {"services": {"type": "array", "items": {
        "type": "object", "required": ["hook", "description", "id"], "additionalProperties": False,
        "properties": {"hook": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string", "minLength": 1},
                       "id": {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"},
                       "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                       "usageRequirements": {"type": "string"}}}}},
}


def shape_problems(schema: dict[str, Any], body: Any) -> list[str]:
    """Where ``body`` leaves the specification's shape (empty: it conforms)."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(body)]


def _cards(response: httpx.Response) -> list[dict[str, Any]]:
    """The cards of a 200 answer, every one checked against the card shape."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert shape_problems(RESPONSE, body) == []
    return list(body["cards"])

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


def test_the_shape_check_catches_what_the_specification_forbids() -> None:
    good = {"uuid": "0d4c5b2e-1f7a-5a3b-9c1d-2e3f4a5b6c7d", "summary": "S", "indicator": "info", "source": {"label": "L"}}
    assert shape_problems(CARD, good) == []
    assert shape_problems(CARD, {**good, "suggestions": [{"label": "x"}]})  # no selectionBehavior
    assert shape_problems(CARD, {**good, "summary": "x" * (SUMMARY_LIMIT + 1)})
    assert shape_problems(CARD, {**good, "indicator": "hard-stop"})
    assert shape_problems(CARD, {**good, "source": {}})
    assert shape_problems(CARD, {**good, "overrideReasons": [{"code": "a", "system": "urn:x"}]})  # no display
    assert shape_problems(CARD, {**good, "links": [{"label": "a", "url": "https://x", "type": "relative"}]})
    assert shape_problems(CARD, {**good, "uuid": "not-a-uuid"})
    assert shape_problems(CARD, {**good, "severity": "info"})  # not a card attribute


def test_discovery(base_url: str) -> None:
    body = httpx.get(f"{base_url}/cds-services").json()
    assert shape_problems(DISCOVERY, body) == []
    hooks = {s["id"]: s["hook"] for s in body["services"]}
    assert hooks == {"cliniform-patient-view": "patient-view", "cliniform-order-select": "order-select"}
    for service in body["services"]:
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["title"] and service["description"]


def test_patient_view_finds_an_active_drug_conflicting_with_an_allergy(base_url: str) -> None:
    request = _request("patient-view", {"patient": PATIENT, "allergies": _bundle(ALLERGY), "medications": _bundle(_med("amoxicillin"))})
    cards = _cards(httpx.post(f"{base_url}/cds-services/cliniform-patient-view", json=request))
    assert [c["indicator"] for c in cards] == ["critical"]
    card = cards[0]
    assert "Penicillins" in card["summary"]
    assert card["source"] == {"label": "WHO ATC drug classes; NICE CG183 Drug allergy: diagnosis and management",
                              "url": "https://www.nice.org.uk/guidance/cg183"}
    # the drug-allergy card suggests another class: with suggestions comes selectionBehavior
    assert [s["label"] for s in card["suggestions"]] == ["Choose a drug from another class"]
    assert card["selectionBehavior"] == "at-most-one"
    assert {r["code"] for r in card["overrideReasons"]} >= {"tolerated-before"}


def test_order_select_with_draft_orders(base_url: str) -> None:
    orders = _bundle(_med("isotretinoin", "draft"), _med("apixaban", "draft"))
    request = _request("order-select", {"patient": PATIENT, "conditions": _bundle(PREGNANT), "medications": _bundle(_med("warfarin"))},
                       draftOrders=orders, selections=["MedicationRequest/1"])
    cards = _cards(httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request, headers={"Accept-Language": "ar"}))
    summaries = " | ".join(c["summary"] for c in cards)
    assert [c["indicator"] for c in cards] == ["critical", "warning"], summaries
    assert "حامل" in cards[0]["summary"]  # teratogen in pregnancy, in Arabic
    # apixaban on top of warfarin: the classes named in Arabic, listed with the Arabic comma
    assert "مضادات التخثر الفموية، " in cards[1]["summary"] and "anticoagulants" not in cards[1]["summary"]


def _allergy(code: str) -> dict[str, Any]:
    return {**ALLERGY, "code": {"coding": [{"system": "urn:cliniform:substance", "code": code}]}}


def test_a_summary_filled_with_long_values_is_cut_to_140_characters(base_url: str) -> None:
    """Four shared classes named in Arabic made a 144-character summary; it is cut at a
    word with "…" (English, 126 characters, stays whole)."""
    orders = _bundle(*(_med(d, "draft") for d in ("amoxicillin", "cefalexin", "aspirin", "azithromycin", "co-trimoxazole")))
    allergies = _bundle(*(_allergy(c) for c in ("penicillin", "cephalosporin", "aspirin", "macrolide", "sulfonamide")))
    request = _request("order-select", {"patient": PATIENT, "allergies": allergies}, draftOrders=orders, selections=[])
    url = f"{base_url}/cds-services/cliniform-order-select"
    english = next(c for c in _cards(httpx.post(url, json=request)) if c["indicator"] == "critical")
    assert english["summary"].endswith("Antiplatelet agents, Cephalosporins, NSAIDs, Penicillins")
    arabic = next(c for c in _cards(httpx.post(url, json=request, headers={"Accept-Language": "ar"})) if c["indicator"] == "critical")
    summary = arabic["summary"]
    assert len(summary) <= SUMMARY_LIMIT and summary.endswith(ELLIPSIS), (len(summary), summary)
    assert summary.startswith("تعارض مع الحساسية") and "مضادات الصفيحات" in summary
    assert not summary[:-1].endswith(("،", " "))  # cut after a whole word, not on the separator


def test_no_card_when_nothing_applies(base_url: str) -> None:
    request = _request("order-select", {"patient": PATIENT}, draftOrders=_bundle(_med("metoprolol", "draft")), selections=[])
    assert _cards(httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request)) == []


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_shipped_rules_card_has_the_cds_hooks_shape(locale: str) -> None:
    """Each rule of every shipped pack, on each of its fixtures that fires, makes a card the
    specification accepts (suggestions with selectionBehavior, Coding override reasons, a
    source label, a summary within the limit)."""
    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    assert result.ok
    forms = {f.id: f for f in result.catalog.latest_forms()}
    classifier = result.catalog.classifier()
    checked = 0
    for rule in result.catalog.rules():
        for test in (t for t in rule.tests if t.expect_fires):
            card = card_for(rule, rule_env(rule, test.answers, test.context, forms, classifier, test.event), locale, classifier)
            assert card is not None, (rule.id, test.name)
            assert shape_problems(CARD, card.as_cds_hooks()) == [], (rule.id, test.name)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"hook": "order-select"}', "'hook' must be 'patient-view'"),
        (b'{"hook": "patient-view", "context": {"patientId": "p1"}, "prefetch": {}}', "'hookInstance'"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {}, "prefetch": {}}', "'context.patientId'"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}, "prefetch": []}', "'prefetch' must be an object"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}, "prefetch": {"patient": {"id": 1}}}', "prefetch.patient"),
        (b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p1"}, "prefetch": {"m": {"resourceType": "Bundle", "entry": [{"x": 1}]}}}', "prefetch.m.entry[0]"),
    ],
)
def test_malformed_requests_get_a_clear_400(base_url: str, body: bytes, fragment: str) -> None:
    response = httpx.post(f"{base_url}/cds-services/cliniform-patient-view", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_without_prefetch_the_service_answers_412(base_url: str) -> None:
    """The service never queries the client's FHIR server: without the prefetch it cannot get
    its data, which CDS Hooks 2.0 answers with 412 Precondition Failed."""
    request = _request("patient-view", {})
    del request["prefetch"]
    response = httpx.post(f"{base_url}/cds-services/cliniform-patient-view", json=request)
    assert response.status_code == 412
    assert "'prefetch' is required" in response.json()["message"]


def test_order_select_needs_draft_orders(base_url: str) -> None:
    request = _request("order-select", {"patient": PATIENT})
    response = httpx.post(f"{base_url}/cds-services/cliniform-order-select", json=request)
    assert response.status_code == 400
    assert "draftOrders" in response.json()["message"]


def test_unknown_service(base_url: str) -> None:
    response = httpx.post(f"{base_url}/cds-services/nope", json={})
    assert response.status_code == 404
