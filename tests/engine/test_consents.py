"""Consents without HTTP: the parts of a consent form, the text shown and its hash, and a
consent's whole journey (link, signatures, guardian, countersignature, completion,
withdrawal) with every refusal leaving nothing behind."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.catalog import Catalog
from engine.consent_flow import ConsentFlow, consent_workflows
from engine.consent_signing import (
    AnswersRefused,
    SigningPost,
    countersign,
    kiosk_step,
    shown_sha256,
    sign_on_kiosk,
)
from engine.consent_status import summaries
from engine.consents import canonical, layout, shown_text, text_sha256
from engine.packs import load
from engine.store import Actor, Database, PatientRecord, Store, upgrade
from engine.store.models import AuditEvent, ConsentRecord, StoredFile
from engine.store.signing import SigningRefused
from engine.store.signing_models import ConsentSignature
from engine.workflow_runtime import TransitionRefused

ROOT = Path(__file__).resolve().parents[2]
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"drawn").decode()
STROKES = json.dumps([{"points": [{"x": 1, "y": 2, "time": 0, "pressure": 0.5}]}])
EXTRACTION = {"teeth": ["55"], "extraction_type": "simple", "anaesthesia": "local",
              "risks_discussed": ["pain_swelling", "bleeding", "infection", "dry_socket"]}
QUESTIONS = {"read_in_own_language": "true", "understood_risks": "true", "questions_answered": "true",
             "no_guarantee": "true", "can_withdraw": "true", "intent_to_sign": "true"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    assert result.ok
    return result.catalog


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture()
def world(tmp_path: Path, catalog: Catalog) -> Iterator[tuple[ConsentFlow, Actor, Clock]]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(db)
    clock = Clock()
    store = Store(db, clock=clock)
    clinic = store.accounts.create_clinic("c", "Clinic", None)
    user = store.accounts.create_user(Actor.system(clinic.id), "dr", "a-long-password", "Dr Huda", ("clinician",))
    actor = Actor(user.id, "clinician", clinic.id, "10.0.0.1")

    def snapshot(who: Actor, document_id: int, languages: str, evidence: Mapping[str, Any]) -> str:
        data = json.dumps({"document": document_id, "languages": languages, **evidence}).encode()
        return store.files.put(who, data, "application/pdf").sha256

    yield ConsentFlow(store, catalog, snapshot, clock), actor, clock
    db.dispose()


def _patient(flow: ConsentFlow, actor: Actor, birth: str, mrn: str = "P-1") -> PatientRecord:
    return flow.store.patients.create(actor, mrn=mrn, given_name="Noor", family_name="Haddad", sex="female",
                                      birth_date=dt.date.fromisoformat(birth))


def _post(flow: ConsentFlow, consent_id: int, actor: Actor, role: str, language: str = "ar", **kw: Any) -> SigningPost:
    case = flow.load(actor, consent_id)
    fields: dict[str, Any] = {"role": role, "language": language, "shown_sha256": shown_sha256(case, role, language),
                              "name": f"{role} name", "image_data_url": PNG, "strokes": STROKES,
                              "answers": dict(QUESTIONS) if role in ("patient", "guardian") else {}}
    fields.update(kw)
    return SigningPost(**fields)


def _counts(flow: ConsentFlow) -> tuple[int, ...]:
    with flow.store.db.engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(m)).scalar_one()) for m in (ConsentSignature, StoredFile, ConsentRecord))


def _started(flow: ConsentFlow, actor: Actor, patient: PatientRecord) -> int:
    consent = flow.start(actor, patient.id, "dental.extraction_consent")
    flow.save_clinician(actor, flow.load(actor, consent), EXTRACTION)
    return consent


def test_the_parts_and_the_text_of_every_shipped_consent(catalog: Catalog) -> None:
    assert [w.id for w in consent_workflows(catalog)] == [
        "cardiology.cath_consent", "core.general_consent", "dental.extraction_consent", "dental.implant_consent"]
    extraction = layout(catalog.form("dental.extraction_consent_form"))  # type: ignore[arg-type]
    assert [i.id for i in extraction.clinician] == ["clinician_part"]
    assert list(extraction.signers) == ["patient", "guardian", "interpreter", "clinician"]
    assert extraction.signers["guardian"].relation.id == "guardian_relationship"  # type: ignore[union-attr]
    assert [f.id for f in extraction.signers["interpreter"].flags] == ["interpreter_used"]
    lower = shown_text(extraction, {"teeth": ["46"]}, {"birth_date": "1980-01-01"}, "en")
    upper = shown_text(extraction, {"teeth": ["26"]}, {"birth_date": "1980-01-01"}, "en")
    assert "text_risk_sinus" in {b.item_id for b in upper} and "text_risk_sinus" not in {b.item_id for b in lower}
    assert text_sha256(lower) != text_sha256(upper)
    arabic = shown_text(extraction, {"teeth": ["46"]}, {}, "ar")
    assert arabic[0].text == "الموافقة على قلع الأسنان" and text_sha256(arabic) != text_sha256(lower)
    joined = "\n".join(canonical(b.text) for b in arabic).encode()
    assert text_sha256(arabic) == hashlib.sha256(joined).hexdigest()
    assert canonical("  a \n\t b ") == "a b"


def test_a_minor_signs_with_a_guardian_and_the_clinician_countersigns(world: tuple[ConsentFlow, Actor, Clock]) -> None:
    flow, actor, clock = world
    patient = _patient(flow, actor, (dt.date.today() - dt.timedelta(days=16 * 365)).isoformat())  # a minor on any day
    consent = _started(flow, actor, patient)
    token, roles = flow.open_link(actor, flow.load(actor, consent), minutes=10)
    assert roles == ["patient", "guardian"]
    assert kiosk_step(flow, token, consent, "10.0.0.9").role == "patient"
    signed = sign_on_kiosk(flow, token, consent, _post(flow, consent, actor, "patient"), "10.0.0.9", 10)
    assert signed.next_token and not signed.completed and signed.case.missing() == ["guardian", "clinician"]
    with pytest.raises(SigningRefused) as early:
        countersign(flow, actor, consent, _post(flow, consent, actor, "clinician", "en"))
    assert early.value.code == "patient_side_first"
    guardian = _post(flow, consent, actor, "guardian", relation="mother", name="Mona Haddad")
    signed = sign_on_kiosk(flow, signed.next_token, consent, guardian, "10.0.0.9", 10)
    assert signed.next_token is None and signed.case.missing() == ["clinician"]
    done = countersign(flow, actor, consent, _post(flow, consent, actor, "clinician", "en", name="Dr Huda"))
    assert done.completed and done.case.instance.state == "signed"
    assert done.case.instance.expires_at == clock.now.replace(month=9)
    assert done.case.document.document.status == "signed"
    answers = done.case.document.document.answers
    assert answers["guardian_name"] == "Mona Haddad" and answers["guardian_relationship"] == "mother"
    assert answers["patient_signature"]["signer"] == "patient name"
    [given] = flow.store.signing.events(actor, consent)
    assert given.event == "given" and given.language == "ar" and given.pdf_sha256 == done.case.instance.pdf_sha256
    assert given.text_sha256 == shown_sha256(done.case, "patient", "ar")
    _, pdf = flow.store.files.get(actor, given.pdf_sha256)  # type: ignore[arg-type]
    evidence = json.loads(pdf)
    assert evidence["languages"] == "ar" and [s["role"] for s in evidence["signers"]] == ["patient", "guardian", "clinician"]
    assert evidence["signers"][0]["ip"] == "10.0.0.9" and evidence["signers"][2]["user_id"] == actor.user_id


def test_refusals_store_nothing(world: tuple[ConsentFlow, Actor, Clock]) -> None:
    flow, actor, clock = world
    patient = _patient(flow, actor, "1980-01-15")
    other = _patient(flow, actor, "1990-05-05", "P-2")
    consent = _started(flow, actor, patient)
    other_consent = _started(flow, actor, other)
    token, _ = flow.open_link(actor, flow.load(actor, consent), minutes=10)
    other_token, _ = flow.open_link(actor, flow.load(actor, other_consent), minutes=10)
    good = _post(flow, consent, actor, "patient")
    before = _counts(flow)

    def refused(code: str, fn: Any, *args: Any) -> None:
        with pytest.raises(SigningRefused) as caught:
            fn(*args)
        assert caught.value.code == code, caught.value.message
        assert caught.value.message
        assert _counts(flow) == before

    refused("token_unknown", sign_on_kiosk, flow, "forged", consent, good, None, 10)
    refused("token_other_patient", sign_on_kiosk, flow, other_token, consent, good, None, 10)
    refused("text_changed", sign_on_kiosk, flow, token, consent, _post(flow, consent, actor, "patient", shown_sha256="0" * 64), None, 10)
    refused("signature_missing", sign_on_kiosk, flow, token, consent, _post(flow, consent, actor, "patient", strokes="[]"), None, 10)
    refused("signature_missing", sign_on_kiosk, flow, token, consent, _post(flow, consent, actor, "patient", image_data_url=""), None, 10)
    refused("name_required", sign_on_kiosk, flow, token, consent, _post(flow, consent, actor, "patient", name=" "), None, 10)
    with pytest.raises(AnswersRefused) as answers:
        sign_on_kiosk(flow, token, consent, _post(flow, consent, actor, "patient", answers={**QUESTIONS, "intent_to_sign": "false"}), None, 10)
    assert list(answers.value.errors) == ["intent_to_sign"]
    clock.now += dt.timedelta(minutes=11)
    refused("token_expired", sign_on_kiosk, flow, token, consent, good, None, 10)
    clock.now -= dt.timedelta(minutes=11)
    sign_on_kiosk(flow, token, consent, good, None, 10)
    before = _counts(flow)
    refused("token_used", sign_on_kiosk, flow, token, consent, good, None, 10)
    fresh, _ = flow.open_link(actor, flow.load(actor, other_consent), minutes=10)
    flow.withdraw(actor, other_consent, "the patient wants to think about it")
    before = _counts(flow)
    refused("withdrawn", sign_on_kiosk, flow, fresh, other_consent, _post(flow, other_consent, actor, "patient"), None, 10)
    refused("withdrawn", countersign, flow, actor, other_consent, _post(flow, other_consent, actor, "clinician"))


def test_withdrawal_is_a_new_record_and_needs_a_reason(world: tuple[ConsentFlow, Actor, Clock]) -> None:
    flow, actor, _ = world
    patient = _patient(flow, actor, "1980-01-15")
    consent = _started(flow, actor, patient)
    token, roles = flow.open_link(actor, flow.load(actor, consent), minutes=10)
    assert roles == ["patient"]
    sign_on_kiosk(flow, token, consent, _post(flow, consent, actor, "patient", "en"), None, 10)
    done = countersign(flow, actor, consent, _post(flow, consent, actor, "clinician", "en"))
    assert done.completed
    with pytest.raises(TransitionRefused) as no_reason:
        flow.withdraw(actor, consent, "  ")
    assert no_reason.value.code == "reason_required"
    withdrawn = flow.withdraw(actor, consent, "changed her mind")
    assert withdrawn.instance.state == "withdrawn"
    given, withdrawal = flow.store.signing.events(actor, consent)
    assert (given.event, withdrawal.event, withdrawal.supersedes_id, withdrawal.reason) == ("given", "withdrawn", given.id, "changed her mind")
    with flow.store.db.engine.connect() as conn:
        details = conn.execute(select(AuditEvent.detail).where(AuditEvent.action == "consent")).scalars()
        steps = [d.get("step") or d["event"] for d in details]
    assert steps == ["started", "link_opened", "signed", "signed", "given", "completed", "refused", "withdrawn", "withdrawn"], steps


def test_status_signed_expired_replaced_and_history(world: tuple[ConsentFlow, Actor, Clock]) -> None:
    flow, actor, clock = world
    patient = _patient(flow, actor, "1980-01-15")
    first = _started(flow, actor, patient)
    token, _ = flow.open_link(actor, flow.load(actor, first), minutes=10)
    sign_on_kiosk(flow, token, first, _post(flow, first, actor, "patient", "en"), "10.0.0.5", 10)
    [awaiting] = summaries(flow, actor, patient.id)
    assert awaiting.status == "awaiting" and [h.step for h in awaiting.history] == ["started", "link_opened", "signed"]
    countersign(flow, actor, first, _post(flow, first, actor, "clinician", "en"))
    [signed] = summaries(flow, actor, patient.id)
    assert signed.status == "signed" and signed.active and signed.given is not None
    clock.now += dt.timedelta(days=200)
    [expired] = summaries(flow, actor, patient.id)
    assert expired.status == "expired" and not expired.active
    second = flow.start(actor, patient.id, "dental.extraction_consent", answers=flow.load(actor, first).answers)
    assert flow.load(actor, second).answers["teeth"] == ["55"]
    token, _ = flow.open_link(actor, flow.load(actor, second), minutes=10)
    sign_on_kiosk(flow, token, second, _post(flow, second, actor, "patient", "en"), None, 10)
    countersign(flow, actor, second, _post(flow, second, actor, "clinician", "en"))
    newest, older = summaries(flow, actor, patient.id)
    assert (newest.id, newest.status) == (second, "signed") and (older.status, older.replaced_by) == ("replaced", second)
