"""Consents for clinicians: start one from the chart, fill the clinician part, open a signing
link (one-time, a few minutes, shown with a QR code), countersign, withdraw, re-consent.

    GET  /patients/{id}/consents          status and history of every consent; start one
    GET  /patients/{id}/consents/panel    the same, as the chart's panel (htmx)
    POST /patients/{id}/consents          start (workflow=...)
    GET  /consents/{id}                   the consent: clinician part, progress, countersign
    POST /consents/{id}                   save the clinician part (_action=link: and open a link)
    POST /consents/{id}/link | /countersign | /withdraw | /reconsent | /copy
    GET  /consents/{id}/snapshot.pdf      the signed PDF snapshot

Every step goes through engine.consent_flow; refusals come back as the page with the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import segno
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.consent_flow import ConsentCase, ConsentFlow, consent_workflows
from engine.consent_signing import SigningPost, countersign, page_text
from engine.consent_status import summaries, summarise
from engine.consents import must_be_true, text_sha256
from engine.store import Actor, NotFoundError
from engine.store.signing import SigningRefused
from engine.workflow_runtime import TransitionRefused
from renderer.fields import FormView
from renderer.web.auth import actor, current_user
from renderer.web.downloads import content_disposition
from renderer.web.formpost import read_submission
from renderer.web.permissions import permission
from renderer.web.routes.pdf import pdf_service
from renderer.web.services import blocking
from renderer.web.views import page

OPT = permission("consents.manage")


def N_(message: str) -> str:
    return message


#: what the person at the tablet reads for each refusal (engine.store.signing codes)
REFUSALS = {
    "token_unknown": N_("This signing link is not valid. Ask the clinic for a new one."),
    "token_other_patient": N_("This signing link belongs to another patient's consent; it cannot be used here."),
    "token_used": N_("This signing link has already been used. Ask the clinic for a new one."),
    "token_revoked": N_("This signing link was replaced by a newer one. Ask the clinic for the new link."),
    "token_expired": N_("This signing link has expired. Ask the clinic for a new one."),
    "withdrawn": N_("This consent was withdrawn; it can no longer be signed."),
    "already_signed": N_("This consent is already signed; nothing more to sign."),
    "text_changed": N_("The consent text on this page is not the text on record. Reload the page, read it again and sign."),
    "signature_missing": N_("Sign in the box with your finger, a pen or the mouse."),
    "name_required": N_("Type the signer's full name."),
    "relation_required": N_("Choose the signer's relationship to the patient."),
    "answers": N_("Some answers are missing or do not allow signing; see the marked questions."),
}


#: refusals the signer puts right on the same page
FIXABLE = frozenset({"text_changed", "signature_missing", "name_required", "relation_required", "language", "answers"})


def refusal_message(request: Request[Any, Any, Any], refused: SigningRefused) -> str:
    """The refusal in the page's language (the engine's own words when it has no entry)."""
    text = REFUSALS.get(refused.code)
    return request.state.translations.gettext(text) if text else refused.message


def consent_flow(request: Request[Any, Any, Any]) -> ConsentFlow:
    """The consent flow of this app; PDF snapshots through the app's PdfService."""
    state = request.app.state

    def snapshot(who: Actor, document_id: int, languages: str, evidence: Mapping[str, Any]) -> str:
        return pdf_service(request).consent_snapshot(who, document_id, languages=languages, evidence=evidence).sha256

    return ConsentFlow(state.store, state.catalog, snapshot)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (no script, no external reference)."""
    return str(segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff", omitsize=False))


def absolute(request: Request[Any, Any, Any], path: str) -> str:
    return str(request.base_url).rstrip("/") + path


async def signing_post(request: Request[Any, Any, Any], role: str, questions: list[str]) -> SigningPost:
    """The fields every signing page posts (kiosk and countersignature)."""
    form = await request.form()
    return SigningPost(
        role=role, language=str(form.get("language") or request.state.locale), shown_sha256=str(form.get("shown_sha256") or ""),
        name=str(form.get("signer_name") or ""), image_data_url=str(form.get("signature") or ""),
        strokes=str(form.get("strokes") or ""), relation=str(form.get("relation") or "") or None,
        answers={q: str(form.get(q)) for q in questions if form.get(q) not in (None, "")},
        user_agent=request.headers.get("user-agent"),
    )


async def _case(request: Request[Any, Any, Any], consent_id: int) -> tuple[ConsentFlow, ConsentCase]:
    flow = consent_flow(request)
    try:
        return flow, await blocking(flow.load, actor(request), consent_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc


def _to(consent_id: int) -> Redirect:
    return Redirect(f"/consents/{consent_id}", status_code=HTTP_303_SEE_OTHER)


def signing_page_context(case: ConsentCase, role: str, locale: str) -> dict[str, Any]:
    """What a signing page (kiosk or countersignature) shows: the blocks and their hash."""
    blocks = page_text(case, role, locale)  # evaluates the consent form: once, for the page and its hash
    return {"blocks": blocks, "shown_sha256": text_sha256(blocks),
            "section": case.layout.signers.get(role), "role": role, "must_be_true": must_be_true}


async def _consent_page(request: Request[Any, Any, Any], flow: ConsentFlow, case: ConsentCase, *, status_code: int = 200,
                        view: FormView | None = None, error: str = "", **extra: Any) -> Response[Any]:
    who = actor(request)
    summary = await blocking(summarise, flow, who, case, flow.clock())
    locale = request.state.locale
    if view is None:
        view = FormView(case.evaluate(locale=locale), show_all_errors=False)
    user = current_user(request)
    clinician_ready = case.instance.state == case.workflow.initial and case.missing() == ["clinician"]
    return page(
        request, "consents/consent.html", status_code=status_code, case=case, summary=summary, view=view, error=error,
        patient=case.patient, clinician_items=case.layout.clinician, flags=[f for s in case.layout.signers.values() for f in s.flags],
        editable=case.instance.state == case.workflow.initial and not case.signatures, clinician_ready=clinician_ready,
        signer_name=user.display_name if user else "", nav_section="patients", signed_answers=flow.final_answers(case),
        **(signing_page_context(case, "clinician", locale) if clinician_ready else {}), **extra,
    )


@get("/patients/{patient_id:int}/consents", name="consents", opt=OPT)
async def consents(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    return await _list(request, patient_id, "consents/list.html")


@get("/patients/{patient_id:int}/consents/panel", name="consents-panel", opt=OPT)
async def panel(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    return await _list(request, patient_id, "consents/_panel.html")


async def _list(request: Request[Any, Any, Any], patient_id: int, template: str) -> Response[Any]:
    flow = consent_flow(request)
    who = actor(request)
    try:
        patient = await blocking(flow.store.patients.get, who, patient_id)
        found = await blocking(summaries, flow, who, patient_id)
    except NotFoundError as exc:
        raise NotFoundException(str(exc)) from exc
    return page(request, template, patient=patient, summaries=found, workflows=consent_workflows(flow.catalog),
                nav_section="patients")


@post("/patients/{patient_id:int}/consents", name="consent-start", opt=OPT)
async def start(request: Request[Any, Any, Any], patient_id: FromPath[int]) -> Response[Any]:
    form = await request.form()
    flow = consent_flow(request)
    try:
        consent_id = await blocking(flow.start, actor(request), patient_id, str(form.get("workflow") or ""))
    except (NotFoundError, LookupError) as exc:
        raise NotFoundException(str(exc)) from exc
    return _to(consent_id)


@get("/consents/{consent_id:int}", name="consent", opt=OPT)
async def show(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    flow, case = await _case(request, consent_id)
    return await _consent_page(request, flow, case)


@post("/consents/{consent_id:int}", name="consent-post", opt=OPT)
async def save(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    """Save the clinician part; with ``_action=link`` also open a signing link."""
    flow, case = await _case(request, consent_id)
    sub = await read_submission(request, case.form)
    who = actor(request)
    try:
        ev = await blocking(flow.save_clinician, who, case, sub.raw, request.state.locale)
    except SigningRefused as refused:
        return await _consent_page(request, flow, case, status_code=409, error=refused.message)
    case = await blocking(flow.load, who, consent_id)
    if flow.clinician_errors(case, ev):
        return await _consent_page(request, flow, case, status_code=422, view=FormView(ev, show_all_errors=True),
                                   error=request.state.translations.gettext("Complete the marked answers first."))
    if sub.button != "link":
        return _to(consent_id)
    return await _open_link(request, flow, case)


async def _open_link(request: Request[Any, Any, Any], flow: ConsentFlow, case: ConsentCase) -> Response[Any]:
    minutes = request.app.state.settings.signing_link_minutes
    try:
        token, roles = await blocking(flow.open_link, actor(request), case, minutes)
    except SigningRefused as refused:
        return await _consent_page(request, flow, case, status_code=409, error=refused.message)
    url = absolute(request, f"/kiosk/{case.id}/{token}")
    response = await _consent_page(request, flow, case, link_url=url, link_qr=qr_svg(url), link_roles=roles,
                                   link_minutes=minutes)
    response.headers["Cache-Control"] = "no-store"
    return response


@post("/consents/{consent_id:int}/link", name="consent-link", opt=OPT)
async def open_link(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    flow, case = await _case(request, consent_id)
    return await _open_link(request, flow, case)


@post("/consents/{consent_id:int}/countersign", name="consent-countersign", opt=OPT)
async def countersign_post(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    flow, case = await _case(request, consent_id)
    post_ = await signing_post(request, "clinician", [])
    try:
        await blocking(countersign, flow, actor(request), consent_id, post_)
    except SigningRefused as refused:
        return await _consent_page(request, flow, case, status_code=422 if refused.code in FIXABLE else 409,
                                   error=refusal_message(request, refused))
    return _to(consent_id)


@post("/consents/{consent_id:int}/withdraw", name="consent-withdraw", opt=OPT)
async def withdraw(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    flow, case = await _case(request, consent_id)
    form = await request.form()
    try:
        await blocking(flow.withdraw, actor(request), consent_id, str(form.get("reason") or ""))
    except (TransitionRefused, SigningRefused) as refused:
        tr = request.state.translations
        message = tr.gettext("Say why the consent is withdrawn.") if refused.code == "reason_required" else refused.message
        return await _consent_page(request, flow, case, status_code=422, error=message, withdraw_error=message)
    return _to(consent_id)


@post("/consents/{consent_id:int}/reconsent", name="consent-reconsent", opt=OPT)
async def reconsent(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    """A new consent of the newest version, starting from the old clinician part."""
    flow, case = await _case(request, consent_id)
    new_id = await blocking(flow.start, actor(request), case.patient.id, case.workflow.id, answers=case.answers)
    return _to(new_id)


@post("/consents/{consent_id:int}/copy", name="consent-copy", opt=OPT)
async def copy_link(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[Any]:
    """A short-lived link (and QR code) for the patient to download their copy."""
    flow, case = await _case(request, consent_id)
    minutes = request.app.state.settings.signing_link_minutes
    try:
        token = await blocking(flow.store.signing.copy_link, actor(request), consent_id, minutes=minutes)
    except SigningRefused as refused:
        return await _consent_page(request, flow, case, status_code=409, error=refused.message)
    url = absolute(request, f"/kiosk/{consent_id}/{token}/copy.pdf")
    response = await _consent_page(request, flow, case, copy_url=url, copy_qr=qr_svg(url), link_minutes=minutes)
    response.headers["Cache-Control"] = "no-store"
    return response


@get("/consents/{consent_id:int}/snapshot.pdf", name="consent-pdf", opt=OPT)
async def snapshot_pdf(request: Request[Any, Any, Any], consent_id: FromPath[int]) -> Response[bytes]:
    flow, case = await _case(request, consent_id)
    return await pdf_response(request, flow, actor(request), case)


async def pdf_response(request: Request[Any, Any, Any], flow: ConsentFlow, who: Actor, case: ConsentCase) -> Response[bytes]:
    """The stored snapshot, checked against its hash on the way out (audited as an export)."""
    digest = case.instance.pdf_sha256
    if digest is None:
        raise NotFoundException("this consent has no signed PDF yet")
    _, data = await blocking(flow.store.files.get, who, digest, patient_id=case.patient.id)
    await blocking(flow.store.record, who, "export", "consent", case.id, patient_id=case.patient.id, pdf_sha256=digest)
    name = f"consent-{case.id}-{case.patient.mrn}.pdf"
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition(name), "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


ROUTES = [consents, panel, start, show, save, open_link, countersign_post, withdraw, reconsent, copy_link, snapshot_pdf]
