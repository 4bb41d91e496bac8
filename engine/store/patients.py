"""Patients (MRN unique per clinic, names in English and Arabic) and their encounters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, or_, select
from sqlalchemy.exc import IntegrityError

from engine.store.columns import aware
from engine.store.errors import DuplicateError, InvalidStateError
from engine.store.models import SEXES, Encounter, Patient
from engine.store.records import Actor, EncounterRecord, PatientRecord
from engine.store.service import Service
from engine.store.text import like_pattern, normalise, search_text

SEARCH_LIMIT = 50


def patient_record(p: Patient) -> PatientRecord:
    return PatientRecord(
        p.id, p.clinic_id, p.mrn, p.given_name, p.family_name, p.given_name_ar,
        p.family_name_ar, p.birth_date, p.sex, p.phone, p.email, p.address, p.created_at,
    )


def encounter_record(e: Encounter) -> EncounterRecord:
    return EncounterRecord(e.id, e.patient_id, e.kind, e.reason, e.status, e.started_at,
                           e.ended_at, e.clinician_id)


class Patients(Service):
    def create(
        self, actor: Actor, *, mrn: str, given_name: str, family_name: str,
        given_name_ar: str | None = None, family_name_ar: str | None = None,
        birth_date: date | None = None, sex: str = "unknown", phone: str | None = None,
        email: str | None = None, address: str | None = None,
    ) -> PatientRecord:
        """Register a patient in the actor's clinic; the MRN must be new in that clinic."""
        mrn = mrn.strip()
        if not mrn:
            raise ValueError("MRN is required")
        if sex not in SEXES:
            raise ValueError(f"unknown sex {sex!r}; one of {', '.join(SEXES)}")
        try:
            with self._tx(actor) as tx:
                patient = Patient(
                    clinic_id=actor.clinic_id, mrn=mrn, given_name=given_name,
                    family_name=family_name, given_name_ar=given_name_ar,
                    family_name_ar=family_name_ar, birth_date=birth_date, sex=sex, phone=phone,
                    email=email, address=address, created_at=tx.now, created_by=actor.user_id,
                    search_name=search_text(given_name, family_name, given_name_ar, family_name_ar),
                )
                tx.session.add(patient)
                tx.session.flush()
                tx.audit("create", "patient", patient.id, patient_id=patient.id)
                return patient_record(patient)
        except IntegrityError as exc:
            raise DuplicateError(f"MRN {mrn!r} is already used in this clinic") from exc

    def update(self, actor: Actor, patient_id: int, **changes: object) -> PatientRecord:
        """Change a patient's demographics; the audit event keeps the fields changed and their
        previous values, so the chart header's history is never lost."""
        allowed = {"given_name", "family_name", "given_name_ar", "family_name_ar", "birth_date", "sex", "phone", "email", "address"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}; changeable: {', '.join(sorted(allowed))}")
        if "sex" in changes and changes["sex"] not in SEXES:
            raise ValueError(f"unknown sex {changes['sex']!r}; one of {', '.join(SEXES)}")
        with self._tx(actor) as tx:
            patient = tx.patient(patient_id)
            before = {k: getattr(patient, k) for k in changes if getattr(patient, k) != changes[k]}
            for key in before:
                setattr(patient, key, changes[key])
            if before:
                patient.search_name = search_text(patient.given_name, patient.family_name, patient.given_name_ar, patient.family_name_ar)
                tx.audit("update", "patient", patient_id, patient_id=patient_id,
                         changed=sorted(before), before={k: v.isoformat() if isinstance(v, date) else v for k, v in before.items()})
            return patient_record(patient)

    def get(self, actor: Actor, patient_id: int) -> PatientRecord:
        """Open a patient's chart header (audited as a read of the chart)."""
        with self._tx(actor) as tx:
            patient = tx.patient(patient_id)
            tx.audit("read", "chart", patient_id, patient_id=patient_id)
            return patient_record(patient)

    def search(self, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[PatientRecord]:
        """Patients whose MRN equals ``query`` or whose names contain every word of it.

        Case, Latin accents and Arabic spelling variants are folded (see ``text.normalise``);
        words match anywhere in any name part, so "ahm sal" finds "Ahmad Saleh".
        """
        tokens = normalise(query).split()
        if not tokens:
            return []
        by_mrn = Patient.mrn == query.strip()
        by_name = and_(*(Patient.search_name.like(like_pattern(t), escape="\\") for t in tokens))
        statement = (
            select(Patient)
            .where(Patient.clinic_id == actor.clinic_id, or_(by_mrn, by_name))
            .order_by(case((by_mrn, 0), else_=1), Patient.family_name, Patient.given_name, Patient.id)
            .limit(limit)
        )
        with self._tx(actor) as tx:
            found = [patient_record(p) for p in tx.session.scalars(statement)]
            tx.audit("search", "patient", query=query, results=[p.id for p in found])
            return found


class Encounters(Service):
    def open(
        self, actor: Actor, patient_id: int, *, kind: str, reason: str | None = None,
        started_at: datetime | None = None, clinician_id: int | None = None,
    ) -> EncounterRecord:
        aware(started_at, "started_at")
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            encounter = Encounter(
                clinic_id=actor.clinic_id, patient_id=patient_id, kind=kind, reason=reason,
                status="open", started_at=started_at or tx.now,
                clinician_id=clinician_id if clinician_id is not None else actor.user_id,
            )
            tx.session.add(encounter)
            tx.session.flush()
            tx.audit("create", "encounter", encounter.id, patient_id=patient_id, kind=kind)
            return encounter_record(encounter)

    def get(self, actor: Actor, encounter_id: int) -> EncounterRecord:
        with self._tx(actor) as tx:
            encounter = tx.get(Encounter, encounter_id, "encounter")
            tx.audit("read", "encounter", encounter_id, patient_id=encounter.patient_id)
            return encounter_record(encounter)

    def close(self, actor: Actor, encounter_id: int, ended_at: datetime | None = None) -> EncounterRecord:
        aware(ended_at, "ended_at")
        with self._tx(actor) as tx:
            encounter = tx.get(Encounter, encounter_id, "encounter")
            if encounter.status != "open":
                raise InvalidStateError(f"encounter {encounter_id} is already {encounter.status}")
            encounter.status, encounter.ended_at = "closed", ended_at or tx.now
            tx.audit("update", "encounter", encounter_id, patient_id=encounter.patient_id,
                     status="closed")
            return encounter_record(encounter)

    def for_patient(self, actor: Actor, patient_id: int) -> list[EncounterRecord]:
        with self._tx(actor) as tx:
            tx.require_patient(patient_id)
            rows = tx.session.scalars(
                select(Encounter)
                .where(Encounter.clinic_id == actor.clinic_id, Encounter.patient_id == patient_id)
                .order_by(Encounter.started_at.desc(), Encounter.id.desc())
            )
            found = [encounter_record(e) for e in rows]
            tx.audit("read", "encounters", patient_id=patient_id)
            return found
