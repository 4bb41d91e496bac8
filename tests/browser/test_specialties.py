"""The specialty packs in Chromium (the clinical-content issue's acceptance path), a screenshot
per step in test-artifacts/browser/:

* a dental examination charted on the odontogram by clicking teeth and by keyboard (arrow
  keys, Enter, Escape), the chart redrawn by the server as the rows change, in Arabic too;
* a periodontal chart with the upper right quadrant probed: the calculated attachment levels
  and the bleeding percentage show live;
* an ECG report whose QTc (Bazett) reaches 500 ms shows the critical card live;
* a prosthetic valve recorded and signed on the cardiac history: the dental examination of
  the same patient shows the endocarditis prophylaxis card;
* the perio chart and the dental examination pass axe-core (English and Arabic).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from engine.packs import load
from engine.store import Database, Store, upgrade
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.settings import WebSettings
from tests.browser.conftest import ROOT, _free_port, shot, sign_in
from tests.renderer.conftest import compiled_catalogs

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: demo patients: each test writes to its own
EXAM, PERIO, ECG, VALVE = 3, 4, 6, 16
QUADRANT_1 = ("18", "17", "16", "15", "14", "13", "12", "11")
SITES = ("mb", "b", "db", "ml", "l", "dl")


@pytest.fixture(scope="module")
def specialty_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with every pack (core, dental, cardiology) served by uvicorn on loopback."""
    import uvicorn

    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('specialty-db') / 'clinic.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, result.catalog)
    settings = WebSettings(log_level="WARNING", locale_dir=compiled_catalogs(tmp_path_factory.mktemp("specialty-locale")),
                           secret_key="specialty-browser-tests")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, catalog=result.catalog, store=store),
                                           host="127.0.0.1", port=(port := _free_port()), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def _settle(page: Any) -> None:
    """Wait for the live round-trip of the last input (350 ms debounce, then the request)."""
    page.wait_for_timeout(420)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(80)


def _start(page: Any, url: str, patient: int, form_id: str) -> str:
    """Open an encounter for ``patient`` and start a draft of ``form_id`` in it."""
    page.goto(f"{url}/patients/{patient}")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.wait_for_selector("#form_id")
    page.select_option("#form_id", form_id)
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    return str(page.url)


def _tooth(grid: str, code: str) -> str:
    return f"#tooth-{grid}-{code}"


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.name)"))


