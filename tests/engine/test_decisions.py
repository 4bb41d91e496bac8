"""Rule runtime: cards from rules, ordering, input fingerprints, affected rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.decisions import ChartContext, affected_rules, form_cards, rules_for_form
from engine.evaluator import evaluate, reevaluate
from engine.packs import load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    result = load([ROOT / "form_definitions"])
    assert result.ok, [str(d) for d in result.diagnostics]
    return result.catalog


def test_card_appears_and_disappears_with_answers(catalog: Catalog) -> None:
    form = catalog.form("core.vitals")
    assert form is not None
    ev = evaluate(form, {"systolic": 150, "diastolic": 90})
    assert form_cards(catalog, ev, ChartContext()) == []
    ev = reevaluate(ev, {"systolic": "182"})
    cards = form_cards(catalog, ev, ChartContext())
    assert [(c.rule_id, c.severity) for c in cards] == [("core.hypertensive_crisis", "critical")]
    assert cards[0].summary.startswith("BP 182/90 mmHg")
    assert cards[0].as_cds_hooks()["indicator"] == "critical"
    ev = reevaluate(ev, {"systolic": "170"})
    assert form_cards(catalog, ev, ChartContext()) == []


def test_inputs_hash_changes_only_with_what_the_rule_reads(catalog: Catalog) -> None:
    form = catalog.form("core.vitals")
    assert form is not None
    base = evaluate(form, {"systolic": 185, "diastolic": 90})
    first = form_cards(catalog, base, ChartContext())[0]
    unrelated = form_cards(catalog, reevaluate(base, {"heart_rate": "80"}), ChartContext())[0]
    related = form_cards(catalog, reevaluate(base, {"systolic": "190"}), ChartContext())[0]
    assert first.inputs_hash == unrelated.inputs_hash
    assert first.inputs_hash != related.inputs_hash


def test_arabic_card(catalog: Catalog) -> None:
    form = catalog.form("core.vitals")
    assert form is not None
    card = form_cards(catalog, evaluate(form, {"systolic": 185, "diastolic": 125}), ChartContext(), "ar")[0]
    assert "185/125" in card.summary and "ضغط الدم" in card.summary


def test_affected_rules_follow_dependencies(catalog: Catalog) -> None:
    form = catalog.form("core.vitals")
    assert form is not None
    rules = rules_for_form(catalog, "core.vitals")
    assert {r.id for r in affected_rules(rules, ["systolic"], form.dependents)} == {"core.hypertensive_crisis"}
    assert {r.id for r in affected_rules(rules, ["heart_rate"], form.dependents)} == {"core.tachycardia", "core.bradycardia"}
    assert affected_rules(rules, ["weight"], form.dependents) == []


def test_a_cell_change_affects_the_rules_reading_its_group(catalog: Catalog) -> None:
    from engine.decisions import form_affected_rules

    form = catalog.form("core.medications")
    assert form is not None
    rules = rules_for_form(catalog, "core.medications")
    assert {r.id for r in form_affected_rules(rules, form, ["drug"])} == {"core.drug_allergy_conflict", "core.duplicate_therapy", "core.teratogen_in_pregnancy"}
    assert {r.id for r in form_affected_rules(rules, form, ["medications"])} == {"core.drug_allergy_conflict", "core.duplicate_therapy", "core.teratogen_in_pregnancy"}
    vitals = catalog.form("core.vitals")
    assert vitals is not None
    assert form_affected_rules(rules_for_form(catalog, "core.vitals"), vitals, ["pain_score"]) == []
    assert form_affected_rules(rules, form, []) == []


def test_the_chart_adds_to_the_forms_patient_without_overriding_it(catalog: Catalog) -> None:
    form = catalog.form("core.medications")
    assert form is not None
    ev = evaluate(form, {"medications": [{"drug": "warfarin"}]})
    # the form knows sex and birth date; pregnancy is known from the chart only
    cards = form_cards(catalog, ev, ChartContext(patient={"sex": "female", "pregnant": True}))
    assert [c.rule_id for c in cards] == ["core.teratogen_in_pregnancy"]


def test_inputs_hash_is_the_same_in_every_language(catalog: Catalog) -> None:
    form = catalog.form("core.medications")
    assert form is not None
    ev = evaluate(form, {"medications": [{"drug": "amoxicillin"}]})
    english = ChartContext(allergies=({"code": "penicillin", "display": "Penicillin (any)"},))
    arabic = ChartContext(allergies=({"code": "penicillin", "display": "البنسلين (أي نوع)"},))
    en = form_cards(catalog, ev, english, "en")[0]
    ar = form_cards(catalog, ev, arabic, "ar")[0]
    assert en.summary != ar.summary and en.inputs_hash == ar.inputs_hash
