"""Clinic settings: a JSON document on the clinic row with the letterhead (address, phone,
logo) and the clinic's print defaults (engine.store.clinics).

Revision ID: 0004
Revises: 0003
Create Date: 2026-03-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.columns import JsonDoc

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # plain ADD COLUMN (no table copy: every table refers to clinics)
    op.add_column("clinics", sa.Column("settings", JsonDoc, nullable=True))


def downgrade() -> None:
    op.drop_column("clinics", "settings")
