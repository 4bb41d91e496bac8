"""Access control: nurse and auditor roles, forced password change, server-side sessions
(id hashes only), the sign-in throttle and append-only break-glass grants.

Revision ID: 0003
Revises: 0002
Create Date: 2026-02-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("break_glass_grants",)
OLD_ROLES = ("admin", "clinician", "reception", "patient-signing")
ROLES = ("admin", "clinician", "nurse", "reception", "auditor", "patient-signing")


def fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, ID, sa.ForeignKey(f"{target}.id"), nullable=nullable)


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, TS, nullable=nullable)


def s(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _roles(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_constraint(op.f("ck_memberships_role"), type_="check")
        batch.create_check_constraint("role", f"role IN ({', '.join(repr(v) for v in values)})")


def upgrade() -> None:
    _roles(ROLES)
    # plain ADD COLUMN (no table copy: other tables refer to users)
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", ts("password_changed_at", nullable=True))
    op.create_table(
        "user_sessions", sa.Column("id", ID, primary_key=True), s("token_sha256", 64),
        fk("user_id", "users"), fk("clinic_id", "clinics"), ts("created_at"), ts("last_seen_at"),
        sa.Column("idle_seconds", sa.Integer(), nullable=False), ts("expires_at"),
        ts("ended_at", nullable=True), s("end_reason", 32, nullable=True), s("ip", 64, nullable=True),
        s("user_agent", 300, nullable=True), sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_user_sessions_user_id_ended_at", "user_sessions", ["user_id", "ended_at"])
    op.create_table(
        "login_throttle", sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False), ts("first_failure_at"),
        ts("locked_until", nullable=True),
    )
    op.create_table(
        "break_glass_grants", sa.Column("id", ID, primary_key=True), fk("clinic_id", "clinics"),
        fk("user_id", "users"), fk("patient_id", "patients"), sa.Column("reason", sa.Text(), nullable=False),
        ts("created_at"), ts("expires_at"),
    )
    op.create_index("ix_break_glass_grants_clinic_id_user_id_patient_id_expires_at", "break_glass_grants",
                    ["clinic_id", "user_id", "patient_id", "expires_at"])
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
    op.drop_table("break_glass_grants")
    op.drop_table("login_throttle")
    op.drop_table("user_sessions")
    op.drop_column("users", "password_changed_at")
    op.drop_column("users", "must_change_password")
    op.execute(f"DELETE FROM memberships WHERE role NOT IN ({', '.join(repr(v) for v in OLD_ROLES)})")
    _roles(OLD_ROLES)
