"""The live form in Chromium: typing updates calculations, visibility and errors, focus and
what is being typed stay put, rows come and go; and the same form without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


def _wait_idle(page: Any) -> None:
    """Wait past the live trigger's delay, then until no request is in flight."""
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def test_vitals_by_keyboard_bmi_conditional_and_errors(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/core.vitals")
    page.focus("#f-systolic")
    page.keyboard.type("90")
    page.keyboard.press("Tab")
    page.keyboard.type("100")
    page.keyboard.press("Tab")
    _wait_idle(page)
    assert "lower than systolic" in page.inner_text("#err-diastolic")
    assert page.get_attribute("#f-diastolic", "aria-invalid") == "true"
    shot(page, "vitals-1-constraint-error")
    # fix it: the error goes away
    page.fill("#f-diastolic", "60")
    _wait_idle(page)
    assert page.inner_text("#err-diastolic").strip() == ""
    assert page.get_attribute("#f-diastolic", "aria-invalid") is None
    # weight and height: BMI appears, calculated on the server
    page.focus("#f-weight")
    page.keyboard.type("70")
    page.focus("#f-height")
    page.keyboard.type("175")
    _wait_idle(page)
    assert page.inner_text("#f-bmi").startswith("22.9")
    assert page.evaluate("document.activeElement.id") == "f-height"
    # pain score above 0: the location question appears, and is required from 4
    assert page.is_hidden("#item-pain_location")
    page.focus("#f-pain_score")
    page.keyboard.type("6")
    _wait_idle(page)
    assert page.is_visible("#item-pain_location")
    assert "*" in page.inner_text("#req-pain_location")
    assert page.evaluate("document.activeElement.id") == "f-pain_score"
    shot(page, "vitals-2-bmi-and-conditional")
    page.fill("#f-pain_score", "0")
    _wait_idle(page)
    assert page.is_hidden("#item-pain_location")


def test_typing_during_a_round_trip_loses_nothing(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/core.vitals")
    page.focus("#f-weight")
    page.keyboard.type("7")
    page.wait_for_timeout(380)  # the live post is on its way
    page.keyboard.type("0.5", delay=60)
    _wait_idle(page)
    assert page.input_value("#f-weight") == "70.5"
    assert page.evaluate("document.activeElement.id") == "f-weight"


def test_submit_shows_a_summary_that_links_to_fields(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/core.vitals")
    page.fill("#f-heart_rate", "fast")
    page.click("button.button--primary")
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert {"#f-systolic", "#f-diastolic", "#f-heart_rate"} <= set(hrefs)
    summary.locator("a[href='#f-heart_rate']").click()
    assert page.url.endswith("#f-heart_rate")
    shot(page, "vitals-3-error-summary")
    page.fill("#f-systolic", "120")
    _wait_idle(page)
    assert summary.locator("a[href='#f-systolic']").count() == 0  # the summary follows live changes


def test_rows_added_and_removed_with_focus(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/test.widgets")
    page.click("button[name=_add_row]")
    _wait_idle(page)
    assert page.evaluate("document.activeElement.id") == "f-meds-0-drug"
    page.keyboard.type("Aspirin")
    page.click("button[name=_add_row]")
    _wait_idle(page)
    page.keyboard.type("Ibuprofen")
    page.fill("#f-meds-1-dose", "200")
    _wait_idle(page)
    assert page.inner_text("#f-meds-1-double_dose").startswith("400")
    shot(page, "widgets-1-two-rows")
    page.click("button[name=_remove_row][value='meds[0]']")
    _wait_idle(page)
    assert page.input_value("#f-meds-0-drug") == "Ibuprofen"
    assert page.locator(".repeat-row").count() == 1


def test_arabic_page_is_right_to_left(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/test.widgets")
    page.click(".lang-switch button[value=ar]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('.label')).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing sticks out
    shot(page, "widgets-2-arabic-rtl")


def test_the_same_form_without_javascript(nojs_page: Any, server_url: str) -> None:
    page = nojs_page
    sign_in(page, server_url)
    page.goto(f"{server_url}/forms/core.vitals")
    page.fill("#f-systolic", "90")
    page.fill("#f-diastolic", "100")
    page.fill("#f-weight", "70")
    page.fill("#f-height", "175")
    page.click("button.button--primary")
    page.wait_for_load_state()
    assert "lower than systolic" in page.inner_text("#err-diastolic")
    assert page.input_value("#f-weight") == "70"
    shot(page, "nojs-1-errors")
    page.fill("#f-diastolic", "60")
    page.press("#f-diastolic", "Enter")  # Enter submits the main action
    page.wait_for_load_state()
    stored = page.inner_text("pre.json")
    assert '"bmi": 22.9' in stored
    shot(page, "nojs-2-valid")
