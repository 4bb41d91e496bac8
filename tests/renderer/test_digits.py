"""Arabic-Indic digits on the web pages: the clinic's choice (else the deployment's
CLINIFORM_ARABIC_DIGITS), on Arabic pages only, through the same Formatter as the PDFs;
numbers, dates and counts of the chart and of a signed document; kept item HTML follows."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from engine.catalog import Catalog
from engine.store import Actor, Store
from engine.store.clinics import ClinicChanges
from engine.store.models import Clinic, Document
from renderer.web.app import create_app
from renderer.web.settings import WebSettings
from tests.renderer.conftest import sign_in

Client = TestClient[Litestar]
ARABIC_INDIC = re.compile("[٠-٩]")
LATIN = re.compile("[0-9]")


def _soup(response: Any) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture()
def clinic_id(app: Litestar, store: Store) -> Iterator[int]:
    """The demo clinic; its settings are put back afterwards (and the app's cache told)."""
    clinic = store.accounts.clinic_by_code("demo")
    assert clinic is not None
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None
        kept = row.settings
    yield clinic.id
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None
        row.settings = kept
    app.state.clinic_cache.forget(clinic.id)


def choose(app: Litestar, store: Store, clinic_id: int, digits: bool | None) -> None:
    """The clinic's choice, as its administrator saves it (this process forgets its copy)."""
    store.clinics.update(Actor.system(clinic_id), ClinicChanges(arabic_digits=digits))
    app.state.clinic_cache.forget(clinic_id)


def signed_vitals(store: Store, patient_id: int = 1) -> int:
    with store.db.transaction() as session:
        found = session.scalars(select(Document.id).where(Document.patient_id == patient_id, Document.status == "signed")
                                .order_by(Document.id.desc())).first()
    assert found is not None
    return found


def chart_texts(client: Client, lang: str) -> tuple[str, list[str], str]:
    page = _soup(client.get("/patients/1", params={"lang": lang}))
    value = page.select_one(".trend-value")
    assert value is not None
    times = [t.get_text() for t in page.select(".timeline time")]
    born = page.select(".patient-facts dd")[1]  # MRN, born (date and age), sex
    return value.get_text(" ", strip=True), times, born.get_text(" ", strip=True)


def document_texts(client: Client, store: Store, lang: str) -> tuple[str, list[str]]:
    page = _soup(client.get(f"/documents/{signed_vitals(store)}", params={"lang": lang}))
    systolic = page.select_one("#f-systolic")
    assert systolic is not None and systolic.name == "output"
    return systolic.get_text(), [t.get_text() for t in page.select(".history time")]


def test_with_the_clinics_option_arabic_pages_show_arabic_indic_digits(
        client: Client, app: Litestar, store: Store, clinic_id: int) -> None:
    choose(app, store, clinic_id, True)
    value, times, born = chart_texts(client, "ar")
    assert ARABIC_INDIC.search(value) and not LATIN.search(value), value  # ١٢٢ mmHg, not 122
    assert times and all(ARABIC_INDIC.search(t) and not LATIN.search(t) for t in times), times
    assert ARABIC_INDIC.search(born) and not LATIN.search(born), born  # the birth date and the age
    systolic, history = document_texts(client, store, "ar")
    assert ARABIC_INDIC.search(systolic) and not LATIN.search(systolic), systolic
    assert history and all(ARABIC_INDIC.search(t) and not LATIN.search(t) for t in history), history
    # English pages never
    for response in (client.get("/patients/1", params={"lang": "en"}),
                     client.get(f"/documents/{signed_vitals(store)}", params={"lang": "en"})):
        assert response.status_code == 200 and not ARABIC_INDIC.search(response.text)


def test_without_it_arabic_pages_show_latin_digits(client: Client, app: Litestar, store: Store, clinic_id: int) -> None:
    # drawn once with the option on: the kept item HTML must not come back with it off
    choose(app, store, clinic_id, True)
    assert ARABIC_INDIC.search(document_texts(client, store, "ar")[0])
    choose(app, store, clinic_id, False)
    value, times, born = chart_texts(client, "ar")
    assert LATIN.search(value) and not ARABIC_INDIC.search(value), value
    assert LATIN.search(born) and not ARABIC_INDIC.search(born), born
    assert times and not any(ARABIC_INDIC.search(t) for t in times)
    systolic, history = document_texts(client, store, "ar")
    assert LATIN.search(systolic) and not ARABIC_INDIC.search(systolic), systolic
    assert not any(ARABIC_INDIC.search(t) for t in history)


def test_the_deployment_default_applies_until_the_clinic_chooses(
        settings: WebSettings, catalog: Catalog, store: Store, clinic_id: int) -> None:
    app = create_app(dataclasses.replace(settings, arabic_digits=True), catalog=catalog, store=store)
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client)
        choose(app, store, clinic_id, None)
        assert ARABIC_INDIC.search(chart_texts(client, "ar")[0])
        choose(app, store, clinic_id, False)
        assert not ARABIC_INDIC.search(chart_texts(client, "ar")[0])
