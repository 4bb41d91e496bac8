"""The session countdown in a real browser: the warning appears before the idle timeout,
"Stay signed in" keeps the session, and at zero the page goes to the sign-in page."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from engine.packs import load
from engine.store import Database, Store, upgrade
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.settings import WebSettings
from tests.browser.conftest import ROOT, shot, sign_in
from tests.renderer.conftest import compiled_catalogs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def short_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with a 12-second idle timeout that warns 8 seconds before the end."""
    import uvicorn

    result = load([ROOT / "form_definitions"])
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('short') / 'clinic.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, result.catalog)
    settings = WebSettings(log_level="WARNING", locale_dir=compiled_catalogs(tmp_path_factory.mktemp("loc")),
                           secret_key="short", session_idle_minutes=0.2, session_warning_seconds=8)
    app = create_app(settings, catalog=result.catalog, store=store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_the_idle_warning_counts_down_and_stay_signed_in_keeps_the_session(page: Any, short_sessions: str) -> None:
    sign_in(page, short_sessions)
    page.goto(f"{short_sessions}/patients")
    warning = page.locator("#session-warning")
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=10_000)
    left = page.locator("#session-countdown").inner_text()
    assert left.startswith("0:0") and int(left.split(":")[1]) <= 8
    shot(page, "session-warning")
    page.click("#session-extend")
    warning.wait_for(state="hidden", timeout=5_000)
    assert page.url == f"{short_sessions}/patients"  # the page stayed, the session was extended
    page.wait_for_url(f"{short_sessions}/login?ended=idle*", timeout=20_000)
    assert "without activity" in page.locator(".notice").inner_text()
