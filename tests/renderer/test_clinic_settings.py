"""The clinic settings page (/admin/clinic): an administrator sets the names, the letterhead
(address, phone, logo) and the print defaults; a refused form keeps everything typed, says
what is wrong next to each field, and keeps a good logo; the process's cache of the
clinic's settings (renderer.web.clinic_settings)."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from engine.store import Actor, Store
from engine.store.clinics import ClinicChanges
from engine.store.models import AuditEvent, Clinic
from renderer.web.clinic_settings import ClinicCache
from tests.renderer.conftest import sign_in

T = TypeVar("T")

Client = TestClient[Litestar]


def png(colour: str = "navy") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (90, 36), colour).save(out, "PNG")
    return out.getvalue()


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.fixture()
def demo_clinic(app: Litestar, store: Store) -> Iterator[int]:
    """The demo clinic's id; its names and settings are put back after the test (and the
    app's cache forgets them), so other tests see the clinic as seeded."""
    clinic = store.accounts.clinic_by_code("demo")
    assert clinic is not None
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None
        kept = (row.name, row.name_ar, row.settings)
    yield clinic.id
    with store.db.transaction() as session:
        row = session.get(Clinic, clinic.id)
        assert row is not None
        row.name, row.name_ar, row.settings = kept
    app.state.clinic_cache.forget(clinic.id)


@pytest.fixture()
def admin(app: Litestar) -> Iterator[Client]:
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client, "admin")
        yield client


FORM = {"name": "Demo Family Clinic", "name_ar": "عيادة العائلة التجريبية", "address_en": "12 Zahran St, Amman",
        "address_ar": "١٢ شارع زهران، عمّان", "phone": "+962 6 555 0100", "languages": "ar", "layout": "stacked",
        "paper": "letter", "timezone": "Asia/Amman", "arabic_digits": "1", "digits_default": "1"}


def test_only_administrators_see_the_page_in_the_navigation(admin: Client, client: Client) -> None:
    assert _soup(admin.get("/admin/users")).select_one('nav a[href="/admin/clinic"]') is not None
    assert _soup(client.get("/")).select_one('nav a[href="/admin/clinic"]') is None
    assert client.get("/admin/clinic").status_code == 403


def test_the_administrator_saves_the_clinics_settings(admin: Client, store: Store, demo_clinic: int) -> None:
    page = _soup(admin.get("/admin/clinic"))
    form = page.select_one('form[action="/admin/clinic"]')
    assert form is not None and form["enctype"] == "multipart/form-data"
    assert form.select_one('input[name="_csrf"]') is not None
    assert page.select_one("#f-name")["value"] == "Demo Family Clinic"  # type: ignore[index]
    logo = png()
    saved = admin.post("/admin/clinic", data=FORM, files={"logo": ("logo.png", logo, "image/png")}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/clinic?saved=1"
    shown = _soup(admin.get(saved.headers["location"]))
    assert shown.select_one("#saved[role=status]") is not None
    assert shown.select_one("#f-address_ar").get_text() == "١٢ شارع زهران، عمّان"  # type: ignore[union-attr]
    assert shown.select_one("#f-languages option[selected]")["value"] == "ar"  # type: ignore[index]
    assert shown.select_one("#f-arabic_digits").has_attr("checked")  # type: ignore[union-attr]
    current = shown.select_one(".logo-preview img")
    assert current is not None and current["src"].startswith("data:image/png;base64,")  # type: ignore[union-attr]
    clinic = store.clinics.get(demo_clinic)
    assert clinic.address == {"en": "12 Zahran St, Amman", "ar": "١٢ شارع زهران، عمّان"}
    assert clinic.pdf.chosen() == {"languages": "ar", "layout": "stacked", "paper": "letter", "timezone": "Asia/Amman",
                                   "arabic_digits": True}
    assert store.files.get(Actor.system(demo_clinic), clinic.logo_sha256 or "")[1] == logo
    with store.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_type == "clinic")
                                .order_by(AuditEvent.seq.desc())).first()
    assert event is not None and event.user_id is not None and "address_en" in (event.detail or {})["changes"]
    # removing the logo; an untouched digits box of a clinic that never chose keeps the default
    removed = admin.post("/admin/clinic", data={**FORM, "remove_logo": "1"}, follow_redirects=False)
    assert removed.status_code == 303 and store.clinics.get(demo_clinic).logo_sha256 is None


