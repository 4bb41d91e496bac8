"""axe-core (pinned from the npm registry, injected from node_modules; never a CDN) on the main
pages in English and Arabic: no serious or critical violations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, shot, sign_in

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("/login", "/", "/patients?q=saleh", "/patients/1", "/patients/new", "/encounters/1", "/documents/21",
         "/documents/21/amend", "/drafts", "/forms/core.vitals", "/forms/test.widgets")


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


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_serious_or_critical_violations(page: Any, server_url: str, lang: str) -> None:
    if not Path(AXE).exists():
        pytest.skip("axe-core is not installed (scripts/build-assets.sh)")
    problems: dict[str, list[str]] = {}
    page.goto(f"{server_url}/login?lang={lang}")
    found = _violations(page)
    if found:
        problems["/login"] = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found]
    sign_in(page, server_url)
    page.context.add_cookies([{"name": "cliniform_lang", "value": lang, "url": server_url}])
    for path in PAGES[1:]:
        page.goto(server_url + path)
        found = _violations(page)
        if found:
            problems[path] = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found]
            shot(page, f"axe-{lang}-{path.strip('/').replace('/', '-').replace('?', '-') or 'home'}")
    assert not problems, problems
