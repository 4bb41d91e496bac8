"""Plain, immutable values that go in and out of the store API.

The store never hands out ORM objects: callers (the web app, the CLI, exporters) get frozen
dataclasses that stay valid after the transaction that read them has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

SYSTEM_ROLE = "system"

DocumentStatus = Literal["draft", "signed", "amended"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: every store call takes one, and every audit event records it.

    ``clinic_id`` is the tenant the request is scoped to; records of other clinics are
    invisible. ``ip`` is where the request came from (None for the CLI).
    """

    user_id: int | None
    role: str
    clinic_id: int
    ip: str | None = None
    #: which patients of the clinic the actor may open (engine.store.access): ``clinic``
    #: (all), ``care`` (a recent or open encounter, else break-glass) or ``none``
    scope: str = "clinic"
    #: the care window of the ``care`` scope, in days
    care_days: int = 30
    #: False for the live round-trips of a page already opened (its opening was audited):
    #: they evaluate what the person posts and show nothing stored that the page did not,
    #: so their reads are not logged again on every keystroke; writes and refusals still are
    reads_logged: bool = True

    @classmethod
    def system(cls, clinic_id: int, ip: str | None = None) -> Actor:
        """The actor for maintenance commands run by the operator, not by a user."""
        return cls(user_id=None, role=SYSTEM_ROLE, clinic_id=clinic_id, ip=ip)


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One typed value derived from a document's answers (built by the form layer).

    ``value_date`` takes a date or an aware datetime. A multiple-choice answer gives one row
    per chosen option, each with its coding.
    """

    item_path: str
    code_system: str | None = None
    code: str | None = None
    value_num: float | None = None
    value_text: str | None = None
    value_date: date | datetime | None = None
    coding_system: str | None = None
    coding_code: str | None = None
    coding_display: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class ClinicRecord:
    id: int
    code: str
    name: str
    name_ar: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    active: bool
    #: clinic id -> roles held in that clinic
    roles: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PatientRecord:
    id: int
    clinic_id: int
    mrn: str
    given_name: str
    family_name: str
    given_name_ar: str | None
    family_name_ar: str | None
    birth_date: date | None
    sex: str
    phone: str | None
    email: str | None
    address: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EncounterRecord:
    id: int
    patient_id: int
    kind: str
    reason: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    clinician_id: int | None


@dataclass(frozen=True, slots=True)
class DefinitionRecord:
    id: int
    kind: str
    def_id: str
    version: str
    content_hash: str
    source_text: str
    status: str
    published_at: datetime
    published_by: int | None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    definition_version_id: int
    def_id: str
    def_version: str
    content_hash: str
    status: DocumentStatus
    #: pass this back as ``base_version`` on the next save
    version: int
    answers: dict[str, Any]
    effective_at: datetime
    created_at: datetime
    created_by: int | None
    updated_at: datetime
    updated_by: int | None
    signed_at: datetime | None
    signed_by: int | None


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A document with the exact definition version it was captured with."""

    document: DocumentRecord
    definition: DefinitionRecord


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    id: int
    document_id: int
    #: the version this revision produced; None for a rejected (conflict) save
    document_version: int | None
    base_version: int | None
    kind: str
    status: str
    answers: dict[str, Any]
    reason: str | None
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    effective_at: datetime
    document_id: int
    item_path: str
    code_system: str | None
    code: str | None
    value_num: float | None
    value_text: str | None
    value_date: date | datetime | None
    coding_code: str | None
    coding_display: str | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class LatestAnswer:
    """The most recent answer to an item for a patient (``previous_value: offer``)."""

    value: Any
    document_id: int
    def_id: str
    status: str
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: Literal["encounter", "document", "consent"]
    id: int
    at: datetime
    title: str
    status: str


@dataclass(frozen=True, slots=True)
class ListSpec:
    """Where a chart list (problems, medications, allergies) lives in the answers.

    The list is ``answers[item_path]`` of the latest signed or amended document of any of
    ``form_ids``; a repeating group gives one entry per row.
    """

    name: str
    form_ids: tuple[str, ...]
    item_path: str


@dataclass(frozen=True, slots=True)
class ListEntry:
    value: Any
    document_id: int
    def_id: str
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class FileRecord:
    sha256: str
    size: int
    media_type: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    patient_id: int | None
    document_id: int | None
    rule_id: str
    rule_version: str
    severity: str
    summary: str
    action: str
    reason: str | None
    user_id: int | None
    at: datetime
    #: what the card was shown for, e.g. ``inputs_hash`` (the values the rule read)
    detail: dict[str, Any] | None = None
    #: the user's display name, when the query joins it
    user_name: str | None = None
