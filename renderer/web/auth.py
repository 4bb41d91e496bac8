"""Sign-in: a signed session cookie, the signed-in user on every request, roles per route.

The cookie holds only who is signed in (user, clinic, roles) and when, signed with HMAC so
it cannot be forged; it is checked on every request, so any number of processes can serve
the same user. (Server-side sessions with revocation come with the security work.)

Routes declare who may use them in ``opt``: ``opt={"public": True}`` for pages anyone may
see (login, static, errors), ``opt={"roles": ("clinician", "admin")}`` for a subset; every
other route needs a signed-in user with any role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from engine.store import Actor
from renderer.web.settings import WebSettings

COOKIE = "cliniform_session"
#: the role a user acts in when they hold several, most capable first
ROLE_ORDER = ("admin", "clinician", "reception")
CLINICAL = ("admin", "clinician")
FRONT_DESK = ("admin", "clinician", "reception")


@dataclass(frozen=True, slots=True)
class SessionUser:
    user_id: int
    clinic_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    issued: float
    seen: float

    @property
    def role(self) -> str:
        return next((r for r in ROLE_ORDER if r in self.roles), self.roles[0] if self.roles else "")

    def actor(self, ip: str | None = None) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, clinic_id=self.clinic_id, ip=ip)


def secret_key(settings: WebSettings, var_dir: Path) -> bytes:
    """The signing key: from settings, else kept in ``var/secret.key`` (created once, 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _sign(key: bytes, body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode().rstrip("=")


def encode(key: bytes, user: SessionUser) -> str:
    body = base64.urlsafe_b64encode(json.dumps({
        "u": user.user_id, "c": user.clinic_id, "n": user.username, "d": user.display_name,
        "r": list(user.roles), "i": user.issued, "s": user.seen,
    }, separators=(",", ":")).encode())
    return f"{body.decode()}.{_sign(key, body)}"


def decode(key: bytes, token: str, settings: WebSettings, now: float | None = None) -> SessionUser | None:
    """The user of a cookie value; None when forged, malformed or expired."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(_sign(key, body.encode()), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        user = SessionUser(int(data["u"]), int(data["c"]), str(data["n"]), str(data["d"]),
                           tuple(data["r"]), float(data["i"]), float(data["s"]))
    except (ValueError, KeyError, TypeError):
        return None
    now = time.time() if now is None else now
    if now - user.issued > settings.session_max_hours * 3600 or now - user.seen > settings.session_idle_minutes * 60:
        return None
    return user


def session_cookie(connection: ASGIConnection[Any, Any, Any, Any], user: SessionUser | None) -> Cookie:
    """The cookie that signs ``user`` in (or out, for None)."""
    settings: WebSettings = connection.app.state.settings
    if user is None:
        return Cookie(key=COOKIE, value="", max_age=0, httponly=True, samesite="lax", path="/",
                      secure=settings.secure_cookies)
    return Cookie(key=COOKIE, value=encode(connection.app.state.secret, user), httponly=True,
                  samesite="lax", path="/", secure=settings.secure_cookies,
                  max_age=int(settings.session_max_hours * 3600))


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionUser | None:
    """The signed-in user of this request (read once, then kept on ``connection.state``)."""
    if "user" not in connection.state:
        token = connection.cookies.get(COOKIE)
        app_state = connection.app.state
        connection.state.user = decode(app_state.secret, token, app_state.settings) if token else None
    user: SessionUser | None = connection.state.user
    return user


def actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("sign in first")
    return user.actor(connection.client.host if connection.client else None)


def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every route: public, or a signed-in user holding one of the route's roles."""
    if handler.opt.get("public"):
        return
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("sign in first")
    roles = handler.opt.get("roles")
    if roles and not set(roles) & set(user.roles):
        raise PermissionDeniedException("your role does not allow this")


def refreshed(user: SessionUser) -> SessionUser:
    """The same sign-in, seen now (keeps an active person signed in)."""
    return SessionUser(user.user_id, user.clinic_id, user.username, user.display_name, user.roles, user.issued, time.time())
