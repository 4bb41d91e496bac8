"""SQLAlchemy 2.x models: the tables of the store.

Every row carries its clinic (tenant). The migrations under ``migrations/versions`` create
exactly these tables (a test compares them), plus the triggers that make the append-only
tables (audit events, revisions, consent records, alert log) reject UPDATE and DELETE.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.store.columns import BigId, JsonDoc, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: staff roles (most capable first: the role a user acts in when they hold several) and the
#: legacy patient-signing role (patients act through signing links, not accounts)
ROLES = ("admin", "clinician", "nurse", "reception", "auditor", "patient-signing")
SEXES = ("female", "male", "other", "unknown")
DEFINITION_KINDS = ("form", "rule", "workflow", "pack")
DOCUMENT_STATUSES = ("draft", "signed", "amended")
REVISION_KINDS = ("create", "draft", "sign", "amend", "conflict")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JsonDoc, int: BigId}


def _clinic_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("clinics.id"), index=False)


def _user_fk() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id"), nullable=True)


class Clinic(Base):
    __tablename__ = "clinics"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: letterhead (address, phone, logo) and print defaults; shape in engine.store.clinics
    settings: Mapped[dict[str, Any] | None]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set by an administrator's reset: the next sign-in must choose a new password
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[datetime | None]


class Membership(Base):
    """A user's role in one clinic; a user may hold several roles in several clinics."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "clinic_id", "role"),
        CheckConstraint(_one_of("role", ROLES), name="role"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    clinic_id: Mapped[int] = _clinic_fk()
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "mrn"),
        CheckConstraint(_one_of("sex", SEXES), name="sex"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    mrn: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    given_name_ar: Mapped[str | None] = mapped_column(String(200))
    family_name_ar: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    #: names in every script, normalised by ``engine.store.text.normalise`` for search
    search_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = _user_fk()


class Encounter(Base):
    __tablename__ = "encounters"
    __table_args__ = (Index(None, "clinic_id", "patient_id", "started_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    clinician_id: Mapped[int | None] = _user_fk()


class DefinitionVersion(Base):
    """Every published version of a form, rule, workflow or pack, with its exact source."""

    __tablename__ = "definition_versions"
    __table_args__ = (
        UniqueConstraint("clinic_id", "kind", "def_id", "version"),
        CheckConstraint(_one_of("kind", DEFINITION_KINDS), name="kind"),
        Index(None, "content_hash"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    kind: Mapped[str] = mapped_column(String(16))
    def_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="published")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = _user_fk()


class Document(Base):
    """A form submission: the current answers, pinned to one definition version and hash."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_one_of("status", DOCUMENT_STATUSES), name="status"),
        Index(None, "clinic_id", "patient_id", "def_id", "effective_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    def_id: Mapped[str] = mapped_column(String(200))
    def_version: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: optimistic-concurrency counter; every accepted save increments it
    version: Mapped[int] = mapped_column(default=1)
    answers: Mapped[dict[str, Any]]
    effective_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = _user_fk()
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = _user_fk()
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[int | None] = _user_fk()


class Revision(Base):
    """Append-only history of a document: every accepted save, and every rejected one."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("document_id", "document_version"),
        CheckConstraint(_one_of("kind", REVISION_KINDS), name="kind"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    #: the document version this revision produced; NULL for a rejected (conflict) save
    document_version: Mapped[int | None]
    base_version: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]]
    reason: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = _user_fk()
    created_at: Mapped[datetime]


class Observation(Base):
    """One typed value of a document, for queries such as "systolic pressure over time"."""

    __tablename__ = "observations"
    __table_args__ = (
        Index(None, "clinic_id", "patient_id", "code", "effective_at"),
        Index(None, "clinic_id", "patient_id", "item_path", "effective_at"),
        Index(None, "document_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    item_path: Mapped[str] = mapped_column(String(300))
    code_system: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(100))
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_date: Mapped[date | None] = mapped_column(Date)
    value_datetime: Mapped[datetime | None]
    coding_system: Mapped[str | None] = mapped_column(String(200))
    coding_code: Mapped[str | None] = mapped_column(String(100))
    coding_display: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(64))
    effective_at: Mapped[datetime]


class StoredFile(Base):
    """A content-addressed blob (PDF, signature image, attachment), stored once per clinic."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("clinic_id", "sha256"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = _user_fk()


class AlertLog(Base):
    """Every decision-support card shown, accepted or overridden (append-only)."""

    __tablename__ = "alert_log"
    __table_args__ = (Index(None, "clinic_id", "patient_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    rule_id: Mapped[str] = mapped_column(String(200))
    rule_version: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = _user_fk()
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any] | None]


class ConsentRecord(Base):
    """A consent event (given, refused, withdrawn); a withdrawal is a new row, never an edit."""

    __tablename__ = "consent_records"
    __table_args__ = (Index(None, "clinic_id", "patient_id", "signed_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    definition_version_id: Mapped[int | None] = mapped_column(ForeignKey("definition_versions.id"))
    event: Mapped[str] = mapped_column(String(16))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"))
    text_version: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of exactly what was shown to the signer
    text_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    #: [{name, role (patient|guardian|witness|clinician), relation, signature_sha256, signed_at}]
    signers: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    witness: Mapped[dict[str, Any] | None]
    guardian: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime]
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = _user_fk()


class AuditEvent(Base):
    """One link of the hash chain. No foreign keys: the trail outlives what it describes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "clinic_id", "patient_id", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    clinic_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    patient_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


APPEND_ONLY_TABLES = ("audit_events", "revisions", "alert_log", "consent_records")
