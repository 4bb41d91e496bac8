"""Consent signing in the store, on both backends: one-time links (hash only, expiry, used
once, bound to one consent), signatures all-or-nothing, append-only signatures."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from engine.store import Actor, Database, Store
from engine.store.models import AuditEvent, StoredFile
from engine.store.records import DefinitionRecord, PatientRecord
from engine.store.signing import SigningRefused, token_hash
from engine.store.signing_models import ConsentSignature, NewSignature, SigningSession
from tests.engine.store.conftest import publish_form

PNG = b"\x89PNG\r\n\x1a\n" + b"signature"


def _consent(store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord) -> int:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    source = "id: core.general_consent"
    workflow = store.definitions.publish(actor, kind="workflow", def_id="core.general_consent", version="1.0.0",
                                         source_text=source, content_hash=hashlib.sha256(source.encode()).hexdigest())
    return store.signing.start(actor, patient_id=patient.id, document_id=doc.id, workflow_version_id=workflow.id,
                               workflow_id="core.general_consent", workflow_version="1.0.0", state="draft").id


def _signature(form: DefinitionRecord, role: str = "patient", image: bytes = PNG) -> NewSignature:
    return NewSignature(role=role, name="Ahmad Saleh", image_png=image, strokes_json=b"[[]]", language="ar",
                        text_sha256="b" * 64, answers={"intent_to_sign": True}, definition_version_id=form.id,
                        user_agent="test")


def _count(db: Database, model: type) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_link_is_stored_as_a_hash_and_used_once(store: Store, db: Database, actor: Actor, patient: PatientRecord,
                                                  form: DefinitionRecord) -> None:
    consent = _consent(store, actor, patient, form)
    token, link = store.signing.open_link(actor, consent, roles=("patient", "guardian"), minutes=5)
    with db.engine.connect() as conn:
        stored = conn.execute(select(SigningSession.token_sha256)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored
    assert store.signing.find_link(token) == link
    signed, following = store.signing.sign(actor, consent, _signature(form), token=token, next_roles=("guardian",))
    assert signed.role == "patient" and signed.ip == "10.0.0.7" and following is not None
    with pytest.raises(SigningRefused) as again:
        store.signing.sign(actor, consent, _signature(form, "guardian"), token=token)
    assert again.value.code == "token_used"
    store.signing.sign(actor, consent, _signature(form, "guardian"), token=following)
    assert [s.role for s in store.signing.signatures(actor, consent)] == ["patient", "guardian"]


def test_refusals_write_nothing(store: Store, db: Database, actor: Actor, patient: PatientRecord,
                                form: DefinitionRecord) -> None:
    consent = _consent(store, actor, patient, form)
    other_patient = store.patients.create(actor, mrn="MRN-2", given_name="Mona", family_name="Odeh", sex="female")
    other = _consent(store, actor, other_patient, form)
    token, _ = store.signing.open_link(actor, consent, roles=("patient",), minutes=5)
    other_token, _ = store.signing.open_link(actor, other, roles=("patient",), minutes=5)
    before = (_count(db, ConsentSignature), _count(db, StoredFile), _count(db, AuditEvent))
    for kwargs, code in [
        ({"token": "not-a-token"}, "token_unknown"),
        ({"token": other_token}, "token_other_patient"),
    ]:
        with pytest.raises(SigningRefused) as refused:
            store.signing.sign(actor, consent, _signature(form, image=b"other image"), **kwargs)
        assert refused.value.code == code
    with pytest.raises(SigningRefused) as wrong_role:
        store.signing.sign(actor, consent, _signature(form, "guardian"), token=token)
    assert wrong_role.value.code == "role_not_expected"
    assert (_count(db, ConsentSignature), _count(db, StoredFile), _count(db, AuditEvent)) == before
    assert store.signing.find_link(token).used_at is None  # type: ignore[union-attr]


def test_expired_revoked_and_withdrawn(store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord) -> None:
    now = dt.datetime.now(dt.UTC)
    consent = _consent(store, actor, patient, form)
    old, _ = store.signing.open_link(actor, consent, roles=("patient",), minutes=5)
    token, _ = store.signing.open_link(actor, consent, roles=("patient",), minutes=5)
    with pytest.raises(SigningRefused) as revoked:
        store.signing.sign(actor, consent, _signature(form), token=old)
    assert revoked.value.code == "token_revoked"
    late = Store(store.db, clock=lambda: now + dt.timedelta(minutes=6))
    with pytest.raises(SigningRefused) as expired:
        late.signing.sign(actor, consent, _signature(form), token=token)
    assert expired.value.code == "token_expired"
    store.signing.move(actor, consent, source=("draft",), target="withdrawn", step="withdrawn")
    with pytest.raises(SigningRefused) as withdrawn:
        store.signing.sign(actor, consent, _signature(form), token=token)
    assert withdrawn.value.code == "withdrawn"
    with pytest.raises(SigningRefused):
        store.signing.sign(actor, consent, _signature(form, "clinician"))
    with pytest.raises(SigningRefused) as moved:
        store.signing.move(actor, consent, source=("draft",), target="signed", step="signed")
    assert moved.value.code == "wrong_state"


def test_signatures_are_append_only(store: Store, db: Database, actor: Actor, patient: PatientRecord) -> None:
    form = publish_form(store, actor, "core.general_consent_form")
    consent = _consent(store, actor, patient, form)
    store.signing.sign(actor, consent, _signature(form, "clinician"))
    for statement in ("UPDATE consent_signatures SET name = 'x'", "DELETE FROM consent_signatures"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
