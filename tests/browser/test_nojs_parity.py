"""Without JavaScript the document page stores the same answers: the same vital signs are
entered in two documents of one patient, once with JavaScript (live checks, autosave, sign)
and once in a page with JavaScript off (full-page posts only), one answer first breaking a
constraint and then corrected, two items that only appear once another is answered, and a
temperature in another unit. Both documents are then read back from the store: the answers
JSON, the typed observations and the error shown for the broken answer are the same (and
the draft autosaved before signing holds what was then signed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.store import Store
from engine.store.models import Document, Observation
from tests.browser.conftest import shot, sign_in, start_form

pytestmark = pytest.mark.browser
PATIENT = 16  # a demo patient no other browser test writes to
BEFORE = {"systolic": "130", "diastolic": "140", "heart_rate": "72", "respiratory_rate": "16", "temperature": "98.6",
          "spo2": "97", "weight": "80", "height": "180", "pain_score": "5"}
#: answered once they appear (on_oxygen: once spo2 has a value; pain_location: once pain_score > 0)
AFTER = {"pain_location": "Forehead"}
FIXED = {"diastolic": "85"}
OBSERVATION_COLUMNS = ("item_path", "code_system", "code", "value_num", "value_text", "value_date", "value_datetime",
                       "coding_system", "coding_code", "coding_display", "unit")


def _settle(page: Any) -> None:
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def _new_vitals(page: Any, server_url: str) -> int:
    """A new encounter of PATIENT and a vitals document in it: the document's id."""
    return int(start_form(page, server_url, PATIENT, "core.vitals").rstrip("/").rsplit("/", 1)[1])


def _fill(page: Any, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        page.fill(f"#f-{name}", value)
        if name == "temperature":
            page.select_option("#f-temperature-unit", "[degF]")


def _stored(store: Store, document_id: int) -> tuple[str, dict[str, Any], list[tuple[Any, ...]]]:
    with store.db.engine.connect() as conn:
        document = conn.execute(select(Document.status, Document.answers).where(Document.id == document_id)).one()
        columns = [getattr(Observation, c) for c in OBSERVATION_COLUMNS]
        rows = conn.execute(select(*columns).where(Observation.document_id == document_id)).all()
    return document.status, document.answers, sorted((tuple(r) for r in rows), key=repr)


def test_the_same_answers_are_stored_with_and_without_javascript(page: Any, nojs_page: Any,
                                                                  server: tuple[str, Store]) -> None:
    server_url, store = server

    # with JavaScript: live checks while typing, the draft autosaved, then signed
    sign_in(page, server_url)
    live_id = _new_vitals(page, server_url)
    _fill(page, BEFORE)
    _settle(page)
    live_error = page.inner_text("#err-diastolic").strip()
    assert live_error, "the live check showed no error for the broken answer"
    page.check("#f-on_oxygen-yes")
    _fill(page, {**AFTER, **FIXED})
    _settle(page)
    assert page.inner_text("#err-diastolic").strip() == ""
    page.wait_for_function("() => document.getElementById('save-status').innerText.includes('Draft saved')", timeout=6000)
    autosaved = _stored(store, live_id)
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector(".history")
    shot(page, "parity-1-signed-with-javascript")

    # without JavaScript: the same answers through full-page posts
    sign_in(nojs_page, server_url)
    plain_id = _new_vitals(nojs_page, server_url)
    assert nojs_page.locator("#item-on_oxygen").is_hidden() and nojs_page.locator("#item-pain_location").is_hidden()
    _fill(nojs_page, BEFORE)
    nojs_page.click(".form-actions button[value=sign]")
    nojs_page.wait_for_selector("#error-summary:not([hidden])")
    plain_error = nojs_page.inner_text("#err-diastolic").strip()
    assert nojs_page.input_value("#f-weight") == "80"  # nothing typed is lost
    shot(nojs_page, "parity-2-refused-without-javascript")
    nojs_page.check("#f-on_oxygen-yes")
    _fill(nojs_page, {**AFTER, **FIXED})
    nojs_page.click(".form-actions button[value=sign]")
    nojs_page.wait_for_selector(".history")
    shot(nojs_page, "parity-3-signed-without-javascript")

    assert plain_error == live_error
    live, plain = _stored(store, live_id), _stored(store, plain_id)
    assert live[0] == plain[0] == "signed" and autosaved[0] == "draft"
    assert autosaved[1:] == live[1:], "the autosaved draft is not what was signed"
    assert plain[1] == live[1], "the answers JSON differs"
    assert plain[2] == live[2], "the typed observations differ"
    assert live[1]["on_oxygen"] is True and live[1]["pain_location"] == "Forehead"
    assert live[1]["temperature"]["unit"] == "[degF]" and len(live[2]) >= 10
