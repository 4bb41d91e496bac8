"""The clinician's day in Chromium (the web issue's acceptance path), a screenshot per step:
sign in, find a patient by part of an Arabic name, start an encounter, fill the vitals by
keyboard only (Tab and Shift+Tab from the top of the page, the focus checked at every stop:
BMI, a conditional item, an error fixed), add and remove a row, leave and continue the
autosaved draft, sign (Tab to the Sign button, Enter), view, amend with a reason, and read
it in Arabic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot, sign_in, start_form

pytestmark = pytest.mark.browser
#: the focused element as a selector: #id, a button by name and value, else tag.class (empty
#: when nothing has the focus)
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return ""; }
  if (e.id) { return "#" + e.id; }
  if (e.tagName === "BUTTON" && e.name) { return `button[name=${e.name}][value=${e.value}]`; }
  return e.tagName.toLowerCase() + (e.classList.length ? "." + e.classList[0] : "");
}"""
#: "Use the last value" of an item (previous_value: offer) follows its input while it is empty
OFFER = "button[name=_use_previous]"


def _settle(page: Any) -> None:
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def _focused(page: Any) -> str:
    return str(page.evaluate(FOCUSED))


def _press(page: Any, key: str, expected: str) -> None:
    """Press ``key`` once; the focus must then be on ``expected`` (a selector)."""
    page.keyboard.press(key)
    assert page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", expected), \
        f"{key}: focus on {_focused(page)!r}, expected {expected}"


