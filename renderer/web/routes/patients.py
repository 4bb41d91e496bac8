"""Patients: search (Arabic or Latin, partial, or MRN), registration, editing details, the chart."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.evaluator import Context, evaluate
from engine.store import ConflictError, NotFoundError, PatientRecord, Store
from engine.store.records import DocumentRecord
from renderer.fields import FormView
from renderer.web.auth import actor, current_user
from renderer.web.chart import chart_data
from renderer.web.formpost import (
    evaluate_live,
    first_input_of_new_row,
    live_response,
    read_submission,
)
from renderer.web.permissions import permission
from renderer.web.registration import FORM_ID, current_registration, register, update_registration
from renderer.web.services import blocking
from renderer.web.views import page


@get("/patients", name="patients", opt=permission("patients.search"))
async def search(request: HTMXRequest, q: FromQuery[str] = "") -> Response[Any]:
    """Search as you type (htmx swaps the results) or with the search button (a full page)."""
    store: Store = request.app.state.store
    query = q.strip()
    results = await blocking(store.patients.search, actor(request), query) if query else []
    template = "patients/_results.html" if request.htmx and request.htmx.target == "results" else "patients/search.html"
    return page(request, template, q=query, results=results, nav_section="patients")


def _registration_form(request: Request[Any, Any, Any]) -> Any:
    form = request.app.state.catalog.form(FORM_ID)
    if form is None:
        raise NotFoundException("the registration form (core.registration) is not installed")
    return form


def _register_page(request: Request[Any, Any, Any], view: FormView, status_code: int = 200, **extra: Any) -> Response[Any]:
    tr = request.state.translations
    return page(request, "patients/register.html", status_code=status_code, view=view, action_url="/patients/new",
                live_url="/patients/new/live", actions=[("_action", "register", tr.gettext("Register the patient"), "primary")],
                nav_section="patients", **extra)


@get("/patients/new", name="register", opt=permission("patients.register"))
async def register_form(request: Request[Any, Any, Any]) -> Response[Any]:
    form = _registration_form(request)
    return _register_page(request, FormView(evaluate(form, {}, Context(), request.state.locale)))


@post("/patients/new", name="register-post", opt=permission("patients.register"))
async def register_post(request: Request[Any, Any, Any]) -> Response[Any]:
    form = _registration_form(request)
    sub = await read_submission(request, form)
    ev = evaluate(form, sub.raw, Context(), request.state.locale)
    if sub.action is not None:
        return _register_page(request, FormView(ev), autofocus_path=first_input_of_new_row(form, ev, sub.action))
    if not ev.valid:
        return _register_page(request, FormView(ev, show_all_errors=True), status_code=422)
    patient = await blocking(register, request.app.state.store, actor(request), ev)
    return Redirect(f"/patients/{patient.id}", status_code=HTTP_303_SEE_OTHER)


@post("/patients/new/live", name="register-live", opt=permission("patients.register"))
async def register_live(request: Request[Any, Any, Any]) -> Response[Any]:
    form = _registration_form(request)
    sub = await read_submission(request, form)
    ev = evaluate_live(request, form, sub, Context())
    return live_response(request, ev, sub, "/patients/new/live")


async def _patient(request: Request[Any, Any, Any], patient_id: int) -> PatientRecord:
    try:
        found: PatientRecord = await blocking(request.app.state.store.patients.get, actor(request), patient_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return found


def _edit_page(request: Request[Any, Any, Any], patient: PatientRecord, view: FormView, registration: DocumentRecord | None,
               status_code: int = 200, reason: str = "", **extra: Any) -> Response[Any]:
    tr = request.state.translations
    return page(request, "patients/edit.html", status_code=status_code, view=view, patient=patient, registration=registration,
                reason=reason, action_url=f"/patients/{patient.id}/edit", live_url=f"/patients/{patient.id}/edit/live",
                actions=[("_action", "save", tr.gettext("Save the details"), "primary")], nav_section="patients", **extra)


@get("/patients/{patient_id:int}/edit", name="patient-edit", opt=permission("patients.register"))
async def edit_form(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    """The registration form again, filled with the patient's current details."""
    form = _registration_form(request)
    patient = await _patient(request, patient_id)
    answers, registration = await blocking(current_registration, request.app.state.store, actor(request), patient)
    return _edit_page(request, patient, FormView(evaluate(form, answers, Context(), request.state.locale)), registration)


@post("/patients/{patient_id:int}/edit", name="patient-edit-post", opt=permission("patients.register"))
async def edit_post(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    form = _registration_form(request)
    store: Store = request.app.state.store
    patient = await _patient(request, patient_id)
    _, registration = await blocking(current_registration, store, actor(request), patient)
    sub = await read_submission(request, form)
    reason = sub.data.get("_reason").strip()[:500]
    ev = evaluate(form, sub.raw, Context(), request.state.locale)
    if sub.action is not None:
        return _edit_page(request, patient, FormView(ev), registration, reason=reason,
                          autofocus_path=first_input_of_new_row(form, ev, sub.action))
    if not ev.valid:
        return _edit_page(request, patient, FormView(ev, show_all_errors=True), registration, status_code=422, reason=reason)
    try:
        base = int(sub.data.get("_version")) if registration is not None else None
    except ValueError:
        base = None
    why = reason or request.state.translations.gettext("Patient details updated")
    try:
        await blocking(update_registration, store, actor(request), patient_id, ev, registration, base, why)
    except ConflictError as conflict:
        return _edit_page(request, patient, FormView(ev), registration, status_code=409, reason=reason, conflict=conflict)
    return Redirect(f"/patients/{patient_id}", status_code=HTTP_303_SEE_OTHER)


@post("/patients/{patient_id:int}/edit/live", name="patient-edit-live", opt=permission("patients.register"))
async def edit_live(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    form = _registration_form(request)
    await _patient(request, patient_id)  # another clinic's patient does not exist here
    sub = await read_submission(request, form)
    ev = evaluate_live(request, form, sub, Context())
    return live_response(request, ev, sub, f"/patients/{patient_id}/edit/live")


@get("/patients/{patient_id:int}", name="chart", opt=permission("patients.chart"))
async def chart(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    try:
        data = await blocking(chart_data, request.app.state.store, request.app.state.catalog, actor(request),
                              patient_id, request.state.locale, _can(request, "clinical.read"))
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return page(request, "patients/chart.html", **data, nav_section="patients", banner_heading=True)


def _can(request: Request[Any, Any, Any], needed: str) -> bool:
    user = current_user(request)
    return user is not None and user.can(needed)


@post("/patients/{patient_id:int}/encounters", name="encounter-start", opt=permission("encounters.start"))
async def start_encounter(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    form = await request.form()
    kind = str(form.get("kind") or "outpatient")
    reason = str(form.get("reason") or "").strip() or None
    try:
        encounter = await blocking(store.encounters.open, actor(request), patient_id, kind=kind, reason=reason)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return Redirect(f"/encounters/{encounter.id}", status_code=HTTP_303_SEE_OTHER)


ROUTES = [search, register_form, register_post, register_live, edit_form, edit_post, edit_live, chart, start_encounter]
