"""What a patient's chart reads: timeline, observation series, latest answers, lists.

Every query is scoped to the actor's clinic and audited as a read of the patient's record.
Series and lists use signed and amended documents unless ``include_drafts`` is set.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.store.columns import aware
from engine.store.models import ConsentRecord, Document, Encounter, Observation
from engine.store.records import (
    Actor,
    LatestAnswer,
    ListEntry,
    ListSpec,
    SeriesPoint,
    TimelineEntry,
)
from engine.store.service import Service

FINAL = ("signed", "amended")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def resolve_path(answers: Any, path: str) -> Any:
    """``answers["meds"][0]["dose"]`` for ``meds[0].dose``; None when any step is missing."""
    value = answers
    for name, index in _PATH_PART.findall(path):
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value


class Charts(Service):
    def timeline(self, actor: Actor, patient_id: int, limit: int = 500) -> list[TimelineEntry]:
        """Encounters, documents and consents of a patient, newest first."""
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            scope = (actor.clinic_id, patient_id)
            entries: list[TimelineEntry] = []
            for e in tx.session.execute(select(Encounter.id, Encounter.started_at, Encounter.kind, Encounter.status)
                                        .where(Encounter.clinic_id == scope[0], Encounter.patient_id == scope[1])
                                        .order_by(Encounter.started_at.desc()).limit(limit)):
                entries.append(TimelineEntry("encounter", e.id, e.started_at, e.kind, e.status))
            for d in tx.session.execute(select(Document.id, Document.effective_at, Document.def_id,
                                               Document.def_version, Document.status)
                                        .where(Document.clinic_id == scope[0], Document.patient_id == scope[1])
                                        .order_by(Document.effective_at.desc()).limit(limit)):
                entries.append(TimelineEntry("document", d.id, d.effective_at,
                                             f"{d.def_id}@{d.def_version}", d.status))
            for c in tx.session.execute(select(ConsentRecord.id, ConsentRecord.signed_at,
                                               ConsentRecord.text_version, ConsentRecord.event)
                                        .where(ConsentRecord.clinic_id == scope[0],
                                               ConsentRecord.patient_id == scope[1])
                                        .order_by(ConsentRecord.signed_at.desc()).limit(limit)):
                entries.append(TimelineEntry("consent", c.id, c.signed_at, c.text_version, c.event))
            entries.sort(key=lambda t: (t.at, t.kind, t.id), reverse=True)
            tx.audit("read", "timeline", patient_id, patient_id=patient_id)
            return entries[:limit]

    def series(
        self, actor: Actor, patient_id: int, *, code: str | None = None,
        code_system: str | None = None, item_path: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        include_drafts: bool = False,
    ) -> list[SeriesPoint]:
        """Values of one code (e.g. LOINC 8480-6, systolic pressure) or one item, oldest first."""
        if (code is None) == (item_path is None):
            raise ValueError("give either a code or an item path")
        aware(since, "since")
        aware(until, "until")
        o = Observation
        query = (
            select(o.effective_at, o.document_id, o.item_path, o.code_system, o.code, o.value_num,
                   o.value_text, o.value_date, o.value_datetime, o.coding_code, o.coding_display, o.unit)
            .where(o.clinic_id == actor.clinic_id, o.patient_id == patient_id)
            .where(o.code == code if code is not None else o.item_path == item_path)
            .order_by(o.effective_at, o.id)
        )
        if code_system is not None:
            query = query.where(o.code_system == code_system)
        if since is not None:
            query = query.where(o.effective_at >= since)
        if until is not None:
            query = query.where(o.effective_at < until)
        if not include_drafts:
            query = query.join(Document, Document.id == o.document_id).where(Document.status.in_(FINAL))
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            points = [
                SeriesPoint(r.effective_at, r.document_id, r.item_path, r.code_system, r.code,
                            r.value_num, r.value_text, r.value_datetime or r.value_date,
                            r.coding_code, r.coding_display, r.unit)
                for r in tx.session.execute(query)
            ]
            tx.audit("read", "series", patient_id, patient_id=patient_id,
                     code=code, item_path=item_path)
            return points

    def latest_answer(
        self, actor: Actor, patient_id: int, item_path: str, *, def_id: str | None = None,
        include_drafts: bool = False,
    ) -> LatestAnswer | None:
        """The most recent answer to ``item_path`` (for ``previous_value: offer``).

        Found through the observation rows (indexed by patient, item and time); the value is
        read from that document's answers, so a multiple choice comes back as a list.
        """
        query = (
            select(Observation.document_id, Observation.value_num, Observation.value_text,
                   Document.def_id, Document.status, Document.effective_at, Document.answers)
            .join(Document, Document.id == Observation.document_id)
            .where(Observation.clinic_id == actor.clinic_id, Observation.patient_id == patient_id,
                   Observation.item_path == item_path)
            .order_by(Observation.effective_at.desc(), Observation.id.desc())
            .limit(1)
        )
        if def_id is not None:
            query = query.where(Document.def_id == def_id)
        if not include_drafts:
            query = query.where(Document.status.in_(FINAL))
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            row = tx.session.execute(query).first()
            tx.audit("read", "latest_answer", patient_id, patient_id=patient_id, item_path=item_path)
            if row is None:
                return None
            value = resolve_path(row.answers, item_path)
            if value is None:
                value = row.value_num if row.value_num is not None else row.value_text
            return LatestAnswer(value, row.document_id, row.def_id, row.status, row.effective_at)

    def latest_observations(self, actor: Actor, patient_id: int, *, include_drafts: bool = False) -> list[SeriesPoint]:
        """The newest value of every coded observation of a patient (one per system + code).

        What decision support reads as `observations`: "the latest systolic pressure,
        whatever form recorded it". Picked in the database with a window function, so a
        long history costs one indexed scan rather than every row in Python.
        """
        o = Observation
        newest = func.row_number().over(
            partition_by=(o.code_system, o.code), order_by=(o.effective_at.desc(), o.id.desc())).label("newest")
        inner = (
            select(o.effective_at, o.document_id, o.item_path, o.code_system, o.code, o.value_num,
                   o.value_text, o.value_date, o.value_datetime, o.coding_code, o.coding_display, o.unit, newest)
            .where(o.clinic_id == actor.clinic_id, o.patient_id == patient_id, o.code.is_not(None))
        )
        if not include_drafts:
            inner = inner.join(Document, Document.id == o.document_id).where(Document.status.in_(FINAL))
        ranked = inner.subquery()
        query = select(ranked).where(ranked.c.newest == 1).order_by(ranked.c.code_system, ranked.c.code)
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            points = [
                SeriesPoint(r.effective_at, r.document_id, r.item_path, r.code_system, r.code,
                            r.value_num, r.value_text, r.value_datetime or r.value_date,
                            r.coding_code, r.coding_display, r.unit)
                for r in tx.session.execute(query)
            ]
            tx.audit("read", "observations", patient_id, patient_id=patient_id)
            return points

    def coded_answers(
        self, actor: Actor, patient_id: int, coding_system: str, *, exclude_forms: tuple[str, ...] = (),
    ) -> list[SeriesPoint]:
        """Answers coded in ``coding_system`` (e.g. ICD-10) in the latest final document of
        each form: what any specialty's form records as a condition (a prosthetic valve
        ticked in a cardiology history) without a list of its own."""
        o, d = Observation, Document
        # the latest final document of each form first (it may have no coded answer left)
        newest = func.row_number().over(partition_by=d.def_id, order_by=(d.effective_at.desc(), d.id.desc())).label("newest")
        documents = (select(d.id, d.effective_at, newest)
                     .where(d.clinic_id == actor.clinic_id, d.patient_id == patient_id, d.status.in_(FINAL)))
        if exclude_forms:
            documents = documents.where(d.def_id.not_in(exclude_forms))
        latest = documents.subquery()
        query = (
            select(latest.c.effective_at, o.document_id, o.item_path, o.coding_system, o.coding_code, o.coding_display)
            .join(latest, latest.c.id == o.document_id)
            .where(latest.c.newest == 1, o.coding_system == coding_system)
            .order_by(latest.c.effective_at, o.id)
        )
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            points = [
                SeriesPoint(r.effective_at, r.document_id, r.item_path, r.coding_system, None,
                            None, None, None, r.coding_code, r.coding_display, None)
                for r in tx.session.execute(query)
            ]
            tx.audit("read", "coded_answers", patient_id, patient_id=patient_id, system=coding_system)
            return points

    def current_list(self, actor: Actor, patient_id: int, spec: ListSpec) -> list[ListEntry]:
        """A chart list (problems, medications, allergies) from the latest final document."""
        query = (
            select(Document.id, Document.def_id, Document.effective_at, Document.answers)
            .where(Document.clinic_id == actor.clinic_id, Document.patient_id == patient_id,
                   Document.def_id.in_(spec.form_ids), Document.status.in_(FINAL))
            .order_by(Document.effective_at.desc(), Document.id.desc())
            .limit(1)
        )
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            row = tx.session.execute(query).first()
            tx.audit("read", "list", spec.name, patient_id=patient_id)
            if row is None:
                return []
            value = resolve_path(row.answers, spec.item_path)
            values = value if isinstance(value, list) else ([] if value is None else [value])
            return [ListEntry(v, row.id, row.def_id, row.effective_at) for v in values]
