"""Running a consent: start it, fill the clinician part, open signing links, complete it
when every required signature is there, withdraw it. Definitions -> workflow runtime ->
store; the web routes and tests call these functions, nothing here knows about HTTP.

A consent is a document of the consent form plus a consent instance (its workflow state).
The signatures live in ``consent_signatures`` until the last one arrives; then the workflow
takes its signing transition: the document is signed with the final answers (``lock``), a
PDF snapshot is made through the ``Snapshot`` callback (``snapshot_pdf``) and a ``given``
consent record names the text version, language, text hash, signers and the PDF's hash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.catalog import Catalog
from engine.chart_context import patient_fields
from engine.consents import KIOSK_ROLES, ConsentLayout, clinician_answers, layout
from engine.evaluator import Context, Evaluation, evaluate
from engine.model import Form, Transition, Workflow
from engine.observations import derive_observations
from engine.packs import StoredDefinition, pinned
from engine.store import Actor, DocumentView, PatientRecord, Store
from engine.store.signing import SigningRefused
from engine.store.signing_models import ConsentInstanceRecord, SignatureRecord
from engine.workflow_runtime import (
    Instance,
    Signature,
    Situation,
    TransitionRefused,
    missing_signers,
    transition,
)

#: (actor, document id, languages "en" | "ar" | "both", evidence) -> SHA-256 of the stored PDF
Snapshot = Callable[[Actor, int, str, Mapping[str, Any]], str]


@dataclass(frozen=True, slots=True)
class ConsentCase:
    """One consent with everything needed to decide its next step."""

    instance: ConsentInstanceRecord
    workflow: Workflow
    form: Form
    layout: ConsentLayout
    document: DocumentView
    patient: PatientRecord
    signatures: tuple[SignatureRecord, ...] = field(default=())

    @property
    def id(self) -> int:
        return self.instance.id

    @property
    def patient_context(self) -> dict[str, Any]:
        return patient_fields(self.patient)

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.document.document.answers)

    @property
    def signing_transition(self) -> Transition:
        """The transition the signatures lead to (the first one with signers)."""
        return next(t for t in self.workflow.transitions if t.signers)

    def signed_roles(self) -> list[str]:
        return [s.role for s in self.signatures]

    def runtime(self) -> Instance:
        signatures = tuple(Signature(s.role, s.name, s.signed_at, s.relation or "", s.image_sha256) for s in self.signatures)
        return Instance(self.workflow.id, self.workflow.key.version, self.instance.state, signatures=signatures)

    def situation(self, answers: Mapping[str, Any] | None = None) -> Situation:
        return Situation(answers=dict(self.answers if answers is None else answers), patient=self.patient_context)

    def missing(self) -> list[str]:
        """Roles whose signature the workflow still needs (in signing order)."""
        return missing_signers(self.signing_transition, self.situation(), self.runtime())

    def kiosk_roles(self) -> list[str]:
        """Who signs on a tablet: the patient first (a minor may sign to show agreement), then
        everyone else the workflow needs on the patient's side."""
        done = set(self.signed_roles())
        roles = [r for r in ("patient",) if r not in done and r in self.layout.signers]
        roles += [r for r in self.missing() if r in KIOSK_ROLES and r not in roles]
        return roles

    def evaluate(self, answers: Mapping[str, Any] | None = None, locale: str = "en") -> Evaluation:
        return evaluate(self.form, self.answers if answers is None else answers, Context(patient=self.patient_context), locale)


def form_of(catalog: Catalog, definition: StoredDefinition) -> Form:
    """The exact form version a document was started with (engine.packs.pinned)."""
    form = pinned(catalog, definition)
    if not isinstance(form, Form):
        raise LookupError(f"{definition.def_id}@{definition.version} is not a form")
    return form


def _workflow_of(store: Store, catalog: Catalog, actor: Actor, instance: ConsentInstanceRecord, form: Form) -> Workflow:
    found = catalog.get("workflow", instance.workflow_id, instance.workflow_version)
    if isinstance(found, Workflow):
        return found
    workflow = pinned(catalog, store.definitions.get(actor, instance.workflow_version_id), {form.id: form})
    if not isinstance(workflow, Workflow):
        raise LookupError(f"{instance.workflow_id}@{instance.workflow_version} is not a workflow")
    return workflow


def consent_workflows(catalog: Catalog) -> list[Workflow]:
    """The installed workflows that run over a form with a signature item: the consents."""
    found = []
    for workflow in catalog.workflows():
        form = catalog.form(workflow.form) if workflow.form else None
        if form is not None and any(i.type == "signature" for i in form.index.values()):
            found.append(workflow)
    return sorted(found, key=lambda w: w.id)


