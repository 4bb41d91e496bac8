"""Encounters and the start of the work in them: the dashboard, an encounter, a new document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.evaluator import evaluate
from engine.observations import derive_observations
from engine.store import NotFoundError, Store
from renderer.fields import label
from renderer.web import queries
from renderer.web.auth import actor, current_user
from renderer.web.permissions import permission
from renderer.web.routes.documents import context_for
from renderer.web.services import blocking, publish_form
from renderer.web.views import page

#: where a person whose roles have no worklist lands after sign-in
LANDING = (("audit.report", "/audit"), ("users.manage", "/admin/users"), ("forms.preview", "/forms"))


@get("/", name="home", opt=permission("account.self"))
async def dashboard(request: Request[Any, Any, Any]) -> Response[Any]:
    """Today's encounters of the clinic and, for clinicians, their unfinished drafts (an
    auditor or administrator goes to their own start page)."""
    store: Store = request.app.state.store
    user = current_user(request)
    if user is not None and not user.can("worklist.view"):
        target = next((path for needed, path in LANDING if user.can(needed)), "/account")
        return Redirect(target, status_code=HTTP_303_SEE_OTHER)
    who = actor(request)
    midnight = dt.datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    today = await blocking(store.worklists.encounters_since, who, midnight.astimezone(dt.UTC))
    clinical = bool(user and user.can("clinical.read"))
    drafts = await blocking(store.worklists.drafts, who) if clinical else []
    return page(request, "dashboard.html", today=today, drafts=drafts, titles=_titles(request), nav_section="dashboard")


@get("/drafts", name="drafts", opt=permission("clinical.read"))
async def drafts(request: Request[Any, Any, Any]) -> Response[Any]:
    store: Store = request.app.state.store
    rows = await blocking(store.worklists.drafts, actor(request))
    return page(request, "drafts.html", drafts=rows, titles=_titles(request), nav_section="drafts")


def _titles(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {f.id: label(f.title, request.state.locale).text for f in request.app.state.catalog.latest_forms()}


@get("/encounters/{encounter_id:int}", name="encounter", opt=permission("encounters.view"))
async def show(request: Request[Any, Any, Any], encounter_id: FromPath[int]) -> Response[Any]:
    store: Store = request.app.state.store
    who = actor(request)
    encounter = await blocking(queries.encounter, store, who, encounter_id)
    if encounter is None:
        raise NotFoundException(f"encounter {encounter_id} not found in this clinic")
    patient = await blocking(store.patients.get, who, encounter.patient_id)
    documents = await blocking(store.worklists.encounter_documents, who, encounter_id)
    catalog = request.app.state.catalog
    forms = [(f.id, label(f.title, request.state.locale).text) for f in catalog.latest_forms() if f.id != "core.registration"]
    return page(request, "encounters/show.html", encounter=encounter, patient=patient, documents=documents,
                forms=forms, titles=_titles(request), nav_section="patients")


@post("/encounters/{encounter_id:int}/documents", name="document-new", opt=permission("documents.write"))
async def new_document(request: Request[Any, Any, Any], encounter_id: FromPath[int]) -> Response[Any]:
    """Start a draft of a form in this encounter, pinned to the form's current version."""
    store: Store = request.app.state.store
    who = actor(request)
    data = await request.form()
    form = request.app.state.catalog.form(str(data.get("form_id") or ""))
    encounter = await blocking(queries.encounter, store, who, encounter_id)
    if form is None or encounter is None:
        raise NotFoundException("no such form or encounter")
    try:
        patient = await blocking(store.patients.get, who, encounter.patient_id)
        definition = await blocking(publish_form, store, who, form)
        ev = evaluate(form, {}, context_for(patient, encounter.started_at), request.state.locale)
        doc = await blocking(store.documents.create, who, patient_id=patient.id, definition_version_id=definition.id,
                             answers=ev.answers_json(), observations=derive_observations(ev), encounter_id=encounter_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return Redirect(f"/documents/{doc.id}", status_code=HTTP_303_SEE_OTHER)


ROUTES = [dashboard, drafts, show, new_document]
