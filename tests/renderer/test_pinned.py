"""A document is shown, printed and evaluated with the definition version it was captured
with, after the clinic has installed a newer one (renderer.web.services.pinned_form and the
PDF's form_for both go through engine.packs.pinned)."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import evaluate
from engine.packs import load
from engine.store import Actor, Database, Store, upgrade
from renderer.pdf.sources import form_for
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.services import pinned_form, publish_form
from renderer.web.settings import WebSettings
from tests.engine.store.test_documents import RATIO_V1, RATIO_V2, ratio_catalog
from tests.renderer.conftest import ROOT, sign_in


def with_core(pack_parent: Path) -> Catalog:
    result = load([ROOT / "form_definitions", pack_parent / "clinic"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


def test_a_document_reads_with_its_own_version_after_a_new_one_is_installed(tmp_path: Path, settings: WebSettings) -> None:
    ratio_catalog(tmp_path / "v1", RATIO_V1)  # writes the pack folders
    ratio_catalog(tmp_path / "v2", RATIO_V2)
    old, new = with_core(tmp_path / "v1"), with_core(tmp_path / "v2")
    db = Database.from_url(f"sqlite:///{tmp_path / 'pinned.db'}")
    upgrade(db)
    store = Store(db)
    clinic = seed_demo(store, old).clinic_id
    doctor = Actor(None, "clinician", clinic)
    v1 = old.form("clinic.ratio")
    assert v1 is not None
    definition = publish_form(store, doctor, v1)
    doc = store.documents.create(doctor, patient_id=1, definition_version_id=definition.id,
                                 answers=evaluate(v1, {"weight": 80, "height": 2}).answers_json())
    store.documents.sign(doctor, doc.id, base_version=doc.version)

    stored = store.documents.get(doctor, doc.id).definition
    for form in (pinned_form(new, stored), form_for(new, stored)):
        assert form.version == "1.0.0" and form.index["index"].label.get("en") == "Body mass index"
        assert evaluate(form, doc.answers).values["index"] == 20.0
    newest = new.form("clinic.ratio")
    assert newest is not None and evaluate(newest, doc.answers).values["index"] == 200000.0

    with TestClient(create_app(settings, catalog=new, store=store), base_url="http://testserver.local") as client:
        sign_in(client)
        response = client.get(f"/documents/{doc.id}")
        assert response.status_code == 200, response.text[:300]
        page = BeautifulSoup(response.text, "html.parser")
    label, value = page.select_one("#item-index label"), page.select_one("#item-index output#f-index")
    assert label is not None and label.get_text(strip=True) == "Body mass index"
    assert value is not None and value.get_text(strip=True) == "20"
    assert "BMI (kg/m2)" not in page.get_text()
    db.dispose()
