"""Tables of access control: server-side sign-in sessions, the sign-in throttle and
break-glass grants.

Sessions keep only the SHA-256 of their random id (the cookie holds the id itself), so a
copy of the database does not sign anyone in. Break-glass grants are append-only (database
triggers, as for the audit trail): a grant ends by expiring, never by an edit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.columns import BigId
from engine.store.models import Base


class UserSession(Base):
    """One sign-in: live until it is ended, idle too long or past its absolute end."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index(None, "user_id", "ended_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: SHA-256 (hex) of the session id the cookie carries
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    #: the idle timeout this session was started with
    idle_seconds: Mapped[int] = mapped_column(Integer)
    #: the absolute end, whatever the activity
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    #: logout, logout_all, idle, expired, rotated, disabled, password
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(Base):
    """Failed sign-ins per user name (``user:<name>``) and per address (``ip:<addr>``)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class BreakGlassGrant(Base):
    """Emergency access of one user to one patient outside their care scope, for a while."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index(None, "clinic_id", "user_id", "patient_id", "expires_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
