"""Every installed form (core, dental, cardiology) in Chromium, in English and in Arabic:
the definition preview opens with every top-level item drawn, a row is added to each
repeating group, and then no control sticks out of its field (a select wider than its cell
ran under the next one on the medication form), nothing overflows the page sideways, axe-core
finds no serious or critical violation, and no script error is logged. A screenshot of each
page is kept as test-artifacts/browser/form-<lang>-<form>.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.packs import load
from tests.browser.conftest import ROOT, shot, sign_in
from tests.browser.test_specialties import AXE, _settle

pytestmark = pytest.mark.browser
FORMS = [f.id for f in load([ROOT / "form_definitions", ROOT / "specialties"]).catalog.latest_forms()]

#: controls of a field that lie outside the field's box (grids scroll inside their own box
#: and are not checked here)
OUTSIDE = """() => {
  const bad = [];
  for (const field of document.querySelectorAll('#answers-form .field, form .field')) {
    if (field.offsetParent === null) continue;
    const box = field.getBoundingClientRect();
    const controls = field.querySelectorAll(':scope > .control > input:not([type=hidden]), :scope > .control > select,'
      + ' :scope > .control > textarea, :scope > input:not([type=hidden]), :scope > select, :scope > textarea');
    for (const control of controls) {
      const r = control.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) {
        bad.push(`${field.id}: ${control.id || control.name} spans ${Math.round(r.left)}-${Math.round(r.right)}, `
          + `its field ${Math.round(box.left)}-${Math.round(box.right)}`);
      }
    }
  }
  return bad;
}"""


@pytest.fixture()
def csp_free_page(browser: Any) -> Any:
    """axe is injected as a script tag, which the app's CSP refuses; this context only."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 422" not in msg.text else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_form_renders_without_overlap_or_violations(csp_free_page: Any, specialty_url: str, lang: str) -> None:
    page = csp_free_page
    sign_in(page, specialty_url)
    page.context.add_cookies([{"name": "cliniform_lang", "value": lang, "url": specialty_url}])
    problems: dict[str, list[str]] = {}
    for form_id in FORMS:
        page.goto(f"{specialty_url}/forms/{form_id}")
        page.wait_for_selector("form[hx-post]")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        found: list[str] = []
        for button in page.query_selector_all("button[name=_add_row]:not([disabled])"):
            if button.is_visible():
                button.click()
                _settle(page)
        found += page.evaluate(OUTSIDE)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            found.append(f"the page is {width[0]} px wide in a {width[1]} px window")
        if AXE.exists():
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            found += [f"axe {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
                      if v["impact"] in ("serious", "critical")]
        shot(page, f"form-{lang}-{form_id}")
        if found:
            problems[form_id] = found
    assert len(FORMS) >= 20
    assert not problems, "\n".join(f"{form}: {found}" for form, found in problems.items())
