"""Server-side sign-in sessions: the only state of a sign-in, so any number of app
processes can serve it.

The cookie carries a random session id (32 bytes from ``secrets``); the database keeps only
its SHA-256, so neither a database copy nor a log of the table signs anyone in. A session
ends when the person signs out (or out everywhere), after ``idle_seconds`` without a
request, at its absolute end, when it is replaced by a new sign-in (rotation), or when the
account is disabled or its password reset. The clock is the store's (tests inject one).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.store import audit
from engine.store.access_models import UserSession
from engine.store.models import ROLES, Membership, User
from engine.store.reads import read_all
from engine.store.records import Actor
from engine.store.service import Service

#: a request refreshes ``last_seen_at`` at most this often, or every tenth of the idle
#: timeout when that is shorter (fewer writes; the idle timeout is this much less exact)
TOUCH_SECONDS = 15
#: a live session with its user and roles, in one read (built once: the statement is reused
#: as is, so SQLAlchemy neither compiles it nor adapts its columns again per request)
_RESUME = (
    select(UserSession.id, UserSession.user_id, UserSession.clinic_id, UserSession.ended_at, UserSession.created_at,
           UserSession.last_seen_at, UserSession.expires_at, UserSession.idle_seconds, UserSession.ip,
           UserSession.user_agent, User.username, User.display_name, User.active, User.must_change_password,
           Membership.role)
    .join(User, User.id == UserSession.user_id)
    .join(Membership, (Membership.user_id == UserSession.user_id) & (Membership.clinic_id == UserSession.clinic_id)
          & (Membership.role != "patient-signing"))
    .where(UserSession.token_sha256 == bindparam("token"))
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def primary_role(roles: tuple[str, ...]) -> str:
    """The role a user acts in when they hold several: the most capable (order of ROLES)."""
    return next((r for r in ROLES if r in roles), "")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A live session and the signed-in user's current roles in its clinic."""

    id: int
    user_id: int
    clinic_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    must_change_password: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_seconds: int
    ip: str | None = None
    user_agent: str | None = None

    def seconds_left(self, now: datetime) -> float:
        """Until the session ends by itself (idle or absolute end, whichever is first)."""
        idle_end = self.last_seen_at + timedelta(seconds=self.idle_seconds)
        return max(0.0, (min(idle_end, self.expires_at) - now).total_seconds())


@dataclass(frozen=True, slots=True)
class Resumed:
    """What a session id gives: the session, or why there is none (``ended``: idle,
    expired, ended, unknown)."""

    session: SessionRecord | None
    ended: str | None = None