def _tab_to(page: Any, target: str, *, key: str = "Tab", inside: str = "#answers-form", limit: int = 30) -> list[str]:
    """Press ``key`` until ``target`` (a selector) has the focus, keyboard only; every stop on
    the way must be inside ``inside`` (the focus never wanders off into the page's chrome).
    The stops, for the caller to check."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        stops.append(_focused(page))
        assert page.evaluate("s => !!document.activeElement && !!document.activeElement.closest(s)", inside), \
            f"{key} left {inside}: {stops}"
        if page.evaluate("s => document.activeElement.matches(s)", target):
            return stops
    raise AssertionError(f"{key} never reached {target}: {stops}")


def _next_answer(page: Any, target: str, key: str = "Tab") -> None:
    """One answer to the next by ``key``: the focus goes straight to ``target``, past at most
    the "Use the last value" button of the answer left."""
    stops = _tab_to(page, target, key=key, limit=3)
    assert all(stop.startswith(OFFER) for stop in stops[:-1]), f"{key} to {target} passed {stops}"


def _skip_to_content(page: Any) -> None:
    """From the top of a page just loaded: Tab to the skip link and follow it with Enter."""
    assert _focused(page) == "", f"the page loaded with the focus on {_focused(page)!r}"
    _press(page, "Tab", "a.skip-link")
    page.keyboard.press("Enter")


def test_clinician_day(page: Any, server_url: str) -> None:
    page.goto(f"{server_url}/login")
    shot(page, "clinician-00-login")
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
    assert "Headache" in page.inner_text("main")
    shot(page, "clinician-04-new-encounter")
    page.select_option("#form_id", "core.vitals")
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    document_url = page.url

    # keyboard only from here, from the top of the page: skip to the content, Tab to the
    # first answer; a constraint error, then fixed
    _skip_to_content(page)
    _tab_to(page, "#f-systolic", inside="main")
    page.keyboard.type("90")
    _next_answer(page, "#f-diastolic")
    page.keyboard.type("100")
    _next_answer(page, "#f-heart_rate")
    _settle(page)
    assert "lower than systolic" in page.inner_text("#err-diastolic")
    shot(page, "clinician-05-validation-error")
    _next_answer(page, "#f-diastolic", "Shift+Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("60")
    _next_answer(page, "#f-heart_rate")
    _settle(page)
    assert page.inner_text("#err-diastolic").strip() == ""
    page.keyboard.type("72")
    passed = [stop for stop in _tab_to(page, "#f-weight") if not stop.startswith(OFFER)]
    assert passed[:3] == ["#f-respiratory_rate", "#f-temperature", "#f-temperature-unit"], passed
    page.keyboard.type("80")
    _tab_to(page, "#f-height")
    page.keyboard.type("180")
    _tab_to(page, "#f-pain_score")
    _settle(page)
    assert page.inner_text("#f-bmi").startswith("24.7")
    assert page.is_hidden("#item-pain_location")
    page.keyboard.type("5")
    _settle(page)
    assert page.is_visible("#item-pain_location")
    _next_answer(page, "#f-pain_location")
    page.keyboard.type("Forehead")
    shot(page, "clinician-06-bmi-and-conditional")

    # autosave: leave, come back, continue
    page.wait_for_function("() => document.getElementById('save-status').innerText.includes('Draft saved')", timeout=6000)
    page.goto(f"{server_url}/")
    assert page.locator("text=My unfinished drafts").is_visible()
    page.click(f"a[href='{document_url.removeprefix(server_url)}']")
    page.wait_for_selector("#answers-form")
    assert page.input_value("#f-pain_location") == "Forehead"
    assert page.input_value("#f-weight") == "80"
    shot(page, "clinician-07-draft-continued")

    # sign by keyboard: from the top, through every answer to Save draft, then Sign; Enter
    _skip_to_content(page)
    passed = _tab_to(page, ".form-actions button[value=sign]", inside="main", limit=40)
    assert "#f-systolic" in passed and "#f-pain_location" in passed and passed[-2] == "button[name=_action][value=save]", passed
    page.keyboard.press("Enter")
    page.wait_for_selector(".history")
    assert "Signed" in page.inner_text(".history")
    assert page.inner_text("#f-bmi").startswith("24.7")
    shot(page, "clinician-08-signed-view")

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
    shot(page, "clinician-09-amended-history")

    # the same page in Arabic, right to left
    page.click(".lang-switch button[value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    assert "السجل" in page.inner_text(".history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "clinician-10-arabic-rtl")


def test_add_and_remove_a_medication_row(page: Any, server_url: str) -> None:
    sign_in(page, server_url)
    start_form(page, server_url, 2, "core.medications")
    rows = page.locator("#item-medications .repeat-row")
    before = rows.count()
    # keyboard: Tab to "Add a row", Enter; the new row's first answer has the focus
    _skip_to_content(page)
    _tab_to(page, "#item-medications button[name=_add_row]", inside="main")
    page.keyboard.press("Enter")
    _settle(page)
    assert rows.count() == before + 1
    assert page.evaluate("() => !!document.activeElement.closest('#item-medications .repeat-row')"), _focused(page)
    _tab_to(page, "#item-medications button[name=_add_row]", inside="#item-medications")
    page.keyboard.press("Enter")
    _settle(page)
    assert rows.count() == before + 2
    shot(page, "clinician-11-medication-rows")
    # from the new row's first answer, Tab to its "Remove", Enter; then Shift+Tab goes back
    # into the row that is left
    _tab_to(page, f"#item-medications button[name=_remove_row][value='medications[{before + 1}]']", inside="#item-medications")
    page.keyboard.press("Enter")
    _settle(page)
    assert rows.count() == before + 1
    assert _focused(page) == "button[name=_add_row][value=medications]"  # the focus is not lost with the row
    shot(page, "clinician-12-medication-row-removed")
    back = _tab_to(page, f"#f-medications-{before}-drug", key="Shift+Tab", inside="#item-medications")
    assert back[0] == f"button[name=_remove_row][value=medications[{before}]]", back


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
    document_url = start_form(page, server_url, 3, "core.medications")
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


def test_a_value_typed_then_tabbed_past_its_last_value_button_stays(page: Any, server_url: str) -> None:
    # Tab out of a typed answer lands on its "Use the last value" button, and htmx adds the
    # focused button to the post that the typing sends: the typed value was replaced by the
    # last one, on the page and in the autosaved draft (seen driving `make run` in Chromium)
    sign_in(page, server_url)
    url = start_form(page, server_url, 2, "core.vitals")
    assert page.locator(f"#item-systolic {OFFER}").count() == 1, "the patient has a last systolic to offer"
    page.focus("#f-systolic")
    page.keyboard.type("250")
    _press(page, "Tab", f"#item-systolic {OFFER}")
    page.wait_for_timeout(1_900)  # the live round-trip (350 ms) and the autosave (1.5 s), the focus still on the button
    _settle(page)
    assert page.input_value("#f-systolic") == "250"
    shot(page, "clinician-13-typed-value-kept-past-offer")
    page.goto(url)
    assert page.input_value("#f-systolic") == "250"
    # pressing the button itself still uses the last value
    offer = page.locator(OFFER).first
    item, last = offer.get_attribute("value"), offer.inner_text().split(": ", 1)[1].split(" ", 1)[0]
    offer.click()
    _settle(page)
    assert page.input_value(f"#f-{item}") == last