class ConsentFlow:
    def __init__(self, store: Store, catalog: Catalog, snapshot: Snapshot | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.snapshot = snapshot
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def load(self, actor: Actor, consent_id: int) -> ConsentCase:
        instance = self.store.signing.get(actor, consent_id)
        document = self.store.documents.get(actor, instance.document_id)
        form = form_of(self.catalog, document.definition)
        workflow = _workflow_of(self.store, self.catalog, actor, instance, form)
        patient = self.store.patients.get(actor, instance.patient_id)
        signatures = tuple(self.store.signing.signatures(actor, consent_id))
        return ConsentCase(instance, workflow, form, layout(form), document, patient, signatures)

    def start(self, actor: Actor, patient_id: int, workflow_id: str, *, answers: Mapping[str, Any] | None = None,
              encounter_id: int | None = None) -> int:
        """A new consent of the newest installed ``workflow_id``, pinned to its form version;
        ``answers``: a clinician part to start from (re-consent)."""
        workflow = self.catalog.get("workflow", workflow_id)
        form = self.catalog.form(workflow.form) if isinstance(workflow, Workflow) and workflow.form else None
        if not isinstance(workflow, Workflow) or form is None:
            raise LookupError(f"no consent workflow '{workflow_id}' is installed")
        patient = self.store.patients.get(actor, patient_id)
        form_version = self.store.definitions.publish(actor, kind="form", def_id=form.id, version=form.version,
                                                      source_text=form.source_text, content_hash=form.key.content_hash)
        wf_version = self.store.definitions.publish(actor, kind="workflow", def_id=workflow.id, version=workflow.key.version,
                                                    source_text=workflow.source_text, content_hash=workflow.key.content_hash)
        ev = evaluate(form, clinician_answers(layout(form), answers or {}), Context(patient=patient_fields(patient)))
        document = self.store.documents.create(actor, patient_id=patient_id, definition_version_id=form_version.id,
                                               answers=ev.answers_json(), encounter_id=encounter_id)
        return self.store.signing.start(actor, patient_id=patient_id, document_id=document.id, workflow_version_id=wf_version.id,
                                        workflow_id=workflow.id, workflow_version=workflow.key.version, state=workflow.initial).id

    # -- the clinician part --------------------------------------------------------------
    def save_clinician(self, actor: Actor, case: ConsentCase, raw: Mapping[str, Any], locale: str = "en") -> Evaluation:
        """Replace the clinician's answers with ``raw`` (nothing else changes) and save."""
        if case.instance.state != case.workflow.initial or case.signatures:
            raise SigningRefused("clinician_part_locked", "signing has started; the clinician part can no longer change")
        keep = case.layout.clinician_ids
        answers = {k: v for k, v in case.answers.items() if k not in keep}
        answers.update(clinician_answers(case.layout, raw))
        ev = case.evaluate(answers, locale)
        self.store.documents.save_draft(actor, case.document.document.id, base_version=case.document.document.version,
                                        answers=ev.answers_json())
        return ev

    def clinician_errors(self, case: ConsentCase, ev: Evaluation) -> dict[str, Any]:
        paths = {i.id for i in case.layout.clinician_inputs()}
        return {p: e for p, e in ev.errors.items() if p in paths}

    def open_link(self, actor: Actor, case: ConsentCase, minutes: float) -> tuple[str, list[str]]:
        """A one-time signing link for the patient's side; its token is shown once."""
        ev = case.evaluate()
        if self.clinician_errors(case, ev):
            raise SigningRefused("clinician_part_incomplete", "complete the clinician part before opening a signing link")
        roles = case.kiosk_roles()
        if not roles:
            raise SigningRefused("nothing_to_sign", "everyone on the patient's side has signed")
        token, _ = self.store.signing.open_link(actor, case.id, roles=roles, minutes=minutes)
        return token, roles

    # -- completion and withdrawal -------------------------------------------------------
    def final_answers(self, case: ConsentCase) -> dict[str, Any]:
        """The document's answers with every signer's answers, name, relation and signature."""
        answers = case.answers
        for signature in case.signatures:
            answers.update(signature.answers)
            section = case.layout.signers.get(signature.role)
            if section is None:
                continue
            if section.name is not None:
                answers[section.name.id] = signature.name
            if section.relation is not None and signature.relation:
                answers[section.relation.id] = signature.relation
            answers[section.signature.id] = {"file": signature.image_sha256, "media_type": "image/png",
                                             "signed_at": signature.signed_at.isoformat(), "signer": signature.name}
        return answers

    def complete(self, actor: Actor, consent_id: int) -> ConsentCase | None:
        """Take the signing transition if every required signature is there (else None)."""
        case = self.load(actor, consent_id)
        answers = self.final_answers(case)
        try:
            outcome = transition(case.workflow, case.runtime(), case.signing_transition.action, by=str(actor.user_id or ""),
                                 role=actor.role, at=self.clock(), situation=case.situation(answers))
        except TransitionRefused as refused:
            if refused.code in ("signatures_missing", "guard_failed"):
                return None
            raise
        ev = case.evaluate(answers)
        doc = case.document.document
        if "lock" in outcome.effects or doc.status == "draft":
            self.store.documents.sign(actor, doc.id, base_version=doc.version, answers=ev.answers_json(),
                                      observations=derive_observations(ev))
        primary = case.signatures[0]
        languages = {s.language for s in case.signatures if s.role != "clinician"} or {primary.language}
        evidence = evidence_of(case)
        pdf = None
        if "snapshot_pdf" in outcome.effects and self.snapshot is not None:
            pdf = self.snapshot(actor, doc.id, "both" if len(languages) > 1 else next(iter(languages)), evidence)
        guardian = next(({"name": s.name, "relation": s.relation} for s in case.signatures if s.role == "guardian"), None)
        witness = next(({"name": s.name, "role": s.role} for s in case.signatures if s.role in ("witness", "interpreter")), None)
        record = self.store.consents.record(
            actor, patient_id=case.patient.id, event="given", text_version=case.form.version, language=primary.language,
            text_sha256=primary.text_sha256, method="electronic-drawn", signers=evidence["signers"],
            signed_at=outcome.instance.entered_at, document_id=doc.id, definition_version_id=doc.definition_version_id,
            guardian=guardian, witness=witness, pdf_sha256=pdf,
        )
        self.store.signing.move(actor, consent_id, source=(case.instance.state,), target=outcome.instance.state, step="completed",
                                signed_at=outcome.instance.entered_at, expires_at=outcome.expires_at,
                                consent_record_id=record, pdf_sha256=pdf)
        return self.load(actor, consent_id)

    def withdraw(self, actor: Actor, consent_id: int, reason: str) -> ConsentCase:
        """Withdraw (signed) or stop (not yet signed) a consent: a new record, never an edit."""
        case = self.load(actor, consent_id)
        action = next((t.action for t in case.workflow.transitions if t.reason_required and case.instance.state in t.sources), "withdraw")
        try:
            outcome = transition(case.workflow, case.runtime(), action, by=str(actor.user_id or ""), role=actor.role,
                                 at=self.clock(), reason=reason, situation=case.situation())
        except TransitionRefused as refused:
            self.store.signing.refused(actor, consent_id, case.patient.id, refused.code)
            raise
        given = case.instance.consent_record_id
        first = case.signatures[0] if case.signatures else None
        self.store.consents.record(
            actor, patient_id=case.patient.id, event="withdrawn" if given else "refused", supersedes_id=given,
            text_version=case.form.version, language=first.language if first else "", reason=reason.strip(),
            text_sha256=first.text_sha256 if first else "", method="clinician-recorded", signers=[],
            document_id=case.document.document.id, definition_version_id=case.document.document.definition_version_id,
        )
        self.store.signing.move(actor, consent_id, source=(case.instance.state,), target=outcome.instance.state,
                                step="withdrawn")
        return self.load(actor, consent_id)


def evidence_of(case: ConsentCase) -> dict[str, Any]:
    """What the snapshot and the consent record keep about who signed what, and how."""
    return {
        "consent_id": case.id, "workflow": f"{case.workflow.id} {case.workflow.key.version}",
        "form": f"{case.form.id} {case.form.version}", "definition_sha256": case.form.key.content_hash,
        "signers": [
            {"role": s.role, "name": s.name, "relation": s.relation, "relation_text": _relation_text(case, s),
             "signed_at": s.signed_at.isoformat(),
             "language": s.language, "text_sha256": s.text_sha256, "signature_sha256": s.image_sha256,
             "strokes_sha256": s.strokes_sha256, "ip": s.ip, "user_agent": s.user_agent, "user_id": s.user_id,
             "link_id": s.session_id}
            for s in case.signatures
        ],
    }


def _relation_text(case: ConsentCase, signature: SignatureRecord) -> dict[str, str]:
    """The relation as the form names it, per language ({} when there is none)."""
    section = case.layout.signers.get(signature.role)
    option = section.relation.option(signature.relation) if section and section.relation and signature.relation else None
    return {locale: option.display.get(locale) for locale in case.form.locales} if option else {}
