"""Sign in and out against the store's accounts (argon2id, throttled, audited), and the
session's heartbeat: how long it has left, and "stay signed in"."""

from __future__ import annotations

import math
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.store import Store
from engine.store.accounts import LoginPolicy
from renderer.web.auth import COOKIE, client_ip, current_user, load_user, session_cookie
from renderer.web.permissions import PUBLIC, permission
from renderer.web.services import blocking
from renderer.web.settings import WebSettings
from renderer.web.views import local_path, page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def N_(message: str) -> str:
    return message


ENDED = {
    "idle": N_("You were signed out after a time without activity. Sign in again to go on."),
    "expired": N_("Your session reached its time limit. Sign in again to go on."),
}


@get("/login", name="login", opt=PUBLIC)
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/", ended: FromQuery[str] = "") -> Response[Any]:
    if current_user(request) is not None:
        return Redirect(local_path(next), status_code=HTTP_303_SEE_OTHER)
    tr = request.state.translations
    notice = tr.gettext(ENDED[ended]) if ended in ENDED else None
    return page(request, "login.html", next=local_path(next), error=None, notice=notice, username="")


@post("/login", name="login-post", opt=PUBLIC, status_code=200)
async def login(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    store: Store = request.app.state.store
    settings: WebSettings = request.app.state.settings
    username, password = data.get("username", "").strip(), data.get("password", "")
    target = local_path(data.get("next"))
    tr = request.state.translations
    clinic = await blocking(store.accounts.clinic_by_code, settings.clinic)
    if clinic is None or not username or not password:
        error = tr.gettext("The user name or password is not right. Check them and try again.")
        return page(request, "login.html", status_code=400, next=target, error=error, notice=None, username=username)
    policy = LoginPolicy(max_failures=settings.login_max_failures, window_minutes=settings.login_lock_minutes,
                         lock_minutes=settings.login_lock_minutes,
                         max_failures_per_address=settings.login_max_failures_per_address)
    result = await blocking(store.accounts.sign_in, clinic.id, username, password, client_ip(request), policy)
    if result.user is None:
        if result.locked_until is not None:
            error = tr.gettext("Too many failed sign-ins. Wait %(minutes)s minutes, then try again; "
                               "ask an administrator if you forgot your password.") % {
                                   "minutes": int(settings.login_lock_minutes)}
            return page(request, "login.html", status_code=429, next=target, error=error, notice=None, username=username)
        error = tr.gettext("The user name or password is not right. Check them and try again.")
        return page(request, "login.html", status_code=401, next=target, error=error, notice=None, username=username)
    token, _ = await blocking(
        store.sessions.start, result.user.id, clinic.id, idle_seconds=int(settings.session_idle_minutes * 60),
        max_seconds=int(settings.session_max_hours * 3600), ip=client_ip(request),
        user_agent=request.headers.get("user-agent"), replaces=request.cookies.get(COOKIE),
    )
    if result.must_change_password:
        target = "/account/password?next=" + target
    return Redirect(target, status_code=HTTP_303_SEE_OTHER, cookies=[session_cookie(request, token)])


@post("/logout", name="logout", opt={**PUBLIC, "csrf": "signed-in"}, status_code=HTTP_303_SEE_OTHER)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End this session (audited); without a live session there is nothing to end."""
    token = request.cookies.get(COOKIE)
    if token and await load_user(request, touch=False) is not None:
        store: Store = request.app.state.store
        await blocking(store.sessions.end, token, "logout")
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER, cookies=[session_cookie(request, None)])


@post("/session/extend", name="session-extend", opt=permission("account.self"), status_code=200)
async def extend(request: Request[Any, Any, Any]) -> Response[Any]:
    """"Stay signed in": the request itself is the activity. app.js (asking for JSON) gets
    the new time left; a plain post goes back to the page."""
    user = current_user(request)
    seconds = math.ceil(user.seconds_left) if user else 0
    if "application/json" in request.headers.get("accept", ""):
        return Response({"seconds_left": seconds})
    form = await request.form()
    return Redirect(local_path(str(form.get("next") or "/")), status_code=HTTP_303_SEE_OTHER)


@get("/session/status", name="session-status", opt={**PUBLIC, "touch": False}, sync_to_thread=False)
def status(request: Request[Any, Any, Any]) -> dict[str, int]:
    """How long the session has left; asking does not count as activity (app.js asks
    before it warns, since another tab may have kept the session alive)."""
    user = current_user(request)
    return {"seconds_left": math.ceil(user.seconds_left) if user else 0}


ROUTES = [login_form, login, logout, extend, status]
