"""The clinician's day in Chromium (the web issue's acceptance path), a screenshot per step:
sign in, find a patient by part of an Arabic name, start an encounter, fill the vitals by
keyboard only (BMI, a conditional item, an error fixed), add and remove a row, leave and
continue the autosaved draft, sign, view, amend with a reason, and read it in Arabic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


def _settle(page: Any) -> None:
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def _tab_to(page: Any, element_id: str, limit: int = 12) -> None:
    """Press Tab until ``element_id`` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_clinician_day(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    shot(page, "clinician-01-dashboard")

    # find a patient by part of an Arabic name
    page.goto(f"{server_url}/patients")
    page.fill("#q", "صال")
    page.wait_for_selector("#results tbody tr")
    _settle(page)
    assert page.locator("#results tbody tr").first.inner_text().startswith("Ahmad Saleh")
    shot(page, "clinician-02-search-arabic")
    page.click("#results tbody tr >> nth=0 >> a >> nth=0")
    page.wait_for_selector(".patient-banner")
    shot(page, "clinician-03-chart")

    # start an encounter and the vitals form
    page.fill("input[name=reason]", "Headache")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.wait_for_selector("#form_id")
    page.select_option("#form_id", "core.vitals")
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    document_url = page.url

    # keyboard only from here: a constraint error, then fixed
    page.focus("#f-systolic")
    page.keyboard.type("90")
    _tab_to(page, "f-diastolic")
    page.keyboard.type("100")
    _tab_to(page, "f-heart_rate")
    _settle(page)
    assert "lower than systolic" in page.inner_text("#err-diastolic")
    shot(page, "clinician-04-validation-error")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("60")
    _tab_to(page, "f-heart_rate")
    _settle(page)
    assert page.inner_text("#err-diastolic").strip() == ""
    page.keyboard.type("72")
    _tab_to(page, "f-weight")
    page.keyboard.type("80")
    _tab_to(page, "f-height")
    page.keyboard.type("180")
    _tab_to(page, "f-pain_score")
    _settle(page)
    assert page.inner_text("#f-bmi").startswith("24.7")
    assert page.is_hidden("#item-pain_location")
    page.keyboard.type("5")
    _settle(page)
    assert page.is_visible("#item-pain_location")
    _tab_to(page, "f-pain_location")
    page.keyboard.type("Forehead")
    shot(page, "clinician-05-bmi-and-conditional")

    # autosave: leave, come back, continue
    page.wait_for_function("() => document.getElementById('save-status').innerText.includes('Draft saved')", timeout=6000)
    page.goto(f"{server_url}/")
    assert page.locator("text=My unfinished drafts").is_visible()
    page.click(f"a[href='{document_url.removeprefix(server_url)}']")
    page.wait_for_selector("#answers-form")
    assert page.input_value("#f-pain_location") == "Forehead"
    assert page.input_value("#f-weight") == "80"
    shot(page, "clinician-06-draft-continued")

    # sign (keyboard: focus the Sign button and press Enter), then view
    page.focus(".form-actions button[value=sign]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".history")
    assert "Signed" in page.inner_text(".history")
    assert page.inner_text("#f-bmi").startswith("24.7")
    shot(page, "clinician-07-signed-view")

    # amend with a reason: the history shows both
    page.click("a[href$='/amend']")
    page.wait_for_selector("#f-_reason")
    page.fill("#f-heart_rate", "76")
    page.fill("#f-_reason", "Heart rate re-measured after rest")
    page.click(".form-actions button[value=amend]")
    page.wait_for_selector(".history")
    history = page.inner_text(".history")
    assert "Amended" in history and "Heart rate re-measured after rest" in history
    assert page.inner_text("#f-heart_rate").startswith("76")
    shot(page, "clinician-08-amended-history")

    # the same page in Arabic, right to left
    page.click(".lang-switch button[value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    assert "السجل" in page.inner_text(".history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "clinician-09-arabic-rtl")


def test_add_and_remove_a_medication_row(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/patients/2")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.wait_for_selector("#form_id")
    page.select_option("#form_id", "core.medications")
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    rows = page.locator("#item-medications .repeat-row")
    before = rows.count()
    page.focus("#item-medications button[name=_add_row]")
    page.keyboard.press("Enter")
    _settle(page)
    assert rows.count() == before + 1
    page.focus("#item-medications button[name=_add_row]")
    page.keyboard.press("Enter")
    _settle(page)
    assert rows.count() == before + 2
    shot(page, "clinician-10-medication-rows")
    page.locator("#item-medications button[name=_remove_row]").last.click()
    _settle(page)
    assert rows.count() == before + 1


def test_document_without_javascript(nojs_page: Any, server_url: str) -> None:
    """The same document path with JavaScript off: plain posts, same errors, signed answers."""
    page = nojs_page
    sign_in(page, server_url)
    page.goto(f"{server_url}/patients?q=Layla")
    page.click("#results tbody tr >> nth=0 >> a >> nth=0")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.select_option("#form_id", "core.vitals")
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    page.fill("#f-systolic", "90")
    page.fill("#f-diastolic", "100")
    page.fill("#f-weight", "60")
    page.fill("#f-height", "165")
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert "lower than systolic" in page.inner_text("#err-diastolic")
    assert page.input_value("#f-weight") == "60"  # nothing typed is lost
    shot(page, "nojs-document-1-errors")
    page.fill("#f-diastolic", "60")
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector(".history")
    assert page.inner_text("#f-bmi").startswith("22")
    shot(page, "nojs-document-2-signed")


def test_nothing_is_lost_when_leaving_before_the_autosave(page: Any, server_url: str) -> None:
    """Rows added and a medicine chosen, then the language switched at once (well inside the
    autosave's 1.5 s pause): the page comes back with every answer."""
    sign_in(page, server_url)
    page.goto(f"{server_url}/patients/3")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.wait_for_selector("#form_id")
    page.select_option("#form_id", "core.medications")
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    document_url = page.url
    for _ in range(2):
        page.click("#item-medications button[name=_add_row]")
        _settle(page)
    page.select_option("#f-medications-0-drug", "amoxicillin")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.click(".lang-switch button[value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    assert page.url == document_url
    assert page.locator("#item-medications .repeat-row").count() == 2
    assert page.input_value("#f-medications-0-drug") == "amoxicillin"
    # and a row removed, then a link followed straight away: the draft is saved on the way out
    page.locator("#item-medications button[name=_remove_row]").last.click()
    _settle(page)
    page.click(".meta a[href^='/encounters/']")
    page.wait_for_url("**/encounters/*")
    # the beacon is sent as the page goes and nobody waits for its answer: coming back at
    # once may overtake it, so come back until it has landed (5 s at most)
    for _ in range(25):
        page.goto(document_url)
        if page.locator("#item-medications .repeat-row").count() == 1:
            break
        page.wait_for_timeout(200)
    assert page.locator("#item-medications .repeat-row").count() == 1
    assert page.input_value("#f-medications-0-drug") == "amoxicillin"
