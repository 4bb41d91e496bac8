"""Break-glass: emergency access to a patient outside one's care scope.

Opening such a patient anywhere in the app lands here (errors.out_of_scope); the person
states a reason, gets a grant for ``break_glass_minutes`` and goes back to what they asked
for. The grant and everything done under it are audited and stand out in the audit report.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.store import NotFoundError, Store
from engine.store.access import PatientBrief
from renderer.web.auth import actor
from renderer.web.permissions import permission
from renderer.web.services import blocking
from renderer.web.settings import WebSettings
from renderer.web.views import local_path, page

OPT = permission("patients.break_glass")


async def _brief(request: Request[Any, Any, Any], patient_id: int) -> PatientBrief:
    store: Store = request.app.state.store
    try:
        return await blocking(store.access.brief, actor(request), patient_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc


def _page(request: Request[Any, Any, Any], patient: PatientBrief, next_url: str, *, reason: str = "",
          error: str | None = None, status_code: int = 403) -> Response[Any]:
    settings: WebSettings = request.app.state.settings
    return page(request, "breakglass.html", status_code=status_code, patient=patient, next=next_url, reason=reason,
                error=error, minutes=int(settings.break_glass_minutes), nav_section="patients")


@get("/patients/{patient_id:int}/break-glass", name="break-glass", opt=OPT)
async def break_glass_form(request: Request[Any, Any, Any], patient_id: FromPath[int], next: FromQuery[str] = "") -> Response[Any]:
    """Why the record is closed to this person, and the form to open it (answered 403:
    the record itself was refused)."""
    target = local_path(next, f"/patients/{patient_id}")
    patient = await _brief(request, patient_id)
    if patient.in_scope:
        return Redirect(target, status_code=HTTP_303_SEE_OTHER)
    return _page(request, patient, target)


@post("/patients/{patient_id:int}/break-glass", name="break-glass-post", opt=OPT, status_code=HTTP_303_SEE_OTHER)
async def break_glass(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    settings: WebSettings = request.app.state.settings
    data = await request.form()
    target = local_path(str(data.get("next") or ""), f"/patients/{patient_id}")
    reason = str(data.get("reason") or "").strip()
    try:
        await blocking(store.access.break_glass, actor(request), patient_id, reason, settings.break_glass_minutes)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    except ValueError:
        tr = request.state.translations
        patient = await _brief(request, patient_id)
        error = tr.gettext("Say why you need this record now (a few words: it is kept in the audit trail).")
        return _page(request, patient, target, reason=reason, error=error, status_code=422)
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


ROUTES = [break_glass_form, break_glass]
