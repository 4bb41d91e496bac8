"""Request logging: one line per request (method, path, status, milliseconds).

Query strings are left out: they may carry patient search terms.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("cliniform.web.access")


def configure(level: str) -> None:
    """Send Cliniform's log records to stderr at ``level`` (idempotent)."""
    root = logging.getLogger("cliniform")
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.propagate = False


def request_logging(app: ASGIApp) -> ASGIApp:
    """ASGI middleware writing one access-log line per HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            htmx = " htmx" if any(k == b"hx-request" for k, _ in scope.get("headers", [])) else ""
            log.info("%s %s %s %.1fms%s", scope.get("method", "-"), scope["path"], status["code"], elapsed, htmx)

    return middleware
