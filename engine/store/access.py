"""Emergency access ("break-glass"): opening a patient outside one's care scope.

A person whose scope is ``care`` (see engine.store.scope) states why they need the record;
the grant lasts ``minutes`` and covers that one patient. The grant itself is audited
(``break_glass``, with the reason and the end), and every event of a transaction that relied
on it carries ``break_glass: <grant id>``, so the audit report can show exactly what was
seen under emergency access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.store.access_models import BreakGlassGrant
from engine.store.errors import CrossClinicError, NotFoundError, OutOfScopeError
from engine.store.models import Patient
from engine.store.records import Actor
from engine.store.scope import in_care
from engine.store.service import Service

#: a reason shorter than this is not a reason
MIN_REASON = 8
MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    patient_id: int
    reason: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PatientBrief:
    """Who a patient is (MRN and names: what the search shows), nothing clinical."""

    id: int
    mrn: str
    name: str
    name_ar: str
    in_scope: bool


class Access(Service):
    def brief(self, actor: Actor, patient_id: int) -> PatientBrief:
        """The patient's identity for the break-glass page (tenant-checked, not
        scope-checked: the search shows the same)."""
        with self._tx(actor) as tx:
            patient = tx.session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("patient", patient_id)
            if patient.clinic_id != actor.clinic_id:
                raise CrossClinicError("patient", patient_id, patient_id=patient_id)
            scope = actor.scope == "clinic" or (actor.scope == "care" and in_care(tx.session, actor, patient_id, tx.now))
            return PatientBrief(patient.id, patient.mrn, f"{patient.given_name} {patient.family_name}",
                                " ".join(x for x in (patient.given_name_ar, patient.family_name_ar) if x), scope)

    def break_glass(self, actor: Actor, patient_id: int, reason: str, minutes: float) -> Grant:
        """Open ``patient_id`` to the actor for ``minutes``, for the stated ``reason``."""
        reason = " ".join(reason.split())
        if len(reason) < MIN_REASON:
            raise ValueError(f"state the reason for emergency access (at least {MIN_REASON} characters)")
        if not 0 < minutes <= MAX_MINUTES:
            raise ValueError(f"emergency access lasts between 1 minute and {MAX_MINUTES} minutes")
        with self._tx(actor) as tx:
            patient = tx.session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("patient", patient_id)
            if patient.clinic_id != actor.clinic_id:
                raise CrossClinicError("patient", patient_id, patient_id=patient_id)
            if actor.user_id is None or actor.scope == "none":
                raise OutOfScopeError(patient_id)
            grant = BreakGlassGrant(clinic_id=actor.clinic_id, user_id=actor.user_id, patient_id=patient_id,
                                    reason=reason, created_at=tx.now,
                                    expires_at=tx.now + timedelta(minutes=minutes))
            tx.session.add(grant)
            tx.session.flush()
            tx.audit("break_glass", "patient", patient_id, patient_id=patient_id, reason=reason,
                     grant=grant.id, until=grant.expires_at.isoformat(timespec="seconds"))
            return _grant(grant)

    def grants(self, actor: Actor) -> list[Grant]:
        """The actor's unexpired grants, newest first."""
        with self.db.transaction() as session:
            now = self.clock()
            rows = session.scalars(select(BreakGlassGrant).where(
                BreakGlassGrant.clinic_id == actor.clinic_id, BreakGlassGrant.user_id == actor.user_id,
                BreakGlassGrant.expires_at > now).order_by(BreakGlassGrant.created_at.desc()))
            return [_grant(g) for g in rows]


def _grant(g: BreakGlassGrant) -> Grant:
    return Grant(g.id, g.patient_id, g.reason, g.created_at, g.expires_at)