class Sessions(Service):
    def start(self, user_id: int, clinic_id: int, *, idle_seconds: int, max_seconds: int,
              ip: str | None = None, user_agent: str | None = None,
              replaces: str | None = None) -> tuple[str, SessionRecord]:
        """A new session (id, record) for a user who has just proved who they are.

        ``replaces`` is the session id the browser still carried, if any: it is ended
        (``rotated``), so an id planted before sign-in never becomes a signed-in one.
        """
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as session:
            now = self.clock()
            if replaces:
                self._end(session, token_hash(replaces), now, "rotated")
            row = UserSession(
                token_sha256=token_hash(token), user_id=user_id, clinic_id=clinic_id,
                created_at=now, last_seen_at=now, idle_seconds=idle_seconds,
                expires_at=now + timedelta(seconds=max_seconds),
                ip=ip, user_agent=(user_agent or "")[:300] or None,
            )
            session.add(row)
            session.flush()
            record = self._record(session, row)
        assert record is not None, "a session was started for a user without a role in the clinic"
        return token, record

    def resume(self, token: str, *, touch: bool = True, quick: bool = True) -> Resumed:
        """The session of ``token`` if it is live (and, with ``touch``, mark activity now).

        A session found idle or past its end is ended here, and that is audited as a
        ``logout`` with the reason; so is one whose user was disabled or lost every role.
        ``quick=False``: the caller already tried :meth:`resume_read_only`.
        """
        found = self.resume_read_only(token, touch=touch) if quick else None
        if found is not None:
            return found
        with self.db.transaction() as session:
            now = self.clock()
            row = session.scalars(select(UserSession).where(UserSession.token_sha256 == token_hash(token))).first()
            if row is None:
                return Resumed(None, "unknown")
            if row.ended_at is not None:
                return Resumed(None, "ended")
            reason = None
            if now >= row.expires_at:
                reason = "expired"
            elif (now - row.last_seen_at).total_seconds() >= row.idle_seconds:
                reason = "idle"
            record = self._record(session, row) if reason is None else None
            if reason is None and record is None:
                reason = "revoked"
            if reason is not None:
                row.ended_at, row.end_reason = now, reason
                self._audit_end(session, row, reason, now)
                return Resumed(None, reason)
            assert record is not None
            if touch and (now - row.last_seen_at).total_seconds() >= min(TOUCH_SECONDS, row.idle_seconds / 10):
                row.last_seen_at = now
                record = replace(record, last_seen_at=now)
            return Resumed(record)

    def resume_read_only(self, token: str, *, touch: bool = True) -> Resumed | None:
        """The common case in one read: a live session of an active user with a role, not due
        for a touch. None when anything else applies (the full path decides and writes)."""
        rows = read_all(self.db.engine, _RESUME, token=token_hash(token))
        if not rows:
            return None
        row = rows[0]
        now = self.clock()
        if row.ended_at is not None or not row.active or now >= row.expires_at:
            return None
        idle = (now - row.last_seen_at).total_seconds()
        if idle >= row.idle_seconds or (touch and idle >= min(TOUCH_SECONDS, row.idle_seconds / 10)):
            return None
        roles = tuple(sorted({r.role for r in rows}))
        return Resumed(SessionRecord(row.id, row.user_id, row.clinic_id, row.username, row.display_name, roles,
                                     row.must_change_password, row.created_at, row.last_seen_at, row.expires_at,
                                     row.idle_seconds, row.ip, row.user_agent))

    def end(self, token: str, reason: str = "logout") -> SessionRecord | None:
        """End the session of ``token`` (sign-out); the session it was, if it was live."""
        with self.db.transaction() as session:
            now = self.clock()
            row = session.scalars(select(UserSession).where(
                UserSession.token_sha256 == token_hash(token), UserSession.ended_at.is_(None))).first()
            if row is None:
                return None
            record = self._record(session, row)
            row.ended_at, row.end_reason = now, reason
            self._audit_end(session, row, reason, now)
            return record

    def end_all(self, actor: Actor, user_id: int, reason: str, *, keep: str | None = None) -> int:
        """End every live session of ``user_id`` (except the one of ``keep``); how many."""
        with self._tx(actor) as tx:
            count = end_sessions(tx.session, user_id, tx.now, reason, keep=keep)
            tx.audit("logout", "user", user_id, reason=reason, sessions=count)
            return count

    def live(self, actor: Actor, user_id: int) -> list[SessionRecord]:
        """The user's live sessions in the actor's clinic, newest first (for "where am I
        signed in")."""
        with self.db.transaction() as session:
            now = self.clock()
            rows = session.scalars(select(UserSession).where(
                UserSession.user_id == user_id, UserSession.clinic_id == actor.clinic_id,
                UserSession.ended_at.is_(None), UserSession.expires_at > now,
            ).order_by(UserSession.created_at.desc(), UserSession.id.desc()))
            records = [self._record(session, row) for row in rows]
            return [r for r in records if r is not None and r.seconds_left(now) > 0]

    @staticmethod
    def _end(session: Session, digest: str, now: datetime, reason: str) -> None:
        session.execute(update(UserSession).where(
            UserSession.token_sha256 == digest, UserSession.ended_at.is_(None),
        ).values(ended_at=now, end_reason=reason))

    @staticmethod
    def _record(session: Session, row: UserSession) -> SessionRecord | None:
        """The record of ``row``; None when its user is disabled or holds no role in the clinic."""
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        roles = tuple(sorted(session.scalars(select(Membership.role).where(
            Membership.user_id == row.user_id, Membership.clinic_id == row.clinic_id,
            Membership.role != "patient-signing"))))
        if not roles:
            return None
        return SessionRecord(row.id, row.user_id, row.clinic_id, user.username, user.display_name, roles,
                             user.must_change_password, row.created_at, row.last_seen_at, row.expires_at,
                             row.idle_seconds, row.ip, row.user_agent)

    @staticmethod
    def _audit_end(session: Session, row: UserSession, reason: str, now: datetime) -> None:
        roles = tuple(session.scalars(select(Membership.role).where(
            Membership.user_id == row.user_id, Membership.clinic_id == row.clinic_id)))
        actor = Actor(row.user_id, primary_role(roles) or "anonymous", row.clinic_id, row.ip)
        audit.append(session, actor, [audit.AuditEntry("logout", "session", str(row.id), detail={"reason": reason})], now)


def end_sessions(session: Session, user_id: int, now: datetime, reason: str, *, keep: str | None = None) -> int:
    """End every live session of a user inside the caller's transaction; how many."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.token_sha256 != token_hash(keep))
    result = session.execute(query.values(ended_at=now, end_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)
