"""A demo clinic served on loopback for the tests that need a real HTTP server (browser
tests, CDS Hooks over HTTP): packs loaded, a migrated SQLite store seeded with the demo
clinic, the app built from test settings, uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar

from engine.packs import load
from engine.store import Database, Store, upgrade
from renderer.web.app import create_app
from renderer.web.seed import seed_demo
from renderer.web.settings import WebSettings
from tests.renderer.conftest import compiled_catalogs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Litestar, *, lifespan: str = "auto", timeout: float = 10) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, for the ``with`` block: its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)


@contextmanager
def demo_server(folder: Path, roots: Sequence[Path], *, extra_files: Sequence[Path] = (),
                **settings: Any) -> Iterator[tuple[str, Store]]:
    """The demo clinic on ``roots`` (packs) served on loopback: (base URL, its store).
    ``settings``: WebSettings fields besides the log level and the compiled catalogs."""
    result = load(list(roots), extra_files=list(extra_files))
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    db = Database.from_url(f"sqlite:///{folder / 'clinic.db'}")
    upgrade(db)
    store = Store(db)
    seed_demo(store, result.catalog)
    web = WebSettings(log_level="WARNING", locale_dir=compiled_catalogs(folder / "locale"), **settings)
    with serve(create_app(web, catalog=result.catalog, store=store)) as url:
        yield url, store
