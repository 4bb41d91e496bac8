"""The kinds of print: a document, an encounter summary, a chart summary (store -> PrintJob).

Each builder reads through a `Gatherer` and returns plain data; composing and rendering
are the next stages (renderer.pdf.html, renderer.pdf.engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.store.records import PatientRecord
from renderer.fields import label
from renderer.formatting import tr
from renderer.pdf.clinic import ClinicSettings, letterhead
from renderer.pdf.engine import AttachmentData
from renderer.pdf.job import DocumentPart, PrintJob, Stamp
from renderer.pdf.sources import (
    Gatherer,
    answers_attachment,
    canonical_json,
    document_facts,
    patient_header,
    sha256,
)

#: the chart summary's sections: the newest signed document of each of these forms
CHART_FORMS: tuple[str, ...] = ("core.allergies", "core.problems", "core.medications", "core.vitals")
TIMELINE_ROWS = 40


def _titles(g: Gatherer, msgid: str) -> dict[str, str]:
    return {loc: tr(loc, msgid) for loc in g.options.locales}


def _job(g: Gatherer, clinic: ClinicSettings, patient: PatientRecord, stamp: Stamp, **fields: Any) -> PrintJob:
    return PrintJob(
        options=g.options, letterhead=letterhead(g.store, g.actor, clinic),
        patient=patient_header(patient), stamp=stamp, timezone=g.timezone,
        arabic_digits=g.arabic_digits, **fields,
    )


def _meta(kind: str, stamp: Stamp, patient: PatientRecord, **facts: Any) -> AttachmentData:
    body = {"kind": kind, "patient_mrn": patient.mrn, "printed_at": stamp.printed_at.isoformat(),
            "printed_by": stamp.printed_by, **facts}
    return AttachmentData(f"{kind}.json", canonical_json(body),
                          f"Cliniform {kind} print: what was printed, by whom and when", "Supplement")


def document_job(g: Gatherer, clinic: ClinicSettings, document_id: int, now: dt.datetime,
                 resolution: str, kind: str = "document") -> PrintJob:
    """One stored document, with its answers embedded as answers.json."""
    stored = g.store.documents.get(g.actor, document_id)
    patient = g.store.patients.get(g.actor, stored.document.patient_id)
    part = g.part(stored, patient)
    stamp = g.stamp(now, resolution)
    record = part.record
    footer = (
        ("Document", f"{record.id} v{record.version}"),
        ("Form", f"{record.def_id} {record.def_version}"),
        ("Definition", record.content_hash[:12]),
        ("Content SHA-256", part.answers_sha256[:16]),
    )
    titles = {loc: label(part.title, loc).text for loc in g.options.locales}
    return _job(
        g, clinic, patient, stamp, kind=kind, title=titles, parts=(part,), footer=footer,
        attachments=(answers_attachment(part), _meta("document", stamp, patient, **document_facts(part))),
    )


def with_consent_evidence(job: PrintJob, evidence: Mapping[str, Any]) -> PrintJob:
    """A consent snapshot: the signers' evidence printed after the document
    (print/_consent_evidence.html), embedded as consent.json, its text hash in the footer."""
    signers = list(evidence.get("signers") or [])
    attachment = AttachmentData("consent.json", canonical_json(dict(evidence)),
                                "Consent evidence: signers, times, devices, SHA-256 of the text each was shown", "Supplement")
    footer = (*job.footer, ("Text SHA-256", str(signers[0]["text_sha256"])[:16])) if signers else job.footer
    return replace(job, footer=footer, attachments=(*job.attachments, attachment), extra={**job.extra, "evidence": evidence})


def _summary(kind: str, stamp: Stamp, patient: PatientRecord, parts: list[DocumentPart],
             **facts: Any) -> tuple[tuple[AttachmentData, ...], str]:
    """Each document's answers embedded as document-<id>-answers.json, plus <kind>.json;
    the content hash is the SHA-256 of <kind>.json (which lists every answers hash)."""
    attachments = [answers_attachment(p, f"document-{p.record.id}-answers.json") for p in parts]
    meta = _meta(kind, stamp, patient, documents=[document_facts(p) for p in parts], **facts)
    return (*attachments, meta), sha256(meta.data)


def encounter_job(g: Gatherer, clinic: ClinicSettings, encounter_id: int, now: dt.datetime,
                  resolution: str) -> PrintJob:
    """An encounter and every document recorded in it, oldest first."""
    encounter = g.store.encounters.get(g.actor, encounter_id)
    patient = g.store.patients.get(g.actor, encounter.patient_id)
    parts = [g.part(d, patient) for d in g.encounter_documents(encounter_id)]
    stamp = g.stamp(now, resolution)
    attachments, digest = _summary("encounter", stamp, patient, parts, encounter_id=encounter.id,
                                   encounter_kind=encounter.kind, started_at=encounter.started_at.isoformat())
    footer = (("Encounter", str(encounter.id)), ("Documents", str(len(parts))), ("Content SHA-256", digest[:16]))
    return _job(g, clinic, patient, stamp, kind="encounter", title=_titles(g, "Encounter summary"),
                parts=tuple(parts), footer=footer, attachments=attachments, encounter=encounter)


def chart_job(g: Gatherer, clinic: ClinicSettings, patient_id: int, now: dt.datetime,
              resolution: str, forms: tuple[str, ...] = CHART_FORMS) -> PrintJob:
    """The patient, the newest signed allergies, problems, medications and vitals, and
    the most recent encounters and documents."""
    patient = g.store.patients.get(g.actor, patient_id)
    entries = g.store.charts.timeline(g.actor, patient_id)  # read (and audited) once
    latest = g.latest_documents(entries, forms)
    parts = [g.part(latest[f], patient) for f in forms if f in latest]
    timeline = tuple(entries[:TIMELINE_ROWS])
    stamp = g.stamp(now, resolution)
    attachments, digest = _summary("chart", stamp, patient, parts)
    footer = (("Chart", patient.mrn), ("Documents", str(len(parts))), ("Content SHA-256", digest[:16]))
    titles = {}
    for entry in timeline:
        def_id, _, version = entry.title.partition("@")
        form = g.catalog.form(def_id, version or None) if entry.kind == "document" else None
        if form is not None:
            titles[entry.title] = form.title
    return _job(g, clinic, patient, stamp, kind="chart", title=_titles(g, "Chart summary"),
                parts=tuple(parts), footer=footer, attachments=attachments, timeline=timeline,
                extra={"record": patient, "titles": titles})
