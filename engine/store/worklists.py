"""Clinic-wide lists for the dashboard: recent encounters, a user's open drafts, the
documents of one encounter. Each list read is one audit event naming the patients shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from engine.store.columns import aware
from engine.store.models import Document, Encounter, Patient
from engine.store.records import Actor
from engine.store.service import Service, Tx


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One line of a list: what (an encounter or a document), for whom, when."""

    id: int
    patient_id: int
    patient_name: str
    patient_name_ar: str
    mrn: str
    at: datetime
    title: str
    status: str
    encounter_id: int | None = None

    @property
    def def_id(self) -> str:
        """A document row's form id (its title is ``id@version``); an encounter row's kind."""
        return self.title.partition("@")[0]


def _names(p: Patient) -> tuple[str, str]:
    return (f"{p.given_name} {p.family_name}",
            " ".join(x for x in (p.given_name_ar, p.family_name_ar) if x))


class Worklists(Service):
    def encounters_since(self, actor: Actor, since: datetime, limit: int = 100) -> list[WorklistRow]:
        """Encounters of the actor's clinic that started at or after ``since``, newest first."""
        aware(since, "since")
        query = (select(Encounter, Patient).join(Patient, Patient.id == Encounter.patient_id)
                 .where(Encounter.clinic_id == actor.clinic_id, Encounter.started_at >= since)
                 .order_by(Encounter.started_at.desc(), Encounter.id.desc()).limit(limit))
        with self._tx(actor) as tx:
            rows = [WorklistRow(e.id, p.id, *_names(p), p.mrn, e.started_at, e.kind, e.status, e.id)
                    for e, p in tx.session.execute(query)]
            _audit(tx, "encounters", rows)
            return rows

    def drafts(self, actor: Actor, limit: int = 100) -> list[WorklistRow]:
        """The actor's own unsigned documents, most recently touched first."""
        query = self._documents().where(Document.status == "draft",
                                        Document.updated_by == actor.user_id)
        query = query.where(Document.clinic_id == actor.clinic_id)
        with self._tx(actor) as tx:
            rows = self._rows(tx, query.order_by(Document.updated_at.desc()).limit(limit))
            _audit(tx, "drafts", rows)
            return rows

    def encounter_documents(self, actor: Actor, encounter_id: int) -> list[WorklistRow]:
        """The documents written in one encounter, oldest first."""
        query = self._documents().where(Document.clinic_id == actor.clinic_id,
                                        Document.encounter_id == encounter_id)
        with self._tx(actor) as tx:
            encounter = tx.get(Encounter, encounter_id, "encounter")
            rows = self._rows(tx, query.order_by(Document.created_at, Document.id))
            tx.audit("read", "encounter", encounter_id, patient_id=encounter.patient_id)
            return rows

    @staticmethod
    def _documents() -> Select[Document, Patient]:
        return select(Document, Patient).join(Patient, Patient.id == Document.patient_id)

    @staticmethod
    def _rows(tx: Tx, query: Select[Document, Patient]) -> list[WorklistRow]:
        return [WorklistRow(d.id, p.id, *_names(p), p.mrn, d.updated_at,
                            f"{d.def_id}@{d.def_version}", d.status, d.encounter_id)
                for d, p in tx.session.execute(query)]


def _audit(tx: Tx, name: str, rows: list[WorklistRow]) -> None:
    tx.audit("read", "worklist", name, patients=sorted({r.patient_id for r in rows}))
