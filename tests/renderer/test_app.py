"""The app shell: factory, static files, language switch, error pages, request log, start-up refusals."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar, get
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.store import Database, NotMigratedError, Store
from renderer.web.app import create_app
from renderer.web.settings import WebSettings, load_settings
from tests.renderer.conftest import ROOT

Client = TestClient[Litestar]


def test_settings_come_from_the_environment_in_one_place() -> None:
    settings = load_settings({"CLINIFORM_PORT": "9000", "CLINIFORM_LOCALES": "ar,en", "CLINIFORM_ARABIC_DIGITS": "yes"})
    assert settings.port == 9000 and settings.locales == ("ar", "en") and settings.default_locale == "ar"
    assert settings.arabic_digits is True
    assert load_settings({}).locales == ("en", "ar")


def test_start_page_and_static_assets(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    scripts = [s["src"] for s in soup.find_all("script")]
    assert any(s.startswith("/static/vendor/htmx.min.js?v=") for s in scripts)
    for url in [*scripts, soup.find("link", rel="stylesheet")["href"]]:
        asset = client.get(url)
        assert asset.status_code == 200, url
    assert "htmx" in client.get("/static/vendor/htmx.min.js").text


def test_language_from_query_cookie_and_accept_language(client: Client) -> None:
    assert 'lang="ar" dir="rtl"' in client.get("/", headers={"Accept-Language": "ar-JO,ar;q=0.9,en;q=0.5"}).text
    assert 'lang="en" dir="ltr"' in client.get("/", headers={"Accept-Language": "fr, en;q=0.5"}).text
    assert 'lang="ar"' in client.get("/?lang=ar").text


def test_language_switch_sets_a_cookie_and_goes_back(client: Client) -> None:
    response = client.post("/language", data={"lang": "ar", "next": "/forms?lang=en"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/forms"
    cookie = response.headers["set-cookie"]
    assert "cliniform_lang=ar" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert 'dir="rtl"' in client.get("/forms").text
    evil = client.post("/language", data={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False)
    assert evil.headers["location"] == "/"


def test_friendly_404(client: Client) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("h1").get_text() == "Page not found"
    arabic = client.get("/no/such/page?lang=ar", headers={"Accept": "text/html"})
    assert 'dir="rtl"' in arabic.text and "الصفحة غير موجودة" in arabic.text


def test_friendly_500_is_logged_and_hides_the_trace(settings: WebSettings, catalog: Catalog, store: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    @get("/boom", opt={"public": True})
    async def boom() -> str:
        raise RuntimeError("secret internals")

    app = create_app(settings, catalog=catalog, store=store)
    app.register(boom)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, logger="cliniform.web"):
        monkeypatch.setattr(logging.getLogger("cliniform"), "propagate", True)
        response = client.get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_requests_are_logged(client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("cliniform"), "propagate", True)
    with caplog.at_level(logging.INFO, logger="cliniform.web.access"):
        client.get("/forms?q=secret-name")
    lines = [r.getMessage() for r in caplog.records if r.name == "cliniform.web.access"]
    assert any(line.startswith("GET /forms 200 ") for line in lines)
    assert not any("secret-name" in line for line in lines)


def test_catalog_errors_stop_the_app(tmp_path: object) -> None:
    from pathlib import Path

    from renderer.web.app import CatalogError, load_catalog

    root = Path(str(tmp_path)) / "bad"
    (root / "forms").mkdir(parents=True)
    (root / "pack.yaml").write_text("schema: cliniform/pack@1\nid: bad\nversion: 1.0.0\ntitle: {en: Bad}\nlocales: [en]\n")
    (root / "forms" / "f.yaml").write_text("schema: cliniform/form@1\nid: bad.f\nversion: 1.0.0\ntitle: {en: F}\nitems:\n  - {id: x, type: quantitiy}\n")
    with pytest.raises(CatalogError, match="quantitiy"):
        load_catalog(WebSettings(pack_roots=(root,)))


def test_the_app_refuses_to_start_on_an_unmigrated_database(settings: WebSettings, catalog: Catalog, tmp_path: Path) -> None:
    empty = Store(Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}"))
    app = create_app(settings, catalog=catalog, store=empty)
    # the start-up hook's error comes out of the lifespan's task group
    with pytest.raises(ExceptionGroup) as refused, TestClient(app):
        pass
    assert refused.group_contains(NotMigratedError, match=r"is not migrated \(at revision none \(empty database\), need .+\); "
                                                           r"run `cliniform db upgrade`")
    empty.db.dispose()


def test_cliniform_serve_exits_1_on_an_unmigrated_database(tmp_path: Path) -> None:
    env = {**os.environ, "CLINIFORM_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "CLINIFORM_PORT": "1",
           "CLINIFORM_SECRET_KEY": "serve-refusal-test"}
    done = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "cliniform serve: database at sqlite:///" in done.stderr and "is not migrated" in done.stderr
    assert "run `cliniform db upgrade`" in done.stderr and "serving on" not in done.stdout


def test_the_served_app_freezes_what_its_first_requests_built() -> None:
    import gc

    from renderer.web.app import GcSettler

    def respond(settler: GcSettler) -> None:
        # the hook awaits nothing: run it to its end without an event loop (another test's
        # loop may be running in this thread)
        with pytest.raises(StopIteration):
            settler(None).send(None)  # type: ignore[arg-type]

    settler = GcSettler()
    kept = [[object()] for _ in range(1000)]  # built by "the first requests", still in use
    before = gc.get_freeze_count()
    try:
        for _ in range(GcSettler.AT[0] - 1):
            respond(settler)
        assert gc.get_freeze_count() == before
        respond(settler)
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()


def test_templates_read_the_environments_own_globals() -> None:
    # renderer/web/app.py `_Environment`: no per-template ChainMap over the globals, so a
    # global set after a template was loaded is still seen by it, as with Jinja's own
    from renderer.web.app import template_environment

    env = template_environment()
    template = env.get_template("forms/_items.html")
    assert template.globals is env.globals
    env.globals["added_later"] = "seen"
    assert env.from_string("{{ added_later }}").render() == "seen"
    assert env.get_template("forms/_items.html").globals["added_later"] == "seen"
    # a template's own globals would land in everyone's: refused
    with pytest.raises(TypeError, match="no globals of their own"):
        env.get_template("forms/_items.html", globals={"x": 1})
    with pytest.raises(TypeError, match="no globals of their own"):
        env.select_template(["forms/_items.html"], globals={"x": 1})
    assert "x" not in env.globals
    # a string template's own globals stay its own
    assert env.from_string("{{ x }}", globals={"x": 2}).render() == "2" and "x" not in env.globals
