"""The unit of work every store service runs in: one transaction, audit appended last.

It is also where tenant isolation and patient scope are enforced for every service: rows
are fetched through :meth:`Tx.get` / :meth:`Tx.patient` / :meth:`Tx.require_patient`, which
refuse records of other clinics (:class:`CrossClinicError`, shown as not found) and patients
outside the actor's care scope (:class:`OutOfScopeError`, see engine.store.scope). Refusals
are audited (``denied``) in a transaction of their own, since the refused one rolls back;
events of a transaction that used a break-glass grant carry the grant's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from engine.store import audit
from engine.store.columns import utcnow
from engine.store.database import Database
from engine.store.errors import CrossClinicError, NotFoundError, OutOfScopeError
from engine.store.models import Base, Patient
from engine.store.records import Actor
from engine.store.scope import check_patient

Clock = Callable[[], datetime]
M = TypeVar("M", bound=Base)


@dataclass(slots=True)
class Tx:
    """A transaction in progress: the session, its timestamp, and the audit events to append."""

    session: Session
    actor: Actor
    now: datetime
    events: list[audit.AuditEntry] = field(default_factory=list)
    #: the break-glass grant this transaction relied on (marked on its audit events)
    break_glass: int | None = None

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: object = None,
        /,
        *,
        patient_id: int | None = None,
        **detail: Any,
    ) -> None:
        if action == "read" and not self.actor.reads_logged:
            return
        self.events.append(audit.AuditEntry(
            action, entity_type, None if entity_id is None else str(entity_id), patient_id,
            detail or None,
        ))

    def get(self, model: type[M], key: int, entity: str) -> M:
        """The row ``key`` of ``model`` in the actor's clinic (and, for rows of a patient,
        in the actor's scope), or NotFoundError / OutOfScopeError."""
        row = self.session.get(model, key)
        if row is None:
            raise NotFoundError(entity, key)
        patient_id = row.id if isinstance(row, Patient) else getattr(row, "patient_id", None)
        if getattr(row, "clinic_id", None) != self.actor.clinic_id:
            raise CrossClinicError(entity, key, patient_id=patient_id)
        if isinstance(patient_id, int):
            self.in_scope(patient_id)
        return row

    def columns(self, model: type[Base], key: int, entity: str, *names: str) -> Row[Any]:
        """Only the columns ``names`` of the row ``key`` of ``model`` (one that carries no
        patient), with the tenant check of :meth:`get`, and without loading the whole row
        into the session (a definition's source text, say)."""
        row = self.session.execute(_columns_query(model, names), {"key": key}).first()
        if row is None:
            raise NotFoundError(entity, key)
        if row.clinic_id != self.actor.clinic_id:
            raise CrossClinicError(entity, key, patient_id=None)
        return row

    def patient(self, patient_id: int) -> Patient:
        return self.get(Patient, patient_id, "patient")

    def require_patient(self, patient_id: int) -> None:
        """Cheaper than :meth:`patient` when only the tenant and scope checks are needed."""
        clinic_id = self.session.execute(_PATIENT_CLINIC, {"patient": patient_id}).scalar()
        if clinic_id is None:
            raise NotFoundError("patient", patient_id)
        if clinic_id != self.actor.clinic_id:
            raise CrossClinicError("patient", patient_id, patient_id=patient_id)
        self.in_scope(patient_id)

    def in_scope(self, patient_id: int) -> None:
        """OutOfScopeError unless the actor may open this patient of their clinic."""
        grant = check_patient(self.session, self.actor, patient_id, self.now)
        if grant is not None:
            self.break_glass = grant


#: statements built once (building one costs more than running it)
_PATIENT_CLINIC = select(Patient.clinic_id).where(Patient.id == bindparam("patient"))


@lru_cache(maxsize=64)
def _columns_query(model: type[Base], names: tuple[str, ...]) -> Select[Any]:
    table = cast(Table, model.__table__)
    return select(table.c.clinic_id, *(table.c[n] for n in names)).where(table.c.id == bindparam("key"))


class Service:
    """Base of the store services: holds the database and the clock."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    @contextmanager
    def _tx(self, actor: Actor) -> Iterator[Tx]:
        try:
            with self.db.transaction() as session:
                tx = Tx(session, actor, self.clock())
                yield tx
                events = tx.events
                if tx.break_glass is not None:
                    events = [replace(e, detail={**(e.detail or {}), "break_glass": tx.break_glass}) for e in events]
                audit.append(session, actor, events, tx.now)
        except (CrossClinicError, OutOfScopeError) as refused:
            self._audit_denied(actor, refused)
            raise

    @contextmanager
    def _read_tx(self, actor: Actor) -> Iterator[Tx]:
        """Like :meth:`_tx` for a transaction that only reads and writes no audit event (the
        caller says why it need not be audited); refused accesses are still audited."""
        try:
            with self.db.reading() as session:
                tx = Tx(session, actor, self.clock())
                yield tx
                if tx.events:
                    raise RuntimeError("a read-only store transaction cannot write audit events")
        except (CrossClinicError, OutOfScopeError) as refused:
            self._audit_denied(actor, refused)
            raise

    def _audit_denied(self, actor: Actor, refused: CrossClinicError | OutOfScopeError) -> None:
        """Record a refused access (the refused transaction itself was rolled back)."""
        if isinstance(refused, CrossClinicError):
            entry = audit.AuditEntry("denied", refused.entity, str(refused.key), refused.patient_id,
                                     {"reason": "other_clinic"})
        else:
            entry = audit.AuditEntry("denied", "patient", str(refused.patient_id), refused.patient_id,
                                     {"reason": "out_of_scope"})
        with self.db.transaction() as session:
            audit.append(session, actor, [entry], self.clock())
