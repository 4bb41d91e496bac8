"""Sign-in and access control on every request.

Sessions live in the database (engine.store.sessions): the cookie carries only a random
session id, so any number of processes serve the same person, and a session can be ended
from anywhere (sign out everywhere, a disabled account). The cookie is HttpOnly,
SameSite=Lax, and Secure when the request came over TLS or ``secure_cookies`` is set.

Every route declares what it needs in ``opt`` (renderer.web.permissions): a permission of
the matrix in permissions.yaml, or PUBLIC / SIGNING_TOKEN / MACHINE. The app-wide
:func:`guard` resolves the session, refuses the request when the person's roles do not hold
the route's permission (audited as ``denied``), sends a person whose password must change
to do that first, and checks the CSRF token of every state-changing request. A route that
declares nothing is refused to everyone.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from engine.store import Actor, Store
from engine.store.sessions import SessionRecord, primary_role
from renderer.web import csrf
from renderer.web.permissions import Policy
from renderer.web.services import blocking
from renderer.web.settings import WebSettings

COOKIE = "cliniform_session"


class PasswordChangeRequired(NotAuthorizedException):
    """The person signed in with a temporary password: they choose their own first."""


@dataclass(frozen=True, slots=True)
class SessionUser:
    """The signed-in person of a request, with what their roles allow."""

    user_id: int
    clinic_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    session_id: int
    must_change_password: bool
    permissions: frozenset[str]
    scope: str
    #: seconds until the session ends by itself (idle or absolute end)
    seconds_left: float
    idle_seconds: int

    @property
    def role(self) -> str:
        return primary_role(self.roles)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def actor(self, ip: str | None = None, care_days: int = 30) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, clinic_id=self.clinic_id, ip=ip,
                     scope=self.scope, care_days=care_days)


def secret_key(settings: WebSettings, var_dir: Path) -> bytes:
    """The CSRF key: from settings, else kept in ``var/secret.key`` (created once, 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def is_secure(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Cookies get the Secure flag (and responses HSTS) when this is true."""
    settings: WebSettings = connection.app.state.settings
    return settings.secure_cookies or connection.url.scheme == "https"


def session_cookie(connection: ASGIConnection[Any, Any, Any, Any], token: str | None) -> Cookie:
    """The cookie that carries session id ``token`` (or removes it, for None). It lasts as
    long as the browser runs; the session's own timeouts are kept by the server."""
    secure = is_secure(connection)
    if token is None:
        return Cookie(key=COOKIE, value="", max_age=0, httponly=True, samesite="lax", path="/", secure=secure)
    return Cookie(key=COOKIE, value=token, httponly=True, samesite="lax", path="/", secure=secure)


def _session_user(record: SessionRecord, policy: Policy, seconds_left: float) -> SessionUser:
    return SessionUser(record.user_id, record.clinic_id, record.username, record.display_name, record.roles,
                       record.id, record.must_change_password, policy.granted(record.roles),
                       policy.scope(record.roles), seconds_left, record.idle_seconds)


def _remember(connection: ASGIConnection[Any, Any, Any, Any], token: str | None, record: SessionRecord | None,
              ended: str | None) -> SessionUser | None:
    state = connection.app.state
    store: Store = state.store
    user = None if record is None else _session_user(record, state.policy, record.seconds_left(store.sessions.clock()))
    connection.state.user = user
    connection.state.session_token = token if user is not None else None
    connection.state.session_ended = ended if token else None
    return user


async def load_user(connection: ASGIConnection[Any, Any, Any, Any], *, touch: bool = True) -> SessionUser | None:
    """Resolve the session of this request once (in a worker thread: it reads the database)."""
    if "user" in connection.state:
        user: SessionUser | None = connection.state.user
        return user
    token = connection.cookies.get(COOKIE)
    if not token:
        return _remember(connection, None, None, None)
    store: Store = connection.app.state.store
    # SQLite in WAL mode: a read never waits for a writer, and this one (~0.1 ms) costs less
    # than the hop to a worker thread; anything that may write goes to the thread
    inline = store.db.backend == "sqlite"
    quick = store.sessions.resume_read_only(token, touch=touch) if inline else None
    resumed = quick if quick is not None else await blocking(store.sessions.resume, token, touch=touch, quick=not inline)
    return _remember(connection, token, resumed.session, resumed.ended)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionUser | None:
    """The signed-in person of this request (resolved by the guard; on paths that never
    reached a route, such as a 404, resolved here without counting as activity)."""
    if "user" not in connection.state:
        token = connection.cookies.get(COOKIE)
        if not token:
            return _remember(connection, None, None, None)
        resumed = connection.app.state.store.sessions.resume(token, touch=False)
        return _remember(connection, token, resumed.session, resumed.ended)
    user: SessionUser | None = connection.state.user
    return user


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.client.host if connection.client else None


def actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The store actor of the signed-in person (their clinic, role and patient scope)."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("sign in first")
    settings: WebSettings = connection.app.state.settings
    return user.actor(client_ip(connection), settings.care_window_days)


async def _deny(connection: ASGIConnection[Any, Any, Any, Any], user: SessionUser, needed: str) -> None:
    store: Store = connection.app.state.store
    who = actor(connection)
    await blocking(store.record, who, "denied", "route", connection.url.path,
                   method=connection.scope.get("method", ""), permission=needed)
    raise PermissionDeniedException("your role does not allow this")


def _automatic_options(handler: BaseRouteHandler) -> bool:
    """Litestar's own OPTIONS answer of a path (the Allow header, no data, no state)."""
    methods = getattr(handler, "http_methods", None)
    return not handler.opt and methods == {"OPTIONS"}


async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every route: who may use it (see the module docstring), then the CSRF check."""
    opt = handler.opt
    if opt.get("static") or _automatic_options(handler):
        return
    user = await load_user(connection, touch=opt.get("touch", True))
    if not opt.get("public"):
        if user is None:
            raise NotAuthorizedException("sign in first")
        needed = opt.get("permission")
        if needed is None or not user.can(needed):  # a route that declares nothing is closed
            await _deny(connection, user, needed or "(route declares none)")
        if user.must_change_password and needed != "account.self":
            raise PasswordChangeRequired("choose your own password first")
    mode = opt.get("csrf", True)
    if mode == "signed-in" and user is None:  # signing out of a session that already ended
        return
    if mode and isinstance(connection, Request):
        await csrf.check(connection)
