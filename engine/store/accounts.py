"""Clinics (tenants), user accounts, per-clinic roles and password sign-in.

Sign-in is throttled per user name and per address (engine.store.access_models
``LoginThrottle``): after ``LoginPolicy.max_failures`` failures in a window the name is
locked for a while, whether or not it exists (so a lockout says nothing about which names
are real). Every attempt, refusal and lockout is audited.

An administrator manages the accounts of their own clinic: accounts whose every role is in
that clinic. An account that also works in another clinic is changed by the operator (the
system actor, through the CLI), so that no clinic's administrator can take over an account
that opens another clinic's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.store import audit
from engine.store.access_models import LoginThrottle
from engine.store.errors import AccountError, CrossClinicError, DuplicateError, NotFoundError
from engine.store.models import ROLES, Clinic, Membership, User
from engine.store.passwords import hash_password, verify_password
from engine.store.records import SYSTEM_ROLE, Actor, ClinicRecord, UserRecord
from engine.store.service import Service, Tx
from engine.store.sessions import end_sessions


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failed sign-ins lock a user name (or an address) and for how long."""

    max_failures: int = 5
    window_minutes: float = 15
    lock_minutes: float = 15
    #: an address is locked after this many failures (any names) in the window
    max_failures_per_address: int = 50


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or None (and until when it is locked)."""

    user: UserRecord | None
    locked_until: datetime | None = None
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """An account that holds roles in the administrator's clinic."""

    id: int
    username: str
    display_name: str
    active: bool
    roles: tuple[str, ...]
    must_change_password: bool
    #: the account also has roles in another clinic (only the operator may change it)
    elsewhere: bool
    locked_until: datetime | None


