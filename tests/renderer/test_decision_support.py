"""Decision support in documents: the alerts panel with the patient's chart, live cards,
acknowledging with an override reason (htmx and plain posts), signing blocked by an open
critical card, the alert log kept with the document and shown on the signed view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.observations import derive_observations
from engine.store import Actor, PatientRecord, Store
from renderer.web.services import publish_form

Client = TestClient[Litestar]
HX = {"HX-Request": "true"}
RULE = "core.drug_allergy_conflict"
SLOT = "alert-core-drug_allergy_conflict"


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _clinician(store: Store) -> Actor:
    clinic = store.accounts.clinic_by_code("demo")
    assert clinic is not None
    return Actor.system(clinic.id)


@pytest.fixture()
def allergic(store: Store, catalog: Catalog) -> PatientRecord:
    """A new patient whose signed allergy list has penicillin."""
    who = _clinician(store)
    patient = store.patients.create(who, mrn=f"PEN-{dt.datetime.now().timestamp():.6f}", given_name="Rami",
                                    family_name="Khoury", sex="male", birth_date=dt.date(1978, 6, 1))
    form = catalog.form("core.allergies")
    assert form is not None
    version = publish_form(store, who, form)
    ev = evaluate(form, {"no_known_allergies": False, "allergies": [{"substance": "penicillin", "severity": "severe"}]},
                  Context(patient={"sex": "male"}))
    doc = store.documents.create(who, patient_id=patient.id, definition_version_id=version.id,
                                 answers=ev.answers_json(), observations=derive_observations(ev))
    store.documents.sign(who, doc.id, base_version=doc.version)
    return patient


def _new_document(client: Client, patient_id: int, form_id: str) -> str:
    started = client.post(f"/patients/{patient_id}/encounters", data={"kind": "outpatient", "reason": "review"}, follow_redirects=False)
    assert started.status_code == 303
    doc = client.post(f"{started.headers['location']}/documents", data={"form_id": form_id}, follow_redirects=False)
    assert doc.status_code == 303
    return str(doc.headers["location"])


def _drug(drug: str, **extra: str) -> dict[str, str]:
    return {"no_current_medications": "false", "medications[0]._row": "1", "medications[0].drug": drug,
            "medications[0].medication_status": "active", **extra}


def _version(client: Client, url: str) -> str:
    return str(_soup(client.get(url)).find("input", attrs={"name": "_version"})["value"])


def _log(store: Store, url: str) -> list[tuple[str, str, str | None]]:
    document_id = int(url.rsplit("/", 1)[1])
    return [(a.rule_id, a.action, a.reason) for a in store.alerts.for_document(_clinician(store), document_id)]


def test_the_conflict_appears_live_when_a_drug_row_is_added(client: Client, store: Store, allergic: PatientRecord) -> None:
    url = _new_document(client, allergic.id, "core.medications")
    page = _soup(client.get(url))
    assert page.find(id="form-alerts") is not None and page.select("#form-alerts .alert") == []
    soup = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin"), "_changed": "medications[0].drug"}, headers=HX))
    slot = soup.find(id=SLOT)
    assert slot is not None and slot.has_attr("hx-swap-oob")
    card = slot.find(class_="alert--critical")
    assert card is not None and "Penicillins" in card.get_text()
    reasons = [i["value"] for i in slot.find_all("input", attrs={"name": f"_override.{RULE}"})]
    assert reasons == ["tolerated-before", "allergy-disproved", "benefit-outweighs", "_other"]
    # only the rules reading the medication list ran again; vitals rules were never sent
    assert {el["id"] for el in soup.select(".alert-slot")} == {SLOT, "alert-core-duplicate_therapy", "alert-core-teratogen_in_pregnancy"}
    # the same card in Arabic, summary and controls
    arabic = _soup(client.post(f"{url}/live?lang=ar", data={**_drug("amoxicillin"), "_changed": "medications[0].drug"}, headers=HX))
    slot_ar = arabic.find(id=SLOT)
    assert "تعارض مع الحساسية" in slot_ar.get_text() and "حرج" in slot_ar.find(class_="alert-indicator").get_text()
    # the class is named in Arabic too, not by its code
    assert "البنسلينات" in slot_ar.get_text() and "penicillins" not in slot_ar.get_text().lower()
    assert slot_ar.find("button", attrs={"name": "_ack"}).get_text() == "تجاوز"
    # another drug of another class: the card goes away
    soup = _soup(client.post(f"{url}/live", data={**_drug("azithromycin"), "_changed": "medications[0].drug"}, headers=HX))
    assert soup.find(id=SLOT).find(class_="alert") is None
    soup = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin"), "_changed": "medications[0].drug"}, headers=HX))
    assert soup.find(id=SLOT).find(class_="alert--critical") is not None
    # typing in another cell of the row the rule reads: the card is sent again as it was,
    # with the reason being chosen kept, and it is not logged as shown twice
    soup = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin", **{"medications[0].indication": "otitis"}),
                                                  f"_override.{RULE}": "benefit-outweighs",
                                                  "_changed": "medications[0].indication"}, headers=HX))
    assert soup.find(id=SLOT).find("input", attrs={"value": "benefit-outweighs"}).has_attr("checked")
    # choosing a reason is not an answer any rule reads: no slot is sent, the page keeps its own
    soup = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin"), f"_override.{RULE}": "tolerated-before",
                                                  "_changed": f"_override.{RULE}"}, headers=HX))
    assert soup.select(".alert-slot") == []
    assert _log(store, url) == [(RULE, "shown", None)]


def test_a_long_filled_summary_is_cut_to_140_characters_on_the_panel(client: Client, store: Store, catalog: Catalog) -> None:
    """Four drug classes named in Arabic fill the drug-allergy summary to 144 characters: the
    panel shows it cut after a whole word with "…"; the English one (126) is whole."""
    from engine.rules import ELLIPSIS, SUMMARY_LIMIT

    who = _clinician(store)
    patient = store.patients.create(who, mrn=f"LONG-{dt.datetime.now().timestamp():.6f}", given_name="Samir",
                                    family_name="Aziz", sex="male", birth_date=dt.date(1970, 1, 1))
    form = catalog.form("core.allergies")
    assert form is not None
    ev = evaluate(form, {"no_known_allergies": False, "allergies": [{"substance": s} for s in ("penicillin", "cephalosporin", "aspirin")]},
                  Context(patient={"sex": "male"}))
    doc = store.documents.create(who, patient_id=patient.id, definition_version_id=publish_form(store, who, form).id,
                                 answers=ev.answers_json(), observations=derive_observations(ev))
    store.documents.sign(who, doc.id, base_version=doc.version)
    url = _new_document(client, patient.id, "core.medications")
    data: dict[str, str] = {"no_current_medications": "false", "_changed": "medications[2].drug"}
    for i, drug in enumerate(("amoxicillin", "cefalexin", "aspirin")):
        data |= {f"medications[{i}]._row": "1", f"medications[{i}].drug": drug, f"medications[{i}].medication_status": "active"}
    english = _soup(client.post(f"{url}/live", data=data, headers=HX)).find(id=f"{SLOT}-summary").find("strong").get_text()
    assert english.endswith("Antiplatelet agents, Cephalosporins, NSAIDs, Penicillins"), english
    arabic = _soup(client.post(f"{url}/live?lang=ar", data=data, headers=HX)).find(id=f"{SLOT}-summary").find("strong").get_text()
    assert len(arabic) <= SUMMARY_LIMIT and arabic.endswith(ELLIPSIS) and arabic.startswith("تعارض مع الحساسية"), (len(arabic), arabic)
    # the log keeps the summary as shown
    assert all(len(a.summary) <= SUMMARY_LIMIT for a in store.alerts.for_document(who, int(url.rsplit("/", 1)[1])))


def test_signing_is_refused_until_the_critical_card_has_a_reason(client: Client, store: Store, allergic: PatientRecord) -> None:
    url = _new_document(client, allergic.id, "core.medications")
    version = _version(client, url)
    # signed straight away, never seen live: the rules run again on sign
    refused = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_action": "sign"})
    assert refused.status_code == 422
    soup = _soup(refused)
    assert "Not signed: 1 critical alert needs an override reason." in soup.find(id="sign-blocked").get_text()
    slot = soup.find(id=SLOT)
    assert slot.find(class_="alert--flagged") is not None
    assert "give a reason for overriding" in slot.find(class_="errors").get_text()
    assert soup.find(id="f-medications-0-drug") is not None  # the answers are kept
    assert "Draft" in _soup(client.get(url)).find(class_="status").get_text()
    version = soup.find("input", attrs={"name": "_version"})["value"]  # the refused answers were kept as the draft
    # a reason chosen with the sign button: overridden, logged, signed
    signed = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_action": "sign",
                                    f"_override.{RULE}": "tolerated-before"}, follow_redirects=False)
    assert signed.status_code == 303, _soup(signed).find(id="form-alerts")
    assert _log(store, url) == [(RULE, "shown", None), (RULE, "overridden", "Tolerated this drug before")]
    view = _soup(client.get(url))
    log = view.find(id="alert-log")
    assert log is not None
    text = " ".join(log.get_text().split())
    assert "Penicillins" in text and "Overridden" in text and "Tolerated this drug before" in text
    assert log.find("time") is not None
    entry = store.alerts.for_document(_clinician(store), int(url.rsplit("/", 1)[1]))[-1]
    assert entry.user_id is not None and entry.user_name and entry.user_name in text
    assert entry.detail and entry.detail["reason_code"] == "tolerated-before" and len(entry.detail["inputs_hash"]) == 64
    # the chart reads the same context: the signed list now has amoxicillin, the allergy penicillin
    chart = _soup(client.get(f"/patients/{allergic.id}"))
    assert any("Penicillins" in a.get_text() for a in chart.select(".alert--critical"))
    # the medication list shows what was answered, not the form's calculated helpers
    assert [li.get_text() for li in chart.select("[aria-labelledby=medications-title] li")] == ["Amoxicillin · Taking"]
    # the chart's card is in the alert log once (for the patient, no document), however often the chart opens
    client.get(f"/patients/{allergic.id}")
    logged = [a for a in store.alerts.for_patient(_clinician(store), allergic.id) if a.document_id is None]
    assert [(a.rule_id, a.action, (a.detail or {}).get("hook")) for a in logged] == [(RULE, "shown", "patient-view")]
    assert logged[0].user_id is not None and "Penicillins" in logged[0].summary


def test_an_acknowledged_card_stays_away_until_its_inputs_change(client: Client, store: Store, allergic: PatientRecord) -> None:
    url = _new_document(client, allergic.id, "core.medications")
    data = {**_drug("amoxicillin"), "_changed": "medications[0].drug"}
    _soup(client.post(f"{url}/live", data=data, headers=HX))
    # htmx: the Override button posts to the live endpoint with the form; a reason is needed
    pressed = {**HX, "HX-Trigger-Name": "_ack"}  # what htmx sends for a button's own post
    missing = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin"), "_changed": "_ack", "_ack": RULE}, headers=pressed))
    assert "Choose a reason or write one." in missing.find(id=SLOT).get_text()
    acked = _soup(client.post(f"{url}/live", data={**_drug("amoxicillin"), "_changed": "_ack", "_ack": RULE,
                                                   f"_override.{RULE}": "_other", f"_override_text.{RULE}": "Had amoxicillin in 2023, no reaction"}, headers=pressed))
    slot = acked.find(id=SLOT)
    assert slot.find(class_="alert") is None
    assert "Had amoxicillin in 2023, no reaction" in slot.find(class_="alert-done").get_text()
    # the same answers again (a reload, a save): not shown again
    version = _version(client, url)
    saved = _soup(client.post(url, data={**_drug("amoxicillin"), "_version": version, "_action": "save"}))
    assert saved.find(id=SLOT).find(class_="alert") is None
    again = _soup(client.post(f"{url}/live", data=data, headers=HX))
    assert again.find(id=SLOT).find(class_="alert") is None
    # other inputs (another penicillin): the card is back, and blocks signing again
    changed = _soup(client.post(f"{url}/live", data={**_drug("ampicillin"), "_changed": "medications[0].drug"}, headers=HX))
    assert changed.find(id=SLOT).find(class_="alert--critical") is not None
    version = _version(client, url)
    refused = client.post(url, data={**_drug("ampicillin"), "_version": version, "_action": "sign"})
    assert refused.status_code == 422
    version = _soup(refused).find("input", attrs={"name": "_version"})["value"]  # kept as the draft
    # back to the acknowledged inputs: quiet, and signing goes through
    signed = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303
    actions = [(action, reason) for _, action, reason in _log(store, url)]
    assert actions == [("shown", None), ("overridden", "Had amoxicillin in 2023, no reaction"), ("shown", None)]


def test_without_javascript_the_buttons_are_plain_posts(client: Client, store: Store, allergic: PatientRecord) -> None:
    url = _new_document(client, allergic.id, "core.medications")
    version = _version(client, url)
    plain = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_ack": RULE})
    assert plain.status_code == 422  # no reason given: the page again with the error
    soup = _soup(plain)
    assert soup.find("html") is not None and "Choose a reason or write one." in soup.find(id=SLOT).get_text()
    assert soup.find(id="f-medications-0-drug").find("option", selected=True)["value"] == "amoxicillin"
    button = soup.find(id=SLOT).find("button", attrs={"name": "_ack"})
    assert button["type"] == "submit" and button["value"] == RULE  # submits the form without htmx
    done = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_ack": RULE, f"_override.{RULE}": "allergy-disproved"})
    assert done.status_code == 200
    slot = _soup(done).find(id=SLOT)
    assert slot.find(class_="alert") is None and "Allergy disproved by testing" in slot.get_text()
    signed = client.post(url, data={**_drug("amoxicillin"), "_version": version, "_action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303
    assert "Allergy disproved by testing" in _soup(client.get(url)).find(id="alert-log").get_text()


def test_the_panel_orders_by_severity_and_a_warning_can_be_noted(client: Client, store: Store, allergic: PatientRecord) -> None:
    url = _new_document(client, allergic.id, "core.vitals")
    version = _version(client, url)
    vitals = {"systolic": "192", "diastolic": "100", "heart_rate": "128", "spo2": "96", "_version": version}
    soup = _soup(client.post(url, data={**vitals, "_action": "save"}))
    cards = soup.select("#form-alerts .alert")
    assert [c["data-rule"] for c in cards] == ["core.hypertensive_crisis", "core.tachycardia"]
    assert cards[0]["role"] == "alert" and cards[1]["role"] == "note"
    # a warning has no reason to give: "Noted" logs it as accepted and quiets it
    assert cards[1].find("button", attrs={"name": "_accept"}) is not None
    assert cards[0].find("button", attrs={"name": "_accept"}) is None  # a critical card needs a reason
    noted = _soup(client.post(url, data={**vitals, "_accept": "core.tachycardia"}))
    assert [c["data-rule"] for c in noted.select("#form-alerts .alert")] == ["core.hypertensive_crisis"]
    assert "Noted:" in noted.find(id="alert-core-tachycardia").get_text()
    assert ("core.tachycardia", "accepted", None) in _log(store, url)
    # a warning never blocks signing; the critical one does
    refused = client.post(url, data={**vitals, "_version": noted.find("input", attrs={"name": "_version"})["value"], "_action": "sign"})
    assert refused.status_code == 422 and "1 critical alert" in refused.text


def test_the_definition_preview_shows_cards_without_acknowledging(client: Client) -> None:
    soup = _soup(client.post("/forms/core.vitals", data={"systolic": "190", "diastolic": "90", "_action": "check"}))
    card = soup.select_one("#alert-core-hypertensive_crisis .alert--critical")
    assert card is not None and card.find("button") is None and card.find("input") is None


@pytest.fixture(scope="module")
def all_packs_client(settings: Any, store: Store) -> Any:
    """The app with every shipped pack (the cardiology pack has an info rule on the vitals)."""
    from engine.packs import load
    from renderer.web.app import create_app
    from tests.renderer.conftest import ROOT, sign_in

    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    assert result.ok
    with TestClient(create_app(settings, catalog=result.catalog, store=store), base_url="http://testserver.local") as client:
        sign_in(client)
        yield client


def test_info_cards_are_quiet_and_come_last(all_packs_client: Client, store: Store, allergic: PatientRecord) -> None:
    client = all_packs_client
    url = _new_document(client, allergic.id, "core.vitals")
    vitals = {"systolic": "150", "diastolic": "85", "heart_rate": "128", "_version": _version(client, url)}
    soup = _soup(client.post(url, data={**vitals, "_action": "save"}))
    cards = soup.select("#form-alerts .alert")
    assert [c["data-rule"] for c in cards] == ["core.tachycardia", "cardiology.bp_above_target"]
    info = cards[1]
    assert "alert--info" in info["class"] and info["role"] == "note"
    assert info.find("details", class_="alert-more") is not None  # detail folded away
    assert info.find("fieldset") is None and info.find("button", attrs={"name": "_accept"}) is not None
    # an info card never blocks signing (nor does a warning)
    version = soup.find("input", attrs={"name": "_version"})["value"]
    signed = client.post(url, data={**vitals, "_version": version, "_action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303
