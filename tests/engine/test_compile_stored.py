"""Stored definition versions compile with their pack's context, like loaded ones."""

from __future__ import annotations

from pathlib import Path

from engine.evaluator import evaluate
from engine.model import Form
from engine.packs import compile_stored, load

ROOT = Path(__file__).resolve().parents[2]


def test_stored_form_compiles_to_the_same_definition() -> None:
    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    for form in result.catalog.latest_forms():
        compiled, diagnostics = compile_stored(form.source_text, f"stored:{form.id}", result.catalog)
        assert isinstance(compiled, Form), (form.id, [str(d) for d in diagnostics])
        assert compiled.key == form.key
        assert [i for i in compiled.index] == [i for i in form.index]


def test_stored_text_with_errors_gives_diagnostics_not_exceptions() -> None:
    result = load([ROOT / "form_definitions"])
    compiled, diagnostics = compile_stored("schema: cliniform/form@1\nid: core.x\n", "stored:bad", result.catalog)
    assert compiled is None
    assert {d.code for d in diagnostics} == {"SCHEMA002"}


def test_quantity_with_a_unit_but_no_number_is_unanswered() -> None:
    form = load([ROOT / "form_definitions"]).catalog.form("core.vitals")
    assert form is not None
    ev = evaluate(form, {"systolic": 120, "diastolic": 80, "weight": {"value": " ", "unit": "kg"}})
    assert ev.values["weight"] is None and "weight" not in ev.errors
