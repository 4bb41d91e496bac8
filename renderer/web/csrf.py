"""CSRF tokens: every state-changing request must carry one.

htmx sends it in the ``X-CSRF-Token`` header (app.js reads ``<meta name="csrf-token">``);
a plain form post sends it in the hidden field ``_csrf`` (``{{ csrf_field() }}`` in every
form template). The token is ``HMAC-SHA256(secret key, seed)`` where the seed is the
session id of a signed-in person (so a new sign-in gives a new token) or, before sign-in,
a random value in the ``cliniform_csrf`` cookie (so the sign-in form is protected too).
An attacker's page can neither read the token nor compute it.

Exempt: GET/HEAD/OPTIONS (which never change state), and routes declared ``csrf: False``:
only the CDS Hooks service, which is called by other systems with a JSON body and no
cookies, so there is no ambient credential a forged request could ride on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from markupsafe import Markup

ANON_COOKIE = "cliniform_csrf"
HEADER = "x-csrf-token"
FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfError(PermissionDeniedException):
    """The request changes state without a valid CSRF token."""


def token_for(secret: bytes, seed: str) -> str:
    """The token for ``seed`` (a session id, or the anonymous cookie value)."""
    digest = hmac.new(secret, b"cliniform-csrf\0" + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _seed(connection: ASGIConnection[Any, Any, Any, Any], *, create: bool) -> str | None:
    session_token = connection.state.get("session_token")
    if session_token:
        return str(session_token)
    anonymous = connection.cookies.get(ANON_COOKIE) or connection.state.get("csrf_new_cookie")
    if not anonymous and create:
        anonymous = connection.state.csrf_new_cookie = secrets.token_urlsafe(32)
    return anonymous


def token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token the page rendered for this request must send back."""
    seed = _seed(connection, create=True)
    assert seed is not None
    return token_for(connection.app.state.secret, seed)


def new_cookie(connection: ASGIConnection[Any, Any, Any, Any], secure: bool) -> Cookie | None:
    """The anonymous seed cookie to set, when :func:`token` had to make one."""
    value = connection.state.get("csrf_new_cookie")
    if not value:
        return None
    return Cookie(key=ANON_COOKIE, value=value, httponly=True, samesite="lax", path="/", secure=secure)


async def check(request: Request[Any, Any, Any]) -> None:
    """Raise CsrfError unless an unsafe request carries the right token."""
    if request.method in SAFE_METHODS:
        return
    seed = _seed(request, create=False)
    sent = request.headers.get(HEADER)
    if not sent and request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
        sent = (await request.form()).get(FIELD)
    if not seed or not isinstance(sent, str) or not hmac.compare_digest(token_for(request.app.state.secret, seed), sent):
        raise CsrfError("the form is out of date or came from another site (CSRF check): reload the page and try again")


@pass_context
def csrf_field(context: Context) -> Markup:
    """``{{ csrf_field() }}``: the hidden field every POST form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, context.get("csrf_token", ""))
