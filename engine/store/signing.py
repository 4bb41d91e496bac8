"""Consent signing in the store: workflow state, one-time links, signatures with evidence.

A signing link's token is random (256 bits) and only its SHA-256 is stored; a link is bound
to one patient's consent, expires after a few minutes and is used once. A signature is
stored in one transaction with its image and strokes (content-addressed files), the link
that carried it (marked used, so a second post of the same link is refused) and, when
another signer follows on the same device, the next one-time link. Every refusal raises
:class:`SigningRefused` before anything is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from engine.store.errors import StoreError
from engine.store.files import store_blob
from engine.store.models import ConsentRecord
from engine.store.records import Actor
from engine.store.service import Service, Tx
from engine.store.sessions import token_hash
from engine.store.signing_models import (
    ConsentEvent,
    ConsentInstance,
    ConsentInstanceRecord,
    ConsentSignature,
    NewSignature,
    SignatureRecord,
    SigningSession,
    SigningSessionRecord,
    instance_record,
    session_record,
    signature_record,
)

OPEN = "draft"
#: the role of a link that only downloads the signed copy
COPY = "copy"


class SigningRefused(StoreError):
    """A signing step that may not happen; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def closed(state: str) -> SigningRefused:
    """Why nothing can be signed in ``state``."""
    if state == "withdrawn":
        return SigningRefused("withdrawn", "This consent was withdrawn; it can no longer be signed.")
    return SigningRefused("already_signed", "This consent is already signed; nothing more to sign.")


def check_link(link: SigningSessionRecord | None, consent_id: int, state: str | None, now: datetime) -> SigningSessionRecord:
    """The link if it may be used now for ``consent_id``; else SigningRefused saying why."""
    if link is None:
        raise SigningRefused("token_unknown", "This signing link is not valid. Ask the clinic for a new one.")
    if link.consent_id != consent_id:
        raise SigningRefused("token_other_patient", "This signing link belongs to another patient's consent; it cannot be used here.")
    if state is not None and state != OPEN:
        raise closed(state)
    if link.used_at is not None:
        raise SigningRefused("token_used", "This signing link has already been used. Ask the clinic for a new one.")
    if link.revoked_at is not None:
        raise SigningRefused("token_revoked", "This signing link was replaced by a newer one. Ask the clinic for the new link.")
    if now >= link.expires_at:
        raise SigningRefused("token_expired", "This signing link has expired. Ask the clinic for a new one.")
    return link


def check_copy(link: SigningSessionRecord | None, consent_id: int, now: datetime) -> SigningSessionRecord:
    """The link if it may download ``consent_id``'s signed copy now."""
    if link is None or COPY not in link.roles:
        raise SigningRefused("token_unknown", "This link is not valid. Ask the clinic for a new one.")
    if link.consent_id != consent_id:
        raise SigningRefused("token_other_patient", "This link belongs to another patient's consent.")
    if link.revoked_at is not None:
        raise SigningRefused("token_revoked", "This link is no longer valid. Ask the clinic for a new one.")
    if now >= link.expires_at:
        raise SigningRefused("token_expired", "This link has expired. Ask the clinic for a new one.")
    return link


