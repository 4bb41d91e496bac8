"""Observation rows derived from evaluated forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.evaluator import Context, evaluate
from engine.model import Form
from engine.observations import derive_observations
from engine.packs import load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def vitals() -> Form:
    result = load([ROOT / "form_definitions"])
    form = result.catalog.form("core.vitals")
    assert form is not None, [str(d) for d in result.diagnostics]
    return form


def test_coded_numbers_calculations_and_units(vitals: Form) -> None:
    ev = evaluate(vitals, {"systolic": 120, "diastolic": 80, "weight": {"value": 154.3, "unit": "[lb_av]"}, "height": "175"})
    rows = {r.item_path: r for r in derive_observations(ev)}
    assert set(rows) == {"systolic", "diastolic", "weight", "height", "bmi"}
    assert (rows["systolic"].code_system, rows["systolic"].code, rows["systolic"].value_num, rows["systolic"].unit) == ("http://loinc.org", "8480-6", 120.0, "mm[Hg]")
    # stored in the item's own unit, so series compare like with like
    assert rows["weight"].unit == "kg"
    assert rows["weight"].value_num == pytest.approx(69.99, abs=0.01)
    assert rows["bmi"].code == "39156-5"
    assert rows["bmi"].value_num == pytest.approx(22.9)


def test_hidden_items_are_not_observed(vitals: Form) -> None:
    male = Context(patient={"sex": "male", "birth_date": "1970-01-01"})
    female = Context(patient={"sex": "female", "birth_date": "1990-01-01"})
    answers = {"systolic": 120, "diastolic": 80, "pregnant": "yes"}
    assert "pregnant" not in {r.item_path for r in derive_observations(evaluate(vitals, answers, male))}
    rows = {r.item_path: r for r in derive_observations(evaluate(vitals, answers, female))}
    assert (rows["pregnant"].value_num, rows["pregnant"].value_text) == (1.0, "true")
