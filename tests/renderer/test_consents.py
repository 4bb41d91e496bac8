"""Consents through the web app (TestClient): the clinician's pages, the kiosk pages, every
refusal with its message and nothing stored, withdrawal, expiry and re-consent after a new
text version, the signed PDF read back."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from engine.catalog import Catalog
from engine.consents import canonical
from engine.packs import load
from engine.store import Database, Store, upgrade
from engine.store.models import AuditEvent, ConsentRecord, StoredFile
from engine.store.signing_models import ConsentInstance, ConsentSignature, SigningSession
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.settings import WebSettings
from tests.renderer.conftest import ROOT, compiled_catalogs, sign_in

EXTRACTION = {"teeth": "55", "extraction_type": "simple", "anaesthesia": "local",
              "risks_discussed": ["pain_swelling", "bleeding", "infection", "dry_socket"]}
MINOR, ADULT, OTHER = 9, 1, 2  # demo patients: Noor Haddad (16 on the day of seeding), Ahmad Saleh, Fatima Haddad


def png_data_url(width: int = 60, height: int = 20) -> str:
    """A real PNG (a dark bar on white) as a data: URL, as the signature pad posts it."""
    rows = b"".join(b"\x00" + b"".join(b"\x10\x24\x3e" if 5 < y < 12 else b"\xff\xff\xff" for _ in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


STROKES = json.dumps([{"penColor": "#10243e", "points": [{"x": 5, "y": 8, "pressure": 0.5, "time": 1},
                                                          {"x": 50, "y": 9, "pressure": 0.5, "time": 40}]}])


def full_catalog(*extra: Path) -> Catalog:
    result = load([ROOT / "form_definitions", ROOT / "specialties", *extra])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture(scope="module")
def consent_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('consents') / 'web.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, full_catalog())
    return store


@pytest.fixture(scope="module")
def consent_settings(tmp_path_factory: pytest.TempPathFactory) -> WebSettings:
    return WebSettings(log_level="WARNING", locale_dir=compiled_catalogs(tmp_path_factory.mktemp("locale")),
                       secret_key="consent-tests", signing_link_minutes=5)


@pytest.fixture(scope="module")
def consent_app(consent_settings: WebSettings, consent_store: Store) -> Litestar:
    return create_app(consent_settings, catalog=full_catalog(), store=consent_store)


@pytest.fixture()
def clinician(consent_app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(consent_app, base_url="http://testserver.local") as client:
        sign_in(client)
        yield client


@pytest.fixture()
def tablet(consent_app: Litestar) -> Iterator[TestClient[Litestar]]:
    """The kiosk: a browser nobody is signed in to."""
    with TestClient(consent_app, base_url="http://testserver.local") as client:
        yield client


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def start(client: TestClient[Litestar], patient_id: int, workflow: str = "dental.extraction_consent",
          answers: dict[str, Any] | None = None) -> tuple[int, str]:
    """Start a consent, fill the clinician part, open a link: (consent id, kiosk path)."""
    response = client.post(f"/patients/{patient_id}/consents", data={"workflow": workflow}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    consent_id = int(response.headers["location"].rsplit("/", 1)[1])
    return consent_id, open_link(client, consent_id, EXTRACTION if answers is None else answers)


def open_link(client: TestClient[Litestar], consent_id: int, answers: dict[str, Any] | None = None) -> str:
    if answers is not None:
        response = client.post(f"/consents/{consent_id}", data={**answers, "_action": "link"})
    else:
        response = client.post(f"/consents/{consent_id}/link")
    assert response.status_code == 200, response.text[:500]
    page = soup(response.text)
    assert page.select_one(".qr svg") is not None
    return str(page.select_one("#signing-link")["href"]).replace("http://testserver.local", "")


def shown_blocks(page: BeautifulSoup) -> list[str]:
    return [canonical(e.get_text()) for e in page.select("[data-consent-block]")]


def fields(page: BeautifulSoup, **override: Any) -> dict[str, Any]:
    """What a person filling the signing form posts: every statement ticked, a name, a drawing."""
    form = page.select_one("form[data-signing-form]")
    data: dict[str, Any] = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    data.update({i["name"]: "true" for i in form.select("input[type=checkbox]")})
    data.update({i["name"]: "true" for i in form.select("input[type=radio][value=true]")})
    data.update(signer_name="Test Signer", signature=png_data_url(), strokes=STROKES)
    if form.select_one("select[name=relation]") is not None:
        data["relation"] = "mother"
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def counts(store: Store) -> tuple[int, ...]:
    with store.db.engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(m)).scalar_one())
                     for m in (ConsentSignature, StoredFile, ConsentRecord))


def sign_kiosk(tablet: TestClient[Litestar], path: str, lang: str = "en", **override: Any) -> Any:
    page = soup(tablet.get(f"{path}?lang={lang}").text)
    return tablet.post(path, data=fields(page, **override), follow_redirects=False)


def countersign(client: TestClient[Litestar], consent_id: int, **override: Any) -> Any:
    page = soup(client.get(f"/consents/{consent_id}").text)
    return client.post(f"/consents/{consent_id}/countersign", data=fields(page, signer_name="Dr. Khaled Mansour", **override),
                       follow_redirects=False)


def test_a_minor_signs_in_arabic_with_a_guardian_and_the_clinician_countersigns(
        clinician: TestClient[Litestar], tablet: TestClient[Litestar], consent_store: Store) -> None:
    from tests.renderer.pdf.readback import attachments, reader, text

    consent_id, path = start(clinician, MINOR)
    first = tablet.get(path)
    assert first.status_code == 200 and "اختر لغتك" in first.text and first.headers["cache-control"] == "no-store"
    assert soup(first.text).select_one("nav.nav, .topbar, .user-menu") is None
    response = tablet.get(f"{path}?lang=ar")
    page = soup(response.text)
    assert page.html["dir"] == "rtl" and page.html["lang"] == "ar"
    blocks = shown_blocks(page)
    assert blocks[0] == "الموافقة على قلع الأسنان" and any("السنخ الجاف" in b for b in blocks)
    shown = hashlib.sha256("\n".join(blocks).encode()).hexdigest()
    assert page.select_one("input[name=shown_sha256]")["value"] == shown
    patient = tablet.post(path, data=fields(page, signer_name="نور حداد"), follow_redirects=False)
    assert patient.status_code == 303
    guardian_path = patient.headers["location"]
    guardian_page = soup(tablet.get(guardian_path).text)
    assert guardian_page.html["lang"] == "ar" and guardian_page.select_one("select[name=relation]") is not None
    assert "وليّ" in guardian_page.select_one("#sign-title").get_text() or guardian_page.select_one("#pad-label").get_text() == "توقيع وليّ الأمر"
    done = tablet.post(guardian_path, data=fields(guardian_page, signer_name="منى حداد"), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/kiosk/thanks")
    assert soup(clinician.get(f"/consents/{consent_id}").text).select_one("#countersign-submit")
    signed = countersign(clinician, consent_id)
    assert signed.status_code == 303
    view = soup(clinician.get(f"/consents/{consent_id}").text)
    assert view.select_one("[data-status]")["data-status"] == "signed"
    pdf = clinician.get(f"/consents/{consent_id}/snapshot.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = text(pdf.content)
    assert "السنخ الجاف" in words and "منى حداد" in words
    images = sum(len(p.images) for p in reader(pdf.content).pages)
    assert images >= 3  # patient, guardian, clinician
    evidence = json.loads(attachments(pdf.content)["consent.json"])
    assert [s["role"] for s in evidence["signers"]] == ["patient", "guardian", "clinician"]
    assert evidence["signers"][0]["text_sha256"] == shown
    with consent_store.db.engine.connect() as conn:
        record = conn.execute(select(ConsentRecord).where(ConsentRecord.event == "given").order_by(ConsentRecord.id.desc())).first()
        steps = [d.get("step") for d in conn.execute(select(AuditEvent.detail).where(AuditEvent.entity_id == str(consent_id))).scalars() if d]
    assert record is not None and record.text_sha256 == shown and record.language == "ar"
    assert record.pdf_sha256 == hashlib.sha256(pdf.content).hexdigest()
    assert {"started", "link_opened", "kiosk_view", "signed", "completed"} <= set(steps)
    copy = soup(clinician.post(f"/consents/{consent_id}/copy").text).select_one("#copy-link")["href"]
    assert tablet.get(str(copy).replace("http://testserver.local", "")).content == pdf.content


def test_refusals_say_why_and_store_nothing(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                            consent_store: Store) -> None:
    consent_id, path = start(clinician, ADULT)
    _, other_path = start(clinician, OTHER)
    page = soup(tablet.get(f"{path}?lang=en").text)
    before = counts(consent_store)

    def refused(response: Any, status: int, words: str) -> None:
        assert response.status_code == status, response.text[:300]
        assert words in soup(response.text).get_text(" "), soup(response.text).get_text(" ")[:600]
        assert counts(consent_store) == before

    refused(tablet.post(path, data=fields(page, shown_sha256="0" * 64)), 422, "not the text on record")
    refused(tablet.post(path, data=fields(page, signature="", strokes="")), 422, "Sign in the box")
    refused(tablet.post(path, data=fields(page, strokes="[]")), 422, "Sign in the box")
    refused(tablet.post(path, data=fields(page, read_in_own_language=None)), 422, "This field is required")
    other_token = other_path.rsplit("/", 1)[1]
    refused(tablet.post(f"/kiosk/{consent_id}/{other_token}", data=fields(page)), 403, "another patient")
    refused(tablet.get(f"/kiosk/{consent_id}/{other_token}?lang=en"), 403, "another patient")
    with consent_store.db.engine.begin() as conn:
        conn.execute(update(SigningSession).where(SigningSession.consent_id == consent_id)
                     .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    refused(tablet.post(path, data=fields(page)), 410, "expired")
    path = open_link(clinician, consent_id)
    page = soup(tablet.get(f"{path}?lang=en").text)
    assert tablet.post(path, data=fields(page), follow_redirects=False).status_code == 303
    before = counts(consent_store)
    refused(tablet.post(path, data=fields(page)), 410, "already been used")
    refused(tablet.get(path), 410, "already been used")
    withdrawn = clinician.post(f"/consents/{consent_id}/withdraw", data={"reason": ""})
    assert withdrawn.status_code == 422 and "Say why" in withdrawn.text
    assert clinician.post(f"/consents/{consent_id}/withdraw", data={"reason": "Patient chose to wait"},
                          follow_redirects=False).status_code == 303
    before = counts(consent_store)
    late = {"language": "en", "shown_sha256": page.select_one("input[name=shown_sha256]")["value"],
            "signer_name": "Dr. Khaled Mansour", "signature": png_data_url(), "strokes": STROKES}
    refused(clinician.post(f"/consents/{consent_id}/countersign", data=late), 409, "withdrawn")


def test_a_link_opened_before_withdrawal_cannot_sign_after_it(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                                              consent_store: Store) -> None:
    consent_id, path = start(clinician, OTHER)
    page = soup(tablet.get(f"{path}?lang=en").text)
    clinician.post(f"/consents/{consent_id}/withdraw", data={"reason": "Procedure cancelled"})
    before = counts(consent_store)
    response = tablet.post(path, data=fields(page))
    assert response.status_code == 409 and "withdrawn" in response.text and counts(consent_store) == before
    listing = soup(clinician.get(f"/patients/{OTHER}/consents").text)
    item = listing.select_one(f'[data-consent="{consent_id}"]')
    assert item.select_one("[data-status]")["data-status"] == "withdrawn" and "Procedure cancelled" in item.get_text()


def _sign_adult(clinician: TestClient[Litestar], tablet: TestClient[Litestar], patient_id: int) -> int:
    consent_id, path = start(clinician, patient_id)
    assert sign_kiosk(tablet, path).status_code == 303
    assert countersign(clinician, consent_id).status_code == 303
    return consent_id


def test_withdrawal_of_a_signed_consent_is_a_new_record(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                                        consent_store: Store) -> None:
    consent_id = _sign_adult(clinician, tablet, ADULT)
    clinician.post(f"/consents/{consent_id}/withdraw", data={"reason": "Changed his mind"})
    with consent_store.db.engine.connect() as conn:
        given, withdrawn = conn.execute(select(ConsentRecord).where(ConsentRecord.document_id == select(ConsentInstance.document_id)
                                        .where(ConsentInstance.id == consent_id).scalar_subquery()).order_by(ConsentRecord.id)).all()
    assert (given.event, withdrawn.event, withdrawn.supersedes_id, withdrawn.reason) == ("given", "withdrawn", given.id, "Changed his mind")
    view = soup(clinician.get(f"/consents/{consent_id}").text)
    assert view.select_one("[data-status]")["data-status"] == "withdrawn"
    assert view.select_one("#withdraw") is None and "Changed his mind" in view.select_one(".consent-history").get_text()


def test_expired_consents_are_flagged(clinician: TestClient[Litestar], tablet: TestClient[Litestar], consent_store: Store) -> None:
    consent_id = _sign_adult(clinician, tablet, OTHER)
    with consent_store.db.engine.begin() as conn:
        conn.execute(update(ConsentInstance).where(ConsentInstance.id == consent_id)
                     .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    panel = soup(clinician.get(f"/patients/{OTHER}/consents/panel").text)
    assert panel.select_one(f'[data-consent="{consent_id}"] [data-status]')["data-status"] == "expired"


def test_a_new_text_version_asks_for_re_consent(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                                consent_store: Store, consent_settings: WebSettings, tmp_path: Path) -> None:
    consent_id = _sign_adult(clinician, tablet, 4)
    pack = tmp_path / "dental"
    shutil.copytree(ROOT / "specialties" / "dental", pack)
    form = pack / "forms" / "extraction_consent_form.yaml"
    source = form.read_text().replace("version: 1.0.0", "version: 1.1.0", 1)
    form.write_text(source.replace("Removing the tooth is expected", "Taking the tooth out is expected", 1))
    newer = load([ROOT / "form_definitions", ROOT / "specialties" / "cardiology", pack])
    assert newer.ok, [str(d) for d in newer.diagnostics if d.is_error]
    app = create_app(consent_settings, catalog=newer.catalog, store=consent_store)
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client)
        item = soup(client.get("/patients/4/consents").text).select_one(f'[data-consent="{consent_id}"]')
        assert item.select_one("[data-status]")["data-status"] == "reconsent" and "1.1.0" in item.get_text()
        response = client.post(f"/consents/{consent_id}/reconsent", follow_redirects=False)
        new_id = int(response.headers["location"].rsplit("/", 1)[1])
        fresh = soup(client.get(f"/consents/{new_id}").text)
        assert "1.1.0" in fresh.select_one(".consent-head").get_text()
        chosen = fresh.select_one('select[name=teeth] option[value="55"][selected], input[name=teeth][value="55"][checked]')
        assert chosen is not None
        path = open_link(client, new_id)
        with TestClient(app, base_url="http://testserver.local") as kiosk:
            page = soup(kiosk.get(f"{path}?lang=en").text)
            blocks = shown_blocks(page)
            assert any("Taking the tooth out" in b for b in blocks)
            shown = hashlib.sha256("\n".join(blocks).encode()).hexdigest()
            done = kiosk.post(path, data=fields(page, signer_name="Omar Khalil"), follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"].startswith("/kiosk/thanks")
        assert countersign(client, new_id).status_code == 303
        listing = soup(client.get("/patients/4/consents").text)
        panel = soup(client.get("/patients/4/consents/panel").text)
        for shown_on in (listing, panel):
            new_item = shown_on.select_one(f'[data-consent="{new_id}"]')
            assert new_item.select_one("[data-status]")["data-status"] == "signed" and "1.1.0" in new_item.get_text()
            old_item = shown_on.select_one(f'[data-consent="{consent_id}"]')
            assert old_item.select_one("[data-status]")["data-status"] == "replaced"
    with consent_store.db.engine.connect() as conn:
        def given(consent: int) -> Any:
            document = select(ConsentInstance.document_id).where(ConsentInstance.id == consent).scalar_subquery()
            return conn.execute(select(ConsentRecord).where(ConsentRecord.document_id == document)).one()

        old_record, new_record = given(consent_id), given(new_id)
        roles = conn.execute(select(ConsentSignature.role).where(ConsentSignature.consent_id == new_id)
                             .order_by(ConsentSignature.id)).scalars().all()
        state = conn.execute(select(ConsentInstance.state).where(ConsentInstance.id == new_id)).scalar_one()
    assert (old_record.event, old_record.text_version) == ("given", "1.0.0")
    assert (new_record.event, new_record.text_version, new_record.language) == ("given", "1.1.0", "en")
    assert new_record.text_sha256 == shown != old_record.text_sha256
    assert state == "signed" and roles == ["patient", "clinician"]
    steps = consent_steps(consent_store, new_id)
    assert [s for s in steps if s[0] != "kiosk_view"] == [
        ("started", ""), ("link_opened", ""), ("signed", "patient"), ("signed", "clinician"), ("completed", "")]
    assert ("kiosk_view", "patient") in steps


def consent_steps(store: Store, consent_id: int) -> list[tuple[str, str]]:
    """The audited steps of one consent, oldest first: (step, role or refusal code)."""
    with store.db.engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.detail)
                            .where(AuditEvent.action.in_(("consent", "read"))).order_by(AuditEvent.seq)).all()
    return [(d["step"], d.get("role") or d.get("code") or "") for kind, entity, d in rows
            if d and "step" in d and ((kind == "consent" and entity == str(consent_id)) or d.get("consent_id") == consent_id)]


def test_a_refused_kiosk_post_is_audited_with_its_code(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                                        consent_store: Store) -> None:
    consent_id, path = start(clinician, OTHER)
    page = soup(tablet.get(f"{path}?lang=en").text)
    before = counts(consent_store)
    assert tablet.post(path, data=fields(page, shown_sha256="0" * 64)).status_code == 422
    assert tablet.post(path, data=fields(page, signature="", strokes="")).status_code == 422
    assert counts(consent_store) == before
    refusals = [s for s in consent_steps(consent_store, consent_id) if s[0] == "refused"]
    assert refusals == [("refused", "text_changed"), ("refused", "signature_missing")]
    with consent_store.db.engine.connect() as conn:
        who = conn.execute(select(AuditEvent.role, AuditEvent.patient_id).where(
            AuditEvent.action == "consent", AuditEvent.entity_type == "consent", AuditEvent.entity_id == str(consent_id))
            .order_by(AuditEvent.seq.desc())).first()
    assert who is not None and tuple(who) == ("patient-signing", OTHER)


def test_the_chart_loads_the_consent_panel_and_reception_may_not_manage_consents(
        consent_app: Litestar, clinician: TestClient[Litestar]) -> None:
    chart = soup(clinician.get(f"/patients/{MINOR}").text)
    assert chart.select_one("#consents-panel")["hx-get"] == f"/patients/{MINOR}/consents/panel"
    panel = soup(clinician.get(f"/patients/{MINOR}/consents/panel").text)
    assert panel.select_one("select[name=workflow] option[value='dental.extraction_consent']") is not None
    with TestClient(consent_app, base_url="http://testserver.local") as reception:
        sign_in(reception, "reception")
        assert reception.get(f"/patients/{MINOR}/consents").status_code == 403
        assert soup(reception.get(f"/patients/{MINOR}").text).select_one("#consents-panel") is None


def test_clinician_part_is_required_before_a_link(clinician: TestClient[Litestar]) -> None:
    response = clinician.post(f"/patients/{ADULT}/consents", data={"workflow": "dental.extraction_consent"}, follow_redirects=False)
    consent_id = int(response.headers["location"].rsplit("/", 1)[1])
    response = clinician.post(f"/consents/{consent_id}", data={"_action": "link", "teeth": "46"})
    assert response.status_code == 422
    page = soup(response.text)
    assert page.select_one("#signing-link") is None and page.select_one("#consent-error") is not None
    assert re.search(r"required", page.select_one("#item-extraction_type").get_text())


def test_a_consent_document_is_signed_only_through_its_flow(clinician: TestClient[Litestar], consent_store: Store) -> None:
    consent_id, _ = start(clinician, ADULT)
    with consent_store.db.engine.connect() as conn:
        document_id = conn.execute(select(ConsentInstance.document_id).where(ConsentInstance.id == consent_id)).scalar_one()
    opened = clinician.get(f"/documents/{document_id}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/consents/{consent_id}"
    signed = clinician.post(f"/documents/{document_id}", data={"_action": "sign", "_version": "2"}, follow_redirects=False)
    assert signed.status_code == 409
    assert soup(clinician.get(f"/consents/{consent_id}").text).select_one("[data-status]")["data-status"] == "awaiting"


def test_an_interpreter_signs_when_one_was_used(clinician: TestClient[Litestar], tablet: TestClient[Litestar],
                                                consent_store: Store) -> None:
    from tests.renderer.pdf.readback import attachments

    answers = {**EXTRACTION, "interpreter_used": "true", "interpreter_name": "Omar Khalil"}
    consent_id, path = start(clinician, ADULT, answers=answers)
    patient = sign_kiosk(tablet, path, signer_name="Ahmad Saleh")
    assert patient.status_code == 303
    interpreter_path = patient.headers["location"]
    assert not interpreter_path.startswith("/kiosk/thanks")  # the workflow asks for the interpreter next
    page = soup(tablet.get(interpreter_path).text)
    assert "Interpreter" in page.select_one("#pad-label").get_text()
    done = tablet.post(interpreter_path, data=fields(page, signer_name="Omar Khalil"), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/kiosk/thanks")
    assert countersign(clinician, consent_id).status_code == 303
    view = soup(clinician.get(f"/consents/{consent_id}").text)
    assert view.select_one("[data-status]")["data-status"] == "signed"
    evidence = json.loads(attachments(clinician.get(f"/consents/{consent_id}/snapshot.pdf").content)["consent.json"])
    assert [(s["role"], s["name"]) for s in evidence["signers"]] == [
        ("patient", "Ahmad Saleh"), ("interpreter", "Omar Khalil"), ("clinician", "Dr. Khaled Mansour")]
    with consent_store.db.engine.connect() as conn:
        roles = conn.execute(select(ConsentSignature.role).where(ConsentSignature.consent_id == consent_id)
                             .order_by(ConsentSignature.id)).scalars().all()
    assert roles == ["patient", "interpreter", "clinician"]


def test_without_an_interpreter_none_is_asked_for(clinician: TestClient[Litestar], tablet: TestClient[Litestar]) -> None:
    _, path = start(clinician, ADULT, answers={**EXTRACTION, "interpreter_used": "false"})
    patient = sign_kiosk(tablet, path, signer_name="Ahmad Saleh")
    assert patient.status_code == 303 and patient.headers["location"].startswith("/kiosk/thanks")


def test_the_teeth_are_chosen_on_a_tooth_chart(clinician: TestClient[Litestar]) -> None:
    response = clinician.post(f"/patients/{ADULT}/consents", data={"workflow": "dental.extraction_consent"}, follow_redirects=False)
    consent_id = int(response.headers["location"].rsplit("/", 1)[1])
    picker = soup(clinician.get(f"/consents/{consent_id}").text).select_one("#item-teeth fieldset.tooth-picker")
    assert picker is not None
    arches = picker.select(".arch")
    # permanent then primary, upper then lower; read facing the patient: 18-11 | 21-28 over 48-41 | 31-38
    assert [[b["value"] for b in a.select("input[type=checkbox]")] for a in arches[:2]] == [
        [str(c) for c in (*range(18, 10, -1), *range(21, 29))], [str(c) for c in (*range(48, 40, -1), *range(31, 39))]]
    assert len(arches) == 4 and len(picker.select("input[name=teeth]")) == 52
    assert "upper right third molar" in picker.select_one("label[title]")["title"]
    # ticked teeth post as the answer and come back ticked
    page = soup(clinician.post(f"/consents/{consent_id}", data={**EXTRACTION, "teeth": ["36", "37"], "_action": "save"}).text)
    assert {b["value"] for b in page.select("#item-teeth input[checked]")} == {"36", "37"}
