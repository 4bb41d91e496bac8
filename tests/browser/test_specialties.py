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

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ROOT, shot, sign_in, start_form

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: demo patients: each test writes to its own
EXAM, PERIO, ECG, VALVE = 3, 4, 6, 16
QUADRANT_1 = ("18", "17", "16", "15", "14", "13", "12", "11")
SITES = ("mb", "b", "db", "ml", "l", "dl")


def _settle(page: Any) -> None:
    """Wait for the live round-trip of the last input (350 ms debounce, then the request)."""
    page.wait_for_timeout(420)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(80)


def _tooth(grid: str, code: str) -> str:
    return f"#tooth-{grid}-{code}"


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.name)"))


def test_dental_exam_charted_by_clicking_teeth_and_by_keyboard(page: Any, specialty_url: str) -> None:
    sign_in(page, specialty_url)
    start_form(page, specialty_url, EXAM, "dental.exam")
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
    start_form(page, specialty_url, EXAM, "dental.exam")
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



def _perio_values(i: int, j: int) -> tuple[int, int, bool]:
    """Depth, recession and bleeding at site ``j`` of the ``i``-th tooth probed."""
    return 2 + (i + j) % 3, 1 if SITES[j] == "b" else 0, (i + j) % 4 == 0


def test_perio_chart_upper_right_quadrant(page: Any, specialty_url: str) -> None:
    sign_in(page, specialty_url)
    start_form(page, specialty_url, PERIO, "dental.perio_chart")
    assert page.locator("#item-perio .odontogram .tooth").count() == 32

    # 18 is missing: its sites disappear, the chart marks it
    page.click(_tooth("perio", "18"))
    assert _focused(page) == "f-perio-18-tooth_missing"
    page.select_option("#f-perio-18-tooth_missing", "true")
    _settle(page)
    assert page.locator("#f-perio-18-depth_mb").count() == 0
    assert page.locator(_tooth("perio", "18")).locator(".tooth-mark").inner_text() == "X"

    # 17 to 11 probed at six sites each: depth, recession, bleeding; CAL is calculated per site
    probed = QUADRANT_1[1:]
    for i, code in enumerate(probed):
        page.click(_tooth("perio", code))
        page.select_option(f"#f-perio-{code}-tooth_missing", "false")
        for j, site in enumerate(SITES):  # as fast as Playwright types: one round-trip per tooth
            depth, recession, bleeding = _perio_values(i, j)
            page.fill(f"#f-perio-{code}-depth_{site}", str(depth))
            page.fill(f"#f-perio-{code}-rec_{site}", str(recession))
            if bleeding:
                page.select_option(f"#f-perio-{code}-bop_{site}", "true")
        _settle(page)
        # every site's CAL came back, not only the last input's (earlier inputs are named too)
        for j, site in enumerate(SITES):
            depth, recession, _ = _perio_values(i, j)
            assert page.inner_text(f"#f-perio-{code}-cal_{site}") == str(depth + recession), (code, site)
        assert "tooth--recorded" in (page.get_attribute(_tooth("perio", code), "class") or "")
        if i == 2:
            shot(page, "specialty-06-perio-row-open")

    # the summary, live: sites probed, bleeding %, means and maxima
    values = [_perio_values(i, j) for i in range(len(probed)) for j in range(len(SITES))]
    bleeding = sum(b for _, _, b in values)
    assert page.inner_text("#f-sites_probed") == str(len(values))
    assert page.inner_text("#f-bleeding_sites") == str(bleeding)
    assert page.inner_text("#f-bop_percent") == f"{round(100 * bleeding / len(values), 1)} %"
    assert page.inner_text("#f-max_cal") == f"{max(d + r for d, r, _ in values)} mm"
    page.click("#item-perio .tooth-chart-all")
    shot(page, "specialty-07-perio-quadrant")

    # the draft keeps it all: reloaded, every calculated cell is there without JavaScript's help
    page.wait_for_timeout(1700)  # autosave
    page.reload()
    page.wait_for_selector("#item-perio .odontogram")
    for i, code in enumerate(probed):
        depth, recession, _ = _perio_values(i, 0)
        assert page.inner_text(f"#f-perio-{code}-cal_mb") == str(depth + recession)
    assert page.inner_text("#f-bleeding_sites") == str(bleeding)


