"""The chart as rules read it: the store's signed lists, coded conditions of any form, the
latest observations and pregnancy -> ChartContext; one function for the chart and the forms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine.catalog import Catalog
from engine.chart_context import ChartRecords, chart_context, read_chart, rule_context
from engine.decisions import ChartContext, chart_env, event_cards, form_cards
from engine.evaluator import Context, evaluate
from engine.observations import derive_observations
from engine.packs import load
from engine.store import Actor, Database, PatientRecord, Store, upgrade
from engine.store.records import ListEntry
from engine.valuesets import Classifier

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
#: a dental rule that reads a condition recorded by another specialty (test-only definition)
VALVE_RULE = """\
schema: cliniform/rule@1
id: test.valve_before_dental_surgery
version: 1.0.0
title: {en: Prosthetic valve before dental surgery}
applies_to:
  forms: [dental.treatment_plan]
when: has_code(problems, 'http://hl7.org/fhir/sid/icd-10', 'Z95.2') and count_in(procedures.procedure, ['extraction', 'surgical_extraction', 'implant']) > 0
severity: critical
summary: {en: "Prosthetic heart valve: consider endocarditis prophylaxis before this procedure"}
override_reasons:
  - {code: cardiology-advised, display: {en: Cardiologist advised}}
"""


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    rule = tmp_path_factory.mktemp("rules") / "valve.yaml"
    rule.write_text(VALVE_RULE, "utf-8")
    result = load([ROOT / "form_definitions", ROOT / "specialties"], extra_files=[rule])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    db = Database.from_url(f"sqlite:///{tmp_path / 'chart.db'}")
    upgrade(db)
    return Store(db)


@pytest.fixture()
def actor(store: Store) -> Actor:
    return Actor.system(store.accounts.create_clinic("north", "North").id)


@pytest.fixture()
def patient(store: Store, actor: Actor) -> PatientRecord:
    return store.patients.create(actor, mrn="P-1", given_name="Mona", family_name="Haddad", sex="female",
                                 birth_date=dt.date(1990, 4, 2))


def sign(store: Store, actor: Actor, catalog: Catalog, patient: PatientRecord, form_id: str, answers: dict[str, Any],
         days: int = 0) -> int:
    """A signed document of ``form_id`` with its observations, as the web app stores it."""
    form = catalog.form(form_id)
    assert form is not None
    version = store.definitions.publish(actor, kind="form", def_id=form.id, version=form.version,
                                        source_text=form.source_text, content_hash=form.key.content_hash)
    ev = evaluate(form, answers, Context(patient={"sex": patient.sex, "birth_date": patient.birth_date}))
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=version.id, answers=ev.answers_json(),
                                 observations=derive_observations(ev), effective_at=T0 + dt.timedelta(days=days))
    store.documents.sign(actor, doc.id, base_version=doc.version)
    return doc.id


def test_lists_map_coded_cells_to_records_and_leave_inactive_rows_out(store: Store, actor: Actor, catalog: Catalog,
                                                                      patient: PatientRecord) -> None:
    sign(store, actor, catalog, patient, "core.allergies", {"no_known_allergies": False, "allergies": [
        {"substance": "penicillin", "reaction": ["39579001"], "severity": "severe"},
        {"substance": "latex", "allergy_status": "inactive"},
        {"substance": "other", "substance_other": "Bee stings"},
    ]})
    sign(store, actor, catalog, patient, "core.medications", {"medications": [
        {"drug": "warfarin", "dose": 5},
        {"drug": "amoxicillin", "medication_status": "stopped", "stop_date": "2024-01-02"},
    ]})
    sign(store, actor, catalog, patient, "core.problems", {"problems": [
        {"problem": "I10"}, {"problem": "E11", "problem_status": "resolved", "resolved_date": "2024-05-01"},
    ]})
    chart = chart_context(store, catalog, actor, patient.id)
    assert [(a["code"], a["display"], a["severity"]) for a in chart.allergies] == [
        ("penicillin", "Penicillin (any)", "severe"), ("other", "Bee stings", None)]
    assert [(m["code"], m["dose"]) for m in chart.medications] == [("warfarin", {"value": 5, "unit": "mg"})]
    assert [(p["system"], p["code"], p["status"]) for p in chart.problems] == [("http://hl7.org/fhir/sid/icd-10", "I10", "active")]
    assert chart.patient["sex"] == "female" and chart.patient["pregnant"] is None
    # the chart (patient-view) and the forms read the same context: the allergy meets warfarin? no; amoxicillin? yes
    assert event_cards(catalog, "patient-view", chart) == []
    meds = catalog.form("core.medications")
    assert meds is not None
    cards = form_cards(catalog, evaluate(meds, {"medications": [{"drug": "amoxicillin"}]}), chart)
    assert [c.rule_id for c in cards] == ["core.drug_allergy_conflict"]
    assert "Penicillins" in cards[0].summary


def test_a_dental_rule_sees_a_valve_recorded_in_cardiology(store: Store, actor: Actor, catalog: Catalog,
                                                           patient: PatientRecord) -> None:
    plan = catalog.form("dental.treatment_plan")
    rule = catalog.get("rule", "test.valve_before_dental_surgery")
    assert plan is not None and rule is not None
    extraction = evaluate(plan, {"procedures": [{"tooth": "36", "procedure": "extraction"}]})
    assert form_cards(catalog, extraction, chart_context(store, catalog, actor, patient.id)) == []
    sign(store, actor, catalog, patient, "cardiology.history", {"cardiac_history": ["Z95.2"], "valve_positions": ["mitral"],
                                                               "valve_type": "mechanical", "risk_factors": ["none"]})
    chart = chart_context(store, catalog, actor, patient.id)
    assert ("http://hl7.org/fhir/sid/icd-10", "Z95.2") in {(p["system"], p["code"]) for p in chart.problems}
    fired = {c.rule_id for c in form_cards(catalog, extraction, chart)}
    # the test rule, and the dental pack's own endocarditis rule, both see the valve
    assert {"test.valve_before_dental_surgery", "dental.endocarditis_prophylaxis"} <= fired
    # a filling is not the kind of procedure the test rule is about
    filling = evaluate(plan, {"procedures": [{"tooth": "36", "procedure": "composite"}]})
    assert "test.valve_before_dental_surgery" not in {c.rule_id for c in form_cards(catalog, filling, chart)}


def test_a_valve_on_the_core_problem_list_is_seen_too(store: Store, actor: Actor, catalog: Catalog,
                                                      patient: PatientRecord) -> None:
    sign(store, actor, catalog, patient, "core.problems", {"problems": [{"problem": "Z95.2"}]})
    plan = catalog.form("dental.treatment_plan")
    assert plan is not None
    extraction = evaluate(plan, {"procedures": [{"tooth": "11", "procedure": "implant"}]})
    fired = {c.rule_id for c in form_cards(catalog, extraction, chart_context(store, catalog, actor, patient.id))}
    assert {"test.valve_before_dental_surgery", "dental.endocarditis_prophylaxis"} <= fired


def test_pregnancy_from_the_problem_list_or_the_latest_vitals(store: Store, actor: Actor, catalog: Catalog,
                                                              patient: PatientRecord) -> None:
    sign(store, actor, catalog, patient, "core.vitals", {"systolic": 118, "diastolic": 76, "pregnant": False}, days=0)
    today = (T0 + dt.timedelta(days=10)).date()
    records = read_chart(store, actor, patient.id)
    assert rule_context(records, catalog, today=today).patient["pregnant"] is False
    sign(store, actor, catalog, patient, "core.vitals", {"systolic": 121, "diastolic": 78, "heart_rate": 88, "pregnant": True}, days=5)
    records = read_chart(store, actor, patient.id)
    chart = rule_context(records, catalog, today=today)
    assert chart.patient["pregnant"] is True
    # an answer older than a pregnancy lasts says nothing now
    assert rule_context(records, catalog, today=today + dt.timedelta(days=400)).patient["pregnant"] is None
    # latest observations by code, with their dates
    latest = {o["code"]: (o["value"], o["date"]) for o in chart.observations}
    assert latest["8480-6"] == (121, (T0 + dt.timedelta(days=5)).date())
    assert latest["8867-4"][0] == 88
    # an active Z33 on the problem list says pregnant whatever the vitals say
    sign(store, actor, catalog, patient, "core.problems", {"problems": [{"problem": "Z33"}]})
    sign(store, actor, catalog, patient, "core.vitals", {"systolic": 120, "diastolic": 80, "pregnant": False}, days=6)
    chart = chart_context(store, catalog, actor, patient.id)
    assert chart.patient["pregnant"] is True
    # ... which the teratogen rule reads in the medication form
    meds = catalog.form("core.medications")
    assert meds is not None
    cards = form_cards(catalog, evaluate(meds, {"medications": [{"drug": "isotretinoin"}]},
                                         Context(patient={"sex": "female", "birth_date": patient.birth_date})), chart)
    assert [c.rule_id for c in cards] == ["core.teratogen_in_pregnancy"]


def test_rule_context_is_plain_data_in_plain_data_out(catalog: Catalog) -> None:
    """No store needed: the mapping is a pure function of what was read."""
    entry = ListEntry({"substance": "amoxicillin", "allergy_status": "active"}, 7, "core.allergies", T0)
    records = ChartRecords(patient={"sex": "male", "birth_date": dt.date(1970, 1, 1)}, lists={"allergies": [entry]})
    chart = rule_context(records, catalog, "ar")
    assert chart.allergies[0]["display"] == "أموكسيسيلين" and chart.allergies[0]["source"] == "core.allergies#7"
    assert chart.patient["pregnant"] is None
    # the records get their classes from the value sets like any chart record
    env = chart_env(chart, Classifier(catalog.valuesets()))
    assert env["allergies"][0].classes == ["penicillins"]


def test_only_rules_that_read_the_chart_make_it_be_read(catalog: Catalog) -> None:
    from engine.chart_context import reads_chart
    from engine.model import Rule

    def rule(rule_id: str) -> Rule:
        found = catalog.get("rule", rule_id)
        assert isinstance(found, Rule)
        return found

    assert not reads_chart(rule("core.hypertensive_crisis"))  # systolic and diastolic only
    assert reads_chart(rule("core.tachycardia"))  # patient.age
    assert reads_chart(rule("core.drug_allergy_conflict"))  # allergies
    assert reads_chart(rule("dental.endocarditis_prophylaxis"))  # chart.problems


def test_pending_orders_are_the_rows_not_on_the_signed_list(catalog: Catalog) -> None:
    """The medication form's `order` for order-select rules: active rows naming a drug the
    signed list does not have (a dose change is not an order; "Other" compares its name)."""
    from engine.chart_context import order_changed, pending_orders

    form = catalog.form("core.medications")
    assert form is not None
    signed = ChartContext(medications=(
        {"system": "", "code": "warfarin", "display": "Warfarin"},
        {"system": "", "code": "other", "display": "Senna"},
    ))
    rows = [
        {"drug": "warfarin", "dose": 7.5},               # on the list, dose changed: not an order
        {"drug": "apixaban"},                           # new
        {"drug": "metformin", "medication_status": "stopped"},  # stopped: not ordered
        {"drug": "other", "drug_other": "senna"},      # on the list (same name)
        {"drug": "other", "drug_other": "Melatonin"},  # new
        {"dose": 5},                                   # no drug yet
    ]
    ev = evaluate(form, {"no_current_medications": False, "medications": rows})
    orders = pending_orders(ev, signed, "ar", "core.medications#7", T0)
    assert [(o["code"], o["display"], o["status"]) for o in orders] == [("apixaban", "أبيكسابان", "draft"), ("other", "Melatonin", "draft")]
    assert orders[0]["source"] == "core.medications#7" and orders[0]["date"] == T0
    # nothing is on the list: every active row with a drug is ordered; no rows, no order
    assert len(pending_orders(ev, ChartContext(), "en")) == 4
    assert pending_orders(evaluate(form, {"no_current_medications": True}), ChartContext(), "en") == ()
    # another form orders nothing
    vitals = catalog.form("core.vitals")
    assert vitals is not None and pending_orders(evaluate(vitals, {}), ChartContext(), "en") == ()
    # what can change the order: a cell of the rows, the rows, the "no medicines" box
    assert order_changed(form, ["drug"]) and order_changed(form, ["medications"]) and order_changed(form, ["no_current_medications"])
    assert not order_changed(vitals, ["systolic"])
