"""The store API: one object the web app and the CLI share.

    store = Store(Database.from_settings(load_settings()))
    patient = store.patients.create(actor, mrn="A-1", given_name="Ahmad", family_name="Saleh")
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=v1.id,
                                 answers={...}, observations=[...])

Every method takes the :class:`Actor` it acts for, runs in its own transaction and appends
its audit events in that same transaction.
"""

from __future__ import annotations

from engine.store.access import Access
from engine.store.accounts import Accounts
from engine.store.alerts import Alerts
from engine.store.audit import VerifyResult, verify
from engine.store.audit_report import AuditReport
from engine.store.charts import Charts
from engine.store.clinics import Clinics
from engine.store.columns import utcnow
from engine.store.consents import Consents
from engine.store.database import Database
from engine.store.definitions import Definitions
from engine.store.documents import Documents
from engine.store.files import Files
from engine.store.migrate import check_migrated
from engine.store.patients import Encounters, Patients
from engine.store.records import Actor
from engine.store.service import Clock, Service
from engine.store.sessions import Sessions
from engine.store.settings import StoreSettings, load_settings
from engine.store.signing import Signing
from engine.store.worklists import Worklists


class Store:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.accounts = Accounts(db, clock)
        self.clinics = Clinics(db, clock)
        self.patients = Patients(db, clock)
        self.encounters = Encounters(db, clock)
        self.definitions = Definitions(db, clock)
        self.documents = Documents(db, clock)
        self.charts = Charts(db, clock)
        self.files = Files(db, clock)
        self.alerts = Alerts(db, clock)
        self.consents = Consents(db, clock)
        self.signing = Signing(db, clock)
        self.worklists = Worklists(db, clock)
        self.sessions = Sessions(db, clock)
        self.access = Access(db, clock)
        self.audit_report = AuditReport(db, clock)
        self._audit = _AuditRecorder(db, clock)

    @classmethod
    def open(cls, settings: StoreSettings | None = None, *, check: bool = True) -> Store:
        """The store for ``settings`` (default: from the environment), for the app's start-up.

        Raises NotMigratedError (with the `cliniform db upgrade` hint) when ``check`` is set
        and the database is not at the newest migration.
        """
        db = Database.from_settings(settings or load_settings())
        if check:
            try:
                check_migrated(db)
            except Exception:
                db.dispose()
                raise
        return cls(db)

    def record(
        self, actor: Actor, action: str, entity_type: str, entity_id: object = None, /, *,
        patient_id: int | None = None, **detail: object,
    ) -> None:
        """Audit an action that happens outside the store (export, print, PDF download)."""
        self._audit.record(actor, action, entity_type, entity_id, patient_id=patient_id, **detail)

    def verify_audit(self) -> VerifyResult:
        return verify(self.db.engine)

    def check_migrated(self) -> None:
        check_migrated(self.db)


class _AuditRecorder(Service):
    def record(
        self, actor: Actor, action: str, entity_type: str, entity_id: object = None, /, *,
        patient_id: int | None = None, **detail: object,
    ) -> None:
        with self._tx(actor) as tx:
            if patient_id is not None:
                tx.require_patient(patient_id)
            tx.audit(action, entity_type, entity_id, patient_id=patient_id, **detail)
