"""Rule runtime: cards from rules, ordering, input fingerprints, affected rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.decisions import (
    ChartContext,
    affected_rules,
    card_for,
    form_cards,
    form_env,
    rules_for_form,
)
from engine.evaluator import evaluate, reevaluate
from engine.model import Form, Rule
from engine.packs import load
from engine.rules import ELLIPSIS, SUMMARY_LIMIT, shorten

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


NOTE_FORM = """\
schema: cliniform/form@1
id: test.note
version: 1.0.0
title: {en: Note, ar: ملاحظة}
items:
  - {id: note, type: text, label: {en: Note, ar: ملاحظة}}
"""
NOTE_RULE = """\
schema: cliniform/rule@1
id: test.note_shown
version: 1.0.0
title: {en: Note shown}
applies_to: {forms: [test.note]}
when: note is not null
severity: info
summary: {en: "The note says: {note}", ar: "تقول الملاحظة: {note}"}
"""


def _note_rule() -> tuple[Form, Rule]:
    from engine.compiler import PackContext
    from engine.forms import compile_form
    from engine.reader import read_text
    from engine.rules import compile_rule

    context = PackContext("test", ("en", "ar"), "en")
    form_doc, _ = read_text(NOTE_FORM, "note.yaml")
    rule_doc, _ = read_text(NOTE_RULE, "note_rule.yaml")
    assert form_doc is not None and rule_doc is not None
    form, problems = compile_form(form_doc, context)
    assert form is not None, problems
    rule, problems = compile_rule(rule_doc, context, {form.id: form})
    assert rule is not None, problems
    return form, rule


@pytest.mark.parametrize(("locale", "words"), [
    ("en", "the patient reports intermittent chest tightness on exertion relieved by rest"),
    ("ar", "يشكو المريض من ضيق متقطع في الصدر عند المجهود يزول بالراحة"),
])
def test_a_summary_filled_with_a_long_value_is_cut_at_a_word(locale: str, words: str) -> None:
    """RULE002 counts a placeholder as 8 characters; the value filled in at run time may be
    far longer, and the card is still at most 140 characters, cut after a whole word."""
    form, rule = _note_rule()
    long_note = " ".join([words] * 4)
    card = card_for(rule, form_env(evaluate(form, {"note": long_note}, locale=locale), ChartContext()), locale)
    assert card is not None
    summary = card.summary
    assert len(summary) <= SUMMARY_LIMIT and summary.endswith(ELLIPSIS), (len(summary), summary)
    full = rule.summary.get(locale).replace("{note}", long_note)
    kept = summary[: -len(ELLIPSIS)]
    assert full.startswith(kept) and full[len(kept)] == " "  # whole words only
    assert len(kept) > SUMMARY_LIMIT - 20  # and no more cut than the last word
    # a short note is shown whole
    short = card_for(rule, form_env(evaluate(form, {"note": words}, locale=locale), ChartContext()), locale)
    assert short is not None and short.summary == rule.summary.get(locale).replace("{note}", words)


def test_shorten_keeps_what_fits_and_cuts_a_single_long_word() -> None:
    assert shorten("x" * SUMMARY_LIMIT) == "x" * SUMMARY_LIMIT
    assert shorten("x" * (SUMMARY_LIMIT + 1)) == "x" * (SUMMARY_LIMIT - 1) + ELLIPSIS
    # a list cut after an item drops the dangling separator (Latin or Arabic comma)
    assert shorten("a" * 130 + ", bbbbbbbbbbbbbbbbbbbbbb") == "a" * 130 + ELLIPSIS
    assert shorten("ب" * 130 + "، " + "ت" * 20) == "ب" * 130 + ELLIPSIS
