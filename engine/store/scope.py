"""Which patients of the clinic an actor may open: the store's half of access control.

Every patient-level read or write of the store goes through ``Tx.patient``,
``Tx.require_patient`` or ``Tx.get`` (for rows that carry a ``patient_id``), and those call
:func:`check_patient`. The web layer decides the actor's scope from their roles
(renderer/web/permissions.yaml); the store enforces it:

``clinic``
    every patient of the actor's clinic (clinicians; reception, who sees demographics only
    because no route gives them clinical pages).
``care``
    patients with an encounter that started in the last ``care_days`` days or is still open,
    and patients the actor registered in that window (a walk-in a nurse registers is theirs
    to see before a visit is opened) (nurses). Anyone else needs break-glass: a stated reason, a grant that expires, every
    action under it marked in the audit trail.
``none``
    no patient at all (administrators, auditors).

Records of other clinics are never in scope, break-glass or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.store.access_models import BreakGlassGrant
from engine.store.errors import OutOfScopeError
from engine.store.models import Encounter, Patient
from engine.store.records import SYSTEM_ROLE, Actor

SCOPES = ("clinic", "care", "none")


def in_care(session: Session, actor: Actor, patient_id: int, now: datetime) -> bool:
    """The patient has an encounter in the care window, or one still open, or the actor
    registered them in the window."""
    since = now - timedelta(days=actor.care_days)
    found = session.execute(
        select(Encounter.id).where(
            Encounter.clinic_id == actor.clinic_id, Encounter.patient_id == patient_id,
            or_(Encounter.started_at >= since, Encounter.status == "open"),
        ).limit(1)
    ).first()
    if found is not None:
        return True
    if actor.user_id is None:
        return False
    registered = session.execute(
        select(Patient.id).where(Patient.id == patient_id, Patient.clinic_id == actor.clinic_id,
                                 Patient.created_by == actor.user_id, Patient.created_at >= since)
    ).first()
    return registered is not None


def active_grant(session: Session, actor: Actor, patient_id: int, now: datetime) -> BreakGlassGrant | None:
    """The actor's unexpired break-glass grant for the patient (the latest), if any."""
    if actor.user_id is None:
        return None
    return session.scalars(
        select(BreakGlassGrant).where(
            BreakGlassGrant.clinic_id == actor.clinic_id, BreakGlassGrant.user_id == actor.user_id,
            BreakGlassGrant.patient_id == patient_id, BreakGlassGrant.expires_at > now,
        ).order_by(BreakGlassGrant.expires_at.desc()).limit(1)
    ).first()


def check_patient(session: Session, actor: Actor, patient_id: int, now: datetime) -> int | None:
    """None when the patient is in the actor's scope; the id of the break-glass grant that
    opens it otherwise; OutOfScopeError when neither (the caller has checked the clinic)."""
    if actor.scope == "clinic" or actor.role == SYSTEM_ROLE:
        return None
    if actor.scope == "care" and in_care(session, actor, patient_id, now):
        return None
    grant = active_grant(session, actor, patient_id, now)
    if grant is not None:
        return grant.id
    raise OutOfScopeError(patient_id)
