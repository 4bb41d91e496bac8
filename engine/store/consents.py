"""Consent records: what text (version, language, SHA-256) was shown, who signed, how.

Append-only: a withdrawal is a new record that names the consent it withdraws. The
consent workflow (signing pages, PDF snapshots) builds on this; here is the storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from engine.store.columns import aware
from engine.store.errors import InvalidStateError
from engine.store.models import ConsentRecord
from engine.store.records import Actor
from engine.store.service import Service

CONSENT_EVENTS = ("given", "refused", "withdrawn")


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    id: int
    patient_id: int
    event: str
    supersedes_id: int | None
    text_version: str
    language: str
    text_sha256: str
    method: str
    signers: list[dict[str, Any]]
    signed_at: datetime
    pdf_sha256: str | None


class Consents(Service):
    def record(
        self, actor: Actor, *, patient_id: int, event: str, text_version: str, language: str,
        text_sha256: str, method: str, signers: list[dict[str, Any]],
        signed_at: datetime | None = None, document_id: int | None = None,
        definition_version_id: int | None = None, witness: dict[str, Any] | None = None,
        guardian: dict[str, Any] | None = None, reason: str | None = None,
        pdf_sha256: str | None = None, supersedes_id: int | None = None,
    ) -> int:
        """Append a consent event; a withdrawal must name the consent it withdraws."""
        aware(signed_at, "signed_at")
        if event not in CONSENT_EVENTS:
            raise ValueError(f"unknown consent event {event!r}; one of {', '.join(CONSENT_EVENTS)}")
        if event == "withdrawn" and supersedes_id is None:
            raise ValueError("a withdrawal must name the consent it withdraws (supersedes_id)")
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            if supersedes_id is not None:
                earlier = tx.get(ConsentRecord, supersedes_id, "consent")
                if earlier.patient_id != patient_id:
                    raise InvalidStateError(f"consent {supersedes_id} belongs to another patient")
            consent_id = tx.session.execute(insert(ConsentRecord).returning(ConsentRecord.id), {
                "clinic_id": actor.clinic_id, "patient_id": patient_id, "document_id": document_id,
                "definition_version_id": definition_version_id, "event": event,
                "supersedes_id": supersedes_id, "text_version": text_version, "language": language,
                "text_sha256": text_sha256, "method": method, "signers": signers,
                "witness": witness, "guardian": guardian, "reason": reason,
                "signed_at": signed_at or tx.now, "pdf_sha256": pdf_sha256, "created_at": tx.now,
                "created_by": actor.user_id,
            }).scalar_one()
            tx.audit("consent", "consent", consent_id, patient_id=patient_id, event=event)
            return int(consent_id)

    def for_patient(self, actor: Actor, patient_id: int) -> list[ConsentEntry]:
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            rows = tx.session.scalars(select(ConsentRecord).where(
                ConsentRecord.clinic_id == actor.clinic_id, ConsentRecord.patient_id == patient_id,
            ).order_by(ConsentRecord.signed_at, ConsentRecord.id))
            found = [ConsentEntry(c.id, c.patient_id, c.event, c.supersedes_id, c.text_version,
                                  c.language, c.text_sha256, c.method, c.signers, c.signed_at,
                                  c.pdf_sha256) for c in rows]
            tx.audit("read", "consents", patient_id, patient_id=patient_id)
            return found
