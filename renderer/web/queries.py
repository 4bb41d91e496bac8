"""Read-only lists the dashboard needs that the store API does not offer yet.

Today's encounters of the clinic and a user's unfinished drafts. Tenant-scoped like the
store's own queries and audited through `Store.record`. (To move into engine/store as
`encounters.today` / `documents.drafts`; asked for in the web issue's report.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from engine.store import Actor, NotFoundError, Store
from engine.store.models import Document, Encounter, Patient
from engine.store.records import EncounterRecord


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a dashboard list: what, for whom, when."""

    id: int
    patient_id: int
    patient_name: str
    patient_name_ar: str
    mrn: str
    at: dt.datetime
    title: str
    status: str
    encounter_id: int | None = None


def _names(p: Patient) -> tuple[str, str]:
    return f"{p.given_name} {p.family_name}", " ".join(x for x in (p.given_name_ar, p.family_name_ar) if x)


def encounters_since(store: Store, actor: Actor, since: dt.datetime, limit: int = 100) -> list[Row]:
    """Encounters of the actor's clinic that started at or after ``since``, newest first."""
    query = (select(Encounter, Patient).join(Patient, Patient.id == Encounter.patient_id)
             .where(Encounter.clinic_id == actor.clinic_id, Encounter.started_at >= since)
             .order_by(Encounter.started_at.desc()).limit(limit))
    with store.db.transaction() as session:
        rows = [Row(e.id, p.id, *_names(p), p.mrn, e.started_at, e.kind, e.status, e.id) for e, p in session.execute(query)]
    store.record(actor, "read", "dashboard", "encounters", count=len(rows))
    return rows


def drafts_of(store: Store, actor: Actor, limit: int = 100) -> list[Row]:
    """The actor's own unsigned documents, most recently touched first."""
    query = (select(Document, Patient).join(Patient, Patient.id == Document.patient_id)
             .where(Document.clinic_id == actor.clinic_id, Document.status == "draft",
                    Document.updated_by == actor.user_id)
             .order_by(Document.updated_at.desc()).limit(limit))
    with store.db.transaction() as session:
        rows = [Row(d.id, p.id, *_names(p), p.mrn, d.updated_at, d.def_id, d.status, d.encounter_id)
                for d, p in session.execute(query)]
    store.record(actor, "read", "dashboard", "drafts", count=len(rows))
    return rows


def documents_of_encounter(store: Store, actor: Actor, encounter_id: int) -> list[Row]:
    query = (select(Document, Patient).join(Patient, Patient.id == Document.patient_id)
             .where(Document.clinic_id == actor.clinic_id, Document.encounter_id == encounter_id)
             .order_by(Document.created_at))
    with store.db.transaction() as session:
        return [Row(d.id, p.id, *_names(p), p.mrn, d.updated_at, d.def_id, d.status, d.encounter_id)
                for d, p in session.execute(query)]


def encounter(store: Store, actor: Actor, encounter_id: int) -> EncounterRecord | None:
    """The encounter, through the store (tenant and patient scope checked; a refused
    attempt on another clinic's encounter is audited); None when not found here."""
    try:
        return store.encounters.get(actor, encounter_id)
    except NotFoundError:
        return None
