"""The clinic with its store: sign-in, roles, search, registration, chart, encounters, and a
document from draft to signed to amended."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.store import Store
from tests.renderer.conftest import sign_in

Client = TestClient[Litestar]


def _soup(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")  # type: ignore[attr-defined]


def test_pages_need_a_signed_in_user(anonymous: Client) -> None:
    response = anonymous.get("/patients?q=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fpatients%3Fq%3Dx"
    hx = anonymous.post("/documents/1/live", data={}, headers={"HX-Request": "true", "HX-Current-URL": "http://x/documents/1"})
    assert hx.headers.get("hx-redirect") == "/login?next=%2Fdocuments%2F1"
    assert anonymous.get("/login").status_code == 200


def test_sign_in_and_out(anonymous: Client) -> None:
    bad = anonymous.post("/login", data={"username": "clinician", "password": "wrong"})
    assert bad.status_code == 401 and "not right" in bad.text
    assert "cliniform_session" not in anonymous.cookies
    sign_in(anonymous)
    home = anonymous.get("/")
    assert home.status_code == 200 and "Dr. Khaled Mansour" in home.text
    anonymous.post("/logout")
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_refused(anonymous: Client) -> None:
    sign_in(anonymous)
    token = anonymous.cookies["cliniform_session"]
    body, _, sig = token.partition(".")
    anonymous.cookies.set("cliniform_session", body[:-2] + "xx." + sig, domain="testserver.local")
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_roles(anonymous: Client) -> None:
    sign_in(anonymous, "reception")
    assert anonymous.get("/patients?q=saleh").status_code == 200
    assert anonymous.get("/patients/new").status_code == 200
    assert anonymous.get("/drafts").status_code == 403
    assert anonymous.get("/forms").status_code == 403


def test_search_by_part_of_an_arabic_or_latin_name_or_mrn(client: Client) -> None:
    soup = _soup(client.get("/patients", params={"q": "صال"}))
    names = [a.get_text(strip=True) for a in soup.select("#results td:first-child a")]
    assert names == ["Ahmad Saleh", "Dina Saleh"]
    assert len(_soup(client.get("/patients", params={"q": "fat hadd"})).select("#results tbody tr")) == 1
    assert len(_soup(client.get("/patients", params={"q": "فاطمه"})).select("#results tbody tr")) == 1  # ة / ه folded
    assert len(_soup(client.get("/patients", params={"q": "D-000003"})).select("#results tbody tr")) == 1
    fragment = client.get("/patients", params={"q": "sal"}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.text.lstrip().startswith('<div id="results"')


def test_register_a_patient_through_the_registration_form(client: Client, store: Store) -> None:
    form = _soup(client.get("/patients/new"))
    assert form.find(id="f-given_name_en") is not None
    data = {"given_name_en": "Sara", "family_name_en": "Odeh", "given_name_ar": "سارة", "family_name_ar": "عودة",
            "birth_date": "1991-05-06", "sex": "female", "phone": "+962790000099", "preferred_language": "ar"}
    missing = client.post("/patients/new", data={**data, "sex": ""})
    assert missing.status_code == 422 and "#f-sex" in missing.text
    response = client.post("/patients/new", data=data, follow_redirects=False)
    assert response.status_code == 303, _soup(response).find(id="error-summary")
    chart = client.get(response.headers["location"])
    assert "Sara Odeh" in chart.text and "سارة" in chart.text
    found = _soup(client.get("/patients", params={"q": "سارة"}))
    assert [a.get_text(strip=True) for a in found.select("#results td:first-child a")] == ["Sara Odeh"]


def _new_vitals(client: Client, patient_id: int = 1) -> str:
    started = client.post(f"/patients/{patient_id}/encounters", data={"kind": "outpatient", "reason": "cough"}, follow_redirects=False)
    assert started.status_code == 303
    encounter = started.headers["location"]
    assert "cough" in client.get(encounter).text
    doc = client.post(f"{encounter}/documents", data={"form_id": "core.vitals"}, follow_redirects=False)
    assert doc.status_code == 303
    return str(doc.headers["location"])


VITALS = {"systolic": "128", "diastolic": "82", "heart_rate": "70", "weight": "80", "weight.unit": "kg",
          "height": "180", "height.unit": "cm", "pain_score": "0"}


def test_fill_autosave_sign_view_and_amend(client: Client) -> None:
    url = _new_vitals(client)
    page = _soup(client.get(url))
    version = page.find("input", attrs={"name": "_version"})["value"]
    assert page.find(id="autosave")["hx-post"] == f"{url}/autosave"
    saved = client.post(f"{url}/autosave", data={**VITALS, "systolic": "12", "_version": version}, headers={"HX-Request": "true"})
    assert "Draft saved" in saved.text
    new_version = _soup(saved).find("input", attrs={"name": "_version"})["value"]
    assert int(new_version) == int(version) + 1
    # the draft comes back as it was left, even with an answer still out of range
    page = _soup(client.get(url))
    assert page.find(id="f-systolic")["value"] == "12"
    assert "at least 40" in page.find(id="err-systolic").get_text()
    # dashboard and drafts list show it
    assert url in client.get("/drafts").text
    # signing refuses invalid answers and names them
    refused = client.post(url, data={**VITALS, "systolic": "12", "_version": new_version, "_action": "sign"})
    assert refused.status_code == 422 and "#f-systolic" in refused.text
    # ... and keeps them as the draft: the refused page carries the version that save made
    kept_version = _soup(refused).find("input", attrs={"name": "_version"})["value"]
    assert int(kept_version) == int(new_version) + 1
    assert _soup(client.get(url)).find(id="f-systolic")["value"] == "12"
    stale = client.post(url, data={**VITALS, "_version": new_version, "_action": "sign"}, follow_redirects=False)
    assert stale.status_code == 409  # based on the version before the refused sign's save
    signed = client.post(url, data={**VITALS, "_version": kept_version, "_action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303
    view = _soup(client.get(url))
    assert view.find("form", id="answers-form") is None  # read-only
    assert view.find(id="f-bmi").get_text(strip=True).startswith("24.7")
    assert view.select_one(".history-entry .history-kind").get_text() == "Signed"
    # amend with a reason: the history keeps both
    amend = _soup(client.get(f"{url}/amend"))
    assert amend.find(id="f-_reason") is not None
    version = amend.find("input", attrs={"name": "_version"})["value"]
    no_reason = client.post(f"{url}/amend", data={**VITALS, "systolic": "132", "_version": version, "_reason": ""})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    done = client.post(f"{url}/amend", data={**VITALS, "systolic": "132", "_version": version, "_reason": "typo in systolic"},
                       follow_redirects=False)
    assert done.status_code == 303
    view = _soup(client.get(url))
    assert view.find(id="f-systolic").get_text(strip=True).startswith("132")
    kinds = [li.find(class_="history-kind").get_text() for li in view.select(".history-entry")]
    assert kinds[:2] == ["Amended", "Signed"]
    assert "typo in systolic" in view.find(class_="history").get_text()


def test_conflicting_saves_keep_both(client: Client) -> None:
    url = _new_vitals(client)
    version = _soup(client.get(url)).find("input", attrs={"name": "_version"})["value"]
    first = client.post(f"{url}/autosave", data={**VITALS, "_version": version}, headers={"HX-Request": "true"})
    assert "Draft saved" in first.text
    stale = client.post(f"{url}/autosave", data={**VITALS, "heart_rate": "99", "_version": version}, headers={"HX-Request": "true"})
    soup = _soup(stale)
    assert "someone else changed" in soup.find(id="save-status").get_text()
    assert soup.find(id="autosave") is not None and not soup.find(id="autosave").has_attr("hx-post")  # autosave stops
    plain = client.post(url, data={**VITALS, "_version": version, "_action": "save"})
    assert plain.status_code == 409 and re.search(r"revision \d+", plain.text)


def test_chart_shows_vitals_trend_and_timeline(client: Client) -> None:
    soup = _soup(client.get("/patients/1"))
    names = [t.get_text(strip=True) for t in soup.select(".trend-name")]
    assert "Systolic" in names and "Body mass index" in names
    assert soup.select_one(".sparkline polyline")["points"]
    assert soup.select(".timeline-entry--document a")


def test_other_clinics_patients_are_not_found(client: Client, store: Store) -> None:
    from engine.store import Actor

    other = store.accounts.create_clinic("other", "Other clinic")
    foreign = store.patients.create(Actor.system(other.id), mrn="X-1", given_name="Far", family_name="Away")
    assert client.get(f"/patients/{foreign.id}").status_code == 404


def test_previous_value_is_offered_and_used(client: Client) -> None:
    url = _new_vitals(client, patient_id=3)  # the demo seed signed vitals for this patient
    page = _soup(client.get(url))
    offer = page.find("button", attrs={"name": "_use_previous", "value": "weight"})
    assert offer is not None and "Use the last value: 75 kg" in offer.get_text()
    assert page.find("button", attrs={"name": "_use_previous", "value": "heart_rate"}) is None  # not offered
    live = client.post(f"{url}/live", data={"_use_previous": "weight", "_visible": ["weight"]},
                       headers={"HX-Request": "true", "HX-Trigger-Name": "_use_previous"})
    soup = _soup(live)
    assert soup.find(id="f-weight")["value"] == "75"
    assert soup.find("button", attrs={"name": "_use_previous"}) is None  # answered now
    plain = _soup(client.post(url, data={"_use_previous": "height"}))
    assert plain.find(id="f-height")["value"] == "170"


def test_the_offer_goes_away_once_the_item_is_answered(client: Client) -> None:
    url = _new_vitals(client, patient_id=3)
    soup = _soup(client.post(f"{url}/live", data={"weight": "81", "_changed": "weight", "_visible": ["weight"]}, headers={"HX-Request": "true"}))
    offer = soup.find(id="offer-weight")
    assert offer is not None and offer.find("button") is None


def test_the_page_is_audited_its_live_round_trips_are_not(client: Client, store: Store) -> None:
    """Opening the document is a read of it and of the chart; the live round-trips of that
    page evaluate what is posted and show nothing stored, so they add no audit events."""
    from sqlalchemy import func, select

    from engine.store.models import AuditEvent

    def count() -> int:
        with store.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    url = _new_vitals(client)
    before = count()
    client.get(url)
    opened = count()
    assert opened > before
    for systolic in ("120", "130", "140"):
        live = client.post(f"{url}/live", data={**VITALS, "systolic": systolic, "_changed": "systolic"}, headers={"HX-Request": "true"})
        assert live.status_code == 200 and "hx-swap-oob" in live.text
    assert count() == opened
