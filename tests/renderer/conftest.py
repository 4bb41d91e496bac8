"""Fixtures for the renderer tests: a catalog with the core pack and the widget test form, a
migrated SQLite store with the demo clinic, and an app built from test settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.packs import load
from engine.store import Database, Store, upgrade
from renderer.web.app import create_app
from renderer.web.seed import DEMO_USERS, seed_demo
from renderer.web.settings import WebSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    result = load([ROOT / "form_definitions"], extra_files=[HERE / "forms" / "widgets.yaml"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> Store:
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('db') / 'web.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, catalog)
    return store


def compiled_catalogs(target: Path) -> Path:
    """locale/*.po compiled into ``target`` (tests do not depend on `make assets` having run)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "locale").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.relative_to(ROOT / "locale").with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, out.open("wb") as mo:
            write_mo(mo, read_po(source))
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> WebSettings:
    locale_dir = compiled_catalogs(tmp_path_factory.mktemp("locale"))
    return WebSettings(log_level="WARNING", locale_dir=locale_dir, secret_key="test-secret")


@pytest.fixture(scope="session")
def app(settings: WebSettings, catalog: Catalog, store: Store) -> Litestar:
    return create_app(settings, catalog=catalog, store=store)


def page_csrf_token(client: TestClient[Litestar], path: str) -> str:
    """The CSRF token a page gives its forms (its ``<meta name="csrf-token">``)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    meta = BeautifulSoup(response.text, "html.parser").find("meta", attrs={"name": "csrf-token"})
    assert meta is not None and meta["content"], f"{path} has no CSRF token"
    return str(meta["content"])


def use_csrf(client: TestClient[Litestar], path: str) -> str:
    """Send the page's CSRF token with every later request of ``client``, as app.js does
    for htmx (the header works for plain posts too)."""
    token = page_csrf_token(client, path)
    client.headers["X-CSRF-Token"] = token
    return token


def sign_in(client: TestClient[Litestar], username: str = "clinician") -> None:
    """Sign in through the login form (with its CSRF token); later requests carry the new
    session's token."""
    password = DEMO_USERS[username][0]
    token = page_csrf_token(client, "/login")
    client.headers.pop("X-CSRF-Token", None)
    response = client.post("/login", data={"username": username, "password": password, "next": "/", "_csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    use_csrf(client, "/account")


@pytest.fixture()
def anonymous(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A visitor not signed in (their requests carry the CSRF token of the sign-in page)."""
    with TestClient(app, base_url="http://testserver.local") as client:
        use_csrf(client, "/login")
        yield client


@pytest.fixture()
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """A client signed in as the demo clinician."""
    with TestClient(app, base_url="http://testserver.local") as client:
        sign_in(client)
        yield client