class Signing(Service):
    # -- consents ------------------------------------------------------------------------
    def start(self, actor: Actor, *, patient_id: int, document_id: int, workflow_version_id: int,
              workflow_id: str, workflow_version: str, state: str) -> ConsentInstanceRecord:
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            row = ConsentInstance(
                clinic_id=actor.clinic_id, patient_id=patient_id, document_id=document_id,
                workflow_version_id=workflow_version_id, workflow_id=workflow_id,
                workflow_version=workflow_version, state=state, created_at=tx.now,
                created_by=actor.user_id, updated_at=tx.now,
            )
            tx.session.add(row)
            tx.session.flush()
            tx.audit("consent", "consent", row.id, patient_id=patient_id, step="started", workflow=workflow_id,
                     version=workflow_version, document_id=document_id)
            return instance_record(row)

    def get(self, actor: Actor, consent_id: int) -> ConsentInstanceRecord:
        with self._tx(actor) as tx:
            row = tx.get(ConsentInstance, consent_id, "consent")
            tx.audit("read", "consent", consent_id, patient_id=row.patient_id)
            return instance_record(row)

    def consent_of(self, actor: Actor, document_id: int) -> int | None:
        """The consent whose document ``document_id`` is, if any (consents sign only
        through their signing flow, never as an ordinary document)."""
        with self._tx(actor) as tx:
            return tx.session.scalars(select(ConsentInstance.id).where(
                ConsentInstance.clinic_id == actor.clinic_id, ConsentInstance.document_id == document_id)).first()

    def for_patient(self, actor: Actor, patient_id: int) -> list[ConsentInstanceRecord]:
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            rows = tx.session.scalars(select(ConsentInstance).where(
                ConsentInstance.clinic_id == actor.clinic_id, ConsentInstance.patient_id == patient_id,
            ).order_by(ConsentInstance.created_at.desc(), ConsentInstance.id.desc()))
            found = [instance_record(r) for r in rows]
            tx.audit("read", "consents", patient_id, patient_id=patient_id)
            return found

    def move(self, actor: Actor, consent_id: int, *, source: Sequence[str], target: str, step: str,
             **fields: Any) -> ConsentInstanceRecord:
        """Move a consent to ``target`` if it is in one of ``source`` (else SigningRefused);
        ``fields``: signed_at, expires_at, consent_record_id, pdf_sha256."""
        with self._tx(actor) as tx:
            row = tx.get(ConsentInstance, consent_id, "consent")
            result = cast(CursorResult[Any], tx.session.execute(
                update(ConsentInstance).where(ConsentInstance.id == consent_id, ConsentInstance.state.in_(source))
                .values(state=target, updated_at=tx.now, **fields).execution_options(synchronize_session=False)))
            if result.rowcount != 1:
                tx.session.refresh(row)
                raise SigningRefused("wrong_state", f"the consent is {row.state}; it cannot become {target}")
            if target != OPEN:
                self._revoke(tx, consent_id)
            tx.session.refresh(row)
            tx.audit("consent", "consent", consent_id, patient_id=row.patient_id, step=step, state=target,
                     **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()})
            return instance_record(row)

    # -- links ---------------------------------------------------------------------------
    def open_link(self, actor: Actor, consent_id: int, *, roles: Sequence[str], minutes: float,
                  language: str | None = None) -> tuple[str, SigningSessionRecord]:
        """A new one-time link for ``roles`` (earlier unused links of the consent are revoked).
        Returns the token (shown once, never stored) and the link."""
        with self._tx(actor) as tx:
            consent = tx.get(ConsentInstance, consent_id, "consent")
            if consent.state != OPEN:
                raise closed(consent.state)
            self._revoke(tx, consent_id)
            token, link = self._mint(tx, consent, roles, minutes, language, None)
            tx.audit("consent", "signing_link", link.id, patient_id=consent.patient_id, step="link_opened",
                     consent_id=consent_id, roles=list(roles), expires_at=link.expires_at.isoformat())
            return token, session_record(link)

    def copy_link(self, actor: Actor, consent_id: int, *, minutes: float) -> str:
        """A short-lived link to download the signed copy (read-only; not used up by a GET)."""
        with self._tx(actor) as tx:
            consent = tx.get(ConsentInstance, consent_id, "consent")
            if consent.state != "signed" or consent.pdf_sha256 is None:
                raise SigningRefused("not_signed", "the consent has no signed copy yet")
            token, link = self._mint(tx, consent, [COPY], minutes, None, None)
            tx.audit("consent", "signing_link", link.id, patient_id=consent.patient_id, step="copy_link",
                     consent_id=consent_id, expires_at=link.expires_at.isoformat())
            return token

    def find_link(self, token: str) -> SigningSessionRecord | None:
        """The link a token names (any clinic: the token is the credential), or None."""
        with self.db.transaction() as session:
            row = session.scalars(select(SigningSession).where(SigningSession.token_sha256 == token_hash(token))).first()
            return session_record(row) if row is not None else None

    def links(self, actor: Actor, consent_id: int) -> list[SigningSessionRecord]:
        with self._tx(actor) as tx:
            tx.get(ConsentInstance, consent_id, "consent")
            rows = tx.session.scalars(select(SigningSession).where(SigningSession.consent_id == consent_id).order_by(SigningSession.id))
            return [session_record(r) for r in rows]

    @staticmethod
    def _mint(tx: Tx, consent: ConsentInstance, roles: Sequence[str], minutes: float, language: str | None,
              parent_id: int | None) -> tuple[str, SigningSession]:
        token = secrets.token_urlsafe(32)
        row = SigningSession(
            clinic_id=consent.clinic_id, patient_id=consent.patient_id, consent_id=consent.id,
            token_sha256=token_hash(token), roles=list(roles), language=language, created_at=tx.now,
            created_by=tx.actor.user_id, expires_at=tx.now + timedelta(minutes=minutes), parent_id=parent_id,
        )
        tx.session.add(row)
        tx.session.flush()
        return token, row

    @staticmethod
    def _revoke(tx: Tx, consent_id: int) -> None:
        tx.session.execute(update(SigningSession).where(
            SigningSession.consent_id == consent_id, SigningSession.used_at.is_(None), SigningSession.revoked_at.is_(None),
        ).values(revoked_at=tx.now).execution_options(synchronize_session=False))

    # -- signatures ----------------------------------------------------------------------
    def signatures(self, actor: Actor, consent_id: int) -> list[SignatureRecord]:
        with self._tx(actor) as tx:
            tx.get(ConsentInstance, consent_id, "consent")
            rows = tx.session.scalars(select(ConsentSignature).where(ConsentSignature.consent_id == consent_id).order_by(ConsentSignature.id))
            return [signature_record(r) for r in rows]

    def sign(self, actor: Actor, consent_id: int, signature: NewSignature, *, token: str | None = None,
             next_roles: Sequence[str] = (), minutes: float = 10.0) -> tuple[SignatureRecord, str | None]:
        """Store ``signature`` for ``consent_id``, carried by the link ``token`` (None: a
        signed-in clinician). Returns it and, when ``next_roles`` follow on the same device,
        their one-time token. All or nothing: a refusal leaves the database as it was."""
        with self._tx(actor) as tx:
            consent = tx.get(ConsentInstance, consent_id, "consent")
            link: SigningSession | None = None
            if token is not None:
                link = tx.session.scalars(select(SigningSession).where(SigningSession.token_sha256 == token_hash(token))).first()
                found = check_link(session_record(link) if link else None, consent_id, consent.state, tx.now)
                if signature.role not in found.roles:
                    raise SigningRefused("role_not_expected", f"this link is not for the {signature.role}'s signature")
                used = cast(CursorResult[Any], tx.session.execute(
                    update(SigningSession).where(SigningSession.id == found.id, SigningSession.used_at.is_(None),
                                                 SigningSession.revoked_at.is_(None))
                    .values(used_at=tx.now, used_ip=actor.ip).execution_options(synchronize_session=False)))
                if used.rowcount != 1:
                    raise SigningRefused("token_used", "This signing link has already been used. Ask the clinic for a new one.")
            elif consent.state != OPEN:
                raise closed(consent.state)
            done = tx.session.scalars(select(ConsentSignature.role).where(ConsentSignature.consent_id == consent_id)).all()
            if signature.role in done:
                raise SigningRefused("already_signed", f"the {signature.role} has already signed this consent")
            image = store_blob(tx, signature.image_png, "image/png", consent.patient_id)
            strokes = store_blob(tx, signature.strokes_json, "application/json", consent.patient_id) if signature.strokes_json else None
            row = ConsentSignature(
                clinic_id=consent.clinic_id, patient_id=consent.patient_id, consent_id=consent_id,
                session_id=link.id if link else None, definition_version_id=signature.definition_version_id,
                role=signature.role, name=signature.name.strip(), relation=signature.relation,
                user_id=actor.user_id, image_sha256=image, strokes_sha256=strokes, language=signature.language,
                text_sha256=signature.text_sha256, answers=signature.answers, ip=actor.ip,
                user_agent=(signature.user_agent or "")[:1000] or None, signed_at=tx.now,
            )
            tx.session.add(row)
            tx.session.flush()
            next_token = None
            if next_roles:
                next_token, following = self._mint(tx, consent, next_roles, minutes, signature.language, link.id if link else None)
                tx.audit("consent", "signing_link", following.id, patient_id=consent.patient_id, step="link_continued",
                         consent_id=consent_id, roles=list(next_roles))
            tx.audit("consent", "consent", consent_id, patient_id=consent.patient_id, step="signed", role=signature.role,
                     signature_id=row.id, language=signature.language, text_sha256=signature.text_sha256,
                     image_sha256=image, link_id=link.id if link else None)
            return signature_record(row), next_token

    def events(self, actor: Actor, consent_id: int) -> list[ConsentEvent]:
        """The consent records of this consent's document, oldest first."""
        with self._tx(actor) as tx:
            consent = tx.get(ConsentInstance, consent_id, "consent")
            rows = tx.session.scalars(select(ConsentRecord).where(
                ConsentRecord.clinic_id == actor.clinic_id, ConsentRecord.document_id == consent.document_id,
            ).order_by(ConsentRecord.id))
            return [ConsentEvent(r.id, r.event, r.supersedes_id, r.reason, r.language, r.text_sha256, r.pdf_sha256,
                                 r.signed_at, r.created_by) for r in rows]

    def refused(self, actor: Actor, consent_id: int | None, patient_id: int | None, code: str) -> None:
        """Audit a refused step (nothing else is written)."""
        with self._tx(actor) as tx:
            tx.audit("consent", "consent", consent_id, patient_id=patient_id, step="refused", code=code)

