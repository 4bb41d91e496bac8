"""Documents: drafts, optimistic concurrency, signing, amendments, pinned definitions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalog import Catalog
from engine.evaluator import evaluate
from engine.model import Form
from engine.packs import load, pinned
from engine.store import (
    Actor,
    ConflictError,
    DuplicateError,
    IntegrityViolation,
    InvalidStateError,
    NotFoundError,
    ObservationRow,
    Store,
)
from engine.store.models import AuditEvent, Observation, Revision
from engine.store.records import DefinitionRecord, PatientRecord

from .conftest import publish_form

LOINC = "http://loinc.org"


def bp(systolic: float) -> list[ObservationRow]:
    return [ObservationRow("sbp", LOINC, "8480-6", value_num=systolic, unit="mm[Hg]")]


def _count(store: Store, model: type, **where: object) -> int:
    with store.db.transaction() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(session.scalar(query) or 0)


def test_create_writes_document_observations_revision_and_audit(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    rows = [*bp(120), ObservationRow("visit_date", value_date=date(2024, 3, 1)),
            ObservationRow("taken", value_date=datetime(2024, 3, 1, 8, 30, tzinfo=UTC)),
            ObservationRow("site", coding_system="http://snomed.info/sct", coding_code="368208006",
                           coding_display="Left upper arm")]
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"sbp": 120, "site": "left-arm"}, observations=rows)
    assert (doc.status, doc.version, doc.def_id, doc.content_hash) == ("draft", 1, "core.vitals", form.content_hash)
    assert _count(store, Observation, document_id=doc.id) == 4
    assert _count(store, Revision, document_id=doc.id) == 1
    assert _count(store, AuditEvent, action="create", entity_type="document", entity_id=str(doc.id)) == 1
    points = store.charts.series(actor, patient.id, item_path="taken", include_drafts=True)
    assert points[0].value_date == datetime(2024, 3, 1, 8, 30, tzinfo=UTC)


def test_draft_sign_amend_keeps_every_revision(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"sbp": 120}, observations=bp(120))
    doc = store.documents.save_draft(actor, doc.id, base_version=1, answers={"sbp": 125}, observations=bp(125))
    doc = store.documents.sign(actor, doc.id, base_version=2)
    assert (doc.status, doc.version, doc.signed_at is not None) == ("signed", 3, True)
    with pytest.raises(InvalidStateError, match="is signed and cannot change; amend it"):
        store.documents.save_draft(actor, doc.id, base_version=3, answers={"sbp": 1})
    with pytest.raises(ValueError, match="needs a reason"):
        store.documents.amend(actor, doc.id, base_version=3, answers={"sbp": 130}, reason=" ")
    doc = store.documents.amend(actor, doc.id, base_version=3, answers={"sbp": 130},
                                observations=bp(130), reason="transcription error")
    assert (doc.status, doc.version, doc.answers) == ("amended", 4, {"sbp": 130})
    history = store.documents.revisions(actor, doc.id)
    assert [(r.kind, r.document_version, r.answers["sbp"]) for r in history] == [
        ("create", 1, 120), ("draft", 2, 125), ("sign", 3, 125), ("amend", 4, 130)]
    assert history[-1].reason == "transcription error"
    assert [p.value_num for p in store.charts.series(actor, patient.id, code="8480-6")] == [130]


def test_sign_can_save_final_answers_in_the_same_step(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    signed = store.documents.sign(actor, doc.id, base_version=1, answers={"sbp": 118}, observations=bp(118))
    assert signed.answers == {"sbp": 118}
    assert [p.value_num for p in store.charts.series(actor, patient.id, code="8480-6")] == [118]
    with pytest.raises(InvalidStateError, match="draft instead of amending"):
        store.documents.amend(actor, store.documents.create(
            actor, patient_id=patient.id, definition_version_id=form.id, answers={}).id,
            base_version=1, answers={}, reason="x")


def test_stale_save_is_a_conflict_that_keeps_both_versions(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"note": "start"})
    store.documents.save_draft(actor, doc.id, base_version=1, answers={"note": "mine"})
    with pytest.raises(ConflictError) as caught:
        store.documents.save_draft(actor, doc.id, base_version=1, answers={"note": "theirs"})
    conflict = caught.value
    assert (conflict.current_version, conflict.current_answers) == (2, {"note": "mine"})
    assert "your answers were kept as conflict revision" in str(conflict)
    kept = [r for r in store.documents.revisions(actor, doc.id) if r.kind == "conflict"]
    assert [(r.id, r.answers, r.base_version, r.document_version) for r in kept] == [
        (conflict.conflict_revision_id, {"note": "theirs"}, 1, None)]
    assert store.documents.get(actor, doc.id).document.answers == {"note": "mine"}


def test_signing_a_moved_on_draft_is_a_conflict(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    store.documents.save_draft(actor, doc.id, base_version=1, answers={"x": 1})
    with pytest.raises(ConflictError, match="now at version 2"):
        store.documents.sign(actor, doc.id, base_version=1)


def test_document_keeps_its_definition_version_after_a_new_one_is_published(
    store: Store, actor: Actor, patient: PatientRecord
) -> None:
    v1 = publish_form(store, actor, version="1.0.0", body="items: [{id: sbp, type: integer}]\n")
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=v1.id,
                                 answers={"sbp": 120})
    store.documents.sign(actor, doc.id, base_version=1)
    v2 = publish_form(store, actor, version="2.0.0", body="items: [{id: systolic, type: integer}]\n")
    view = store.documents.get(actor, doc.id)
    assert view.document.answers == {"sbp": 120}
    assert (view.definition.id, view.definition.version) == (v1.id, "1.0.0")
    assert view.definition.source_text == v1.source_text and "id: sbp" in view.definition.source_text
    assert view.document.content_hash == v1.content_hash != v2.content_hash
    assert store.definitions.find(actor, "form", "core.vitals").version == "2.0.0"
    assert [d.version for d in store.definitions.versions(actor, "form", "core.vitals")] == ["1.0.0", "2.0.0"]


RATIO_PACK = "schema: cliniform/pack@1\nid: clinic\nversion: 1.0.0\ntitle: {en: Clinic}\nlocales: [en]\n"


def ratio_form(version: str, label: str, calculate: str) -> str:
    return (f"schema: cliniform/form@1\nid: clinic.ratio\nversion: {version}\ntitle: {{en: Ratio}}\nitems:\n"
            "  - {id: weight, type: decimal, label: {en: Weight (kg)}}\n"
            "  - {id: height, type: decimal, label: {en: Height}}\n"
            f"  - {{id: index, type: decimal, label: {{en: {label}}}, calculate: '{calculate}'}}\n")


#: version 1 reads the height in metres; version 2 renames the score and reads centimetres
RATIO_V1 = ratio_form("1.0.0", "Body mass index", "round(weight / (height * height), 1)")
RATIO_V2 = ratio_form("2.0.0", "BMI (kg/m2)", "round(weight / ((height / 100) * (height / 100)), 1)")


def ratio_catalog(parent: Path, *sources: str) -> Catalog:
    root = parent / "clinic"
    (root / "forms").mkdir(parents=True)
    (root / "pack.yaml").write_text(RATIO_PACK, "utf-8")
    for n, source in enumerate(sources):
        (root / "forms" / f"ratio{n}.yaml").write_text(source, "utf-8")
    result = load([root])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


def test_stored_answers_evaluate_with_the_pinned_version_after_a_new_one_is_published(
    store: Store, actor: Actor, patient: PatientRecord, tmp_path: Path
) -> None:
    old = ratio_catalog(tmp_path / "v1", RATIO_V1).form("clinic.ratio")
    assert old is not None and old.version == "1.0.0"
    v1 = store.definitions.publish(actor, kind="form", def_id=old.id, version=old.version,
                                   source_text=old.source_text, content_hash=old.key.content_hash)
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=v1.id,
                                 answers=evaluate(old, {"weight": 80, "height": 2}).answers_json())
    store.documents.sign(actor, doc.id, base_version=1)

    # the clinic installs version 2 only, and it is published when the next document is made
    upgraded = ratio_catalog(tmp_path / "v2", RATIO_V2)
    new = upgraded.form("clinic.ratio")
    assert new is not None and new.version == "2.0.0"
    store.definitions.publish(actor, kind="form", def_id=new.id, version=new.version,
                              source_text=new.source_text, content_hash=new.key.content_hash)
    assert evaluate(new, {"weight": 80, "height": 2}).values["index"] == 200000.0  # what v2 would say

    view = store.documents.get(actor, doc.id)
    for catalog in (upgraded, ratio_catalog(tmp_path / "both", RATIO_V1, RATIO_V2)):
        form = pinned(catalog, view.definition)
        assert isinstance(form, Form) and (form.version, form.key.content_hash) == ("1.0.0", v1.content_hash)
        assert form.index["index"].label.get("en") == "Body mass index"
        ev = evaluate(form, view.document.answers)
        assert ev.values["index"] == 20.0 and ev.values == {"weight": 80, "height": 2, "index": 20.0}
    assert upgraded.by_hash(v1.content_hash) is pinned(upgraded, view.definition)  # compiled once, then kept


def test_publishing_is_idempotent_but_a_version_never_changes(store: Store, actor: Actor) -> None:
    first = publish_form(store, actor)
    assert publish_form(store, actor) == first
    with pytest.raises(DuplicateError, match="already published with different content"):
        publish_form(store, actor, body="items: [changed]\n")
    with pytest.raises(IntegrityViolation, match="does not match the source text"):
        store.definitions.publish(actor, kind="form", def_id="x", version="1", source_text="a",
                                  content_hash="0" * 64)


def test_documents_are_scoped_to_the_clinic(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={})
    outsider = Actor(None, "clinician", store.accounts.create_clinic("south", "South").id)
    with pytest.raises(NotFoundError):
        store.documents.get(outsider, doc.id)
    with pytest.raises(NotFoundError):
        store.documents.save_draft(outsider, doc.id, base_version=1, answers={"x": "overwrite"})
    with pytest.raises(NotFoundError):
        store.documents.create(outsider, patient_id=patient.id, definition_version_id=form.id, answers={})
    assert store.documents.get(actor, doc.id).document.answers == {}


def test_create_checks_its_references(
    store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord
) -> None:
    other = store.patients.create(actor, mrn="2", given_name="B", family_name="C")
    visit = store.encounters.open(actor, other.id, kind="outpatient")
    with pytest.raises(ValueError, match="belongs to another patient"):
        store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                               answers={}, encounter_id=visit.id)
    with pytest.raises(ValueError, match="naive datetime"):
        store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id, answers={},
                               observations=[ObservationRow("t", value_date=datetime(2024, 1, 1))])
