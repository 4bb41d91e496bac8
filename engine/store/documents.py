"""Documents (form submissions): drafts with optimistic concurrency, signing, amendments.

Every accepted save writes, in one transaction: the document's current answers, its typed
observation rows (replaced), an append-only revision, and an audit event. A save based on
an out-of-date version is rejected with :class:`ConflictError`, and the rejected answers are
kept as a ``conflict`` revision, so two people editing one note never lose either's work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    LABEL_STYLE_TABLENAME_PLUS_COL,
    CursorResult,
    bindparam,
    delete,
    select,
    update,
)

from engine.store.columns import aware
from engine.store.definitions import definition_record
from engine.store.errors import ConflictError, CrossClinicError, InvalidStateError, NotFoundError
from engine.store.inserts import insert_row, row_insert
from engine.store.models import (
    DefinitionVersion,
    Document,
    Encounter,
    Observation,
    Patient,
    Revision,
)
from engine.store.reads import read_all
from engine.store.records import (
    SYSTEM_ROLE,
    Actor,
    DefinitionRecord,
    DocumentRecord,
    DocumentView,
    ObservationRow,
    PatientRecord,
    RevisionRecord,
)
from engine.store.service import Service, Tx
from engine.store.signing_models import ConsentInstance

FINAL = ("signed", "amended")


def document_record(d: Document) -> DocumentRecord:
    return DocumentRecord(
        d.id, d.patient_id, d.encounter_id, d.definition_version_id, d.def_id, d.def_version,
        d.content_hash, cast(Any, d.status), d.version, d.answers, d.effective_at, d.created_at,
        d.created_by, d.updated_at, d.updated_by, d.signed_at, d.signed_by,
    )


def revision_record(r: Revision) -> RevisionRecord:
    return RevisionRecord(r.id, r.document_id, r.document_version, r.base_version, r.kind,
                          r.status, r.answers, r.reason, r.author_id, r.created_at)


def observation_values(
    rows: Iterable[ObservationRow], *, clinic_id: int, patient_id: int, document_id: int,
    effective_at: datetime,
) -> list[dict[str, Any]]:
    """Column values for inserting observation rows of one document."""
    values = []
    for r in rows:
        when = r.value_date
        values.append({
            "clinic_id": clinic_id, "patient_id": patient_id, "document_id": document_id,
            "item_path": r.item_path, "code_system": r.code_system, "code": r.code,
            "value_num": r.value_num, "value_text": r.value_text,
            "value_date": None if isinstance(when, datetime) else when,
            "value_datetime": when if isinstance(when, datetime) else None,
            "coding_system": r.coding_system, "coding_code": r.coding_code,
            "coding_display": r.coding_display, "unit": r.unit, "effective_at": effective_at,
        })
    return values


class Documents(Service):
    def create(
        self, actor: Actor, *, patient_id: int, definition_version_id: int,
        answers: dict[str, Any], observations: Sequence[ObservationRow] = (),
        encounter_id: int | None = None, effective_at: datetime | None = None,
    ) -> DocumentRecord:
        """Start a draft pinned to a published form version (version 1 of the document)."""
        aware(effective_at, "effective_at")
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            definition = tx.columns(DefinitionVersion, definition_version_id, "definition version",
                                    "id", "kind", "def_id", "version", "content_hash")
            if definition.kind != "form":
                raise ValueError(f"{definition.def_id} is a {definition.kind}, not a form")
            if encounter_id is not None and tx.get(Encounter, encounter_id, "encounter").patient_id != patient_id:
                raise ValueError(f"encounter {encounter_id} belongs to another patient")
            values: dict[str, Any] = {
                "clinic_id": actor.clinic_id, "patient_id": patient_id, "encounter_id": encounter_id,
                "definition_version_id": definition.id, "def_id": definition.def_id,
                "def_version": definition.version, "content_hash": definition.content_hash,
                "status": "draft", "version": 1, "answers": answers,
                "effective_at": effective_at or tx.now, "created_at": tx.now,
                "created_by": actor.user_id, "updated_at": tx.now, "updated_by": actor.user_id,
                "signed_at": None, "signed_by": None,
            }
            doc_id = insert_row(tx.session.connection(), Document, values, returning="id")
            self._revision(tx, doc_id, "create", "draft", answers, version=1, base=None)
            self._replace_observations(tx, doc_id, patient_id, values["effective_at"], observations, fresh=True)
            tx.audit("create", "document", doc_id, patient_id=patient_id,
                     def_id=definition.def_id, def_version=definition.version)
            return DocumentRecord(id=doc_id, **{k: v for k, v in values.items() if k != "clinic_id"})

    def save_draft(
        self, actor: Actor, document_id: int, *, base_version: int, answers: dict[str, Any],
        observations: Sequence[ObservationRow] = (),
    ) -> DocumentRecord:
        """Autosave a draft edited from ``base_version``; ConflictError if it moved on."""
        return self._save(actor, document_id, base_version, "draft", ("draft",), "draft",
                          answers, observations, None)

    def sign(
        self, actor: Actor, document_id: int, *, base_version: int,
        answers: dict[str, Any] | None = None, observations: Sequence[ObservationRow] = (),
    ) -> DocumentRecord:
        """Sign a draft (optionally saving final answers in the same step); then it is immutable."""
        return self._save(actor, document_id, base_version, "sign", ("draft",), "signed",
                          answers, observations, None)

    def amend(
        self, actor: Actor, document_id: int, *, base_version: int, answers: dict[str, Any],
        reason: str, observations: Sequence[ObservationRow] = (),
    ) -> DocumentRecord:
        """Amend a signed document: a new revision with reason and author; the old one stays."""
        if not reason.strip():
            raise ValueError("an amendment needs a reason")
        return self._save(actor, document_id, base_version, "amend", FINAL, "amended",
                          answers, observations, reason.strip())

    def get(self, actor: Actor, document_id: int) -> DocumentView:
        """The document with the exact definition version it was captured with (audited)."""
        with self._tx(actor) as tx:
            doc = tx.get(Document, document_id, "document")
            definition = tx.session.get_one(DefinitionVersion, doc.definition_version_id)
            tx.audit("read", "document", document_id, patient_id=doc.patient_id)
            return DocumentView(document_record(doc), definition_record(definition))

    def workspace(self, actor: Actor, document_id: int) -> tuple[DocumentView, PatientRecord, int | None]:
        """What a page that edits a document needs, in one query: the document with its
        definition version, the patient, and the consent the document belongs to (or None).

        Audited as a read of the document and of the chart. For an actor whose reads are not
        logged (a live round-trip, on every keystroke) it is a plain read on a connection of
        its own, with no transaction that takes a lock; tenant and scope checks apply alike.
        """
        if actor.reads_logged:
            with self._tx(actor) as tx:
                row = tx.session.execute(_WORKSPACE, {"document": document_id}).first()
                found = _workspace(None if row is None else row._mapping, actor, document_id)
                tx.in_scope(found[1].id)
                tx.audit("read", "document", document_id, patient_id=found[1].id)
                tx.audit("read", "chart", found[1].id, patient_id=found[1].id)
                return found
        try:
            rows = read_all(self.db.engine, _WORKSPACE, document=document_id)
            found = _workspace(rows[0]._asdict() if rows else None, actor, document_id)
        except CrossClinicError as refused:
            self._audit_denied(actor, refused)
            raise
        if actor.scope != "clinic" and actor.role != SYSTEM_ROLE:
            with self._read_tx(actor) as tx:
                tx.in_scope(found[1].id)
        return found

    def latest_of_form(self, actor: Actor, patient_id: int, def_id: str,
                       statuses: Sequence[str] = FINAL) -> DocumentRecord | None:
        """The patient's newest document of form ``def_id`` in one of ``statuses`` (audited
        as a read of that document), or None."""
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            doc = tx.session.scalars(
                select(Document).where(Document.clinic_id == actor.clinic_id, Document.patient_id == patient_id,
                                       Document.def_id == def_id, Document.status.in_(tuple(statuses)))
                .order_by(Document.effective_at.desc(), Document.id.desc()).limit(1)).first()
            if doc is None:
                return None
            tx.audit("read", "document", doc.id, patient_id=patient_id)
            return document_record(doc)

    def revisions(self, actor: Actor, document_id: int) -> list[RevisionRecord]:
        """The full history of a document, conflicts included, oldest first (audited)."""
        with self._tx(actor) as tx:
            doc = tx.get(Document, document_id, "document")
            rows = tx.session.scalars(
                select(Revision).where(Revision.document_id == document_id).order_by(Revision.id))
            found = [revision_record(r) for r in rows]
            tx.audit("read", "revisions", document_id, patient_id=doc.patient_id)
            return found

    def _save(
        self, actor: Actor, document_id: int, base: int, kind: str, from_statuses: tuple[str, ...],
        new_status: str, answers: dict[str, Any] | None, observations: Sequence[ObservationRow],
        reason: str | None,
    ) -> DocumentRecord:
        conflict: ConflictError | None = None
        with self._tx(actor) as tx:
            doc = tx.get(Document, document_id, "document")
            if doc.version == base and doc.status not in from_statuses:
                raise InvalidStateError(_wrong_state(document_id, doc.status, kind))
            values: dict[str, Any] = {"version": base + 1, "status": new_status,
                                      "updated_at": tx.now, "updated_by": actor.user_id}
            if answers is not None:
                values["answers"] = answers
            if kind == "sign":
                values.update(signed_at=tx.now, signed_by=actor.user_id)
            result = cast(CursorResult[Any], tx.session.execute(
                update(Document)
                .where(Document.id == document_id, Document.version == base,
                       Document.status.in_(from_statuses))
                .values(values)
                .execution_options(synchronize_session=False)
            ))
            tx.session.expire(doc)
            if result.rowcount == 1:
                tx.session.refresh(doc)
                if answers is not None:
                    self._replace_observations(tx, document_id, doc.patient_id, doc.effective_at, observations)
                self._revision(tx, document_id, kind, new_status, doc.answers, version=base + 1,
                               base=base, reason=reason)
                tx.audit({"draft": "update"}.get(kind, kind), "document", document_id,
                         patient_id=doc.patient_id, version=base + 1)
                return document_record(doc)
            tx.session.refresh(doc)  # what the other writer committed
            kept = None
            if answers is not None:
                kept = self._revision(tx, document_id, "conflict", doc.status, answers,
                                      version=None, base=base, reason=reason)
            tx.audit("conflict", "document", document_id, patient_id=doc.patient_id,
                     base_version=base, current_version=doc.version, kept_revision=kept)
            conflict = ConflictError(document_id, base, doc.version, kept, doc.answers)
        raise conflict

    @staticmethod
    def _revision(
        tx: Tx, document_id: int, kind: str, status: str, answers: dict[str, Any], *,
        version: int | None, base: int | None, reason: str | None = None,
    ) -> int:
        return cast(int, insert_row(tx.session.connection(), Revision, {
            "clinic_id": tx.actor.clinic_id, "document_id": document_id,
            "document_version": version, "base_version": base, "kind": kind, "status": status,
            "answers": answers, "reason": reason, "author_id": tx.actor.user_id,
            "created_at": tx.now,
        }, returning="id"))

    @staticmethod
    def _replace_observations(
        tx: Tx, document_id: int, patient_id: int, effective_at: datetime,
        rows: Sequence[ObservationRow], *, fresh: bool = False,
    ) -> None:
        if not fresh:
            tx.session.execute(delete(Observation).where(Observation.document_id == document_id))
        for row in rows:
            if isinstance(row.value_date, datetime) and row.value_date.tzinfo is None:
                raise ValueError(f"observation {row.item_path}: naive datetime; pass an aware one")
            if row.value_date is not None and not isinstance(row.value_date, date):
                raise TypeError(f"observation {row.item_path}: value_date must be a date")
        connection = tx.session.connection()
        ins = row_insert(Observation, _OBSERVATION_COLUMNS, connection.dialect)
        # one executemany of plain tuples: the values shared by all rows converted once,
        # each row's own values by the same bind processors a Core insert would use
        shared = (tx.actor.clinic_id, patient_id, document_id)
        at = ins.convert("effective_at", effective_at)
        values = []
        for r in rows:
            when, moment = r.value_date, None
            if isinstance(when, datetime):
                when, moment = None, ins.convert("value_datetime", when)
            values.append((
                *shared, r.item_path, r.code_system, r.code, ins.convert("value_num", r.value_num),
                r.value_text, ins.convert("value_date", when), moment,
                r.coding_system, r.coding_code, r.coding_display, r.unit, at,
            ))
        ins.execute(connection, values)


#: the order of the values in an observation row as :meth:`Documents._replace_observations` writes it
_OBSERVATION_COLUMNS = (
    "clinic_id", "patient_id", "document_id", "item_path", "code_system", "code", "value_num",
    "value_text", "value_date", "value_datetime", "coding_system", "coding_code",
    "coding_display", "unit", "effective_at",
)


#: the document, its definition version, its patient and its consent, as one statement
#: built once (columns labelled ``<table>_<column>``)
_WORKSPACE = (
    select(Document.__table__, DefinitionVersion.__table__, Patient.__table__, ConsentInstance.id.label("consent_id"))
    .join(DefinitionVersion.__table__, DefinitionVersion.id == Document.definition_version_id)
    .join(Patient.__table__, Patient.id == Document.patient_id)
    .outerjoin(ConsentInstance.__table__, (ConsentInstance.document_id == Document.id) & (ConsentInstance.clinic_id == Document.clinic_id))
    .where(Document.id == bindparam("document"))
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
)


def _fields(record: type[Any], row: Any, table: str) -> Any:
    return record(**{f.name: row[f"{table}_{f.name}"] for f in dataclass_fields(record)})


def _workspace(m: Mapping[Any, Any] | None, actor: Actor, document_id: int) -> tuple[DocumentView, PatientRecord, int | None]:
    """The records of a _WORKSPACE row (column label -> value); NotFoundError, or
    CrossClinicError for another clinic's."""
    if m is None:
        raise NotFoundError("document", document_id)
    if m["documents_clinic_id"] != actor.clinic_id:
        raise CrossClinicError("document", document_id, patient_id=m["documents_patient_id"])
    document = _fields(DocumentRecord, m, "documents")
    definition = _fields(DefinitionRecord, m, "definition_versions")
    patient = _fields(PatientRecord, m, "patients")
    return DocumentView(document, definition), patient, m["consent_id"]


def _wrong_state(document_id: int, status: str, kind: str) -> str:
    if kind == "amend":
        return f"document {document_id} is a {status}: save or sign the draft instead of amending"
    return f"document {document_id} is {status} and cannot change; amend it with a reason instead"
