"""One signature: on a kiosk through a one-time link, or a clinician's countersignature.

Every check happens before anything is written: the link (valid, this consent, unused,
not expired), the consent's state (not withdrawn or signed), the text the page showed (the
posted SHA-256 must equal the hash the server computes from the definition, the
clinician's answers and the language), the signer's answers, name and relation, and the
drawn signature (a PNG and at least one stroke). A refusal raises `SigningRefused` with a
message for the person at the device and is audited; nothing else is stored.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from engine.consent_flow import ConsentCase, ConsentFlow
from engine.consents import Block, canonical, shown_text, text_sha256
from engine.store import Actor, NotFoundError
from engine.store.signing import SigningRefused, check_link
from engine.store.signing_models import NewSignature, SigningSessionRecord

#: who answers the understanding questions and the intent statement when they sign
ANSWERING = ("patient", "guardian")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE = 512 * 1024
MAX_STROKES = 1024 * 1024


class AnswersRefused(SigningRefused):
    """The signer's answers do not allow signing; ``errors``: item path -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("answers", "Some answers are missing or do not allow signing; see the marked questions.")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SigningPost:
    """What a signing page posts."""

    role: str
    language: str
    shown_sha256: str
    name: str
    image_data_url: str
    strokes: str = ""
    relation: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class KioskStep:
    case: ConsentCase
    link: SigningSessionRecord
    role: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class Signed:
    case: ConsentCase
    #: the one-time link of the next signer on the same device
    next_token: str | None
    completed: bool


def kiosk_actor(clinic_id: int, ip: str | None) -> Actor:
    return Actor(user_id=None, role="patient-signing", clinic_id=clinic_id, ip=ip)


def kiosk_step(flow: ConsentFlow, token: str, consent_id: int, ip: str | None) -> KioskStep:
    """Who signs next through this link, or SigningRefused (audited) saying why no one can."""
    link = flow.store.signing.find_link(token)
    if link is None:
        raise SigningRefused("token_unknown", "This signing link is not valid. Ask the clinic for a new one.")
    actor = kiosk_actor(link.clinic_id, ip)
    try:
        case = flow.load(actor, consent_id)
    except NotFoundError:
        _refused(flow, actor, link.consent_id, link.patient_id, "token_other_patient")
        raise SigningRefused("token_other_patient", "This signing link belongs to another patient's consent; it cannot be used here.") from None
    try:
        check_link(link, consent_id, case.instance.state, flow.clock())
    except SigningRefused as refused:
        _refused(flow, actor, consent_id if refused.code != "token_other_patient" else link.consent_id, link.patient_id, refused.code)
        raise
    role = next((r for r in link.roles if r not in case.signed_roles()), None)
    if role is None:
        raise SigningRefused("token_used", "Everyone this link was for has signed.")
    return KioskStep(case, link, role, actor)


def shown_sha256(case: ConsentCase, role: str, language: str) -> str:
    return text_sha256(page_text(case, role, language))


def page_text(case: ConsentCase, role: str, language: str) -> tuple[Block, ...]:
    """The blocks a ``role`` signer's page shows (a signer section's own statements last)."""
    blocks = shown_text(case.layout, case.answers, case.patient_context, language)
    section = case.layout.signers.get(role)
    extra = tuple(Block("paragraph", s.id, canonical(s.text.get(language))) for s in section.statements) if section else ()
    return (*blocks, *extra)


def check_post(case: ConsentCase, post: SigningPost) -> NewSignature:
    """The signature to store, or SigningRefused naming the first thing that is wrong."""
    if post.language not in case.form.locales:
        raise SigningRefused("language", f"the consent is not available in '{post.language}'")
    if post.shown_sha256 != shown_sha256(case, post.role, post.language):
        raise SigningRefused("text_changed", "The consent text on this page is not the text on record. Reload the page, read it again and sign.")
    section = case.layout.signers.get(post.role)
    if section is None:
        raise SigningRefused("role_not_expected", f"this consent has no {post.role} signature")
    answers = _answers(case, post) if post.role in ANSWERING else {}
    if not post.name.strip():
        raise SigningRefused("name_required", "Type the signer's full name.")
    relation = (post.relation or "").strip() or None
    if section.relation is not None and (relation is None or section.relation.option(relation) is None):
        raise SigningRefused("relation_required", "Choose the signer's relationship to the patient.")
    image, strokes = _drawing(post)
    return NewSignature(
        role=post.role, name=post.name.strip()[:200], image_png=image, strokes_json=strokes, language=post.language,
        text_sha256=post.shown_sha256, answers=answers, definition_version_id=case.document.document.definition_version_id,
        relation=relation, user_agent=post.user_agent,
    )


