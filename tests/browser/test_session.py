"""The session countdown in a real browser: the warning appears before the idle timeout,
"Stay signed in" keeps the session, and at zero the page goes to the sign-in page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.apps import demo_server
from tests.browser.conftest import ROOT, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def short_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with a 12-second idle timeout that warns 8 seconds before the end."""
    with demo_server(tmp_path_factory.mktemp("short"), [ROOT / "form_definitions"], secret_key="short",
                     session_idle_minutes=0.2, session_warning_seconds=8) as (url, _):
        yield url


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
