"""The signed-in person's own account: where they are signed in, their password, and
"sign out everywhere"."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.store import Store
from renderer.web.auth import COOKIE, actor, current_user, session_cookie
from renderer.web.permissions import permission
from renderer.web.services import blocking
from renderer.web.views import local_path, page

OPT = permission("account.self")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/account", name="account", opt=OPT)
async def account(request: Request[Any, Any, Any], changed: FromQuery[str] = "") -> Response[Any]:
    store: Store = request.app.state.store
    user = current_user(request)
    assert user is not None
    sessions = await blocking(store.sessions.live, actor(request), user.user_id)
    return page(request, "account/account.html", sessions=sessions, changed=bool(changed), nav_section="account")


def _password_page(request: Request[Any, Any, Any], next_url: str, error: str | None = None,
                   status_code: int = 200) -> Response[Any]:
    return page(request, "account/password.html", status_code=status_code, next=next_url, error=error,
                nav_section="account")


@get("/account/password", name="account-password", opt=OPT)
async def password_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/account") -> Response[Any]:
    return _password_page(request, local_path(next, "/account"))


@post("/account/password", name="account-password-post", opt=OPT, status_code=200)
async def change_password(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """Change one's own password: the current one is checked; other sessions end."""
    store: Store = request.app.state.store
    tr = request.state.translations
    target = local_path(data.get("next"), "/account")
    new, repeat = data.get("new_password", ""), data.get("repeat_password", "")
    if new != repeat:
        return _password_page(request, target, tr.gettext("The two new passwords differ. Type the same one twice."), 422)
    try:
        ok = await blocking(store.accounts.change_password, actor(request), data.get("current_password", ""), new,
                            keep_session=request.cookies.get(COOKIE))
    except ValueError as exc:
        message = str(exc)
        if "too short" in message:
            error = tr.gettext("The new password is too short: use at least 10 characters (a few words work well).")
        elif "different" in message:
            error = tr.gettext("Choose a new password different from the current one.")
        else:
            error = tr.gettext("The new password cannot be used: %(why)s") % {"why": message}
        return _password_page(request, target, error, 422)
    if not ok:
        return _password_page(request, target, tr.gettext("The current password is not right."), 422)
    if target == "/account":
        target = "/account?changed=1"
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


@post("/account/logout-everywhere", name="logout-everywhere", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def logout_everywhere(request: Request[Any, Any, Any]) -> Redirect:
    """End every session of this account, this one included (a lost phone, a shared PC)."""
    store: Store = request.app.state.store
    user = current_user(request)
    assert user is not None
    await blocking(store.sessions.end_all, actor(request), user.user_id, "logout_all")
    return Redirect("/login", status_code=HTTP_303_SEE_OTHER, cookies=[session_cookie(request, None)])


ROUTES = [account, password_form, change_password, logout_everywhere]
