"""Clinics (tenants), user accounts, per-clinic roles and password sign-in."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from engine.store import audit
from engine.store.errors import DuplicateError, NotFoundError
from engine.store.models import ROLES, Clinic, Membership, User
from engine.store.passwords import hash_password, verify_password
from engine.store.records import Actor, ClinicRecord, UserRecord
from engine.store.service import Service, Tx


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


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
        roles: tuple[str, ...] = (),
    ) -> UserRecord:
        """Create an account with roles in the actor's clinic; usernames are case-insensitive."""
        for role in roles:
            _check_role(role)
        password_hash = hash_password(password)  # outside the transaction: it is slow on purpose
        try:
            with self._tx(actor) as tx:
                user = User(username=username.strip().lower(), display_name=display_name,
                            password_hash=password_hash, active=True, created_at=tx.now)
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
            self._user_row(tx, user_id)
            held = tx.session.scalar(select(Membership.id).where(
                Membership.user_id == user_id, Membership.clinic_id == actor.clinic_id,
                Membership.role == role))
            if held is None:
                tx.session.add(Membership(user_id=user_id, clinic_id=actor.clinic_id, role=role,
                                          created_at=tx.now))
                tx.audit("grant", "user", user_id, role=role)

    def revoke(self, actor: Actor, user_id: int, role: str) -> None:
        with self._tx(actor) as tx:
            tx.session.execute(delete(Membership).where(
                Membership.user_id == user_id, Membership.clinic_id == actor.clinic_id,
                Membership.role == role))
            tx.audit("revoke", "user", user_id, role=role)

    def set_password(self, actor: Actor, user_id: int, password: str) -> None:
        password_hash = hash_password(password)
        with self._tx(actor) as tx:
            self._user_row(tx, user_id).password_hash = password_hash
            tx.audit("update", "user", user_id, field="password")

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

    def authenticate(self, clinic_id: int, username: str, password: str,
                     ip: str | None = None) -> UserRecord | None:
        """The user if the password is right and they hold a role in ``clinic_id``.

        Every attempt is audited (``login`` / ``login_failed``); a hash made with older
        parameters is upgraded on success.
        """
        name = username.strip().lower()
        with self.db.transaction() as session:
            user = session.scalars(select(User).where(User.username == name)).first()
        ok, rehash = verify_password(user.password_hash if user else None, password)
        record = self.user(user.id) if ok and user is not None else None
        allowed = record is not None and record.active and clinic_id in record.roles
        actor = Actor(user.id if user and allowed else None, "anonymous", clinic_id, ip)
        new_hash = hash_password(password) if allowed and rehash else None
        with self._tx(actor) as tx:
            if new_hash and user is not None:
                self._user_row(tx, user.id).password_hash = new_hash
            tx.audit("login" if allowed else "login_failed", "user",
                     user.id if user else None, username=name)
        return record if allowed else None

    @staticmethod
    def _user_row(tx: Tx, user_id: int) -> User:
        user = tx.session.get(User, user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        return user
