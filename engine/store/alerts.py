"""The alert log: every decision-support card shown, accepted, overridden or dismissed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from engine.store.models import AlertLog, Document, User
from engine.store.records import Actor, AlertRecord
from engine.store.service import Service

ALERT_ACTIONS = ("shown", "accepted", "overridden", "dismissed")
SEVERITIES = ("info", "warning", "critical")


class Alerts(Service):
    def log(
        self, actor: Actor, *, rule_id: str, rule_version: str, severity: str, summary: str,
        action: str, patient_id: int | None = None, document_id: int | None = None,
        reason: str | None = None, detail: dict[str, Any] | None = None,
    ) -> int:
        """Record what happened to a card; an override needs a reason. Returns the log id."""
        if action not in ALERT_ACTIONS:
            raise ValueError(f"unknown alert action {action!r}; one of {', '.join(ALERT_ACTIONS)}")
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
        if action == "overridden" and not (reason or "").strip():
            raise ValueError("overriding an alert needs a reason")
        with self._tx(actor) as tx:
            if patient_id is not None:
                tx.require_patient(patient_id)
            if document_id is not None:
                document = tx.get(Document, document_id, "document")
                if patient_id is None:
                    patient_id = document.patient_id
                elif patient_id != document.patient_id:
                    raise ValueError(f"document {document_id} is not a document of patient {patient_id}")
            alert_id = tx.session.execute(insert(AlertLog).returning(AlertLog.id), {
                "clinic_id": actor.clinic_id, "patient_id": patient_id, "document_id": document_id,
                "rule_id": rule_id, "rule_version": rule_version, "severity": severity,
                "summary": summary, "action": action, "reason": reason, "user_id": actor.user_id,
                "at": tx.now, "detail": detail,
            }).scalar_one()
            tx.audit("alert", "alert", alert_id, patient_id=patient_id, rule_id=rule_id, action=action)
            return int(alert_id)

    def for_patient(self, actor: Actor, patient_id: int) -> list[AlertRecord]:
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            rows = tx.session.scalars(select(AlertLog).where(
                AlertLog.clinic_id == actor.clinic_id, AlertLog.patient_id == patient_id,
            ).order_by(AlertLog.at, AlertLog.id))
            found = [_record(a) for a in rows]
            tx.audit("read", "alerts", patient_id, patient_id=patient_id)
            return found

    def for_document(self, actor: Actor, document_id: int) -> list[AlertRecord]:
        """The cards logged for one document, oldest first, with who acted on them.

        The web app reads it to know which cards were already shown or acknowledged
        (``detail["inputs_hash"]``) and to list the overrides on the signed document.
        """
        with self._tx(actor) as tx:
            document = tx.get(Document, document_id, "document")
            rows = tx.session.execute(
                select(AlertLog, User.display_name).outerjoin(User, User.id == AlertLog.user_id).where(
                    AlertLog.clinic_id == actor.clinic_id, AlertLog.patient_id == document.patient_id,
                    AlertLog.document_id == document_id,
                ).order_by(AlertLog.at, AlertLog.id))
            found = [_record(a, name) for a, name in rows]
            tx.audit("read", "alerts", document_id, patient_id=document.patient_id)
            return found


def _record(a: AlertLog, user_name: str | None = None) -> AlertRecord:
    return AlertRecord(a.id, a.patient_id, a.document_id, a.rule_id, a.rule_version, a.severity,
                       a.summary, a.action, a.reason, a.user_id, a.at, a.detail, user_name)
