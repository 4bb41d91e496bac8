"""axe-core (pinned from the npm registry, injected from node_modules; never a CDN) on the main
pages and on their error states, in English and Arabic: no critical, serious or moderate
violations.

Each scan first checks that the intended page is the one on screen (answered 200 at the URL
asked for, not the sign-in page) and, in Arabic, that it is laid out right to left: a scan
of the wrong page passes for nothing. The error states: a form showing its validation errors
and the error summary after a refused sign, the same form with a critical alert card open,
and the registration page refused with its errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, shot, sign_in, start_form

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("/", "/patients?q=saleh", "/patients/1", "/patients/new", "/encounters/1", "/documents/21",
         "/documents/21/amend", "/drafts", "/forms/core.vitals", "/forms/test.widgets")
PATIENT = 14  # a demo patient no other browser test writes to
CARD = "#alert-core-hypertensive_crisis .alert--critical"
#: impacts that fail the test: serious and critical, and moderate ones too (a page without its
#: <h1> is one) since every page is clean of them; minor ones are left to judgement
FAILING = ("critical", "serious", "moderate")


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A page whose context lets the test inject axe as a script tag: the app's CSP allows
    no inline script, so only this tool's context bypasses it (the app is unchanged)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    if not Path(AXE).exists():
        pytest.skip("axe-core is not installed (scripts/build-assets.sh)")


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def _is_on(page: Any, url: str, lang: str, status: int | None, *, login: bool = False) -> None:
    """The page asked for is the one shown: its status, its URL, the sign-in form only on the
    sign-in page, and in Arabic right to left."""
    assert status == 200, f"{url} answered {status}"
    assert page.url == url, f"asked for {url}, shown {page.url}"
    assert page.locator("#username").count() == (1 if login else 0), f"{url}: the sign-in form {'missing' if login else 'shown'}"
    _direction(page, lang)


def _direction(page: Any, lang: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("lang") == lang, f"{page.url}: lang={html.get_attribute('lang')}, expected {lang}"
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr"), f"{page.url}: dir={html.get_attribute('dir')}"


def _scan(page: Any, name: str, lang: str, problems: dict[str, list[str]]) -> None:
    """Record the failing violations of the page on screen under ``name`` (with a screenshot)."""
    found = [v for v in _violations(page) if v["impact"] in FAILING]
    if found:
        problems[name] = [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found]
        shot(page, f"axe-{lang}-{name.strip('/').replace('/', '-').replace('?', '-').replace(' ', '-') or 'home'}")


def _settle(page: Any) -> None:
    page.wait_for_timeout(450)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)


def _language(page: Any, server_url: str, lang: str) -> None:
    page.context.add_cookies([{"name": "cliniform_lang", "value": lang, "url": server_url}])


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_violations_on_the_main_pages(page: Any, server_url: str, lang: str) -> None:
    problems: dict[str, list[str]] = {}
    login = f"{server_url}/login?lang={lang}"
    response = page.goto(login)
    _is_on(page, login, lang, response.status if response else None, login=True)
    _scan(page, "/login", lang, problems)
    sign_in(page, server_url)
    _language(page, server_url, lang)
    for path in PAGES:
        response = page.goto(server_url + path)
        _is_on(page, server_url + path, lang, response.status if response else None)
        _scan(page, path, lang, problems)
    assert not problems, problems


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_violations_in_error_states(page: Any, server_url: str, lang: str) -> None:
    problems: dict[str, list[str]] = {}
    sign_in(page, server_url)
    _language(page, server_url, lang)

    # registration refused: every required answer missing
    page.goto(f"{server_url}/patients/new")
    page.click("#answers-form .form-actions button[type=submit]")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert page.url == f"{server_url}/patients/new" and page.locator("#answers-form .field--invalid").count() >= 3
    _direction(page, lang)
    _scan(page, "registration with errors", lang, problems)

    # a vitals document: a blood pressure that opens a critical card (live)
    document_url = start_form(page, server_url, PATIENT, "core.vitals")
    page.fill("#f-systolic", "190")
    page.fill("#f-diastolic", "100")
    _settle(page)
    page.wait_for_selector(CARD)
    _direction(page, lang)
    _scan(page, "critical alert card", lang, problems)

    # the same form refused at signing: a constraint broken, the card without a reason
    page.fill("#f-diastolic", "200")
    _settle(page)
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert page.url == document_url
    assert page.locator("#err-diastolic .error").count() == 1 and page.locator("#sign-blocked").count() == 1
    _direction(page, lang)
    _scan(page, "form with errors", lang, problems)
    assert not problems, problems
