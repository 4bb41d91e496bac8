"""The unit of work every store service runs in: one transaction, audit appended last."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import audit
from engine.store.columns import utcnow
from engine.store.database import Database
from engine.store.errors import NotFoundError
from engine.store.models import Base, Patient
from engine.store.records import Actor

Clock = Callable[[], datetime]
M = TypeVar("M", bound=Base)


@dataclass(slots=True)
class Tx:
    """A transaction in progress: the session, its timestamp, and the audit events to append."""

    session: Session
    actor: Actor
    now: datetime
    events: list[audit.AuditEntry] = field(default_factory=list)

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
        self.events.append(audit.AuditEntry(
            action, entity_type, None if entity_id is None else str(entity_id), patient_id,
            detail or None,
        ))

    def get(self, model: type[M], key: int, entity: str) -> M:
        """The row ``key`` of ``model`` in the actor's clinic, or NotFoundError."""
        row = self.session.get(model, key)
        if row is None or getattr(row, "clinic_id", None) != self.actor.clinic_id:
            raise NotFoundError(entity, key)
        return row

    def patient(self, patient_id: int) -> Patient:
        return self.get(Patient, patient_id, "patient")

    def require_patient(self, patient_id: int) -> None:
        """Cheaper than :meth:`patient` when only the tenant check is needed."""
        found = self.session.execute(
            select(Patient.id).where(Patient.id == patient_id, Patient.clinic_id == self.actor.clinic_id)
        ).first()
        if found is None:
            raise NotFoundError("patient", patient_id)


class Service:
    """Base of the store services: holds the database and the clock."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    @contextmanager
    def _tx(self, actor: Actor) -> Iterator[Tx]:
        with self.db.transaction() as session:
            tx = Tx(session, actor, self.clock())
            yield tx
            audit.append(session, actor, tx.events, tx.now)
