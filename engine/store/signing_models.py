"""Tables and records of consent signing: the consent's workflow state, one-time signing
links (only the SHA-256 of a token is kept), and every signature with its evidence.

``consent_records`` (engine.store.consents) stays the legal record of each consent event
(given, refused, withdrawn); these tables carry the journey to it. Signatures are
append-only (database triggers, as for the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.columns import BigId, JsonDoc
from engine.store.models import Base


class ConsentInstance(Base):
    """One consent document's journey through its workflow (current state; history lives in
    consent_signatures, consent_records and the audit trail)."""

    __tablename__ = "consent_instances"
    __table_args__ = (UniqueConstraint("document_id"), Index(None, "clinic_id", "patient_id", "created_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    workflow_id: Mapped[str] = mapped_column(String(200))
    workflow_version: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    consent_record_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"), nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class SigningSession(Base):
    """A one-time signing link for a tablet or kiosk, bound to one patient's consent."""

    __tablename__ = "consent_signing_sessions"
    __table_args__ = (UniqueConstraint("token_sha256"), Index(None, "consent_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_instances.id"))
    token_sha256: Mapped[str] = mapped_column(String(64))
    #: who signs through this link, in order, e.g. ["patient", "guardian"]
    roles: Mapped[list[str]] = mapped_column(JsonDoc)
    #: the language the previous signer chose (continuation links)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    #: the link whose signature minted this one (same device, next signer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("consent_signing_sessions.id"), nullable=True)


class ConsentSignature(Base):
    """One signature and its evidence: who, as what, when, from where, over which text."""

    __tablename__ = "consent_signatures"
    __table_args__ = (UniqueConstraint("consent_id", "role"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_instances.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("consent_signing_sessions.id"), nullable=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(64))
    #: the signed-in user, for a clinician's countersignature
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    image_sha256: Mapped[str] = mapped_column(String(64))
    strokes_sha256: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    text_sha256: Mapped[str] = mapped_column(String(64))
    #: the signer's answers to the understanding questions and the intent statement
    answers: Mapped[dict[str, Any]]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class ConsentInstanceRecord:
    id: int
    patient_id: int
    document_id: int
    workflow_version_id: int
    workflow_id: str
    workflow_version: str
    state: str
    created_at: datetime
    created_by: int | None
    updated_at: datetime
    signed_at: datetime | None
    expires_at: datetime | None
    consent_record_id: int | None
    pdf_sha256: str | None


@dataclass(frozen=True, slots=True)
class SigningSessionRecord:
    id: int
    clinic_id: int
    patient_id: int
    consent_id: int
    roles: tuple[str, ...]
    language: str | None
    created_at: datetime
    created_by: int | None
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class SignatureRecord:
    id: int
    consent_id: int
    session_id: int | None
    definition_version_id: int
    role: str
    name: str
    relation: str | None
    user_id: int | None
    image_sha256: str
    strokes_sha256: str | None
    language: str
    text_sha256: str
    answers: dict[str, Any]
    ip: str | None
    user_agent: str | None
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class NewSignature:
    """A signature as posted, checked by the caller: the PNG image and the strokes as JSON."""

    role: str
    name: str
    image_png: bytes
    strokes_json: bytes | None
    language: str
    text_sha256: str
    answers: dict[str, Any]
    definition_version_id: int
    relation: str | None = None
    user_agent: str | None = None


def instance_record(c: ConsentInstance) -> ConsentInstanceRecord:
    return ConsentInstanceRecord(
        c.id, c.patient_id, c.document_id, c.workflow_version_id, c.workflow_id, c.workflow_version,
        c.state, c.created_at, c.created_by, c.updated_at, c.signed_at, c.expires_at,
        c.consent_record_id, c.pdf_sha256,
    )


def session_record(s: SigningSession) -> SigningSessionRecord:
    return SigningSessionRecord(
        s.id, s.clinic_id, s.patient_id, s.consent_id, tuple(s.roles), s.language, s.created_at,
        s.created_by, s.expires_at, s.used_at, s.revoked_at, s.parent_id,
    )


def signature_record(s: ConsentSignature) -> SignatureRecord:
    return SignatureRecord(
        s.id, s.consent_id, s.session_id, s.definition_version_id, s.role, s.name, s.relation,
        s.user_id, s.image_sha256, s.strokes_sha256, s.language, s.text_sha256, s.answers, s.ip,
        s.user_agent, s.signed_at,
    )


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """A consent record (given, refused, withdrawn) as a consent's history shows it."""

    id: int
    event: str
    supersedes_id: int | None
    reason: str | None
    language: str
    text_sha256: str
    pdf_sha256: str | None
    signed_at: datetime
    created_by: int | None
