"""Consent signing: consent workflow instances, one-time signing links (token hashes only)
and signatures with their evidence; signatures are append-only on both backends.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)
APPEND_ONLY = ("consent_signatures",)


def fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, ID, sa.ForeignKey(f"{target}.id"), nullable=nullable)


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, TS, nullable=nullable)


def s(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "consent_instances", sa.Column("id", ID, primary_key=True), fk("clinic_id", "clinics"),
        fk("patient_id", "patients"), fk("document_id", "documents"),
        fk("workflow_version_id", "definition_versions"), s("workflow_id", 200),
        s("workflow_version", 64), s("state", 32), ts("created_at"),
        fk("created_by", "users", nullable=True), ts("updated_at"), ts("signed_at", nullable=True),
        ts("expires_at", nullable=True), fk("consent_record_id", "consent_records", nullable=True),
        s("pdf_sha256", 64, nullable=True), sa.UniqueConstraint("document_id"),
    )
    op.create_index("ix_consent_instances_clinic_id_patient_id_created_at", "consent_instances",
                    ["clinic_id", "patient_id", "created_at"])
    op.create_table(
        "consent_signing_sessions", sa.Column("id", ID, primary_key=True), fk("clinic_id", "clinics"),
        fk("patient_id", "patients"), fk("consent_id", "consent_instances"), s("token_sha256", 64),
        sa.Column("roles", JSON, nullable=False), s("language", 16, nullable=True), ts("created_at"),
        fk("created_by", "users", nullable=True), ts("expires_at"), ts("used_at", nullable=True),
        s("used_ip", 64, nullable=True), ts("revoked_at", nullable=True),
        fk("parent_id", "consent_signing_sessions", nullable=True), sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_consent_signing_sessions_consent_id", "consent_signing_sessions", ["consent_id"])
    op.create_table(
        "consent_signatures", sa.Column("id", ID, primary_key=True), fk("clinic_id", "clinics"),
        fk("patient_id", "patients"), fk("consent_id", "consent_instances"),
        fk("session_id", "consent_signing_sessions", nullable=True),
        fk("definition_version_id", "definition_versions"), s("role", 32), s("name", 200),
        s("relation", 64, nullable=True), fk("user_id", "users", nullable=True), s("image_sha256", 64),
        s("strokes_sha256", 64, nullable=True), s("language", 16), s("text_sha256", 64),
        sa.Column("answers", JSON, nullable=False), s("ip", 64, nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True), ts("signed_at"),
        sa.UniqueConstraint("consent_id", "role"),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The function cliniform_append_only() comes with 0001 on PostgreSQL."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION cliniform_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION cliniform_append_only()")
            continue
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
    op.drop_table("consent_signatures")
    op.drop_table("consent_signing_sessions")
    op.drop_table("consent_instances")
