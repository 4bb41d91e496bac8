"""Cliniform's store: patients, encounters, versioned documents, typed observations and a
tamper-evident audit trail, on SQLite (embedded default) or PostgreSQL.

Start here: :class:`Store` (the API), :class:`Database` (engine + sessions),
:func:`load_settings` (``CLINIFORM_DATABASE_URL``), :func:`check_migrated` (call at start-up).
"""

from engine.store.database import Database
from engine.store.errors import (
    ConflictError,
    DuplicateError,
    IntegrityViolation,
    InvalidStateError,
    NotFoundError,
    NotMigratedError,
    StoreError,
)
from engine.store.migrate import check_migrated, upgrade
from engine.store.records import (
    Actor,
    DefinitionRecord,
    DocumentRecord,
    DocumentView,
    ListSpec,
    ObservationRow,
    PatientRecord,
)
from engine.store.settings import StoreSettings, load_settings
from engine.store.store import Store

__all__ = [
    "Actor",
    "ConflictError",
    "Database",
    "DefinitionRecord",
    "DocumentRecord",
    "DocumentView",
    "DuplicateError",
    "IntegrityViolation",
    "InvalidStateError",
    "ListSpec",
    "NotFoundError",
    "NotMigratedError",
    "ObservationRow",
    "PatientRecord",
    "Store",
    "StoreError",
    "StoreSettings",
    "check_migrated",
    "load_settings",
    "upgrade",
]
