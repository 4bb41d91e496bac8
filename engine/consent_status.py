"""What the chart shows of a patient's consents: status, flags and history.

Nothing here is stored: a consent is *expired* when its workflow's ``valid_for`` has run out,
*re-consent needed* when a newer version of its form would show the signer a different
text (the SHA-256 of the newer text, for the same clinician answers and language, differs
from the hash of what was signed), and *replaced* when a later consent of the same workflow
was signed. The history is read from the consent's links, signatures and consent records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.consent_flow import ConsentCase, ConsentFlow
from engine.consents import layout, shown_text, text_sha256
from engine.model import Text
from engine.store import Actor
from engine.store.signing_models import ConsentEvent
from engine.versions import parse_version


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    #: started, link_opened, link_continued, signed, given, refused, withdrawn
    step: str
    role: str = ""
    name: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConsentSummary:
    case: ConsentCase
    events: tuple[ConsentEvent, ...]
    history: tuple[HistoryEntry, ...]
    #: awaiting, signed, expired, withdrawn, replaced, reconsent
    status: str
    expired: bool = False
    reconsent_needed: bool = False
    newer_version: str | None = None
    replaced_by: int | None = None

    @property
    def id(self) -> int:
        return self.case.id

    @property
    def title(self) -> Text:
        return self.case.workflow.title

    @property
    def active(self) -> bool:
        """A signed consent that is in force: not expired, withdrawn or replaced."""
        return self.status == "signed"

    @property
    def given(self) -> ConsentEvent | None:
        return next((e for e in self.events if e.event == "given"), None)


def _history(flow: ConsentFlow, actor: Actor, case: ConsentCase, events: list[ConsentEvent]) -> tuple[HistoryEntry, ...]:
    entries = [HistoryEntry(case.instance.created_at, "started", detail=f"{case.form.id} {case.form.version}")]
    for link in flow.store.signing.links(actor, case.id):
        entries.append(HistoryEntry(link.created_at, "link_continued" if link.parent_id else "link_opened",
                                    detail=", ".join(link.roles)))
    for s in case.signatures:
        entries.append(HistoryEntry(s.signed_at, "signed", s.role, s.name, s.language))
    for e in events:
        entries.append(HistoryEntry(e.signed_at, e.event, detail=e.reason or ""))
    return tuple(sorted(entries, key=lambda e: e.at))


def reconsent_version(flow: ConsentFlow, case: ConsentCase, given: ConsentEvent) -> str | None:
    """The newer form version whose text differs from what was signed, else None."""
    latest = flow.catalog.form(case.form.id)
    if latest is None or latest.key.content_hash == case.form.key.content_hash:
        return None
    if (parse_version(latest.version) or (0, 0, 0)) <= (parse_version(case.form.version) or (0, 0, 0)):
        return None
    newer = text_sha256(shown_text(layout(latest), case.answers, case.patient_context, given.language))
    return latest.version if newer != given.text_sha256 else None


def summarise(flow: ConsentFlow, actor: Actor, case: ConsentCase, now: dt.datetime, replaced_by: int | None = None) -> ConsentSummary:
    events = flow.store.signing.events(actor, case.id)
    history = _history(flow, actor, case, events)
    state = case.instance.state
    if state == "withdrawn":
        return ConsentSummary(case, tuple(events), history, "withdrawn")
    if state == case.workflow.initial:
        return ConsentSummary(case, tuple(events), history, "awaiting")
    given = next((e for e in events if e.event == "given"), None)
    expired = case.instance.expires_at is not None and now >= case.instance.expires_at
    newer = reconsent_version(flow, case, given) if given else None
    status = "replaced" if replaced_by else "expired" if expired else "reconsent" if newer else "signed"
    return ConsentSummary(case, tuple(events), history, status, expired, newer is not None, newer, replaced_by)


def summaries(flow: ConsentFlow, actor: Actor, patient_id: int, now: dt.datetime | None = None) -> list[ConsentSummary]:
    """Every consent of the patient, newest first, with its status and history."""
    now = now or flow.clock()
    found: list[ConsentSummary] = []
    newest_signed: dict[str, int] = {}
    for instance in flow.store.signing.for_patient(actor, patient_id):
        case = flow.load(actor, instance.id)
        replaced_by = newest_signed.get(instance.workflow_id) if instance.state == "signed" else None
        summary = summarise(flow, actor, case, now, replaced_by)
        if instance.state == "signed":
            newest_signed.setdefault(instance.workflow_id, instance.id)
        found.append(summary)
    return found
