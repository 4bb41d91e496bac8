"""The rules benchmark's own checks, without the timing: on its generated form and 500
rules, the rules the engine runs again after a change are exactly those whose inputs
include the changed answer (computed apart, from the expressions' names), for every input
item; and its full evaluation starts from the raw answers."""

from __future__ import annotations

import random

import pytest

from benchmarks.bench_rules import answers, build, chart, readers_of
from engine.decisions import form_affected_rules
from engine.evaluator import Context, evaluate
from engine.model import Form, Rule


@pytest.fixture(scope="module")
def generated() -> tuple[Form, list[Rule]]:
    form, rules, _ = build()
    return form, rules


def test_rules_run_again_are_exactly_the_dependent_rules(generated: tuple[Form, list[Rule]]) -> None:
    form, rules = generated
    inputs = [item.id for item in form.index.values() if item.is_input]
    assert len(inputs) > 80
    for item_id in inputs:
        rerun = {r.id for r in form_affected_rules(rules, form, [item_id])}
        assert rerun == readers_of(form, rules, item_id), item_id


def test_a_calculation_brings_its_readers_in(generated: tuple[Form, list[Rule]]) -> None:
    """n5 is read directly by some rules and through k2 = n4 + n5 by others."""
    form, rules = generated
    direct = {r.id for r in rules if "n5" in r.when.names | {n for e in r.summary_parts.values() for n in e.names}}
    through = {r.id for r in rules if "k2" in r.when.names}
    assert direct and through and readers_of(form, rules, "n5") == direct | through
    assert readers_of(form, rules, "drug") == {r.id for r in rules if "meds" in r.when.names}


def test_the_raw_answers_evaluate_to_a_valid_form(generated: tuple[Form, list[Rule]]) -> None:
    form, _ = generated
    rnd = random.Random(11)
    patient = chart(rnd)
    ev = evaluate(form, answers(rnd), Context(patient=dict(patient.patient)))
    assert ev.valid and ev.values["k2"] == int(ev.values["n4"]) + int(ev.values["n5"])
