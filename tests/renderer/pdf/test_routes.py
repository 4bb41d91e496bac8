"""PDF downloads from the web app: a document, an encounter summary, a chart summary; roles,
errors, headers; the render runs in a real (one-process) pool; every download is audited."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from engine.catalog import Catalog
from engine.store import Actor, Store
from engine.store.models import AuditEvent
from renderer.pdf.demo import VITALS, record
from renderer.pdf.service import PdfService
from renderer.pdf.settings import PdfSettings
from renderer.web.seed import DEMO_USERS
from renderer.web.settings import WebSettings
from tests.renderer.conftest import sign_in
from tests.renderer.pdf import readback

Client = TestClient[Litestar]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def printing(app: Litestar, store: Store, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """The web demo clinic with one encounter and a signed vital signs document, and the
    app's PdfService rendering in one worker process."""
    clinic = store.accounts.clinic_by_code("demo")
    assert clinic is not None
    user = store.accounts.authenticate(clinic.id, "clinician", DEMO_USERS["clinician"][0])
    assert user is not None
    who = Actor(user.id, "clinician", clinic.id)
    patient = store.patients.get(who, 1)
    encounter = store.encounters.open(who, patient.id, kind="outpatient")
    doc = record(store, who, catalog, patient, "core.vitals", VITALS, encounter_id=encounter.id)
    service = PdfService(store, catalog, PdfSettings(workers=1, cache_dir=tmp_path_factory.mktemp("web-pdf-cache")))
    app.state.pdf = service
    yield {"document": doc.id, "encounter": encounter.id, "patient": patient.id}
    service.close()
    del app.state["pdf"]


def _exports(store: Store) -> list[AuditEvent]:
    with store.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "export")))


@pytest.mark.parametrize(("url", "kind"), [("/documents/{document}/pdf", "document"),
                                           ("/encounters/{encounter}/pdf", "encounter"),
                                           ("/patients/{patient}/chart.pdf", "chart")])
def test_downloads(client: Client, printing: dict[str, int], store: Store, url: str, kind: str) -> None:
    before = len(_exports(store))
    response = client.get(url.format(**printing), params={"lang": "both", "layout": "side"})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{kind}-')
    assert response.headers["cache-control"] == "private, no-store"
    text = readback.text(response.content)
    assert "Dr. Khaled Mansour" in text and "صفحة" in text
    events = _exports(store)[before:]
    assert len(events) == 1 and events[0].entity_type == kind and events[0].detail["languages"] == "both"  # type: ignore[index]


def test_inline_and_arabic(client: Client, printing: dict[str, int]) -> None:
    response = client.get(f"/documents/{printing['document']}/pdf", params={"lang": "ar", "inline": "1"})
    assert response.headers["content-disposition"].startswith("inline;")
    files = readback.attachments(response.content)
    assert json.loads(files["document.json"])["document_id"] == printing["document"]
    assert "Systolic" not in readback.text(response.content)


def test_errors(client: Client, printing: dict[str, int]) -> None:
    assert client.get("/documents/99999/pdf").status_code == 404
    assert client.get(f"/documents/{printing['document']}/pdf", params={"layout": "diagonal"}).status_code == 400


def test_roles(anonymous: Client, printing: dict[str, int]) -> None:
    url = f"/documents/{printing['document']}/pdf"
    assert anonymous.get(url, follow_redirects=False).status_code in (303, 401)
    sign_in(anonymous, "reception")
    assert anonymous.get(url).status_code == 403


def test_the_pool_rendered_in_another_process(printing: dict[str, int], app: Litestar) -> None:
    service: PdfService = app.state.pdf
    executor = service.renderer._executor
    assert executor is not None and len(executor._processes) == 1
    assert Path(service.settings.cache_dir or "").is_dir()


def test_the_service_is_made_on_first_use(client: Client, printing: dict[str, int], app: Litestar,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINIFORM_PDF_WORKERS", "0")
    monkeypatch.setenv("CLINIFORM_PDF_CACHE_DIR", str(tmp_path))
    kept = app.state.pdf
    del app.state["pdf"]
    try:
        assert client.get(f"/documents/{printing['document']}/pdf").status_code == 200
        made: PdfService = app.state.pdf
        assert made is not kept and made.settings.workers == 0 and made.close in app.on_shutdown
        assert list(tmp_path.glob("*/*.pdf"))
    finally:
        app.on_shutdown.remove(app.state.pdf.close)
        app.state.pdf = kept


# -- the PDF control on the pages: a plain GET form, for roles that may export ----------------
PAGES = {"document": "/documents/{document}", "encounter": "/encounters/{encounter}", "chart": "/patients/{patient}"}
TARGETS = {"document": "/documents/{document}/pdf", "encounter": "/encounters/{encounter}/pdf",
           "chart": "/patients/{patient}/chart.pdf"}


def pdf_control(client: Client, url: str) -> Any:
    """The page's PDF form (None when there is none)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.text, "html.parser").select_one("form.pdf-control")


@pytest.mark.parametrize("kind", PAGES)
def test_the_pages_offer_their_pdf_and_it_downloads(client: Client, printing: dict[str, int], kind: str) -> None:
    form = pdf_control(client, PAGES[kind].format(**printing))
    assert form is not None, f"no PDF control on the {kind} page"
    assert form["method"] == "get" and form["action"] == TARGETS[kind].format(**printing)
    choices = {s["name"]: [o["value"] for o in s.select("option")] for s in form.select("select")}
    assert choices == {"lang": ["", "en", "ar", "both"], "layout": ["", "side", "stacked"]}
    assert form.select_one("button[type=submit]") is not None
    # what the browser sends for the form as it is (the clinic's defaults), then a choice
    for query in ({"lang": "", "layout": ""}, {"lang": "ar", "layout": "stacked"}):
        response = client.get(form["action"], params=query)
        assert response.status_code == 200, response.text[:300]
        assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_no_pdf_control_for_a_role_without_export(anonymous: Client, printing: dict[str, int]) -> None:
    sign_in(anonymous, "reception")  # opens the chart and the encounter, may not export
    for kind in ("chart", "encounter"):
        assert pdf_control(anonymous, PAGES[kind].format(**printing)) is None, kind


def test_no_pdf_control_on_a_document_for_a_clinic_whose_clinicians_may_not_export(
        settings: WebSettings, catalog: Catalog, store: Store, printing: dict[str, int], tmp_path: Path) -> None:
    """Every role that reads documents may export them in the shipped matrix: a clinic's
    own matrix without it for clinicians shows the page without the control."""
    from renderer.web.app import create_app

    matrix = (ROOT / "renderer" / "web" / "permissions.yaml").read_text(encoding="utf-8")
    own = tmp_path / "permissions.yaml"
    own.write_text(re.sub(r"documents\.export: +\[.*\]", "documents.export: [nurse]", matrix), encoding="utf-8")
    app = create_app(dataclasses.replace(settings, permissions_file=own), catalog=catalog, store=store)
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client)
        for kind in PAGES:
            assert pdf_control(client, PAGES[kind].format(**printing)) is None, kind
        assert client.get(TARGETS["document"].format(**printing)).status_code == 403
