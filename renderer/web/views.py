"""Helpers every route uses to answer with a page: the shared template context."""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.plugins.htmx import HTMXTemplate

from renderer.web.i18n import direction, native_name

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=256)
def _static_version(path: str) -> str:
    file = STATIC_DIR / path
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"


def static_url(path: str) -> str:
    """The URL of a static file, with a content hash so browsers may cache it for long."""
    return f"/static/{path}?v={_static_version(path)}"


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What base.html needs: the language, its direction, the switch, where we are, who is
    signed in (and for how long still), and the CSRF token of the page's forms."""
    from renderer.web import csrf
    from renderer.web.auth import current_user

    settings = request.app.state.settings
    locale = request.state.locale
    user = current_user(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {
        "locale": locale,
        "dir": direction(locale),
        "languages": [(code, native_name(code)) for code in settings.locales],
        "here": here,
        "static": static_url,
        "max_upload_kb": settings.max_upload_kb,
        "nav_section": "",
        "user": user,
        "can": user.can if user else (lambda permission: False),
        "clinical": bool(user and user.can("clinical.read")),
        "csrf_token": csrf.token(request),
        "session_seconds": math.ceil(user.seconds_left) if user else None,
        "session_warning": settings.session_warning_seconds,
    }


def page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> HTMXTemplate:
    """A full page or fragment rendered from ``template`` with the shared context (and,
    for a visitor not signed in, the cookie their page's CSRF token is made from)."""
    from renderer.web import csrf
    from renderer.web.auth import is_secure

    response = HTMXTemplate(template_name=template, context={**base_context(request), **context}, status_code=status_code)
    cookie = csrf.new_cookie(request, is_secure(request))
    if cookie is not None:
        response.set_cookie(cookie)
    return response
