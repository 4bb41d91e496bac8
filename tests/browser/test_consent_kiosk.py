"""The consent acceptance path in Chromium, a screenshot per step: a clinician starts a dental
extraction consent for a 16-year-old from the chart and opens a signing link; on a tablet
the link opens, the patient chooses Arabic, ticks the statements, types her name and signs
with a drawn signature (synthetic pointer events); the workflow asks for the guardian, who
signs on the same tablet; the clinician countersigns; the consent is signed, its PDF holds
the Arabic text and the signature images, and the stored text hash is the SHA-256 of the
text the page showed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from engine.consents import canonical
from engine.store import Store
from engine.store.models import ConsentRecord
from engine.store.signing_models import ConsentSignature
from tests.apps import demo_server
from tests.browser.conftest import ROOT, shot, sign_in

pytestmark = pytest.mark.browser
NOOR = 9  # demo patient Noor Haddad: 16 years old on the day the demo is seeded (renderer.web.seed)


@pytest.fixture(scope="module")
def consent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """The app with every pack (core, dental, cardiology) served by uvicorn on loopback."""
    with demo_server(tmp_path_factory.mktemp("consent"), [ROOT / "form_definitions", ROOT / "specialties"],
                     secret_key="consent-browser-tests") as served:
        yield served


@pytest.fixture()
def tablet(browser: Any) -> Iterator[Any]:
    """A tablet in portrait nobody is signed in to (touch-sized viewport)."""
    context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 4" not in msg.text else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def draw(page: Any, canvas: str = ".signature-canvas", *, seed: int = 0) -> None:
    """Sign with the mouse: pointer down, a few curved strokes, pointer up."""
    page.locator(canvas).scroll_into_view_if_needed()
    box = page.locator(canvas).bounding_box()
    assert box and box["width"] > 100, box
    x0, y0 = box["x"] + 30, box["y"] + box["height"] * 0.6
    for stroke in range(2):
        page.mouse.move(x0 + stroke * 120, y0)
        page.mouse.down()
        for i in range(1, 18):
            page.mouse.move(x0 + stroke * 120 + i * 9, y0 - ((i * (7 + seed)) % 40) + (20 if i % 4 == 0 else 0), steps=2)
        page.mouse.up()


def shown_text_hash(page: Any) -> str:
    """SHA-256 of exactly the consent text the page shows, block by block."""
    blocks = page.eval_on_selector_all("[data-consent-block]", "els => els.map(e => e.textContent)")
    return hashlib.sha256("\n".join(canonical(b) for b in blocks).encode("utf-8")).hexdigest()


def sign_on_tablet(page: Any, name: str) -> None:
    for box in page.locator("form[data-signing-form] input[type=checkbox]").all():
        box.check()
    page.fill("#signer-name", name)


def test_minor_extraction_consent_signed_in_arabic_on_a_tablet(page: Any, tablet: Any, browser: Any,
                                                                  consent_server: tuple[str, Store]) -> None:
    from tests.renderer.pdf.readback import png, reader, text

    url, store = consent_server
    sign_in(page, url)
    page.goto(f"{url}/patients/{NOOR}")
    page.wait_for_selector("#consents-panel select[name=workflow]")
    shot(page, "consent-01-chart-panel")

    # the clinician starts the extraction consent and fills the clinician part
    page.select_option("#consent-workflow", "dental.extraction_consent")
    page.click("#consents-panel form.consent-start button[type=submit]")
    page.wait_for_selector("#open-link")
    if page.locator("select[name=teeth]").count():
        page.select_option("select[name=teeth]", ["55"])
    else:  # the tooth chart widget: a checkbox per tooth
        page.check("input[name=teeth][value='55']")
    page.check("input[name=extraction_type][value=simple]")
    for risk in ("pain_swelling", "bleeding", "infection", "dry_socket"):
        page.check(f"input[name=risks_discussed][value={risk}]")
    shot(page, "consent-02-clinician-part")
    page.click("#open-link")
    page.wait_for_selector(".qr svg")
    shot(page, "consent-03-signing-link-qr")
    link = page.get_attribute("#signing-link", "href")
    consent_page = page.url.split("?")[0]
    assert link and "/kiosk/" in link

    # the tablet opens the link: language first, then Arabic
    tablet.goto(link)
    tablet.wait_for_selector(".kiosk-choice")
    shot(tablet, "consent-04-kiosk-language")
    tablet.click(".kiosk-choice[lang=ar]")
    tablet.wait_for_selector("form[data-signing-form]")
    assert tablet.get_attribute("html", "dir") == "rtl" and tablet.get_attribute("html", "lang") == "ar"
    assert tablet.locator(".topbar, nav.nav").count() == 0
    shown = shown_text_hash(tablet)
    assert tablet.input_value("input[name=shown_sha256]") == shown
    assert "السنخ الجاف" in tablet.inner_text(".consent-text")
    sign_on_tablet(tablet, "نور حداد")
    tablet.click(".kiosk-submit")  # an empty pad is not submitted
    assert tablet.is_visible("[data-pad-error]")
    draw(tablet)
    assert tablet.input_value("input[name=signature]").startswith("data:image/png;base64,")
    shot(tablet, "consent-05-patient-signs-arabic")
    tablet.click(".kiosk-submit")

    # the workflow demands the guardian (the patient is 16): the same tablet, still Arabic
    tablet.wait_for_selector("select[name=relation]")
    assert tablet.get_attribute("html", "lang") == "ar"
    assert shown_text_hash(tablet) == shown
    sign_on_tablet(tablet, "منى حداد")
    tablet.select_option("select[name=relation]", "mother")
    draw(tablet, seed=3)
    shot(tablet, "consent-06-guardian-signs")
    tablet.click(".kiosk-submit")
    tablet.wait_for_selector(".kiosk-thanks")
    shot(tablet, "consent-07-kiosk-thanks")
    tablet.goto(f"{link}?lang=en")
    assert "already been used" in tablet.inner_text(".kiosk-refused")
    shot(tablet, "consent-07b-link-used")

    # the clinician countersigns on their own screen
    page.goto(consent_page)
    page.wait_for_selector("#countersign-submit")
    assert page.input_value("#signer-name") == "Dr. Khaled Mansour"
    draw(page, seed=5)
    shot(page, "consent-08-countersign")
    page.click("#countersign-submit")
    page.wait_for_selector("#consent-pdf")
    assert page.get_attribute("[data-status]", "data-status") == "signed"
    shot(page, "consent-09-signed")

    # the PDF snapshot: the Arabic text, three signature images
    pdf = page.request.get(f"{url}{page.get_attribute('#consent-pdf', 'href')}").body()
    words = text(pdf)
    assert "السنخ الجاف" in words and "منى حداد" in words
    assert sum(len(p.images) for p in reader(pdf).pages) >= 3
    for number in range(1, len(reader(pdf).pages) + 1):
        png(pdf, f"consent-snapshot-p{number}", number)

    # the stored hash is the hash of the text the page showed
    with store.db.engine.connect() as conn:
        record = conn.execute(select(ConsentRecord).where(ConsentRecord.event == "given")).one()
        signatures = conn.execute(select(ConsentSignature.role, ConsentSignature.text_sha256, ConsentSignature.language)).all()
    assert record.text_sha256 == shown and record.language == "ar"
    assert record.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert [(s.role, s.text_sha256 == shown, s.language) for s in signatures][:2] == [("patient", True, "ar"), ("guardian", True, "ar")]

    # the chart shows it signed, with its history
    page.goto(f"{url}/patients/{NOOR}")
    page.wait_for_selector("#consents-panel [data-status=signed]")
    page.click("#consents-panel .consent-details summary")
    shot(page, "consent-10-chart-history")


def test_consent_and_kiosk_pages_pass_axe(browser: Any, consent_server: tuple[str, Store]) -> None:
    """axe-core (pinned, from node_modules) on the consent page with its QR code and on the
    kiosk pages in English and Arabic: no serious or critical violations."""
    from tests.browser.test_accessibility import AXE, _violations

    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/build-assets.sh)")
    url, _ = consent_server
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-US", bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, url)
        page.goto(f"{url}/patients/1/consents")
        page.select_option("#consent-workflow", "core.general_consent")
        page.click("form.consent-start button[type=submit]")
        page.wait_for_selector("#open-link")
        page.click("#open-link")
        page.wait_for_selector(".qr svg")
        problems = {"consent page": _violations(page)}
        link = page.get_attribute("#signing-link", "href")
        kiosk = browser.new_context(viewport={"width": 820, "height": 1180}, bypass_csp=True).new_page()
        for name, target in (("language", link), ("sign en", f"{link}?lang=en"), ("sign ar", f"{link}?lang=ar"),
                             ("refused", f"{url}/kiosk/1/not-a-token")):
            kiosk.goto(str(target))
            problems[name] = _violations(kiosk)
        kiosk.context.close()
    finally:
        context.close()
    found = {k: [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in found] for k, found in problems.items() if found}
    assert not found, found
