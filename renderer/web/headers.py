"""Security headers on every response (pages, fragments, files, errors).

The Content-Security-Policy allows scripts, styles, fonts and images from this site only:
no inline script, no inline style attribute, no eval (htmx runs with ``allowEval: false``),
no plugins, no framing (``frame-ancestors 'none'``), forms post only here. Images may also
be ``data:``/``blob:`` URLs (signature pads draw into a canvas and preview it). Pages are
not cached by the browser or proxies (``no-store``) unless the route set its own
Cache-Control (static files, which hold no patient data).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


async def security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: add :data:`HEADERS` (and HSTS over TLS) to every HTTP
    response, including those of requests that never reached a route (404s)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        headers[name] = value
    app = scope.get("litestar_app")
    if scope.get("scheme") == "https" or (app is not None and app.state.settings.secure_cookies):
        headers["Strict-Transport-Security"] = HSTS
    if "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
