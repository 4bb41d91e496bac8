"""Order-select rules in the app: the medication form is the order entry. A rule declared for
the `order-select` event runs on each round-trip and sign of that form with `order` = the
rows whose drug is not on the patient's signed list yet, in the same alerts panel (slots,
acknowledgement, alert log, a critical card blocking the sign); a rule declaring both the
form and the event runs once, as the form's rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.observations import derive_observations
from engine.packs import load
from engine.store import PatientRecord, Store
from renderer.web.alerts import ordered_rules
from renderer.web.app import create_app
from renderer.web.services import publish_form
from renderer.web.settings import WebSettings
from tests.renderer.conftest import HERE, ROOT, sign_in
from tests.renderer.test_decision_support import HX, _clinician, _new_document, _soup, _version

Client = TestClient[Litestar]
RULE = "test.anticoagulant_ordered"
SLOT = "alert-test-anticoagulant_ordered"
CORE = ("core.drug_allergy_conflict", "core.duplicate_therapy", "core.teratogen_in_pregnancy")


@pytest.fixture(scope="module")
def ordering_catalog() -> Catalog:
    """The core pack and a test rule declared for order-select only."""
    result = load([ROOT / "form_definitions"], extra_files=[HERE / "rules" / "anticoagulant_ordered.yaml"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture(scope="module")
def client(settings: WebSettings, store: Store, ordering_catalog: Catalog) -> Iterator[Client]:
    with TestClient(create_app(settings, catalog=ordering_catalog, store=store), base_url="http://testserver.local") as client:
        sign_in(client)
        yield client


def _signed(store: Store, catalog: Catalog, patient: PatientRecord, form_id: str, answers: dict[str, Any]) -> None:
    who = _clinician(store)
    form = catalog.form(form_id)
    assert form is not None
    ev = evaluate(form, answers, Context(patient={"sex": patient.sex}))
    doc = store.documents.create(who, patient_id=patient.id, definition_version_id=publish_form(store, who, form).id,
                                 answers=ev.answers_json(), observations=derive_observations(ev))
    store.documents.sign(who, doc.id, base_version=doc.version)


def _patient(store: Store, catalog: Catalog, medications: tuple[str, ...] = (), allergies: tuple[str, ...] = ()) -> PatientRecord:
    patient = store.patients.create(_clinician(store), mrn=f"ORD-{dt.datetime.now().timestamp():.6f}", given_name="Huda",
                                    family_name="Haddad", sex="female", birth_date=dt.date(1960, 3, 1))
    if medications:
        _signed(store, catalog, patient, "core.medications", {"medications": [{"drug": d} for d in medications]})
    if allergies:
        _signed(store, catalog, patient, "core.allergies", {"no_known_allergies": False, "allergies": [{"substance": s} for s in allergies]})
    return patient


def _rows(*drugs: str, **extra: str) -> dict[str, str]:
    data = {"no_current_medications": "false"}
    for i, drug in enumerate(drugs):
        data |= {f"medications[{i}]._row": "1", f"medications[{i}].drug": drug, f"medications[{i}].medication_status": "active"}
    return data | extra


def _log(store: Store, url: str) -> list[tuple[str, str, str | None]]:
    entries = store.alerts.for_document(_clinician(store), int(url.rsplit("/", 1)[1]))
    return [(a.rule_id, a.action, (a.detail or {}).get("hook")) for a in entries]


def test_the_order_entry_has_one_slot_per_rule(ordering_catalog: Catalog) -> None:
    ids = [r.id for r in ordered_rules(ordering_catalog, "core.medications")]
    # the core rules declare the form and the event: one slot each, as the form's rules
    assert sorted(ids) == sorted({*CORE, RULE}) and len(ids) == len(set(ids))
    # other forms do not order anything
    assert RULE not in [r.id for r in ordered_rules(ordering_catalog, "core.vitals")]


def test_an_order_select_rule_runs_when_a_drug_is_added(client: Client, store: Store, ordering_catalog: Catalog) -> None:
    patient = _patient(store, ordering_catalog, medications=("warfarin",))
    url = _new_document(client, patient.id, "core.medications")
    page = _soup(client.get(url))
    assert page.find(id=SLOT) is not None and page.find(id=SLOT).find(class_="alert") is None
    # warfarin is on the signed list already: not an order, no card
    soup = _soup(client.post(f"{url}/live", data={**_rows("warfarin"), "_changed": "medications[0].drug"}, headers=HX))
    assert soup.find(id=SLOT) is not None and soup.find(id=SLOT).find(class_="alert") is None
    # apixaban added: the order is apixaban alone; the chart's list is the signed one
    soup = _soup(client.post(f"{url}/live", data={**_rows("warfarin", "apixaban"), "_changed": "medications[1].drug"}, headers=HX))
    card = soup.find(id=SLOT).find(class_="alert--critical")
    assert card is not None
    assert "Anticoagulant ordered: Apixaban; on the list: 1" in " ".join(card.get_text().split())
    # the slots of the round-trip: the form's rules reading the rows and the order-select rule, once each
    sent = [el["id"] for el in soup.select(".alert-slot")]
    assert sorted(sent) == sorted(["alert-" + r.replace(".", "-") for r in (*CORE, RULE)])
    # in Arabic too
    arabic = _soup(client.post(f"{url}/live?lang=ar", data={**_rows("warfarin", "apixaban"), "_changed": "medications[1].drug"}, headers=HX))
    assert "طلب مضاد تخثر: أبيكسابان" in arabic.find(id=SLOT).get_text()
    # a change outside the rows (none here but the "no medicines" box) and the override
    # reason being chosen are not orders: that slot is not sent
    soup = _soup(client.post(f"{url}/live", data={**_rows("warfarin", "apixaban"), f"_override.{RULE}": "bleeding-risk-checked",
                                                  "_changed": f"_override.{RULE}"}, headers=HX))
    assert soup.find(id=SLOT) is None
    # signing: the critical order-select card blocks it like a form rule's
    refused = client.post(url, data={**_rows("warfarin", "apixaban"), "_version": _version(client, url), "_action": "sign"})
    assert refused.status_code == 422
    blocked = _soup(refused)
    assert "1 critical alert" in blocked.find(id="sign-blocked").get_text()
    assert blocked.find(id=SLOT).find(class_="alert--flagged") is not None
    version = blocked.find("input", attrs={"name": "_version"})["value"]
    signed = client.post(url, data={**_rows("warfarin", "apixaban"), "_version": version, "_action": "sign",
                                    f"_override.{RULE}": "bleeding-risk-checked"}, follow_redirects=False)
    assert signed.status_code == 303, _soup(signed).find(id="form-alerts")
    mine = [entry for entry in _log(store, url) if entry[0] == RULE]
    assert mine == [(RULE, "shown", "order-select"), (RULE, "overridden", "order-select")]
    # the form's own rules are logged without a hook, once: duplicate therapy (warfarin + apixaban)
    assert [e for e in _log(store, url) if e[0] != RULE] == [("core.duplicate_therapy", "shown", None)]
    # apixaban is on the signed list now: ordering nothing new shows nothing
    again = _new_document(client, patient.id, "core.medications")
    soup = _soup(client.post(f"{again}/live", data={**_rows("warfarin", "apixaban"), "_changed": "medications[1].drug"}, headers=HX))
    assert soup.find(id=SLOT).find(class_="alert") is None


def test_a_dose_change_or_a_stopped_row_is_not_an_order(client: Client, store: Store, ordering_catalog: Catalog) -> None:
    patient = _patient(store, ordering_catalog, medications=("rivaroxaban",))
    url = _new_document(client, patient.id, "core.medications")
    dose = _rows("rivaroxaban", **{"medications[0].dose": "20", "medications[0].dose.unit": "mg"})
    soup = _soup(client.post(f"{url}/live", data={**dose, "_changed": "medications[0].dose"}, headers=HX))
    assert soup.find(id=SLOT) is not None and soup.find(id=SLOT).find(class_="alert") is None
    stopped = _rows("rivaroxaban", "edoxaban", **{"medications[1].medication_status": "stopped"})
    soup = _soup(client.post(f"{url}/live", data={**stopped, "_changed": "medications[1].medication_status"}, headers=HX))
    assert soup.find(id=SLOT).find(class_="alert") is None
    started = _rows("rivaroxaban", "edoxaban")
    soup = _soup(client.post(f"{url}/live", data={**started, "_changed": "medications[1].medication_status"}, headers=HX))
    assert "Edoxaban" in soup.find(id=SLOT).get_text() and "Rivaroxaban" not in soup.find(id=SLOT).get_text()
    # and signing with nothing new ordered goes through
    version = _version(client, url)
    signed = client.post(url, data={**_rows("rivaroxaban"), "_version": version, "_action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303


def test_a_rule_declaring_both_the_form_and_the_event_runs_once(client: Client, store: Store, ordering_catalog: Catalog) -> None:
    """The shipped drug-allergy rule declares core.medications and order-select: on the
    medication form it is one slot, run on the form's rows, logged once."""
    patient = _patient(store, ordering_catalog, allergies=("penicillin",))
    url = _new_document(client, patient.id, "core.medications")
    soup = _soup(client.post(f"{url}/live", data={**_rows("amoxicillin"), "_changed": "medications[0].drug"}, headers=HX))
    assert len(soup.select("#alert-core-drug_allergy_conflict")) == 1
    assert "Penicillins" in soup.find(id="alert-core-drug_allergy_conflict").get_text()
    page = _soup(client.get(url))
    ids = [el["id"] for el in page.select("#form-alerts .alert-slot")]
    assert len(ids) == len(set(ids)) == 4
    refused = client.post(url, data={**_rows("amoxicillin"), "_version": _version(client, url), "_action": "sign"})
    assert refused.status_code == 422 and "1 critical alert" in refused.text
    assert _log(store, url) == [("core.drug_allergy_conflict", "shown", None)]


def test_the_definition_preview_shows_order_select_cards(client: Client) -> None:
    """Without a patient nothing is on a signed list: every drug row is being ordered."""
    soup = _soup(client.post("/forms/core.medications", data={**_rows("dabigatran"), "_action": "check"}))
    card = soup.select_one(f"#{SLOT} .alert--critical")
    assert card is not None and "Dabigatran" in card.get_text() and card.find("button") is None