def test_a_refused_form_keeps_what_was_typed_and_says_what_is_wrong_by_each_field(
        admin: Client, store: Store, demo_clinic: int) -> None:
    typed = {**FORM, "name": "  ", "timezone": "Asia/Ammman", "languages": "fr", "phone": "9" * 41}
    refused = admin.post("/admin/clinic", data=typed, files={"logo": ("logo.png", png("red"), "image/png")})
    assert refused.status_code == 422
    page = _soup(refused)
    for key in ("name", "timezone", "languages", "phone"):
        control = page.select_one(f"#f-{key}")
        assert control is not None and control["aria-invalid"] == "true", key
        assert f"err-{key}" in control["aria-describedby"].split(), key  # type: ignore[union-attr]
        assert page.select_one(f"#err-{key} .error") is not None, key
    assert "Asia/Amman" in page.select_one("#err-timezone").get_text()  # type: ignore[union-attr]
    assert [a["href"] for a in page.select("#error-summary a")] == ["#f-name", "#f-phone", "#f-languages", "#f-timezone"]
    # nothing typed is lost, the good logo included
    assert page.select_one("#f-timezone")["value"] == "Asia/Ammman"  # type: ignore[index]
    assert page.select_one("#f-address_en").get_text() == FORM["address_en"]  # type: ignore[union-attr]
    pending = page.select_one('input[name="pending_logo"]')
    assert pending is not None and re.fullmatch(r"[0-9a-f]{64}", pending["value"])  # type: ignore[arg-type]
    assert store.clinics.get(demo_clinic).address == {}
    corrected = admin.post("/admin/clinic", data={**FORM, "pending_logo": pending["value"]}, follow_redirects=False)
    assert corrected.status_code == 303
    assert store.clinics.get(demo_clinic).logo_sha256 == pending["value"]


def test_a_logo_that_is_not_a_png_or_jpeg_is_refused(admin: Client, store: Store, demo_clinic: int) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = admin.post("/admin/clinic", data=FORM, files={"logo": ("logo.png", svg, "image/png")})
    assert refused.status_code == 422
    page = _soup(refused)
    assert "PNG or JPEG" in page.select_one("#err-logo").get_text()  # type: ignore[union-attr]
    assert page.select_one('input[name="pending_logo"]') is None
    assert store.clinics.get(demo_clinic).logo_sha256 is None
    too_big = b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024)
    refused = admin.post("/admin/clinic", data=FORM, files={"logo": ("big.png", too_big, "image/png")})
    assert refused.status_code == 422 and "1024 KB" in _soup(refused).select_one("#err-logo").get_text()  # type: ignore[union-attr]


def test_the_page_in_arabic(admin: Client, demo_clinic: int) -> None:
    page = _soup(admin.get("/admin/clinic", params={"lang": "ar"}))
    assert page.html["dir"] == "rtl"  # type: ignore[index]
    assert page.select_one("h1").get_text() == "إعدادات العيادة"  # type: ignore[union-attr]
    assert page.select_one('label[for="f-address_ar"]').get_text(strip=True) == "العنوان بالعربية"  # type: ignore[union-attr]
    refused = _soup(admin.post("/admin/clinic?lang=ar", data={**FORM, "timezone": "Mars"}))
    assert "منطقة زمنية" in refused.select_one("#err-timezone").get_text()  # type: ignore[union-attr]


def _run(coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run ``coroutine`` to its end in a thread of its own: the test session may have an
    event loop running in this one (the browser tests' Playwright)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, coroutine).result()


def test_the_cache_reads_a_clinic_again_after_its_ttl_or_when_told(store: Store, demo_clinic: int) -> None:
    """What another process saved shows here within the TTL; what this one saved, at once."""

    now = [0.0]
    cache = ClinicCache(30, clock=lambda: now[0])

    def digits() -> bool | None:
        async def read() -> bool | None:
            clinic = await cache.get(store, demo_clinic)
            return None if clinic is None else clinic.pdf.arabic_digits
        return _run(read)

    assert digits() is None
    store.clinics.update(Actor.system(demo_clinic), ClinicChanges(arabic_digits=True))  # "another process"
    now[0] = 29.0
    assert digits() is None
    now[0] = 30.5
    assert digits() is True
    store.clinics.update(Actor.system(demo_clinic), ClinicChanges(arabic_digits=False))
    cache.forget(demo_clinic)
    assert digits() is False
    assert _run(lambda: cache.get(store, 99999)) is None
