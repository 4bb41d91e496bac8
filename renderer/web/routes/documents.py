"""Documents: fill a form as a draft (live checks, autosave), sign, view, amend.

A draft is always rendered with the definition version it was started with (pinned by
content hash). Every action has a plain-post path: the page works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.chart_context import patient_fields
from engine.evaluator import Context, Evaluation, evaluate
from engine.model import Form, Item
from engine.observations import derive_observations
from engine.store import (
    Actor,
    ConflictError,
    DocumentView,
    InvalidStateError,
    NotFoundError,
    PatientRecord,
    Store,
)
from renderer.fields import FormView, unit_label
from renderer.web.alerts import ACCEPT, ACK, DocumentAlerts, Panel
from renderer.web.auth import actor
from renderer.web.formpost import (
    USE_PREVIOUS,
    Submission,
    affected_rule_ids,
    evaluate_live,
    first_input_of_new_row,
    live_response,
    read_submission,
)
from renderer.web.permissions import permission
from renderer.web.services import blocking, pinned_form, reading
from renderer.web.views import page

READ = permission("clinical.read")
WRITE = permission("documents.write")
AMEND = permission("documents.amend")


def context_for(patient: PatientRecord, started_at: dt.datetime | None = None) -> Context:
    """What expressions see as `patient` and `encounter`."""
    encounter = {"date": started_at.date()} if started_at else {}
    return Context(patient=patient_fields(patient), encounter=encounter)


async def _load(request: Request[Any, Any, Any], document_id: int, who: Actor | None = None) -> tuple[DocumentView, PatientRecord, Form]:
    """The document, its patient and its pinned form, read as ``who`` (default: the person)."""
    store: Store = request.app.state.store
    who = who or actor(request)
    try:
        # a live round-trip's read takes no lock: inline on SQLite (see Documents.workspace)
        call = blocking if who.reads_logged else functools.partial(reading, store)
        view, patient, consent = await call(store.documents.workspace, who, document_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    if consent is not None and view.document.status == "draft":  # a consent is filled and signed through its signing flow only
        raise ClientException(f"document {document_id} is a consent: open /consents/{consent}", status_code=409)
    return view, patient, pinned_form(request.app.state.catalog, view.definition)


async def _panel(request: Request[Any, Any, Any], doc: DocumentView, ev: Evaluation, sub: Submission | None = None, *,
                 only: set[str] | None = None, signing: bool = False, who: Actor | None = None) -> Panel:
    """The document's alerts panel (rules run with the patient's chart; see renderer/web/alerts.py)."""
    if only is not None and not only:
        return Panel(partial=True)  # no rule reads what changed: nothing to run (no thread hop)
    alerts = DocumentAlerts(request.app.state.store, request.app.state.catalog, who or actor(request), doc.document)
    return await blocking(alerts.panel, ev, sub.data if sub else None, only=only, signing=signing)


def _fill_page(request: Request[Any, Any, Any], doc: DocumentView, patient: PatientRecord, view: FormView, panel: Panel, *,
               status_code: int = 200, amend: bool = False, reason: str = "", reason_error: str = "", **extra: Any) -> Response[Any]:
    tr = request.state.translations
    document_id = doc.document.id
    if amend:
        actions = [("_action", "amend", tr.gettext("Save the amendment"), "primary")]
        action_url = f"/documents/{document_id}/amend"
    else:
        actions = [("_action", "save", tr.gettext("Save draft"), "secondary"), ("_action", "sign", tr.gettext("Sign"), "primary")]
        action_url = f"/documents/{document_id}"
    if any(slot.error for slot in panel.slots) and status_code == 200:
        status_code = 422
    return page(
        request, "documents/fill.html", status_code=status_code, view=view, panel=panel, doc=doc.document, patient=patient,
        action_url=action_url, live_url=f"/documents/{document_id}/live", actions=actions,
        hidden_fields=[], amend=amend, reason=reason, reason_error=reason_error,
        autosave=not amend, nav_section="patients", **extra,
    )


@dataclass(frozen=True, slots=True)
class Offer:
    """The patient's last answer to an item (``previous_value: offer``)."""

    value: Any
    text: str
    at: dt.datetime


