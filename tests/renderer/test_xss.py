"""Stored XSS renders inert: script payloads as every label of a form definition (title,
labels, help, options, rows, display text, constraint messages, in both languages) and as
answers to every input item, and in the other places people type text (patient names, a
visit's reason, a break-glass reason, a user's name), on every page that shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.packs import load
from engine.store import Actor, Database, Store, upgrade
from engine.types import TYPES
from renderer.fields import label
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.services import publish_form
from renderer.web.settings import WebSettings
from tests.renderer.security import ROOT, World, make_world, prepare

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{BREAKOUT}"
FORM_ID = "test.xss"


def poison(node: Any) -> Any:
    """Every bilingual text of a definition, with both payloads around it."""
    if isinstance(node, dict) and node and set(node) <= {"en", "ar"} and all(isinstance(v, str) for v in node.values()):
        return {lang: f"{SCRIPT} {text} {BREAKOUT}" for lang, text in node.items()}
    if isinstance(node, dict):
        return {k: poison(v) for k, v in node.items()}
    if isinstance(node, list):
        return [poison(v) for v in node]
    return node


def poisoned_form(folder: Path) -> Path:
    """The widget test form (every item type) with every label poisoned, plus a constraint
    message and an option that are poisoned too."""
    form = yaml.safe_load((ROOT / "tests" / "renderer" / "forms" / "widgets.yaml").read_text(encoding="utf-8"))
    form["id"] = FORM_ID
    for item in form["items"]:
        if item.get("max_length"):
            item["max_length"] = 200  # room for the payload
    form["items"].append({
        "id": "checked", "type": "text", "label": {"en": "Checked", "ar": "مفحوص"},
        "constraints": [{"check": "checked == 'ok'", "message": {"en": "Must be ok", "ar": "يجب"}}],
    })
    path = folder / "xss.yaml"
    path.write_text(yaml.safe_dump(poison(form), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def assert_inert(html: str, where: str, *, shows_payload: bool = True) -> None:
    """The payloads are text on the page, never markup."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") and not (script.string or "").strip(), f"{where}: a script element was injected"
    for element in soup.find_all(True):
        handlers = [a for a in element.attrs if a.lower().startswith("on")]
        assert not handlers, f"{where}: <{element.name}> got {handlers}"
        assert not (element.name == "img" and element.get("src") == "x"), f"{where}: an <img> was injected"
    assert SCRIPT not in html and "onerror=alert(1)>" not in html, f"{where}: a payload is in the page unescaped"
    if shows_payload:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"{where}: the payload should show (escaped)"