def test_dental_exam_charted_by_clicking_teeth_and_by_keyboard(page: Any, specialty_url: str) -> None:
    sign_in(page, specialty_url)
    _start(page, specialty_url, EXAM, "dental.exam")
    page.fill("#f-chief_complaint", "Pain on chewing, upper right")
    page.check("#f-soft_tissue_findings-0")
    page.check("input[name=dentition][value=permanent]")
    _settle(page)

    # the chart came with the live round-trip: 32 teeth in FDI order, as read facing the patient
    chart = "#item-teeth_permanent .odontogram"
    page.wait_for_selector(chart)
    upper = page.eval_on_selector_all(f"{chart} .arch--upper .tooth-num", "els => els.map(e => e.textContent)")
    lower = page.eval_on_selector_all(f"{chart} .arch--lower .tooth-num", "els => els.map(e => e.textContent)")
    assert upper == [*map(str, range(18, 10, -1)), *map(str, range(21, 29))]
    assert lower == [*map(str, range(48, 40, -1)), *map(str, range(31, 39))]
    assert page.locator("#item-teeth_permanent tbody tr:visible").count() == 0  # no row open yet
    shot(page, "specialty-01-exam-chart")

    # click tooth 16: its row opens, the status select has focus; caries, surface O
    page.click(_tooth("teeth_permanent", "16"))
    assert _focused(page) == "f-teeth_permanent-16-status"
    assert page.locator("#item-teeth_permanent tbody tr:visible").count() == 1
    page.select_option("#f-teeth_permanent-16-status", "caries")
    _settle(page)
    page.check("input[name='teeth_permanent[16].surfaces'][value=O]")
    _settle(page)
    tooth = page.locator(_tooth("teeth_permanent", "16"))
    assert "tooth--decay" in (tooth.get_attribute("class") or "")
    assert tooth.locator(".tooth-mark").inner_text() == "C" and tooth.locator(".tooth-surfaces").inner_text() == "O"
    assert "Caries (O)" in tooth.locator(".sr-only").inner_text()
    assert tooth.get_attribute("aria-current") == "true"  # the redrawn chart keeps the open tooth

    # by keyboard: Escape back to the chart, two teeth towards the midline, Enter, type a status
    page.focus("#f-teeth_permanent-16-status")
    page.keyboard.press("Escape")
    assert _focused(page) == "tooth-teeth_permanent-16"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _focused(page) == "tooth-teeth_permanent-14"
    page.keyboard.press("Enter")
    assert _focused(page) == "f-teeth_permanent-14-status"
    page.keyboard.type("Fi")  # "Filled" by type-ahead
    _settle(page)
    assert page.input_value("#f-teeth_permanent-14-status") == "filled"
    page.keyboard.press("Tab")  # to the surfaces, which appeared with the status
    page.keyboard.press("Space")  # M
    _settle(page)
    assert page.locator(_tooth("teeth_permanent", "14")).locator(".tooth-mark").inner_text() == "F"
    assert page.locator(_tooth("teeth_permanent", "14")).locator(".tooth-surfaces").inner_text() == "M"

    # down to the lower jaw: the tooth below 14 is 44; Space opens it; missing because of caries
    page.focus(_tooth("teeth_permanent", "14"))
    page.keyboard.press("ArrowDown")
    assert _focused(page) == "tooth-teeth_permanent-44"
    page.keyboard.press("Space")
    assert _focused(page) == "f-teeth_permanent-44-status"
    page.select_option("#f-teeth_permanent-44-status", "missing")
    _settle(page)
    page.select_option("#f-teeth_permanent-44-missing_reason", "caries")
    _settle(page)
    missing = page.locator(_tooth("teeth_permanent", "44"))
    assert "tooth--missing" in (missing.get_attribute("class") or "") and missing.locator(".tooth-mark").inner_text() == "X"
    # Home / End along the jaw; roving tabindex: one tooth in the tab order
    page.focus(_tooth("teeth_permanent", "44"))
    page.keyboard.press("End")
    assert _focused(page) == "tooth-teeth_permanent-38"
    page.keyboard.press("Home")
    assert _focused(page) == "tooth-teeth_permanent-48"
    assert page.locator(f"{chart} .tooth[tabindex='0']").count() == 1

    # the whole table on demand; DMFT once the charting is complete
    page.click("#item-teeth_permanent .tooth-chart-all")
    assert page.locator("#item-teeth_permanent tbody tr:visible").count() == 32
    page.check("#f-charting_complete-yes")
    _settle(page)
    assert page.inner_text("#f-dmft_permanent") == "3"  # D 1 (16) + M 1 (44) + F 1 (14)
    shot(page, "specialty-02-exam-charted")

    # signed, the stored answers are the table's
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector(".history")
    assert "tooth--decay" in (page.get_attribute(_tooth("teeth_permanent", "16"), "class") or "")
    shot(page, "specialty-03-exam-signed")

    # Arabic: right to left, but the chart keeps the patient's right on the reader's left
    page.context.add_cookies([{"name": "cliniform_lang", "value": "ar", "url": specialty_url}])
    page.reload()
    assert page.get_attribute("html", "dir") == "rtl"
    first = page.locator(_tooth("teeth_permanent", "18")).bounding_box()
    last = page.locator(_tooth("teeth_permanent", "28")).bounding_box()
    assert first and last and first["x"] < last["x"]
    assert "تسوس" in page.inner_text("#item-teeth_permanent .tooth-legend")
    shot(page, "specialty-04-exam-arabic")


def test_exam_chart_works_without_javascript(nojs_page: Any, specialty_url: str) -> None:
    """Without JavaScript each tooth is a link to its row, the whole table shows and posts."""
    page = nojs_page
    sign_in(page, specialty_url)
    _start(page, specialty_url, EXAM, "dental.exam")
    page.check("input[name=dentition][value=mixed]")
    page.click(".form-actions button[value=save]")
    page.wait_for_selector("#item-teeth_primary .odontogram")
    assert page.get_attribute(_tooth("teeth_primary", "55"), "href") == "#row-teeth_primary-55"
    assert page.locator("#item-teeth_primary tbody tr:visible").count() == 20
    page.select_option("#f-teeth_primary-55-primary_status", "caries")
    page.click(".form-actions button[value=save]")
    page.wait_for_selector("#item-teeth_primary .odontogram")
    assert "tooth--decay" in (page.get_attribute(_tooth("teeth_primary", "55"), "class") or "")
    page.click(_tooth("teeth_primary", "55"))
    assert page.url.endswith("#row-teeth_primary-55")
    shot(page, "specialty-05-exam-no-javascript")

