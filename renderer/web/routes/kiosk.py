"""The kiosk / tablet signing pages: public, reachable only through a one-time link.

    GET  /kiosk/{consent}/{token}           choose a language, then read, answer and sign
    POST /kiosk/{consent}/{token}           the signature (the link is used up)
    GET  /kiosk/{consent}/{token}/done      after the last signature: download your copy
    GET  /kiosk/{consent}/{token}/copy.pdf  the signed PDF (a short-lived copy link)
    GET  /kiosk/thanks                      hand the device back

No clinic chrome and no way to anything else: the link's token is the only credential and
names one patient's consent. Viewing never changes anything; a refused post stores nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from engine.consent_signing import (
    ANSWERING,
    AnswersRefused,
    KioskStep,
    kiosk_actor,
    kiosk_step,
    sign_on_kiosk,
)
from engine.consents import KIOSK_ROLES
from engine.store import NotFoundError
from engine.store.signing import SigningRefused, check_copy
from renderer.web.i18n import native_name, translations
from renderer.web.permissions import SIGNING_TOKEN
from renderer.web.routes.consents import (
    FIXABLE,
    consent_flow,
    pdf_response,
    refusal_message,
    signing_page_context,
    signing_post,
)
from renderer.web.services import blocking
from renderer.web.views import page

OPT = SIGNING_TOKEN
#: refusal code -> HTTP status of the refusal page
STATUS = {"token_unknown": 404, "token_other_patient": 403, "withdrawn": 409, "already_signed": 409}
#: refusals the signer can put right on the same page (the link stays valid)
ON_PAGE = FIXABLE | {"role_not_expected"}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def N_(message: str) -> str:
    return message


STEP_TITLES = {
    "patient": N_("The patient reads and signs"), "guardian": N_("The parent or legal guardian reads and signs"),
    "interpreter": N_("The interpreter signs"), "witness": N_("The witness signs"),
}
SIGN_TITLES = {
    "patient": N_("Patient's signature"), "guardian": N_("Parent or guardian's signature"),
    "interpreter": N_("Interpreter's signature"), "witness": N_("Witness's signature"),
}


def _ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def _speak(request: Request[Any, Any, Any], locale: str) -> None:
    """Show the page's own words in the signer's language, whatever the browser asked for."""
    request.state.locale = locale
    request.state.translations = translations(request.app.state.settings.locale_dir, locale)


def _refused(request: Request[Any, Any, Any], refused: SigningRefused) -> Response[Any]:
    response = page(request, "kiosk/refused.html", status_code=STATUS.get(refused.code, 410), code=refused.code,
                    message=refusal_message(request, refused))
    response.headers.update(HEADERS)
    return response


def _choices(step: KioskStep) -> list[tuple[str, str]]:
    return [(code, native_name(code)) for code in step.case.form.locales]


def _sign_page(request: Request[Any, Any, Any], step: KioskStep, token: str, lang: str, *, status_code: int = 200,
               error: str = "", errors: dict[str, list[str]] | None = None, answers: dict[str, Any] | None = None,
               name: str = "", relation: str = "") -> Response[Any]:
    _speak(request, lang)
    tr = request.state.translations
    case = step.case
    answering = step.role in ANSWERING
    before = [r for r in case.signed_roles() if r in KIOSK_ROLES and r not in step.link.roles]
    roles = before + list(step.link.roles)
    patient = case.patient
    shown = f"{patient.given_name_ar or ''} {patient.family_name_ar or ''}".strip() if lang == "ar" else ""
    response = page(
        request, "kiosk/sign.html", status_code=status_code, **signing_page_context(case, step.role, lang),
        form=case.form, answering=answering, answers=(answers or {}) if answering else consent_flow(request).final_answers(case),
        errors=errors or {},
        lang=lang, choices=_choices(step), action=f"/kiosk/{case.id}/{token}", error=error,
        patient_name=shown or f"{patient.given_name} {patient.family_name}", signer_name=name, relation=relation,
        step_text=tr.gettext("Step %(n)s of %(total)s") % {"n": roles.index(step.role) + 1, "total": len(roles)}
        + " · " + tr.gettext(STEP_TITLES.get(step.role, step.role)),
        sign_title=tr.gettext(SIGN_TITLES.get(step.role, step.role)),
    )
    response.headers.update(HEADERS)
    return response


@get("/kiosk/{consent_id:int}/{token:str}", name="kiosk", opt=OPT)
async def view(request: Request[Any, Any, Any], consent_id: FromPath[int], token: FromPath[str]) -> Response[Any]:
    flow = consent_flow(request)
    try:
        step = await blocking(kiosk_step, flow, token, consent_id, _ip(request))
    except SigningRefused as refused:
        return _refused(request, refused)
    lang = request.query_params.get("lang") or step.link.language
    if lang not in step.case.form.locales:
        response = page(request, "kiosk/language.html", patient=step.case.patient, choices=_choices(step))
        response.headers.update(HEADERS)
        return response
    await blocking(flow.store.record, step.actor, "read", "consent", consent_id, patient_id=step.case.patient.id,
                   step="kiosk_view", role=step.role, language=lang)
    return _sign_page(request, step, token, lang)


@post("/kiosk/{consent_id:int}/{token:str}", name="kiosk-sign", opt=OPT)
async def sign(request: Request[Any, Any, Any], consent_id: FromPath[int], token: FromPath[str]) -> Response[Any]:
    flow = consent_flow(request)
    try:
        step = await blocking(kiosk_step, flow, token, consent_id, _ip(request))
    except SigningRefused as refused:
        return _refused(request, refused)
    questions = [q.id for q in step.case.layout.questions()]
    form = await request.form()
    signing = await signing_post(request, str(form.get("role") or step.role), questions)
    lang = signing.language if signing.language in step.case.form.locales else step.case.form.locales[0]
    again: dict[str, Any] = {"answers": {k: v == "true" for k, v in signing.answers.items()}, "name": signing.name,
             "relation": signing.relation or ""}
    minutes = request.app.state.settings.signing_link_minutes
    try:
        signed = await blocking(sign_on_kiosk, flow, token, consent_id, signing, _ip(request), minutes)
    except AnswersRefused as refused:
        _speak(request, lang)
        return _sign_page(request, step, token, lang, status_code=422, errors=refused.errors,
                          error=refusal_message(request, refused), **again)
    except SigningRefused as refused:
        _speak(request, lang)
        if refused.code not in ON_PAGE:
            return _refused(request, refused)
        fresh = await blocking(kiosk_step, flow, token, consent_id, _ip(request))
        return _sign_page(request, fresh, token, lang, status_code=422, error=refusal_message(request, refused), **again)
    if signed.next_token:
        return Redirect(f"/kiosk/{consent_id}/{signed.next_token}", status_code=HTTP_303_SEE_OTHER, headers=HEADERS)
    if signed.completed:
        copy = await blocking(flow.store.signing.copy_link, step.actor, consent_id, minutes=minutes)
        return Redirect(f"/kiosk/{consent_id}/{copy}/done?lang={lang}", status_code=HTTP_303_SEE_OTHER, headers=HEADERS)
    return Redirect(f"/kiosk/thanks?lang={lang}", status_code=HTTP_303_SEE_OTHER, headers=HEADERS)


async def _copy(request: Request[Any, Any, Any], consent_id: int, token: str) -> Any:
    flow = consent_flow(request)
    link = await blocking(flow.store.signing.find_link, token)
    try:
        check_copy(link, consent_id, flow.clock())
        assert link is not None
        case = await blocking(flow.load, kiosk_actor(link.clinic_id, _ip(request)), consent_id)
    except NotFoundError:
        return _refused(request, SigningRefused("token_other_patient", "This link belongs to another patient's consent."))
    except SigningRefused as refused:
        return _refused(request, refused)
    return flow, case, kiosk_actor(link.clinic_id, _ip(request))


@get("/kiosk/{consent_id:int}/{token:str}/done", name="kiosk-done", opt=OPT)
async def done(request: Request[Any, Any, Any], consent_id: FromPath[int], token: FromPath[str]) -> Response[Any]:
    found = await _copy(request, consent_id, token)
    if isinstance(found, Response):
        return found
    response = page(request, "kiosk/thanks.html", copy_url=f"/kiosk/{consent_id}/{token}/copy.pdf")
    response.headers.update(HEADERS)
    return response


@get("/kiosk/{consent_id:int}/{token:str}/copy.pdf", name="kiosk-copy", opt=OPT)
async def copy(request: Request[Any, Any, Any], consent_id: FromPath[int], token: FromPath[str]) -> Response[Any]:
    found = await _copy(request, consent_id, token)
    if isinstance(found, Response):
        return found
    flow, case, who = found
    return await pdf_response(request, flow, who, case)


@get("/kiosk/thanks", name="kiosk-thanks", opt=OPT)
async def thanks(request: Request[Any, Any, Any]) -> Response[Any]:
    response = page(request, "kiosk/thanks.html", copy_url="")
    response.headers.update(HEADERS)
    return response


ROUTES = [view, sign, done, copy, thanks]