class Accounts(Service):
    """Clinics, users and roles. Roles are enforced by the web layer on every route."""

    def create_clinic(self, code: str, name: str, name_ar: str | None = None) -> ClinicRecord:
        """Create a tenant (an operator action: audited as the system actor of the new clinic)."""
        with self.db.transaction() as session:
            if session.scalar(select(Clinic.id).where(Clinic.code == code)) is not None:
                raise DuplicateError(f"a clinic with code {code!r} already exists")
            clinic = Clinic(code=code, name=name, name_ar=name_ar, created_at=self.clock())
            session.add(clinic)
            session.flush()
            audit.append(session, Actor.system(clinic.id), [
                audit.AuditEntry("create", "clinic", str(clinic.id), detail={"code": code}),
            ], self.clock())
            return ClinicRecord(clinic.id, clinic.code, clinic.name, clinic.name_ar)

    def clinic_by_code(self, code: str) -> ClinicRecord | None:
        with self.db.transaction() as session:
            c = session.scalars(select(Clinic).where(Clinic.code == code)).first()
            return None if c is None else ClinicRecord(c.id, c.code, c.name, c.name_ar)

    def create_user(
        self, actor: Actor, username: str, password: str, display_name: str,
        roles: tuple[str, ...] = (), *, must_change_password: bool = False,
    ) -> UserRecord:
        """Create an account with roles in the actor's clinic; usernames are case-insensitive.

        ``must_change_password``: the password is a temporary one an administrator handed
        over; the first sign-in must replace it.
        """
        for role in roles:
            _check_role(role)
        password_hash = hash_password(password)  # outside the transaction: it is slow on purpose
        try:
            with self._tx(actor) as tx:
                user = User(username=username.strip().lower(), display_name=display_name,
                            password_hash=password_hash, active=True, created_at=tx.now,
                            must_change_password=must_change_password, password_changed_at=tx.now)
                tx.session.add(user)
                tx.session.flush()
                for role in roles:
                    tx.session.add(Membership(user_id=user.id, clinic_id=actor.clinic_id,
                                              role=role, created_at=tx.now))
                tx.audit("create", "user", user.id, username=user.username, roles=list(roles))
                user_id = user.id
        except IntegrityError as exc:
            raise DuplicateError(f"username {username!r} is taken") from exc
        return self.user(user_id)

    def grant(self, actor: Actor, user_id: int, role: str) -> None:
        """Give ``user_id`` a role in the actor's clinic (no-op if already held)."""
        _check_role(role)
        with self._tx(actor) as tx:
            self._managed(tx, user_id)
            held = tx.session.scalar(select(Membership.id).where(
                Membership.user_id == user_id, Membership.clinic_id == actor.clinic_id,
                Membership.role == role))
            if held is None:
                tx.session.add(Membership(user_id=user_id, clinic_id=actor.clinic_id, role=role,
                                          created_at=tx.now))
                tx.audit("grant", "user", user_id, role=role)

    def revoke(self, actor: Actor, user_id: int, role: str) -> None:
        """Take a role in the actor's clinic away (not the last one: disable the account)."""
        with self._tx(actor) as tx:
            self._managed(tx, user_id)
            held = self._roles_here(tx, user_id)
            if role not in held:
                return
            if held == (role,):
                raise AccountError("that is the account's last role here: disable the account instead")
            if user_id == actor.user_id and role == "admin":
                raise AccountError("you cannot remove your own admin role: ask another administrator")
            tx.session.execute(delete(Membership).where(
                Membership.user_id == user_id, Membership.clinic_id == actor.clinic_id,
                Membership.role == role))
            tx.audit("revoke", "user", user_id, role=role)

    def set_roles(self, actor: Actor, user_id: int, roles: tuple[str, ...]) -> None:
        """Make the account's roles in the actor's clinic exactly ``roles`` (at least one)."""
        for role in roles:
            _check_role(role)
        if not roles:
            raise AccountError("choose at least one role, or disable the account")
        for role in roles:
            self.grant(actor, user_id, role)
        for role in self.user(user_id).roles.get(actor.clinic_id, ()):
            if role not in roles:
                self.revoke(actor, user_id, role)

    def set_password(self, actor: Actor, user_id: int, password: str, *, temporary: bool = False) -> None:
        """An administrator's reset: a new password (``temporary``: to be changed at the
        next sign-in); every session of the account ends."""
        password_hash = hash_password(password)
        with self._tx(actor) as tx:
            user = self._managed(tx, user_id)
            user.password_hash, user.must_change_password, user.password_changed_at = password_hash, temporary, tx.now
            ended = end_sessions(tx.session, user_id, tx.now, "password_reset")
            tx.audit("update", "user", user_id, field="password", temporary=temporary, sessions_ended=ended)

    def change_password(self, actor: Actor, current: str, new: str, *, keep_session: str | None = None) -> bool:
        """The signed-in person changes their own password (the current one is checked).

        False when ``current`` is wrong (audited). Other sessions of the account end; the
        one of ``keep_session`` stays.
        """
        if actor.user_id is None:
            raise AccountError("only a signed-in person can change their password")
        if current == new:
            raise ValueError("choose a password different from the current one")
        new_hash = hash_password(new)
        with self.db.transaction() as session:
            stored = session.get(User, actor.user_id)
            stored_hash = stored.password_hash if stored else None
        ok, _ = verify_password(stored_hash, current)
        with self._tx(actor) as tx:
            user = self._user_row(tx, actor.user_id)
            if not ok:
                tx.audit("update", "user", user.id, field="password", refused="current password wrong")
                return False
            user.password_hash, user.must_change_password, user.password_changed_at = new_hash, False, tx.now
            ended = end_sessions(tx.session, user.id, tx.now, "password_changed", keep=keep_session)
            tx.audit("update", "user", user.id, field="password", sessions_ended=ended)
        return True

    def disable(self, actor: Actor, user_id: int) -> int:
        """Disable an account: it cannot sign in, and every session of it ends (how many)."""
        if user_id == actor.user_id:
            raise AccountError("you cannot disable your own account")
        with self._tx(actor) as tx:
            user = self._managed(tx, user_id)
            user.active = False
            ended = end_sessions(tx.session, user_id, tx.now, "disabled")
            tx.audit("disable", "user", user_id, sessions_ended=ended)
            return ended

    def enable(self, actor: Actor, user_id: int) -> None:
        with self._tx(actor) as tx:
            self._managed(tx, user_id).active = True
            tx.audit("enable", "user", user_id)

    def user(self, user_id: int) -> UserRecord:
        with self.db.transaction() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFoundError("user", user_id)
            memberships = session.scalars(select(Membership).where(Membership.user_id == user_id))
            roles: dict[int, list[str]] = {}
            for m in memberships:
                roles.setdefault(m.clinic_id, []).append(m.role)
            return UserRecord(user.id, user.username, user.display_name, user.active,
                              {k: tuple(sorted(v)) for k, v in roles.items()})

    def user_by_name(self, username: str) -> UserRecord | None:
        """The account called ``username`` (case-insensitive), for the operator's commands."""
        with self.db.transaction() as session:
            user_id = session.scalar(select(User.id).where(User.username == username.strip().lower()))
        return None if user_id is None else self.user(user_id)

    def member(self, actor: Actor, user_id: int) -> Member:
        """One account of the actor's clinic (NotFoundError for accounts of other clinics)."""
        found = [m for m in self._members(actor, user_id) if m.id == user_id]
        if not found:
            with self._tx(actor) as tx:
                self._managed(tx, user_id, allow_elsewhere=True)
            raise NotFoundError("user", user_id)
        return found[0]

    def members(self, actor: Actor) -> list[Member]:
        """Every account with a role in the actor's clinic, by user name."""
        return self._members(actor, None)

    def _members(self, actor: Actor, user_id: int | None) -> list[Member]:
        query = select(User, Membership).join(Membership, Membership.user_id == User.id)
        if user_id is not None:
            query = query.where(User.id == user_id)
        else:
            here = select(Membership.user_id).where(Membership.clinic_id == actor.clinic_id)
            query = query.where(User.id.in_(here))
        with self._tx(actor) as tx:
            users: dict[int, User] = {}
            roles: dict[int, list[str]] = {}
            elsewhere: set[int] = set()
            for user, membership in tx.session.execute(query.order_by(User.username)):
                users[user.id] = user
                if membership.clinic_id == actor.clinic_id:
                    roles.setdefault(user.id, []).append(membership.role)
                else:
                    elsewhere.add(user.id)
            locks = {row.key: row.locked_until for row in tx.session.scalars(select(LoginThrottle).where(
                LoginThrottle.key.in_([f"user:{u.username}" for u in users.values()])))}
            members = [
                Member(u.id, u.username, u.display_name, u.active, tuple(sorted(roles[u.id])),
                       u.must_change_password, u.id in elsewhere, _live_lock(locks.get(f"user:{u.username}"), tx.now))
                for u in users.values() if u.id in roles
            ]
            tx.audit("read", "users", None, count=len(members))
            return members

    def sign_in(self, clinic_id: int, username: str, password: str, ip: str | None = None,
                policy: LoginPolicy | None = None) -> SignIn:
        """Check a password sign-in to ``clinic_id``, with throttling and lockout.

        Every attempt is audited (``login`` / ``login_failed``, and ``lockout`` when a name
        or address gets locked); a hash made with older parameters is upgraded on success.
        """
        policy = policy or LoginPolicy()
        name = username.strip().lower()
        keys = [f"user:{name}"] + ([f"ip:{ip}"] if ip else [])
        anonymous = Actor(None, "anonymous", clinic_id, ip)
        with self._tx(anonymous) as tx:
            locked = [t for key in keys if (t := _live_lock(_throttle(tx.session, key), tx.now))]
            if locked:
                tx.audit("login_failed", "user", None, username=name, reason="locked")
                return SignIn(None, max(locked))
            user = tx.session.scalars(select(User).where(User.username == name)).first()
            stored_hash = user.password_hash if user else None
        ok, rehash = verify_password(stored_hash, password)
        record = self.user(user.id) if ok and user is not None else None
        allowed = record is not None and record.active and clinic_id in record.roles
        new_hash = hash_password(password) if allowed and rehash else None
        actor = Actor(user.id if user and allowed else None, "anonymous", clinic_id, ip)
        with self._tx(actor) as tx:
            if allowed and user is not None:
                row = self._user_row(tx, user.id)
                if new_hash:
                    row.password_hash = new_hash
                tx.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
                tx.audit("login", "user", user.id, username=name)
                return SignIn(record, None, row.must_change_password)
            tx.audit("login_failed", "user", user.id if user else None, username=name)
            until = None
            for key, limit in zip(keys, (policy.max_failures, policy.max_failures_per_address), strict=False):
                locked_now = _fail(tx.session, key, tx.now, limit, policy)
                if locked_now is not None:
                    tx.audit("lockout", "user", user.id if user else None, key=key, until=locked_now.isoformat())
                    until = max(until or locked_now, locked_now)
            return SignIn(None, until)

    def authenticate(self, clinic_id: int, username: str, password: str,
                     ip: str | None = None) -> UserRecord | None:
        """The user if the password is right and they hold a role in ``clinic_id`` (see
        :meth:`sign_in`, which also says whether the name is locked)."""
        return self.sign_in(clinic_id, username, password, ip).user

    @staticmethod
    def _user_row(tx: Tx, user_id: int) -> User:
        user = tx.session.get(User, user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        return user

    @staticmethod
    def _roles_here(tx: Tx, user_id: int) -> tuple[str, ...]:
        return tuple(sorted(tx.session.scalars(select(Membership.role).where(
            Membership.user_id == user_id, Membership.clinic_id == tx.actor.clinic_id))))

    def _managed(self, tx: Tx, user_id: int, *, allow_elsewhere: bool = False) -> User:
        """The account, if the actor's clinic may manage it (see the module docstring)."""
        user = self._user_row(tx, user_id)
        if tx.actor.role == SYSTEM_ROLE:
            return user
        clinics = set(tx.session.scalars(select(Membership.clinic_id).where(Membership.user_id == user_id)))
        if tx.actor.clinic_id not in clinics:
            raise CrossClinicError("user", user_id)
        if clinics - {tx.actor.clinic_id} and not allow_elsewhere:
            raise AccountError("this account also works in another clinic: the operator changes it "
                               "(cliniform users ... --clinic CODE)")
        return user


def _live_lock(until: datetime | LoginThrottle | None, now: datetime) -> datetime | None:
    if isinstance(until, LoginThrottle):
        until = until.locked_until
    return until if until is not None and until > now else None


def _throttle(session: Session, key: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, key)


def _fail(session: Session, key: str, now: datetime, limit: int, policy: LoginPolicy) -> datetime | None:
    """Count a failure against ``key``; the end of the lock when this one locks it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0, first_failure_at=now, locked_until=None)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if now - row.first_failure_at > timedelta(minutes=policy.window_minutes):
        row.failures, row.first_failure_at = 0, now
    row.failures += 1
    if row.failures < limit:
        return None
    row.failures, row.first_failure_at = 0, now
    row.locked_until = now + timedelta(minutes=policy.lock_minutes)
    return row.locked_until
