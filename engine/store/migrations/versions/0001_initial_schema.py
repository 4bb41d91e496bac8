"""Initial schema: clinics, users, patients, encounters, definitions, documents,
observations, revisions, files, alert log, consent records, audit events; append-only
triggers on both backends.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)
APPEND_ONLY = ("audit_events", "revisions", "alert_log", "consent_records")


def pk() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True)


def fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, ID, sa.ForeignKey(f"{target}.id"), nullable=nullable)


def clinic() -> sa.Column[int]:
    return fk("clinic_id", "clinics")


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, TS, nullable=nullable)


def s(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def text(name: str, *, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


def upgrade() -> None:
    op.create_table(
        "clinics", pk(), s("code", 64), s("name", 200), s("name_ar", 200, nullable=True),
        ts("created_at"), sa.UniqueConstraint("code"),
    )
    op.create_table(
        "users", pk(), s("username", 120), s("display_name", 200), s("password_hash", 255),
        sa.Column("active", sa.Boolean(), nullable=False), ts("created_at"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "memberships", pk(), fk("user_id", "users"), clinic(), s("role", 32), ts("created_at"),
        sa.UniqueConstraint("user_id", "clinic_id", "role"),
        one_of("role", ("admin", "clinician", "reception", "patient-signing"), "role"),
    )
    op.create_table(
        "patients", pk(), clinic(), s("mrn", 64), s("given_name", 200), s("family_name", 200),
        s("given_name_ar", 200, nullable=True), s("family_name_ar", 200, nullable=True),
        sa.Column("birth_date", sa.Date()), s("sex", 16), s("phone", 64, nullable=True),
        s("email", 200, nullable=True), text("address"), text("search_name", nullable=False),
        ts("created_at"), fk("created_by", "users", nullable=True),
        sa.UniqueConstraint("clinic_id", "mrn"),
        one_of("sex", ("female", "male", "other", "unknown"), "sex"),
    )
    op.create_table(
        "encounters", pk(), clinic(), fk("patient_id", "patients"), s("kind", 64),
        text("reason"), s("status", 16), ts("started_at"), ts("ended_at", nullable=True),
        fk("clinician_id", "users", nullable=True),
    )
    op.create_index(
        "ix_encounters_clinic_id_patient_id_started_at",
        "encounters", ["clinic_id", "patient_id", "started_at"],
    )
    op.create_table(
        "definition_versions", pk(), clinic(), s("kind", 16), s("def_id", 200),
        s("version", 64), text("source_text", nullable=False), s("content_hash", 64),
        s("status", 16), ts("published_at"), fk("published_by", "users", nullable=True),
        sa.UniqueConstraint("clinic_id", "kind", "def_id", "version"),
        one_of("kind", ("form", "rule", "workflow", "pack"), "kind"),
    )
    op.create_index("ix_definition_versions_content_hash", "definition_versions", ["content_hash"])
    op.create_table(
        "documents", pk(), clinic(), fk("patient_id", "patients"),
        fk("encounter_id", "encounters", nullable=True),
        fk("definition_version_id", "definition_versions"), s("def_id", 200),
        s("def_version", 64), s("content_hash", 64), s("status", 16),
        sa.Column("version", ID, nullable=False), sa.Column("answers", JSON, nullable=False),
        ts("effective_at"), ts("created_at"), fk("created_by", "users", nullable=True),
        ts("updated_at"), fk("updated_by", "users", nullable=True),
        ts("signed_at", nullable=True), fk("signed_by", "users", nullable=True),
        one_of("status", ("draft", "signed", "amended"), "status"),
    )
    op.create_index(
        "ix_documents_clinic_id_patient_id_def_id_effective_at",
        "documents", ["clinic_id", "patient_id", "def_id", "effective_at"],
    )
    op.create_table(
        "revisions", pk(), clinic(), fk("document_id", "documents"),
        sa.Column("document_version", ID), sa.Column("base_version", ID), s("kind", 16),
        s("status", 16), sa.Column("answers", JSON, nullable=False), text("reason"),
        fk("author_id", "users", nullable=True), ts("created_at"),
        sa.UniqueConstraint("document_id", "document_version"),
        one_of("kind", ("create", "draft", "sign", "amend", "conflict"), "kind"),
    )
    op.create_table(
        "observations", pk(), clinic(), fk("patient_id", "patients"),
        fk("document_id", "documents"), s("item_path", 300), s("code_system", 200, nullable=True),
        s("code", 100, nullable=True), sa.Column("value_num", sa.Float()), text("value_text"),
        sa.Column("value_date", sa.Date()), ts("value_datetime", nullable=True),
        s("coding_system", 200, nullable=True), s("coding_code", 100, nullable=True),
        text("coding_display"), s("unit", 64, nullable=True), ts("effective_at"),
    )
    for columns in (("code", "effective_at"), ("item_path", "effective_at")):
        op.create_index(
            f"ix_observations_clinic_id_patient_id_{'_'.join(columns)}",
            "observations", ["clinic_id", "patient_id", *columns],
        )
    op.create_index("ix_observations_document_id", "observations", ["document_id"])
    op.create_table(
        "files", pk(), clinic(), s("sha256", 64), sa.Column("size", sa.BigInteger(), nullable=False),
        s("media_type", 200), sa.Column("data", sa.LargeBinary(), nullable=False),
        ts("created_at"), fk("created_by", "users", nullable=True),
        sa.UniqueConstraint("clinic_id", "sha256"),
    )
    op.create_table(
        "alert_log", pk(), clinic(), fk("patient_id", "patients", nullable=True),
        fk("document_id", "documents", nullable=True), s("rule_id", 200), s("rule_version", 64),
        s("severity", 16), text("summary", nullable=False), s("action", 32), text("reason"),
        fk("user_id", "users", nullable=True), ts("at"), sa.Column("detail", JSON),
    )
    op.create_index("ix_alert_log_clinic_id_patient_id_at", "alert_log", ["clinic_id", "patient_id", "at"])
    op.create_table(
        "consent_records", pk(), clinic(), fk("patient_id", "patients"),
        fk("document_id", "documents", nullable=True),
        fk("definition_version_id", "definition_versions", nullable=True), s("event", 16),
        fk("supersedes_id", "consent_records", nullable=True), s("text_version", 64),
        s("language", 16), s("text_sha256", 64), s("method", 32),
        sa.Column("signers", JSON, nullable=False), sa.Column("witness", JSON),
        sa.Column("guardian", JSON), text("reason"), ts("signed_at"),
        s("pdf_sha256", 64, nullable=True), ts("created_at"),
        fk("created_by", "users", nullable=True),
    )
    op.create_index(
        "ix_consent_records_clinic_id_patient_id_signed_at",
        "consent_records", ["clinic_id", "patient_id", "signed_at"],
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        ts("at"), sa.Column("clinic_id", sa.BigInteger()), sa.Column("user_id", sa.BigInteger()),
        s("role", 32), s("ip", 64, nullable=True), s("action", 32), s("entity_type", 32),
        s("entity_id", 100, nullable=True), sa.Column("patient_id", sa.BigInteger()),
        sa.Column("detail", JSON), s("prev_hash", 64), s("hash", 64),
    )
    op.create_index(
        "ix_audit_events_clinic_id_patient_id_seq",
        "audit_events", ["clinic_id", "patient_id", "seq"],
    )
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION cliniform_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION cliniform_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cliniform_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} is not allowed'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS cliniform_append_only()")
    for table in (
        "audit_events", "consent_records", "alert_log", "files", "observations", "revisions",
        "documents", "definition_versions", "encounters", "patients", "memberships", "users",
        "clinics",
    ):
        op.drop_table(table)