def _offer_text(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:
        return f"{value['value']:g} {unit_label(value.get('unit'))}".strip()
    return str(value)


def _offered(form: Form) -> list[Item]:
    """The items of ``form`` that offer the patient's last answer (not inside rows)."""
    return [item for item in form.index.values()
            if item.previous_value and not (item.parent and form.index[item.parent].type in ("repeating_group", "grid"))]


async def _offers(request: Request[Any, Any, Any], form: Form, doc: DocumentView, who: Actor) -> dict[str, Offer]:
    """offers_for a draft, in a worker thread only when the form offers anything."""
    if doc.document.status != "draft" or not _offered(form):
        return {}
    return await blocking(offers_for, request.app.state.store, who, form, doc)


def offers_for(store: Store, who: Any, form: Form, doc: DocumentView) -> dict[str, Offer]:
    """Last answers the form offers to reuse, from other signed documents of the patient."""
    found: dict[str, Offer] = {}
    for item in _offered(form):
        latest = store.charts.latest_answer(who, doc.document.patient_id, item.id, def_id=form.id)
        if latest is not None and latest.document_id != doc.document.id and latest.value is not None:
            found[item.id] = Offer(latest.value, _offer_text(latest.value), latest.effective_at)
    return found


def _use_previous(sub: Submission, offers: dict[str, Offer]) -> tuple[str, ...]:
    """Put an offered last value into the answers when its button was pressed."""
    path = sub.data.get(USE_PREVIOUS)
    if path in offers:
        sub.raw[path] = offers[path].value
        return (path,)
    return ()


@get("/documents/{document_id:int}", name="document", opt=READ)
async def show(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    consent = await blocking(request.app.state.store.signing.consent_of, actor(request), document_id)
    if consent is not None:
        return Redirect(f"/consents/{consent}", status_code=HTTP_303_SEE_OTHER)
    doc, patient, form = await _load(request, document_id)
    ev = evaluate(form, doc.document.answers, context_for(patient, doc.document.effective_at), request.state.locale)
    if doc.document.status == "draft":
        offers = await blocking(offers_for, request.app.state.store, actor(request), form, doc)
        return _fill_page(request, doc, patient, FormView(ev), await _panel(request, doc, ev), offers=offers)
    store: Store = request.app.state.store
    revisions = await blocking(store.documents.revisions, actor(request), document_id)
    alerts = DocumentAlerts(store, request.app.state.catalog, actor(request), doc.document)
    return page(request, "documents/view.html", view=FormView(ev, locked=True), doc=doc.document, patient=patient,
                revisions=revisions, alert_log=await blocking(alerts.log_for_view), nav_section="patients")


def _answers(ev: Evaluation) -> dict[str, Any]:
    return ev.answers_json()


@post("/documents/{document_id:int}", name="document-post", opt=WRITE)
async def submit(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    """The plain post: save the draft, sign it, or add/remove a row."""
    doc, patient, form = await _load(request, document_id)
    store: Store = request.app.state.store
    sub = await read_submission(request, form)
    offers = await blocking(offers_for, store, actor(request), form, doc)
    used = _use_previous(sub, offers)
    ev = evaluate(form, sub.raw, context_for(patient, doc.document.effective_at), request.state.locale)
    if doc.document.status != "draft":
        return Redirect(f"/documents/{document_id}", status_code=HTTP_303_SEE_OTHER)
    if sub.action is not None or used or ACK in sub.data or ACCEPT in sub.data:
        # a row added or removed, a last value used, or an alert acknowledged: the page again
        return _fill_page(request, doc, patient, FormView(ev, show_all_errors=sub.submitted), await _panel(request, doc, ev, sub),
                          offers=offers, autofocus_path=first_input_of_new_row(form, ev, sub.action) or (used[0] if used else None))
    base = _version(sub, doc)
    signing = sub.button == "sign"
    try:
        if signing:
            # the rules run again here, on the answers being signed: the live panel is only a view
            panel = await _panel(request, doc, ev, sub, signing=ev.valid)
            if not ev.valid or panel.blocking:
                # not signed, but kept: the answers are saved as the draft they are
                kept = await blocking(store.documents.save_draft, actor(request), document_id, base_version=base,
                                      answers=_answers(ev), observations=derive_observations(ev))
                return _fill_page(request, DocumentView(kept, doc.definition), patient, FormView(ev, show_all_errors=True), panel,
                                  status_code=422, blocked=panel.blocking, saved_at=kept.updated_at)
            await blocking(store.documents.sign, actor(request), document_id, base_version=base,
                           answers=_answers(ev), observations=derive_observations(ev))
            return Redirect(f"/documents/{document_id}", status_code=HTTP_303_SEE_OTHER)
        saved = await blocking(store.documents.save_draft, actor(request), document_id, base_version=base,
                               answers=_answers(ev), observations=derive_observations(ev))
    except ConflictError as conflict:
        return _fill_page(request, doc, patient, FormView(ev), await _panel(request, doc, ev, sub), status_code=409, conflict=conflict)
    except InvalidStateError:
        return Redirect(f"/documents/{document_id}", status_code=HTTP_303_SEE_OTHER)
    refreshed = DocumentView(saved, doc.definition)
    return _fill_page(request, refreshed, patient, FormView(ev), await _panel(request, refreshed, ev, sub), saved_at=saved.updated_at)


def _version(sub: Submission, doc: DocumentView) -> int:
    try:
        return int(sub.data.get("_version"))
    except ValueError:
        return doc.document.version


@post("/documents/{document_id:int}/live", name="document-live", opt=WRITE)
async def live(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    # the page this comes from was audited when it was opened: its round-trips' reads are not
    # logged again on every keystroke (Actor.reads_logged); what they write still is
    who = replace(actor(request), reads_logged=False)
    doc, patient, form = await _load(request, document_id, who)
    sub = await read_submission(request, form)
    offers = await _offers(request, form, doc, who)
    used = _use_previous(sub, offers)
    ev = evaluate_live(request, form, sub, context_for(patient, doc.document.effective_at))
    # only the rules that read what changed run again; the other cards stay on the page
    only = affected_rule_ids(request.app.state.catalog, form, sub, used)
    panel = await _panel(request, doc, ev, sub, only=only, who=who)
    return live_response(request, ev, sub, f"/documents/{document_id}/live", forced=used, panel=panel, offers=offers)


@post("/documents/{document_id:int}/autosave", name="document-autosave", opt=WRITE)
async def autosave(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    """Save the draft as it is (errors and all): answers are never lost to a closed tab."""
    doc, patient, form = await _load(request, document_id)
    store: Store = request.app.state.store
    sub = await read_submission(request, form)
    ev = evaluate(form, sub.raw, context_for(patient, doc.document.effective_at), request.state.locale)
    try:
        saved = await blocking(store.documents.save_draft, actor(request), document_id, base_version=_version(sub, doc),
                               answers=_answers(ev), observations=derive_observations(ev))
    except ConflictError as conflict:
        return page(request, "documents/_save_status.html", doc=doc.document, conflict=conflict, saved_at=None)
    except InvalidStateError:
        return page(request, "documents/_save_status.html", doc=doc.document, conflict=None, saved_at=None, final=True)
    return page(request, "documents/_save_status.html", doc=saved, conflict=None, saved_at=saved.updated_at)


@get("/documents/{document_id:int}/amend", name="document-amend", opt=AMEND)
async def amend_form(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    doc, patient, form = await _load(request, document_id)
    if doc.document.status == "draft":
        return Redirect(f"/documents/{document_id}", status_code=HTTP_303_SEE_OTHER)
    ev = evaluate(form, doc.document.answers, context_for(patient, doc.document.effective_at), request.state.locale)
    return _fill_page(request, doc, patient, FormView(ev), await _panel(request, doc, ev), amend=True)


@post("/documents/{document_id:int}/amend", name="document-amend-post", opt=AMEND)
async def amend(request: Request[Any, Any, Any], document_id: FromPath[int]) -> Response[Any]:
    doc, patient, form = await _load(request, document_id)
    store: Store = request.app.state.store
    sub = await read_submission(request, form)
    ev = evaluate(form, sub.raw, context_for(patient, doc.document.effective_at), request.state.locale)
    reason = sub.data.get("_reason").strip()
    if sub.action is not None or ACK in sub.data or ACCEPT in sub.data:
        return _fill_page(request, doc, patient, FormView(ev, show_all_errors=sub.submitted), await _panel(request, doc, ev, sub),
                          amend=True, reason=reason, autofocus_path=first_input_of_new_row(form, ev, sub.action))
    tr = request.state.translations
    panel = await _panel(request, doc, ev, sub, signing=bool(reason) and ev.valid)
    if not reason or not ev.valid or panel.blocking:
        error = "" if reason else tr.gettext("Say why the signed document is being changed.")
        return _fill_page(request, doc, patient, FormView(ev, show_all_errors=True), panel, status_code=422, amend=True,
                          reason=reason, reason_error=error, blocked=panel.blocking)
    try:
        await blocking(store.documents.amend, actor(request), document_id, base_version=_version(sub, doc),
                       answers=_answers(ev), reason=reason, observations=derive_observations(ev))
    except ConflictError as conflict:
        return _fill_page(request, doc, patient, FormView(ev), panel, status_code=409, amend=True, reason=reason, conflict=conflict)
    return Redirect(f"/documents/{document_id}", status_code=HTTP_303_SEE_OTHER)


ROUTES = [show, submit, live, autosave, amend_form, amend]