@pytest.fixture(scope="module")
def xss(tmp_path_factory: pytest.TempPathFactory, settings: WebSettings) -> Iterator[tuple[World, Catalog]]:
    folder = tmp_path_factory.mktemp("xss")
    result = load([ROOT / "form_definitions"], extra_files=[poisoned_form(folder)])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    db = Database.from_url(f"sqlite:///{folder / 'xss.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, result.catalog)
    app = create_app(settings, catalog=result.catalog, store=store)
    yield make_world(store, app), result.catalog
    db.dispose()


@pytest.fixture()
def web(xss: tuple[World, Catalog]) -> Iterator[TestClient[Litestar]]:
    with TestClient(xss[0].app, base_url="http://testserver.local") as client:
        yield client


def input_answers(catalog: Catalog) -> dict[str, Any]:
    """The payload as the raw answer of every input item of the form (invalid for most types:
    the raw value is echoed back with its error), rows of the containers included."""
    form = catalog.form(FORM_ID)
    assert form is not None
    posted: dict[str, Any] = {}
    for item in form.index.values():
        if not TYPES[item.type].is_input or TYPES[item.type].is_container or item.type in ("attachment", "signature"):
            continue
        parent = form.index[item.parent] if item.parent else None
        if parent is not None and parent.type == "repeating_group":
            posted[f"{parent.id}[0].{item.id}"] = PAYLOAD
        elif parent is not None and parent.type == "grid":
            posted[f"{parent.id}[{parent.rows[0].code}].{item.id}"] = PAYLOAD
        else:
            posted[item.id] = PAYLOAD
    return posted


def test_the_poisoned_form_covers_every_item_type(xss: tuple[World, Catalog]) -> None:
    form = xss[1].form(FORM_ID)
    assert form is not None
    assert {item.type for item in form.index.values()} == set(TYPES)
    assert all(SCRIPT in label(form.title, lang).text for lang in ("en", "ar"))


def test_labels_and_answers_of_the_preview_are_inert(xss: tuple[World, Catalog], web: TestClient[Litestar]) -> None:
    world, catalog = xss
    prepare(web, world, "clinician")
    assert_inert(web.get("/forms").text, "/forms")
    for lang in ("en", "ar"):
        assert_inert(web.get(f"/forms/{FORM_ID}", params={"lang": lang}).text, f"/forms/{FORM_ID}?lang={lang}")
    posted = {**input_answers(catalog), "_changed": "name"}
    live = web.post(f"/forms/{FORM_ID}/live", data={**posted, "_submitted": "1"}, headers={"HX-Request": "true"})
    assert_inert(live.text, "live round-trip")
    checked = web.post(f"/forms/{FORM_ID}", data={**posted, "_action": "check"})
    assert checked.status_code == 422
    assert_inert(checked.text, "plain post with errors")
    valid = web.post(f"/forms/{FORM_ID}", data={"name": PAYLOAD, "notes": PAYLOAD, "checked": "ok", "_action": "check"})
    assert valid.status_code == 200 and 'id="result"' in valid.text
    assert_inert(valid.text, "the stored-answers preview")


def test_stored_answers_are_inert_on_every_document_page(xss: tuple[World, Catalog], web: TestClient[Litestar]) -> None:
    world, catalog = xss
    store = world.store
    doctor = world.actor("clinician")
    patient = store.patients.search(doctor, "Ahmad Saleh")[0]
    encounter = store.encounters.open(doctor, patient.id, kind="outpatient", reason=PAYLOAD)
    form = catalog.form(FORM_ID)
    assert form is not None
    definition = publish_form(store, doctor, form)
    raw = {"name": PAYLOAD, "notes": PAYLOAD, "checked": "ok", "street": PAYLOAD, "town": PAYLOAD,
           "meds": [{"drug": PAYLOAD}], "colour": "red"}
    ev = evaluate(form, raw, Context(), "en")
    assert ev.valid, dict(ev.errors)
    draft = store.documents.create(doctor, patient_id=patient.id, definition_version_id=definition.id,
                                   answers=ev.answers_json(), encounter_id=encounter.id)
    broken = store.documents.create(doctor, patient_id=patient.id, definition_version_id=definition.id,
                                    answers={k: PAYLOAD for k in ("count", "ratio", "seen_on", "seen_at", "wake", "colour")},
                                    encounter_id=encounter.id)
    prepare(web, world, "clinician")
    for url in (f"/documents/{draft.id}", f"/documents/{broken.id}", f"/encounters/{encounter.id}", "/drafts", "/",
                f"/patients/{patient.id}"):
        assert_inert(web.get(url).text, url, shows_payload=url not in ("/drafts", "/", f"/patients/{patient.id}"))
    posted = {**input_answers(catalog), "_changed": "name", "_version": str(draft.version)}
    assert_inert(web.post(f"/documents/{draft.id}/live", data=posted, headers={"HX-Request": "true"}).text, "document live")
    assert_inert(web.post(f"/documents/{draft.id}", data={**posted, "_action": "save"}).text, "document save")
    store.documents.sign(doctor, draft.id, base_version=store.documents.get(doctor, draft.id).document.version,
                         answers=ev.answers_json())
    for url in (f"/documents/{draft.id}", f"/documents/{draft.id}/amend", f"/patients/{patient.id}"):
        assert_inert(web.get(url).text, url, shows_payload=url != f"/patients/{patient.id}")


def test_free_text_of_people_is_inert_wherever_it_shows(xss: tuple[World, Catalog], web: TestClient[Litestar]) -> None:
    world, _ = xss
    store = world.store
    admin = Actor(world.principals["admin"].user_id, "admin", world.clinic_id)
    store.accounts.create_user(admin, "xss-user", "xss user passphrase", PAYLOAD, ("nurse",))
    patient = store.patients.create(world.actor("reception"), mrn="X-1", given_name=PAYLOAD, family_name="Poison",
                                    given_name_ar=PAYLOAD, address=PAYLOAD)
    prepare(web, world, "nurse")
    assert "/break-glass" in web.get(f"/patients/{patient.id}", follow_redirects=False).headers["location"]
    assert_inert(web.get(f"/patients/{patient.id}/break-glass").text, "break-glass page")
    web.post(f"/patients/{patient.id}/break-glass", data={"reason": PAYLOAD, "next": f"/patients/{patient.id}"})
    prepare(web, world, "reception")
    for url in ("/patients?q=Poison", f"/patients/{patient.id}"):
        assert_inert(web.get(url).text, url)
    assert_inert(web.get("/patients", params={"q": PAYLOAD}).text, "search for the payload")
    prepare(web, world, "admin")
    assert_inert(web.get("/admin/users").text, "/admin/users")
    prepare(web, world, "auditor")
    assert_inert(web.get("/audit").text, "/audit")
    assert_inert(web.get("/audit", params={"emergency": "1"}).text, "/audit emergency")
    prepare(web, world, "clinician")
    assert_inert(web.get("/login", params={"next": BREAKOUT}, follow_redirects=True).text, "/login?next=", shows_payload=False)
