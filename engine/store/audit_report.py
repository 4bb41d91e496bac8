"""The audit report: who viewed or changed which patient and document, for auditors.

The report of a clinic shows its own events, plus refused attempts by people of other
clinics on its patients (``denied`` events name the patient they aimed at). Patient names
are joined only for the clinic's own patients. Emergency access shows as ``emergency``:
the ``break_glass`` grants and every event made under one. Reading the report is itself
audited (``read audit``; an export ``export audit``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, cast, or_, select
from sqlalchemy.orm import aliased

from engine.store.models import AuditEvent, Patient, User
from engine.store.records import Actor
from engine.store.service import Service

PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to show; every field is optional. ``since``/``until`` are aware datetimes
    (``until`` exclusive); ``before``: events older than this seq (paging)."""

    user_id: int | None = None
    patient_id: int | None = None
    action: str | None = None
    entity_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    emergency_only: bool = False
    before: int | None = None

    def described(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k in ("user_id", "patient_id", "action", "entity_type", "since", "until", "emergency_only")
                if (v := getattr(self, k)) not in (None, False)}


@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    at: datetime
    user_id: int | None
    username: str | None
    display_name: str | None
    role: str
    ip: str | None
    action: str
    entity_type: str
    entity_id: str | None
    patient_id: int | None
    mrn: str | None
    patient_name: str | None
    detail: dict[str, Any] | None
    #: made under emergency access (or the grant itself)
    emergency: bool
    #: by a person of another clinic (a refused attempt on this clinic's patient)
    foreign: bool


class AuditReport(Service):
    def events(self, actor: Actor, where: AuditFilter, limit: int = PAGE) -> list[AuditRow]:
        """The newest events matching ``where`` (at most ``limit``); audited as a read."""
        with self._tx(actor) as tx:
            rows = [self._row(actor, *r) for r in tx.session.execute(self._query(actor, where).limit(limit))]
            tx.audit("read", "audit", None, count=len(rows), **where.described())
            return rows

    def export(self, actor: Actor, where: AuditFilter, batch: int = 1000) -> Iterator[AuditRow]:
        """Every event matching ``where``, newest first, fetched in batches; audited once."""
        with self._tx(actor) as tx:
            tx.audit("export", "audit", None, **where.described())
        before = where.before
        while True:
            page_filter = AuditFilter(**{**_fields(where), "before": before})
            with self.db.transaction() as session:
                page = [self._row(actor, *r) for r in session.execute(self._query(actor, page_filter).limit(batch))]
            yield from page
            if len(page) < batch:
                return
            before = page[-1].seq

    def patient_by_mrn(self, actor: Actor, mrn: str) -> int | None:
        """The id of the clinic's patient with this MRN (to filter the report by MRN)."""
        with self.db.transaction() as session:
            return session.scalar(select(Patient.id).where(Patient.clinic_id == actor.clinic_id, Patient.mrn == mrn.strip()))

    @staticmethod
    def _query(actor: Actor, where: AuditFilter) -> Select[AuditEvent, str, str, str, str, str]:
        """Events of the clinic (and refused attempts on its patients), newest first; user
        and patient names outer-joined (None when absent)."""
        patient = aliased(Patient)
        own_patients = select(Patient.id).where(Patient.clinic_id == actor.clinic_id)
        query = (
            select(AuditEvent, User.username, User.display_name, patient.mrn, patient.given_name, patient.family_name)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .outerjoin(patient, and_(patient.id == AuditEvent.patient_id, patient.clinic_id == actor.clinic_id))
            .where(or_(AuditEvent.clinic_id == actor.clinic_id,
                       and_(AuditEvent.action == "denied", AuditEvent.patient_id.in_(own_patients))))
            .order_by(AuditEvent.seq.desc())
        )
        if where.user_id is not None:
            query = query.where(AuditEvent.user_id == where.user_id)
        if where.patient_id is not None:
            query = query.where(AuditEvent.patient_id == where.patient_id)
        if where.action:
            query = query.where(AuditEvent.action == where.action)
        if where.entity_type:
            query = query.where(AuditEvent.entity_type == where.entity_type)
        if where.since is not None:
            query = query.where(AuditEvent.at >= where.since)
        if where.until is not None:
            query = query.where(AuditEvent.at < where.until)
        if where.before is not None:
            query = query.where(AuditEvent.seq < where.before)
        if where.emergency_only:
            query = query.where(or_(AuditEvent.action == "break_glass",
                                    cast(AuditEvent.detail, String).like('%"break_glass"%')))
        return query

    @staticmethod
    def _row(actor: Actor, event: AuditEvent, username: str | None, display: str | None, mrn: str | None,
             given: str | None, family: str | None) -> AuditRow:
        detail = event.detail
        emergency = event.action == "break_glass" or bool(detail and "break_glass" in detail)
        name = f"{given} {family}" if given is not None else None
        return AuditRow(event.seq, event.at, event.user_id, username, display, event.role, event.ip, event.action,
                        event.entity_type, event.entity_id, event.patient_id, mrn, name, detail, emergency,
                        event.clinic_id != actor.clinic_id)


def _fields(where: AuditFilter) -> dict[str, Any]:
    return {k: getattr(where, k) for k in AuditFilter.__dataclass_fields__}
