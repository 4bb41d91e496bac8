"""Errors the store raises. Each message says what happened and what to do about it."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class NotMigratedError(StoreError):
    """The database schema is missing or older (or newer) than this code expects."""

    def __init__(self, url: str, current: str | None, head: str) -> None:
        self.url, self.current, self.head = url, current, head
        at = current or "none (empty database)"
        super().__init__(
            f"database at {url} is not migrated (at revision {at}, need {head}); "
            "run `cliniform db upgrade`"
        )


class NotFoundError(StoreError):
    """No such record in the actor's clinic (records of other clinics are invisible)."""

    def __init__(self, entity: str, key: object) -> None:
        self.entity, self.key = entity, key
        super().__init__(f"{entity} {key!r} not found in this clinic")


class DuplicateError(StoreError):
    """A record with the same natural key (MRN, username, definition version) exists."""


class InvalidStateError(StoreError):
    """The operation is not allowed in the record's current state (e.g. editing a signed note)."""


class ConflictError(StoreError):
    """A save was based on an out-of-date version of a document.

    Nothing is lost: the rejected answers (if the save carried any) were stored as conflict
    revision ``conflict_revision_id``; ``current_answers`` are what the other writer saved.
    """

    def __init__(
        self,
        document_id: int,
        base_version: int,
        current_version: int,
        conflict_revision_id: int | None,
        current_answers: dict[str, Any],
    ) -> None:
        self.document_id = document_id
        self.base_version = base_version
        self.current_version = current_version
        self.conflict_revision_id = conflict_revision_id
        self.current_answers = current_answers
        kept = (
            f"; your answers were kept as conflict revision {conflict_revision_id}"
            if conflict_revision_id is not None else ""
        )
        super().__init__(
            f"document {document_id} was changed by someone else (you worked on version "
            f"{base_version}, it is now at version {current_version}){kept}: reload, review "
            "and save again"
        )


class IntegrityViolation(StoreError):
    """Stored content does not match its hash (a file, a definition source)."""


class CrossClinicError(NotFoundError):
    """The record exists, but in another clinic: shown as not found, and audited as denied
    (with the patient it belongs to, so that the owning clinic's audit report shows it)."""

    def __init__(self, entity: str, key: object, *, patient_id: int | None = None) -> None:
        super().__init__(entity, key)
        self.patient_id = patient_id


class OutOfScopeError(StoreError):
    """The patient is in the actor's clinic but outside their care scope (see
    engine.store.access); emergency access (break-glass) with a reason opens it for a while."""

    def __init__(self, patient_id: int) -> None:
        self.patient_id = patient_id
        super().__init__(
            f"patient {patient_id} is outside your care scope (no recent or open encounter); "
            "state a reason for emergency access (break-glass) to open the record"
        )


class AccountError(StoreError):
    """An account operation that is refused, with the reason (e.g. the account also works in
    another clinic, so only the operator may change it)."""


class InvalidSettingsError(StoreError, ValueError):
    """Settings that cannot be saved: ``problems`` says what is wrong with each field
    (all of them, not the first), e.g. ``{"timezone": "unknown time zone 'Amman'; ..."}``."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.problems.items()))
