"""Decision support in Chromium (the decision-support issue's acceptance path): a penicillin
allergy is recorded and signed; on the medication form, adding amoxicillin shows a critical
card live; signing is blocked until an override reason is chosen; the override is logged
and shown on the signed document. A screenshot per step in test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot, sign_in, start_form

pytestmark = pytest.mark.browser
PATIENT = 12  # a demo patient no other browser test writes to
CARD = "#alert-core-drug_allergy_conflict .alert--critical"


def _settle(page: Any) -> None:
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def _add_row(page: Any, group: str) -> None:
    page.click(f"#item-{group} button[name=_add_row]")
    _settle(page)


def test_penicillin_allergy_then_amoxicillin_is_blocked_until_overridden(page: Any, server_url: str) -> None:
    sign_in(page, server_url)

    # the allergy list, signed: penicillin
    start_form(page, server_url, PATIENT, "core.allergies")
    page.check("#f-no_known_allergies-no")
    _settle(page)
    _add_row(page, "allergies")
    page.select_option("#f-allergies-0-substance", "penicillin")
    _settle(page)
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector(".history")
    page.goto(f"{server_url}/patients/{PATIENT}")
    assert "Penicillin" in page.inner_text("body")

    # the medication form is the order entry: add amoxicillin, the card appears live
    document_url = start_form(page, server_url, PATIENT, "core.medications")
    assert page.locator("#form-alerts .alert").count() == 0
    _add_row(page, "medications")
    page.select_option("#f-medications-0-drug", "amoxicillin")
    _settle(page)
    page.wait_for_selector(CARD)
    assert page.url == document_url  # no page load: the card came with the live round-trip
    card = page.inner_text(CARD)
    assert "Allergy conflict" in card and "Penicillins" in card
    assert page.evaluate("document.activeElement && document.activeElement.id") == "f-medications-0-drug"
    shot(page, "decision-1-critical-card-live")

    # signing is refused while the card has no reason
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector("#sign-blocked")
    assert "Not signed" in page.inner_text("#sign-blocked")
    assert "give a reason" in page.inner_text("#alert-core-drug_allergy_conflict .errors")
    assert page.input_value("#f-medications-0-drug") == "amoxicillin"  # nothing lost
    shot(page, "decision-2-sign-blocked")

    # choose a reason from the rule's list and override (live, htmx)
    page.check("input[name='_override.core.drug_allergy_conflict'][value='tolerated-before']")
    page.click("#alert-core-drug_allergy_conflict button[name=_ack]")
    _settle(page)
    page.wait_for_selector("#alert-core-drug_allergy_conflict .alert-done")
    assert page.locator(CARD).count() == 0
    assert "Tolerated this drug before" in page.inner_text("#alert-core-drug_allergy_conflict")
    assert page.locator("#sign-blocked").count() == 0  # the "not signed" notice is out of date
    shot(page, "decision-3-overridden")

    # now it signs; the signed document shows the override, who and when
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector("#alert-log")
    log = page.inner_text("#alert-log")
    assert "Overridden" in log and "Tolerated this drug before" in log and "Penicillins" in log
    assert "Signed" in page.inner_text(".history")
    shot(page, "decision-4-signed-with-override")

    # the same check in Arabic, right to left
    start_form(page, server_url, PATIENT, "core.medications")
    page.click(".lang-switch button[value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    _add_row(page, "medications")
    page.select_option("#f-medications-0-drug", "amoxicillin")
    _settle(page)
    page.wait_for_selector(CARD)
    assert "تعارض مع الحساسية" in page.inner_text(CARD) and "البنسلينات" in page.inner_text(CARD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "decision-5-critical-card-arabic")
    page.click(".lang-switch button[value=en]")
    page.wait_for_selector("html[dir=ltr]")
