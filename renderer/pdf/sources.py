"""Gather what a print shows: store -> PrintJob (the first stage of every PDF).

A stored document is evaluated against the definition version it was pinned to (found in
the catalog by content hash, else compiled from the stored source text), with the patient
as they were on the document's date, so a print shows the visibility and calculated values
the document had when it was captured. Reads go through the store API and are audited
there; the print itself is audited by renderer.pdf.service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.catalog import Catalog
from engine.chart_context import patient_fields
from engine.evaluator import Context, evaluate
from engine.model import Form
from engine.packs import pinned
from engine.store import Actor, PatientRecord, Store
from engine.store.errors import StoreError
from engine.store.records import DefinitionRecord, TimelineEntry
from engine.store.records import DocumentView as StoredDocument
from renderer.documents import DocumentView
from renderer.formatting import zone
from renderer.pdf.clinic import data_uri
from renderer.pdf.engine import AttachmentData
from renderer.pdf.job import DocumentPart, PatientHeader, PrintOptions, Stamp


def canonical_json(value: Any) -> bytes:
    """The one byte form of answers: sorted keys, UTF-8, no spaces (what answers.json holds)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def form_for(catalog: Catalog, definition: DefinitionRecord) -> Form:
    """The compiled form of a stored definition version (engine.packs.pinned)."""
    try:
        form = pinned(catalog, definition)
    except LookupError as error:
        raise StoreError(str(error)) from error
    if not isinstance(form, Form):
        raise StoreError(f"{definition.def_id}@{definition.version} is not a form")
    return form


def patient_header(patient: PatientRecord) -> PatientHeader:
    names = {"en": f"{patient.given_name} {patient.family_name}".strip()}
    if patient.given_name_ar or patient.family_name_ar:
        names["ar"] = f"{patient.given_name_ar or ''} {patient.family_name_ar or ''}".strip()
    return PatientHeader(names, patient.mrn, patient.birth_date, patient.sex)


def truncate(moment: dt.datetime, resolution: str, timezone: str = "UTC") -> dt.datetime:
    """``moment`` to the second, minute or day (the clinic's day): the stamp's precision."""
    if resolution == "second":
        return moment.replace(microsecond=0)
    moment = moment.replace(second=0, microsecond=0)
    if resolution == "day":
        local = moment.astimezone(zone(timezone))
        return local.replace(hour=0, minute=0)
    return moment


class Gatherer:
    """Reads one print's worth of records for one actor; names and files cached per print."""

    def __init__(self, store: Store, catalog: Catalog, actor: Actor, options: PrintOptions,
                 *, timezone: str = "UTC", arabic_digits: bool = False) -> None:
        self.store = store
        self.catalog = catalog
        self.actor = actor
        self.options = options
        self.timezone = timezone
        self.arabic_digits = arabic_digits
        self._names: dict[int, str] = {}
        self._images: dict[str, str | None] = {}

    def user_name(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self._names:
            try:
                self._names[user_id] = self.store.accounts.user(user_id).display_name
            except StoreError:
                self._names[user_id] = f"#{user_id}"
        return self._names[user_id]

    def stamp(self, now: dt.datetime, resolution: str) -> Stamp:
        return Stamp(self.user_name(self.actor.user_id) or "Cliniform", truncate(now, resolution, self.timezone), resolution)

    def images(self, patient_id: int) -> Callable[[Mapping[str, Any]], str | None]:
        """File reference -> data: URI of the stored image (None when it is not stored)."""

        def source(ref: Mapping[str, Any]) -> str | None:
            digest = str(ref.get("file", ""))
            if digest not in self._images:
                try:
                    record, data = self.store.files.get(self.actor, digest, patient_id=patient_id)
                    ok = record.media_type in ("image/png", "image/jpeg", "image/gif", "image/webp")
                    self._images[digest] = data_uri(record.media_type, data) if ok else None
                except StoreError:
                    self._images[digest] = None
            return self._images[digest]

        return source

    def part(self, stored: StoredDocument, patient: PatientRecord) -> DocumentPart:
        """Evaluate a stored document against its pinned form, as of its effective date."""
        record = stored.document
        form = form_for(self.catalog, stored.definition)
        day = record.effective_at.date()
        context = Context(
            patient=patient_fields(patient),  # the evaluator derives the age on the encounter's date
            encounter={"date": day},
        )
        evaluation = evaluate(form, record.answers, context, self.options.locales[0])
        view = DocumentView(evaluation, self.options.locales, self.images(patient.id),
                            self.arabic_digits, self.timezone, marks=True)
        return DocumentPart(
            record=record, title=form.title, view=view,
            answers_sha256=sha256(canonical_json(record.answers)),
            signed_by=self.user_name(record.signed_by), author=self.user_name(record.created_by),
        )

    def latest_documents(self, timeline: Iterable[TimelineEntry], def_ids: tuple[str, ...]) -> dict[str, StoredDocument]:
        """The newest signed or amended document of each form in ``def_ids`` on ``timeline``."""
        found: dict[str, StoredDocument] = {}
        for entry in timeline:
            def_id = entry.title.split("@", 1)[0]
            if entry.kind == "document" and def_id in def_ids and def_id not in found and entry.status in ("signed", "amended"):
                found[def_id] = self.store.documents.get(self.actor, entry.id)
        return found

    def encounter_documents(self, encounter_id: int) -> list[StoredDocument]:
        """The documents written in one encounter, oldest first."""
        rows = self.store.worklists.encounter_documents(self.actor, encounter_id)
        return [self.store.documents.get(self.actor, row.id) for row in rows]


def answers_attachment(part: DocumentPart, name: str = "answers.json") -> AttachmentData:
    record = part.record
    return AttachmentData(
        name, canonical_json(record.answers),
        f"Answers of document {record.id} ({record.def_id} {record.def_version}), exactly as stored",
    )


def document_facts(part: DocumentPart) -> dict[str, Any]:
    record = part.record
    return {
        "document_id": record.id, "document_version": record.version, "status": record.status,
        "form": record.def_id, "form_version": record.def_version,
        "definition_sha256": record.content_hash, "answers_sha256": part.answers_sha256,
        "effective_at": record.effective_at.isoformat(),
        "signed_at": record.signed_at.isoformat() if record.signed_at else None,
        "signed_by": part.signed_by,
    }
