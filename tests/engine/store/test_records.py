"""Files, alert log, consent records and account sign-in."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from engine.store import Actor, DuplicateError, IntegrityViolation, NotFoundError, Store
from engine.store.models import AuditEvent
from engine.store.records import PatientRecord


def test_files_are_content_addressed_and_checked_on_read(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    data = b"%PDF-1.7 signed consent"
    first = store.files.put(actor, data, "application/pdf", patient_id=patient.id)
    again = store.files.put(actor, data, "application/pdf")
    assert first == again and first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    record, content = store.files.get(actor, first.sha256, patient_id=patient.id)
    assert (record, content) == (first, data)
    outsider = Actor(None, "clinician", store.accounts.create_clinic("south", "South").id)
    with pytest.raises(NotFoundError):
        store.files.get(outsider, first.sha256)
    with store.db.engine.begin() as conn:
        conn.execute(text("UPDATE files SET data = :d"), {"d": b"tampered"})
    with pytest.raises(IntegrityViolation, match="is corrupt"):
        store.files.get(actor, first.sha256)


def test_alert_log_records_what_happened_to_each_card(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    store.alerts.log(actor, rule_id="core.severe_htn", rule_version="1.0.0", severity="critical",
                     summary="BP 190/120", action="shown", patient_id=patient.id)
    with pytest.raises(ValueError, match="needs a reason"):
        store.alerts.log(actor, rule_id="core.severe_htn", rule_version="1.0.0", severity="critical",
                         summary="BP 190/120", action="overridden", patient_id=patient.id)
    store.alerts.log(actor, rule_id="core.severe_htn", rule_version="1.0.0", severity="critical",
                     summary="BP 190/120", action="overridden", reason="already treated",
                     patient_id=patient.id, detail={"systolic": 190})
    log = store.alerts.for_patient(actor, patient.id)
    assert [(a.action, a.reason) for a in log] == [("shown", None), ("overridden", "already treated")]
    with pytest.raises(ValueError, match="unknown severity"):
        store.alerts.log(actor, rule_id="r", rule_version="1", severity="high", summary="s", action="shown")


def test_consent_withdrawal_is_a_new_record(store: Store, actor: Actor, patient: PatientRecord) -> None:
    given = store.consents.record(actor, patient_id=patient.id, event="given", text_version="1.0",
                                  language="en", text_sha256="b" * 64, method="mouse",
                                  signers=[{"name": "A", "role": "patient"}])
    with pytest.raises(ValueError, match="must name the consent it withdraws"):
        store.consents.record(actor, patient_id=patient.id, event="withdrawn", text_version="1.0",
                              language="en", text_sha256="b" * 64, method="verbal", signers=[])
    store.consents.record(actor, patient_id=patient.id, event="withdrawn", text_version="1.0",
                          language="en", text_sha256="b" * 64, method="verbal", signers=[],
                          supersedes_id=given, reason="changed mind")
    assert [(c.event, c.supersedes_id) for c in store.consents.for_patient(actor, patient.id)] == [
        ("given", None), ("withdrawn", given)]


def test_accounts_roles_and_audited_sign_in(store: Store, actor: Actor) -> None:
    user = store.accounts.create_user(actor, "Dr.Nour", "a long passphrase", "Dr Nour", ("clinician",))
    assert user.username == "dr.nour" and user.roles == {actor.clinic_id: ("clinician",)}
    with pytest.raises(DuplicateError, match="is taken"):
        store.accounts.create_user(actor, "DR.NOUR", "a long passphrase", "Dup")
    with pytest.raises(ValueError, match="too short"):
        store.accounts.create_user(actor, "x", "short", "X")
    with pytest.raises(ValueError, match="unknown role"):
        store.accounts.grant(actor, user.id, "superuser")
    store.accounts.grant(actor, user.id, "admin")
    assert store.accounts.user(user.id).roles[actor.clinic_id] == ("admin", "clinician")
    signed_in = store.accounts.authenticate(actor.clinic_id, " DR.NOUR ", "a long passphrase", ip="1.2.3.4")
    assert signed_in is not None and signed_in.id == user.id
    assert store.accounts.authenticate(actor.clinic_id, "dr.nour", "wrong passphrase!") is None
    assert store.accounts.authenticate(actor.clinic_id, "nobody", "a long passphrase") is None
    other = store.accounts.create_clinic("south", "South")
    assert store.accounts.authenticate(other.id, "dr.nour", "a long passphrase") is None  # no role there
    with store.db.transaction() as session:
        hash_ = session.execute(text("SELECT password_hash FROM users")).scalar_one()
        logins = [(e.action, e.ip) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("login", "login_failed"))).order_by(AuditEvent.seq))]
    assert hash_.startswith("$argon2id$")
    assert logins == [("login", "1.2.3.4"), ("login_failed", None), ("login_failed", None), ("login_failed", None)]
    store.accounts.revoke(actor, user.id, "admin")
    assert store.accounts.user(user.id).roles[actor.clinic_id] == ("clinician",)


def test_alerts_of_a_document_with_who_acted_and_the_inputs(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    from tests.engine.store.conftest import publish_form

    form = publish_form(store, actor, "core.medications")
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    other = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    # the patient is taken from the document when not given
    store.alerts.log(actor, rule_id="core.drug_allergy_conflict", rule_version="1.0.0", severity="critical",
                     summary="Allergy conflict", action="shown", document_id=doc.id, detail={"inputs_hash": "abc"})
    store.alerts.log(actor, rule_id="core.drug_allergy_conflict", rule_version="1.0.0", severity="critical",
                     summary="Allergy conflict", action="overridden", reason="Tolerated this drug before",
                     patient_id=patient.id, document_id=doc.id, detail={"inputs_hash": "abc", "reason_code": "tolerated-before"})
    store.alerts.log(actor, rule_id="core.x", rule_version="1", severity="info", summary="elsewhere",
                     action="shown", document_id=other.id)
    stranger = store.patients.create(actor, mrn="MRN-9", given_name="Other", family_name="Person")
    with pytest.raises(ValueError, match="not a document of patient"):
        store.alerts.log(actor, rule_id="r", rule_version="1", severity="info", summary="s", action="shown",
                         patient_id=stranger.id, document_id=doc.id)
    before = store.verify_audit().head_seq or 0
    log = store.alerts.for_document(actor, doc.id)
    assert [(a.action, a.reason, a.patient_id, (a.detail or {}).get("inputs_hash")) for a in log] == [
        ("shown", None, patient.id, "abc"), ("overridden", "Tolerated this drug before", patient.id, "abc")]
    with store.db.transaction() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.seq > before)))
    assert [(e.action, e.entity_type, e.patient_id) for e in events] == [("read", "alerts", patient.id)]
    outsider = Actor(None, "clinician", store.accounts.create_clinic("south", "South").id)
    with pytest.raises(NotFoundError):
        store.alerts.for_document(outsider, doc.id)