def _answers(case: ConsentCase, post: SigningPost) -> dict[str, Any]:
    questions = {q.id for q in case.layout.questions()}
    given = {k: v for k, v in post.answers.items() if k in questions}
    ev = case.evaluate({**case.answers, **given}, post.language)
    errors = {p: [e.message for e in found] for p, found in ev.errors.items() if p in questions}
    if errors:
        raise AnswersRefused(errors)
    return {k: v for k, v in ev.answers_json().items() if k in questions}


def _drawing(post: SigningPost) -> tuple[bytes, bytes]:
    missing = SigningRefused("signature_missing", "Sign in the box with your finger, a pen or the mouse.")
    head, _, data = post.image_data_url.partition(",")
    if head != "data:image/png;base64" or len(data) > MAX_IMAGE * 4 // 3 + 4:
        raise missing
    try:
        image = base64.b64decode(data, validate=True)
        strokes = json.loads(post.strokes) if len(post.strokes) <= MAX_STROKES else None
    except (binascii.Error, ValueError):
        raise missing from None
    if not image.startswith(PNG_MAGIC) or not isinstance(strokes, list) or not any(
        isinstance(s, dict) and s.get("points") for s in strokes
    ):
        raise missing
    return image, json.dumps(strokes, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _refused(flow: ConsentFlow, actor: Actor, consent_id: int | None, patient_id: int | None, code: str) -> None:
    with contextlib.suppress(NotFoundError):
        flow.store.signing.refused(actor, consent_id, patient_id, code)


def sign_on_kiosk(flow: ConsentFlow, token: str, consent_id: int, post: SigningPost, ip: str | None,
                  minutes: float) -> Signed:
    """Store a kiosk signer's signature; the next signer on this device gets a new link."""
    step = kiosk_step(flow, token, consent_id, ip)
    if post.role != step.role:
        _refused(flow, step.actor, consent_id, step.case.patient.id, "role_not_expected")
        raise SigningRefused("role_not_expected", f"This link now asks for the {step.role}'s signature; reload the page.")
    return _store(flow, step.actor, step.case, post, token=token, following=[r for r in step.link.roles if r != post.role],
                  minutes=minutes)


def countersign(flow: ConsentFlow, actor: Actor, consent_id: int, post: SigningPost) -> Signed:
    """The clinician's countersignature, once everyone on the patient's side has signed."""
    case = flow.load(actor, consent_id)
    if case.instance.state != case.workflow.initial:
        error = SigningRefused("withdrawn" if case.instance.state == "withdrawn" else "already_signed",
                               f"The consent is {case.instance.state}; it cannot be signed.")
        _refused(flow, actor, consent_id, case.patient.id, error.code)
        raise error
    waiting = [r for r in case.missing() if r != "clinician"]
    if waiting:
        _refused(flow, actor, consent_id, case.patient.id, "patient_side_first")
        raise SigningRefused("patient_side_first", f"Waiting for: {', '.join(waiting)}. Countersign after they have signed.")
    return _store(flow, actor, case, post, token=None, following=[], minutes=0)


def _store(flow: ConsentFlow, actor: Actor, case: ConsentCase, post: SigningPost, *, token: str | None,
           following: list[str], minutes: float) -> Signed:
    try:
        signature = check_post(case, post)
    except SigningRefused as refused:
        _refused(flow, actor, case.id, case.patient.id, refused.code)
        raise
    needed = set(case.missing()) - {post.role}
    next_roles = [r for r in following if r in needed and r not in case.signed_roles()]
    _, next_token = flow.store.signing.sign(actor, case.id, signature, token=token, next_roles=next_roles,
                                            minutes=minutes)
    completed = flow.complete(actor, case.id)
    return Signed(completed or flow.load(actor, case.id), next_token, completed is not None)
