"""An administrator sets the clinic's address, phone and logo at /admin/clinic, and a clinician
downloads the chart summary from the chart's PDF control: its letterhead shows them."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from renderer.web.seed import DEMO_USERS
from tests.apps import demo_server
from tests.browser.conftest import ROOT, shot, sign_in
from tests.renderer.pdf import readback

ADDRESS = "12 Zahran Street, Amman 11181"
PHONE = "+962 6 555 0123"


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo clinic of its own (its letterhead changes here), PDFs rendered in process."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLINIFORM_PDF_WORKERS", "0")
        env.setenv("CLINIFORM_PDF_CACHE_DIR", "off")
        with demo_server(tmp_path_factory.mktemp("clinic-settings"), [ROOT / "form_definitions"],
                         secret_key="clinic-settings-browser") as (url, _):
            yield url


def logo(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(image).ellipse((4, 4, 76, 76), fill=(31, 78, 121))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def violations(page: Any) -> list[str]:
    """axe-core's critical, serious and moderate findings on the page (as the accessibility
    tests count them); none when axe is not installed."""
    if not AXE.exists():
        return []
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['impact']} {v['id']}" for v in found if v["impact"] in ("critical", "serious", "moderate")]


@pytest.fixture()
def admin_page(browser: Any) -> Iterator[Any]:
    """The administrator's page; its context lets the test inject axe (the app's CSP allows
    no inline script: only this tool's context bypasses it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=True)
    yield context.new_page()
    context.close()


def test_the_admins_letterhead_is_on_the_clinicians_chart_pdf(admin_page: Any, browser: Any, clinic_url: str,
                                                              tmp_path: Path) -> None:
    page = admin_page
    page.goto(f"{clinic_url}/login")
    page.fill("#username", "admin")
    page.fill("#password", DEMO_USERS["admin"][0])
    page.press("#password", "Enter")
    page.wait_for_url(f"{clinic_url}/admin/users")  # an administrator's home
    page.click("nav >> text=Clinic")
    page.wait_for_url(f"{clinic_url}/admin/clinic")
    page.fill("#f-address_en", ADDRESS)
    page.fill("#f-phone", PHONE)
    page.fill("#f-timezone", "Asia/Ammman")
    page.set_input_files("#f-logo", str(logo(tmp_path / "logo.png")))
    page.click("text=Save the clinic settings")
    # refused for the time zone: the message by the field, the address and the logo kept
    assert "Asia/Amman" in page.locator("#err-timezone").inner_text()
    assert page.locator("#f-address_en").input_value() == ADDRESS
    assert violations(page) == []
    page.fill("#f-timezone", "Asia/Amman")
    page.click("text=Save the clinic settings")
    page.wait_for_url(f"{clinic_url}/admin/clinic?saved=1")
    assert page.locator("#saved").is_visible()
    assert page.locator(".logo-preview img").evaluate("img => img.naturalWidth") == 200
    assert violations(page) == []
    shot(page, "clinic-settings-saved")
    page.click(".lang-switch button[value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    assert violations(page) == []
    shot(page, "clinic-settings-ar")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        clinician = context.new_page()
        sign_in(clinician, clinic_url, "clinician")
        clinician.goto(f"{clinic_url}/patients/1")
        control = clinician.locator("form.pdf-control")
        control.locator("select[name=lang]").select_option("en")
        with clinician.expect_download() as download:
            control.locator("button[type=submit]").click()
        pdf = Path(download.value.path()).read_bytes()
    finally:
        context.close()
    assert download.value.suggested_filename.startswith("chart-1-") and pdf.startswith(b"%PDF-")
    first = readback.text(pdf).split("\f")[0]
    assert ADDRESS in first and PHONE in first
    images = subprocess.run(["pdfimages", "-f", "1", "-l", "1", "-list", "-"], input=pdf, capture_output=True,
                            check=True).stdout.decode().splitlines()[2:]
    assert any(row.split()[3:5] == ["200", "80"] for row in images), images