def test_ecg_with_a_long_qtc_shows_the_critical_card_live(page: Any, specialty_url: str) -> None:
    sign_in(page, specialty_url)
    document_url = start_form(page, specialty_url, ECG, "cardiology.ecg")
    card = "#alert-cardiology-qtc_prolonged .alert--critical"
    page.fill("#f-heart_rate", "100")  # RR 0.6 s
    page.fill("#f-qt_interval", "400")  # Bazett 400 / sqrt(0.6) = 516 ms; Fridericia 474 ms
    _settle(page)
    page.wait_for_selector(card)
    assert page.url == document_url  # no page load: the card came with the live round-trip
    assert page.inner_text("#f-qtc_bazett").startswith("516")
    assert "QTc 516 ms (Bazett), 474 ms (Fridericia)" in page.inner_text(card)
    shot(page, "specialty-08-ecg-qtc-critical")

    # back under 500 ms, the card goes
    page.fill("#f-qt_interval", "360")
    _settle(page)
    assert page.locator(card).count() == 0


def test_prosthetic_valve_from_cardiology_shows_prophylaxis_on_the_dental_exam(page: Any, specialty_url: str) -> None:
    sign_in(page, specialty_url)
    card = "#alert-dental-endocarditis_prophylaxis .alert"

    # a dental exam before anything is recorded: no card
    start_form(page, specialty_url, VALVE, "dental.exam")
    assert page.locator(card).count() == 0

    # the cardiac history, signed: a mechanical mitral valve (ICD-10 Z95.2)
    start_form(page, specialty_url, VALVE, "cardiology.history")
    page.fill("#f-referral_reason", "Valve follow-up")
    page.check("input[name=presenting_symptoms][value=none]")
    page.check("input[name=cardiac_history][value='Z95.2']")
    _settle(page)
    page.check("input[name=valve_positions][value=mitral]")
    page.check("input[name=valve_type][value=mechanical]")
    page.check("input[name=risk_factors][value=none]")
    page.fill("#f-impression", "Stable; INR clinic.")
    _settle(page)
    page.click(".form-actions button[value=sign]")
    page.wait_for_selector(".history")
    assert "Signed" in page.inner_text(".history")

    # a new dental exam for the same patient: the prophylaxis card, from the chart's problems
    start_form(page, specialty_url, VALVE, "dental.exam")
    page.wait_for_selector(card)
    assert "antibiotic prophylaxis" in page.inner_text(card)
    shot(page, "specialty-09-dental-exam-prophylaxis")

    page.context.add_cookies([{"name": "cliniform_lang", "value": "ar", "url": specialty_url}])
    page.reload()
    assert "الوقاية بالمضاد الحيوي" in page.inner_text(card)
    shot(page, "specialty-10-dental-exam-prophylaxis-arabic")


@pytest.fixture()
def axe_page(browser: Any) -> Iterator[Any]:
    """A context that lets axe be injected as a script tag (the app's CSP allows no inline
    script; only this tool's context bypasses it, as in test_accessibility.py)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_charts_have_no_serious_accessibility_violations(axe_page: Any, specialty_url: str, lang: str) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/build-assets.sh)")
    page = axe_page
    sign_in(page, specialty_url)
    page.context.add_cookies([{"name": "cliniform_lang", "value": lang, "url": specialty_url}])
    problems: dict[str, list[str]] = {}
    for form_id in ("dental.perio_chart", "dental.exam"):
        start_form(page, specialty_url, PERIO, form_id)
        if form_id == "dental.exam":
            page.check("input[name=dentition][value=mixed]")
            _settle(page)
            page.click(_tooth("teeth_permanent", "26"))
            page.select_option("#f-teeth_permanent-26-status", "caries")
            _settle(page)
        else:
            page.click(_tooth("perio", "16"))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if found:
            problems[form_id] = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found]
        shot(page, f"specialty-axe-{lang}-{form_id}")
    assert not problems, problems
