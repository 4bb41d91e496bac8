"""Accounts of the clinic, for its administrators: create, roles, reset the password,
disable (which signs the person out everywhere). The store refuses accounts of other
clinics (404) and accounts that also work elsewhere (the operator's to change)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.store import DuplicateError, NotFoundError, Store
from engine.store.errors import AccountError
from renderer.web.auth import actor
from renderer.web.permissions import permission
from renderer.web.services import blocking
from renderer.web.views import page

OPT = permission("users.manage")


def _roles(request: Request[Any, Any, Any]) -> tuple[str, ...]:
    return request.app.state.policy.roles


def temporary_password() -> str:
    """A password an administrator hands over (the person must change it at sign-in)."""
    return "-".join(secrets.token_urlsafe(4) for _ in range(3))


async def _list(request: Request[Any, Any, Any], *, status_code: int = 200, error: str | None = None,
                form: dict[str, Any] | None = None, created: tuple[str, str] | None = None) -> Response[Any]:
    store: Store = request.app.state.store
    members = await blocking(store.accounts.members, actor(request))
    return page(request, "admin/users.html", status_code=status_code, members=members, roles=_roles(request),
                error=error, form=form or {"username": "", "display_name": "", "roles": ()}, created=created, nav_section="admin")


@get("/admin/users", name="users", opt=OPT)
async def users(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _list(request)


@post("/admin/users", name="user-create", opt=OPT, status_code=200)
async def create_user(request: Request[Any, Any, Any]) -> Response[Any]:
    """A new account with a temporary password shown once; the first sign-in changes it."""
    store: Store = request.app.state.store
    tr = request.state.translations
    data = await request.form()
    username = str(data.get("username") or "").strip()
    display = str(data.get("display_name") or "").strip()
    roles = tuple(r for r in data.getall("roles", []) if r in _roles(request))
    form = {"username": username, "display_name": display, "roles": roles}
    if not username or not display or not roles:
        error = tr.gettext("Give a user name, a name and at least one role.")
        return await _list(request, status_code=422, error=error, form=form)
    password = temporary_password()
    try:
        await blocking(store.accounts.create_user, actor(request), username, password, display, roles,
                       must_change_password=True)
    except DuplicateError:
        return await _list(request, status_code=409, error=tr.gettext("That user name is taken. Choose another."), form=form)
    return await _list(request, created=(username.lower(), password))


async def _member_page(request: Request[Any, Any, Any], user_id: int, *, status_code: int = 200,
                       message: str | None = None, error: str | None = None,
                       password: str | None = None) -> Response[Any]:
    store: Store = request.app.state.store
    try:
        member = await blocking(store.accounts.member, actor(request), user_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return page(request, "admin/user.html", status_code=status_code, member=member, roles=_roles(request),
                message=message, error=error, password=password, nav_section="admin")


@get("/admin/users/{user_id:int}", name="user", opt=OPT)
async def user(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    return await _member_page(request, user_id)


async def _act(request: Request[Any, Any, Any], user_id: int, call: Any, *args: Any, **kwargs: Any) -> Response[Any] | None:
    """Run an account change; the member page with the refusal when the store refuses."""
    try:
        await blocking(call, actor(request), user_id, *args, **kwargs)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    except (AccountError, ValueError) as exc:
        return await _member_page(request, user_id, status_code=409, error=str(exc))
    return None


def _back(user_id: int) -> Redirect:
    return Redirect(f"/admin/users/{user_id}", status_code=HTTP_303_SEE_OTHER)


@post("/admin/users/{user_id:int}/roles", name="user-roles", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def set_roles(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    data = await request.form()
    roles = tuple(r for r in data.getall("roles", []) if r in _roles(request))
    return await _act(request, user_id, store.accounts.set_roles, roles) or _back(user_id)


@post("/admin/users/{user_id:int}/password", name="user-password", opt=OPT, status_code=200)
async def reset_password(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """A temporary password, shown once; every session of the account ends."""
    store: Store = request.app.state.store
    password = temporary_password()
    refused = await _act(request, user_id, store.accounts.set_password, password, temporary=True)
    if refused is not None:
        return refused
    tr = request.state.translations
    return await _member_page(request, user_id, message=tr.gettext("The password was reset. Hand the temporary password over in person; it must be changed at the next sign-in."), password=password)


@post("/admin/users/{user_id:int}/disable", name="user-disable", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def disable(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    return await _act(request, user_id, store.accounts.disable) or _back(user_id)


@post("/admin/users/{user_id:int}/enable", name="user-enable", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def enable(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    return await _act(request, user_id, store.accounts.enable) or _back(user_id)


@post("/admin/users/{user_id:int}/logout", name="user-logout", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def sign_out(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """End every session of a member (a lost device); the account stays usable."""
    store: Store = request.app.state.store
    refused = await _act(request, user_id, store.accounts.member)  # the member check, audited if refused
    return refused or await _end_all(request, store, user_id)


async def _end_all(request: Request[Any, Any, Any], store: Store, user_id: int) -> Response[Any]:
    await blocking(store.sessions.end_all, actor(request), user_id, "ended_by_admin")
    return _back(user_id)


ROUTES = [users, create_user, user, set_roles, reset_password, disable, enable, sign_out]
