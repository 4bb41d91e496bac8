"""Shared pieces of the access-control tests: a clinic with one user per role plus a user of
another clinic, sessions minted straight in the store (no argon2 per request), and the
sample records that fill route path parameters."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.packs import default_pack_roots, load
from engine.store import Actor, Database, Store, upgrade
from engine.store.service import Clock
from renderer.pdf.service import PdfService
from renderer.pdf.settings import PdfSettings
from renderer.web.app import create_app
from renderer.web.auth import COOKIE
from renderer.web.csrf import ANON_COOKIE, token_for
from renderer.web.seed import DEMO_USERS, seed_demo
from renderer.web.services import publish_form
from renderer.web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]

ROLES = ("admin", "clinician", "nurse", "reception", "auditor")
ANONYMOUS = "anonymous"
OTHER_CLINIC = "other-clinic"
PRINCIPALS = (ANONYMOUS, *ROLES, OTHER_CLINIC)
PASSWORD = "other clinic passphrase"
_CATALOG: list[Catalog] = []


def full_catalog() -> Catalog:
    """Every installed pack (loaded once per test session)."""
    if not _CATALOG:
        result = load(default_pack_roots(ROOT))
        assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
        _CATALOG.append(result.catalog)
    return _CATALOG[0]


@dataclass
class Principal:
    name: str
    user_id: int | None = None
    clinic_id: int | None = None


@dataclass
class World:
    """The clinic the tests act on, its people and sample records."""

    store: Store
    app: Litestar
    clinic_id: int
    other_clinic_id: int
    principals: dict[str, Principal] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)

    def session(self, name: str) -> str | None:
        """A fresh session id for principal ``name`` (None for anonymous)."""
        who = self.principals[name]
        if who.user_id is None or who.clinic_id is None:
            return None
        token, _ = self.store.sessions.start(who.user_id, who.clinic_id, idle_seconds=900, max_seconds=3600)
        return token

    def actor(self, name: str, role: str | None = None) -> Actor:
        who = self.principals[name]
        assert who.user_id is not None and who.clinic_id is not None
        return Actor(who.user_id, role or name, who.clinic_id)


def prepare(client: TestClient[Litestar], world: World, name: str, *, csrf: bool = True) -> None:
    """Make ``client`` act as principal ``name`` with a new session (and its CSRF token)."""
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    token = world.session(name)
    secret: bytes = world.app.state.secret
    if token is not None:
        client.cookies.set(COOKIE, token)
        seed = token
    else:
        seed = secrets.token_urlsafe(16)
        client.cookies.set(ANON_COOKIE, seed)
    if csrf:
        client.headers["X-CSRF-Token"] = token_for(secret, seed)


def make_world(store: Store, app: Litestar) -> World:
    """Principals of the demo clinic (seeded) plus an 'other' clinic whose user holds every
    role there."""
    demo = store.accounts.clinic_by_code("demo")
    assert demo is not None
    other = store.accounts.clinic_by_code("other-sec") or store.accounts.create_clinic("other-sec", "Other clinic")
    world = World(store, app, demo.id, other.id)
    world.principals[ANONYMOUS] = Principal(ANONYMOUS)
    for role in ROLES:
        user = store.accounts.authenticate(demo.id, role, DEMO_USERS[role][0])
        assert user is not None, role
        world.principals[role] = Principal(role, user.id, demo.id)
    outsider = store.accounts.create_user(Actor.system(other.id), f"outsider{secrets.token_hex(3)}", PASSWORD,
                                          "Outsider", ROLES)
    world.principals[OTHER_CLINIC] = Principal(OTHER_CLINIC, outsider.id, other.id)
    return world


def location(response: Any) -> str:
    return str(response.headers.get("location", ""))


def path_for(template: str, samples: dict[str, str]) -> str:
    """A route path with its parameters filled from ``samples`` (KeyError names a missing one)."""
    return re.sub(r"\{(\w+):[^}]+\}", lambda m: samples[m.group(1)], template)


def build_world(folder: Path, settings: WebSettings, clock: Clock | None = None) -> Iterator[World]:
    """A demo clinic on its own SQLite file with every pack, one principal per role, a user
    of another clinic, and sample records: a patient with an open encounter today, a draft
    document in it, a member account, and a consent (started through its route)."""
    catalog = full_catalog()
    db = Database.from_url(f"sqlite:///{folder / 'clinic.db'}")
    upgrade(db)
    store = Store(db, clock) if clock else Store(db)
    seed_demo(store, catalog)
    app = create_app(settings, catalog=catalog, store=store)
    pdf = PdfService(store, catalog, PdfSettings(workers=0, cache_dir=None))
    app.state.pdf = pdf
    world = make_world(store, app)
    doctor = world.actor("clinician")
    patient = store.patients.search(doctor, "Ahmad Saleh")[0]
    encounter = store.encounters.open(doctor, patient.id, kind="outpatient", reason="security tests")
    vitals = catalog.form("core.vitals")
    assert vitals is not None
    definition = publish_form(store, doctor, vitals)
    document = store.documents.create(doctor, patient_id=patient.id, definition_version_id=definition.id,
                                      answers={}, encounter_id=encounter.id)
    target = store.accounts.create_user(Actor.system(world.clinic_id), f"target{secrets.token_hex(3)}",
                                        "target member pass", "Target Member", ("nurse",))
    world.samples.update({
        "patient_id": str(patient.id), "encounter_id": str(encounter.id), "document_id": str(document.id),
        "user_id": str(target.id), "form_id": "core.vitals", "service_id": "cliniform-patient-view",
        "token": "not-a-signing-token", "file_path": "css/app.css",
    })
    with TestClient(app, base_url="http://testserver.local") as client:
        prepare(client, world, "clinician")
        started = client.post(f"/patients/{patient.id}/consents", data={"workflow": "core.general_consent"},
                              follow_redirects=False)
        consent = re.search(r"/consents/(\d+)", location(started))
        assert consent is not None, (started.status_code, started.text[:300])
        world.samples["consent_id"] = consent.group(1)
    yield world
    pdf.close()
    db.dispose()


def _route_table() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, opt) of every handler the app registers (Litestar's automatic OPTIONS
    answers excepted: they carry no data), from an app built on an empty store."""
    app = create_app(WebSettings(secret_key="routes", log_level="WARNING"), catalog=load([]).catalog,
                     store=Store(Database.from_url("sqlite://")))
    table = []
    for route in app.routes:
        for handler in route.route_handlers:
            for method in sorted(getattr(handler, "http_methods", ())):
                if method == "OPTIONS" and not handler.opt:
                    continue
                table.append((method, route.path, dict(handler.opt)))
    return table


ROUTE_TABLE = _route_table()
