"""Browser tests: the real app served by uvicorn on loopback, driven in Debian's Chromium.

Never a downloaded browser: Playwright launches /usr/bin/chromium (`make system-deps`
installs it). Screenshots go to test-artifacts/browser/. Tests skip when Chromium or the
Playwright package is missing, so a machine without them still runs the rest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.store import Store
from renderer.web.seed import DEMO_USERS
from tests.apps import demo_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]



@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """The core pack and the widget test form, served on loopback: (base URL, its store),
    for tests that check what a page stored."""
    with demo_server(tmp_path_factory.mktemp("browser"), [ROOT / "form_definitions"],
                     extra_files=[ROOT / "tests" / "renderer" / "forms" / "widgets.yaml"], secret_key="browser-tests") as found:
        yield found


@pytest.fixture(scope="session")
def server_url(server: tuple[str, Store]) -> str:
    """The base URL of :func:`server`."""
    return server[0]


@pytest.fixture(scope="module")
def specialty_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with every pack (core, dental, cardiology) served by uvicorn on loopback."""
    with demo_server(tmp_path_factory.mktemp("specialty"), [ROOT / "form_definitions", ROOT / "specialties"],
                     secret_key="specialty-browser-tests") as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # a form re-shown with errors answers 422, which Chromium logs as a failed resource
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 422" not in msg.text else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture()
def nojs_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    yield context.new_page()
    context.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, server_url: str, username: str = "clinician") -> None:
    """Sign in through the login page, by keyboard."""
    page.goto(f"{server_url}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_USERS[username][0])
    page.press("#password", "Enter")
    page.wait_for_url(f"{server_url}/")


def start_form(page: Any, url: str, patient: int, form_id: str) -> str:
    """Open an encounter for ``patient`` from the chart and start a draft of ``form_id`` in
    it, as a clinician does; the draft's URL."""
    page.goto(f"{url}/patients/{patient}")
    page.click("form[action$='/encounters'] button[type=submit]")
    page.wait_for_selector("#form_id")
    page.select_option("#form_id", form_id)
    page.click("form[action$='/documents'] button[type=submit]")
    page.wait_for_selector("#answers-form")
    return str(page.url)
