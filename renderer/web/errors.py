"""Friendly error pages: a person sees what happened and a way on, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR

from engine.store.errors import OutOfScopeError
from renderer.web.i18n import negotiate, translations, use_request
from renderer.web.views import page

log = logging.getLogger("cliniform.web")

def N_(message: str) -> str:
    return message


_HEADINGS = {
    400: N_("The request could not be understood"),
    403: N_("You are not allowed to see this page"),
    404: N_("Page not found"),
    405: N_("This action is not available here"),
    413: N_("The upload is too large"),
    500: N_("Something went wrong on our side"),
}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def _render(request: Request[Any, Any, Any], status: int, detail: str) -> Response[Any]:
    settings = request.app.state.settings
    if not hasattr(request.state, "locale"):  # failed before routing: no before_request ran
        request.state.locale = negotiate(request, settings.locales)
        request.state.translations = translations(settings.locale_dir, request.state.locale)
        request.state.arabic_digits = False
    use_request(request)
    tr = request.state.translations
    heading = tr.gettext(_HEADINGS.get(status, N_("Something went wrong")))
    if not _wants_html(request):
        return Response({"status_code": status, "detail": heading}, status_code=status, media_type=MediaType.JSON)
    return page(request, "errors/error.html", status_code=status, code=status, heading=heading, detail=tr.gettext(detail))


def _go(request: Request[Any, Any, Any], path: str, **query: str) -> Response[Any]:
    """To ``path`` and then back here (``next``): a redirect, or an htmx client redirect
    (back to the page the fragment was requested from)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") == "true":
        current = urlsplit(request.headers.get("hx-current-url") or "/")
        here = (current.path or "/") + (f"?{current.query}" if current.query else "")
        return ClientRedirect(f"{path}?" + urlencode({"next": here, **query}))
    return Redirect(f"{path}?" + urlencode({"next": here, **query}), status_code=HTTP_303_SEE_OTHER)


def _to_login(request: Request[Any, Any, Any]) -> Response[Any]:
    """Not signed in (or signed out by a timeout): to the sign-in page, then back here."""
    ended = request.state.get("session_ended")
    return _go(request, "/login", **({"ended": ended} if ended in ("idle", "expired") else {}))


def out_of_scope(request: Request[Any, Any, Any], exc: OutOfScopeError) -> Response[Any]:
    """A patient outside the person's care scope: offer emergency access (break-glass)."""
    from renderer.web.auth import current_user

    user = current_user(request)
    if user is not None and user.can("patients.break_glass"):
        return _go(request, f"/patients/{exc.patient_id}/break-glass")
    return _render(request, 403, N_("This patient's record is outside what your role may open."))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    from renderer.web.auth import PasswordChangeRequired
    from renderer.web.csrf import CsrfError

    status = exc.status_code
    if isinstance(exc, PasswordChangeRequired):
        return _go(request, "/account/password")
    if status == 401:
        return _to_login(request)
    if isinstance(exc, CsrfError):
        return _render(request, status, N_("The page was open for too long, or the request came from another site. Reload the page and try again."))
    if isinstance(exc, NotFoundException):
        detail = N_("The page you asked for does not exist. It may have moved, or the link may be wrong.")
    elif status == 413:
        detail = N_("Choose a smaller file and try again. Nothing else on the page was lost.")
    else:
        detail = N_("Go back and try again. If it keeps happening, tell your administrator.")
    return _render(request, status, detail)


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _render(request, HTTP_500_INTERNAL_SERVER_ERROR,
                   N_("The error was logged. Go back and try again; if it keeps happening, tell your administrator."))
