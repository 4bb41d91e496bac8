"""The one evaluator: coercion, calculation, visibility, requirement, validation, rows and
grids, units; and the incremental path, which must always agree with a full evaluation.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.compiler import STANDALONE
from engine.evaluator import Context, Evaluation, evaluate, evaluate_from, reevaluate
from engine.forms import compile_form
from engine.model import Form
from engine.reader import read_text
from engine.schema import check_structure


def compile_source(source: str) -> Form:
    """A form from YAML text, through the same stages as a pack's forms."""
    doc, diagnostics = read_text(source, "test.yaml")
    assert doc is not None and not diagnostics, [str(d) for d in diagnostics]
    structural = check_structure(doc)
    assert not structural, [str(d) for d in structural]
    form, diagnostics = compile_form(doc, STANDALONE)
    assert form is not None, [str(d) for d in diagnostics]
    return form


def codes(ev: Evaluation, path: str) -> list[str]:
    return [e.code for e in ev.errors.get(path, ())]


# -- a form with every evaluator feature, used by most tests and by the property test ------

CLINIC = compile_source("""
schema: cliniform/form@1
id: demo.clinic
version: 1.0.0
title: {en: Clinic, ar: العيادة}
items:
  - {id: a, type: integer, label: {en: A, ar: أ}, min: 0, max: 50}
  - id: b
    type: integer
    label: {en: B, ar: ب}
    constraints:
      - check: b < 100
        message: {en: B must stay below 100., ar: يجب أن يبقى ب أقل من ١٠٠.}
  - {id: total, type: integer, label: {en: Total, ar: المجموع}, calculate: 'coalesce(a, 0) + coalesce(b, 0)'}
  - {id: flag, type: boolean, label: {en: Flag, ar: علم}, visible_when: total > 10}
  - {id: detail, type: text, label: {en: Detail, ar: تفصيل}, visible_when: flag == true, required_when: total > 20, max_length: 5}
  - {id: kept, type: text, label: {en: Kept, ar: محفوظ}, visible_when: flag == true, when_hidden: keep, required: true}
  - id: extra
    type: group
    label: {en: Extra, ar: إضافي}
    visible_when: 'coalesce(a, 0) > 5'
    items:
      - {id: extra_note, type: text, label: {en: Note, ar: ملاحظة}, required: true}
  - {id: weight, type: quantity, label: {en: Weight, ar: الوزن}, unit: kg, units: [kg, "[lb_av]"], min: 1, max: 400}
  - {id: height, type: quantity, label: {en: Height, ar: الطول}, unit: cm, units: [cm, "[in_i]"]}
  - {id: bmi, type: decimal, label: {en: BMI, ar: مؤشر}, decimals: 1, calculate: 'bmi(weight, height)'}
  - id: meds
    type: repeating_group
    label: {en: Medications, ar: الأدوية}
    max_rows: 3
    items:
      - {id: dose, type: decimal, label: {en: Dose, ar: الجرعة}, min: 0}
      - {id: times, type: integer, label: {en: Times a day, ar: مرات}}
      - {id: daily, type: decimal, label: {en: Daily, ar: يومي}, calculate: dose * times}
      - {id: reason, type: text, label: {en: Reason, ar: السبب}, visible_when: times > 4, required_when: times > 6}
  - {id: total_daily, type: decimal, label: {en: Total daily, ar: المجموع اليومي}, calculate: sum(meds.daily)}
  - id: perio
    type: grid
    label: {en: Perio, ar: اللثة}
    rows: [{code: "16"}, {code: "26"}]
    items:
      - {id: depth, type: integer, label: {en: Depth, ar: العمق}, min: 0, max: 15}
      - {id: deep, type: boolean, label: {en: Deep, ar: عميق}, calculate: depth > 5}
      - {id: note, type: text, label: {en: Note, ar: ملاحظة}, visible_when: depth > 3}
  - {id: deepest, type: integer, label: {en: Deepest, ar: الأعمق}, calculate: "max(column(perio, 'depth'))"}
  - id: severity
    type: single_choice
    label: {en: Severity, ar: الشدة}
    options:
      - {code: mild, display: {en: Mild, ar: خفيف}, score: 1}
      - {code: severe, display: {en: Severe, ar: شديد}, score: 3}
  - {id: severity_points, type: integer, label: {en: Points, ar: نقاط}, calculate: 'coalesce(score.severity, 0) * 2'}
""")


# -- coercion ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("42", 42), ("٤٢", 42), ("۱۲", 12), (" 7 ", 7), (7.0, 7), ("-3", -3),
])
def test_integer_coercion(raw: Any, expected: int) -> None:
    ev = evaluate(CLINIC, {"b": raw})
    assert ev.values["b"] == expected
    assert "b" not in ev.errors


@pytest.mark.parametrize("raw", ["abc", "4.5", True, "1e3", "٤٢x"])
def test_integer_coercion_errors(raw: Any) -> None:
    ev = evaluate(CLINIC, {"b": raw})
    assert ev.values["b"] is None
    assert codes(ev, "b") == ["not_integer"]


@pytest.mark.parametrize(("raw", "expected"), [("3.5", 3.5), ("٣٫٥", 3.5), ("3,5", 3.5), ("۲۰", 20.0), (12, 12.0)])
def test_decimal_coercion(raw: Any, expected: float) -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.decimal
version: 1.0.0
title: {en: D, ar: د}
items: [{id: x, type: decimal, label: {en: X, ar: س}}]
""")
    assert evaluate(form, {"x": raw}).values["x"] == expected


def test_other_types_coerce_arabic_input() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.types
version: 1.0.0
title: {en: T, ar: ت}
items:
  - {id: day, type: date, label: {en: Day, ar: يوم}}
  - {id: at, type: time, label: {en: At, ar: في}}
  - {id: yes, type: boolean, label: {en: Yes, ar: نعم}}
  - {id: no, type: boolean, label: {en: No, ar: لا}}
  - {id: picks, type: multiple_choice, label: {en: Picks, ar: خيارات}, options: [{code: x, display: {en: X, ar: س}}, {code: y, display: {en: Y, ar: ص}}]}
""")
    ev = evaluate(form, {"day": "٢٠٢٤-٠١-٣١", "at": "١٠:٣٠", "yes": "نعم", "no": "off", "picks": ["y", "x", "y", ""]})
    assert ev.values["day"] == dt.date(2024, 1, 31)
    assert ev.values["at"] == dt.time(10, 30)
    assert ev.values["yes"] is True and ev.values["no"] is False
    assert ev.values["picks"] == ["y", "x"]
    bad = evaluate(form, {"day": "31/01/2024", "yes": "maybe", "picks": ["z"]})
    assert codes(bad, "day") == ["not_date"]
    assert codes(bad, "yes") == ["not_boolean"]
    assert codes(bad, "picks") == ["bad_option"]


def test_default_applies_only_when_the_answer_is_absent() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.default
version: 1.0.0
title: {en: D, ar: د}
items: [{id: children, type: integer, label: {en: C, ar: أ}, default: 2}]
""")
    assert evaluate(form, {}).values["children"] == 2
    assert evaluate(form, {"children": "5"}).values["children"] == 5
    assert evaluate(form, {"children": ""}).values["children"] is None


# -- calculation, visibility, requirement ----------------------------------------------------

def test_calculation_and_visibility_chain() -> None:
    ev = evaluate(CLINIC, {"a": 5, "b": 8, "flag": "yes", "detail": "hi", "kept": "k"})
    assert ev.values["total"] == 13
    assert "total" in ev.calculated
    assert ev.is_visible("flag") and ev.is_visible("detail") and ev.is_visible("kept")
    assert ev.values["detail"] == "hi"
    assert "detail" not in ev.required  # total is not above 20
    quiet = evaluate(CLINIC, {"a": 1, "b": 2, "flag": "yes", "detail": "hi", "kept": "k"})
    assert not quiet.is_visible("flag") and not quiet.is_visible("detail")


def test_when_hidden_clear_and_keep() -> None:
    ev = evaluate(CLINIC, {"a": 1, "b": 2, "flag": "yes", "detail": "gone", "kept": "stays"})
    assert ev.values["flag"] is None  # hidden (total <= 10), cleared by default
    assert ev.values["detail"] is None  # hidden through flag, cleared
    assert ev.values["kept"] == "stays"  # hidden but `when_hidden: keep`
    assert "detail" not in ev.answers_json() and ev.answers_json()["kept"] == "stays"


def test_hidden_items_are_never_required_nor_validated() -> None:
    # kept is required and detail has max_length 5; both hidden here
    ev = evaluate(CLINIC, {"a": 1, "b": 2, "detail": "far too long"})
    assert "kept" not in ev.required and "kept" not in ev.errors
    assert "detail" not in ev.errors
    assert "extra_note" not in ev.required  # the group is hidden (a <= 5)
    shown = evaluate(CLINIC, {"a": 9, "b": 2, "flag": True, "detail": "far too long"})
    assert codes(shown, "kept") == ["required"]
    assert codes(shown, "detail") == ["max_length"]
    assert codes(shown, "extra_note") == ["required"]


def test_required_when() -> None:
    ev = evaluate(CLINIC, {"a": 10, "b": 15, "flag": True, "kept": "k"})
    assert "detail" in ev.required
    assert codes(ev, "detail") == ["required"]
    ev = evaluate(CLINIC, {"a": 10, "b": 5, "flag": True, "kept": "k"})
    assert "detail" not in ev.required and "detail" not in ev.errors


def test_bounds_and_constraints_in_both_languages() -> None:
    ev = evaluate(CLINIC, {"a": 60, "b": 120}, locale="ar")
    assert codes(ev, "a") == ["max"]
    assert codes(ev, "b") == ["constraint"]
    assert ev.errors["b"][0].message == "يجب أن يبقى ب أقل من ١٠٠."
    en = evaluate(CLINIC, {"b": 120})
    assert en.errors["b"][0].message == "B must stay below 100."
    assert "b" not in evaluate(CLINIC, {"b": 99}).errors


def test_unanswered_items_are_not_checked_by_constraints() -> None:
    assert "b" not in evaluate(CLINIC, {}).errors


def test_scored_choice() -> None:
    assert evaluate(CLINIC, {"severity": "severe"}).values["severity_points"] == 6
    assert evaluate(CLINIC, {}).values["severity_points"] == 0


def test_runtime_error_is_an_issue_not_an_exception() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.divide
version: 1.0.0
title: {en: D, ar: د}
items:
  - {id: x, type: integer, label: {en: X, ar: س}}
  - {id: ratio, type: decimal, label: {en: R, ar: ن}, calculate: 10 / x}
""")
    ev = evaluate(form, {"x": 0})
    assert ev.values["ratio"] is None
    assert [i.code for i in ev.issues] == ["EVAL001"]
    assert evaluate(form, {"x": 4}).values["ratio"] == 2.5


# -- units -----------------------------------------------------------------------------------

def test_quantity_unit_conversion() -> None:
    metric = evaluate(CLINIC, {"weight": 70, "height": 175})
    imperial = evaluate(CLINIC, {"weight": {"value": 154.3, "unit": "[lb_av]"}, "height": {"value": 68.9, "unit": "[in_i]"}})
    assert metric.values["bmi"] == 22.9
    assert imperial.values["bmi"] == 22.9
    assert imperial.values["weight"] == {"value": 154.3, "unit": "[lb_av]"}  # stored as entered


def test_quantity_bounds_use_the_item_unit() -> None:
    # 1000 lb is 453.6 kg: above max 400 (kg), though 1000 < 400 is false in pounds too;
    # 500 lb is 226.8 kg: inside the bounds although 500 > 400
    assert codes(evaluate(CLINIC, {"weight": {"value": 1000, "unit": "[lb_av]"}}), "weight") == ["max"]
    assert "weight" not in evaluate(CLINIC, {"weight": {"value": 500, "unit": "[lb_av]"}}).errors


def test_quantity_unit_not_allowed() -> None:
    ev = evaluate(CLINIC, {"weight": {"value": 70, "unit": "g"}})
    assert codes(ev, "weight") == ["bad_unit"]
    assert ev.values["bmi"] is None


# -- repeating groups ------------------------------------------------------------------------

def test_repeating_group_rows_are_scoped() -> None:
    ev = evaluate(CLINIC, {"meds": [{"dose": "500", "times": "2"}, {"dose": 75, "times": 7}]})
    assert ev.values["meds"][0]["daily"] == 1000
    assert ev.values["meds"][1]["daily"] == 525
    assert ev.values["total_daily"] == 1525
    assert {"meds[0].daily", "meds[1].daily"} <= ev.calculated
    assert not ev.is_visible("meds[0].reason") and ev.is_visible("meds[1].reason")
    assert "meds[1].reason" in ev.required and codes(ev, "meds[1].reason") == ["required"]
    assert "meds[0].reason" not in ev.required


def test_repeating_group_row_errors_have_row_paths() -> None:
    ev = evaluate(CLINIC, {"meds": [{"dose": -1}, {"dose": "lots"}]})
    assert codes(ev, "meds[0].dose") == ["min"]
    assert codes(ev, "meds[1].dose") == ["not_number"]


def test_repeating_group_row_counts() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.rows
version: 1.0.0
title: {en: R, ar: ص}
items:
  - id: contacts
    type: repeating_group
    label: {en: Contacts, ar: جهات الاتصال}
    min_rows: 1
    max_rows: 2
    items: [{id: phone, type: text, label: {en: Phone, ar: الهاتف}}]
  - id: visits
    type: repeating_group
    label: {en: Visits, ar: الزيارات}
    required: true
    items: [{id: day, type: date, label: {en: Day, ar: اليوم}}]
""")
    ev = evaluate(form, {})
    assert codes(ev, "contacts") == ["min_rows"]
    assert codes(ev, "visits") == ["required"]
    ev = evaluate(form, {"contacts": [{"phone": "1"}, {"phone": "2"}, {"phone": "3"}], "visits": [{"day": "2024-01-01"}]})
    assert codes(ev, "contacts") == ["max_rows"]
    assert "visits" not in ev.errors
    assert codes(evaluate(form, {"contacts": "not rows"}), "contacts") == ["bad_rows"]


def test_repeating_group_over_max_rows_in_the_clinic_form() -> None:
    ev = evaluate(CLINIC, {"meds": [{}, {}, {}, {}]})
    assert codes(ev, "meds") == ["max_rows"]


# -- grids -----------------------------------------------------------------------------------

def test_grid_cells() -> None:
    ev = evaluate(CLINIC, {"perio": {"16": {"depth": 7}, "26": {"depth": "2"}}})
    assert ev.values["perio"]["16"]["deep"] is True
    assert ev.values["perio"]["26"]["deep"] is False
    assert ev.values["deepest"] == 7
    assert ev.is_visible("perio[16].note") and not ev.is_visible("perio[26].note")
    bad = evaluate(CLINIC, {"perio": {"16": {"depth": 20}, "26": {"depth": "x"}}})
    assert codes(bad, "perio[16].depth") == ["max"]
    assert codes(bad, "perio[26].depth") == ["not_integer"]


def test_grid_rows_exist_without_answers() -> None:
    ev = evaluate(CLINIC, {})
    assert set(ev.values["perio"]) == {"16", "26"}
    assert ev.values["deepest"] is None


def test_context_patient_age_from_birth_date() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.patient
version: 1.0.0
title: {en: P, ar: م}
items:
  - id: pregnant
    type: boolean
    label: {en: Pregnant, ar: حامل}
    visible_when: patient.sex == 'female' and coalesce(patient.age, 0) >= 12
""")
    adult = Context(patient={"sex": "female", "birth_date": "1990-05-01"})
    child = Context(patient={"sex": "female", "birth_date": (dt.date.today() - dt.timedelta(days=365 * 5)).isoformat()})
    assert evaluate(form, {}, adult).is_visible("pregnant")
    assert not evaluate(form, {}, child).is_visible("pregnant")
    assert not evaluate(form, {}, Context(patient={"sex": "male", "age": 40})).is_visible("pregnant")
    # an old document reads as on its encounter's day: 11 then, whatever the age today
    then = Context(patient={"sex": "female", "birth_date": "2000-06-02"}, encounter={"date": dt.date(2011, 6, 1)})
    assert not evaluate(form, {}, then).is_visible("pregnant")
    assert evaluate(form, {}, Context(patient={"sex": "female", "birth_date": "2000-06-02"}, encounter={"date": "2012-06-02"})).is_visible("pregnant")


# -- incremental = full ----------------------------------------------------------------------

def assert_same(incremental: Evaluation, full: Evaluation) -> None:
    assert incremental.values == full.values
    assert incremental.visible == full.visible
    assert incremental.required == full.required
    assert incremental.calculated == full.calculated
    assert {p: [(e.code, e.message) for e in errs] for p, errs in incremental.errors.items()} == {
        p: [(e.code, e.message) for e in errs] for p, errs in full.errors.items()
    }


def test_reevaluate_leaves_the_previous_evaluation_alone() -> None:
    first = evaluate(CLINIC, {"meds": [{"dose": 1, "times": 2}], "a": 3})
    before = copy.deepcopy(dict(first.values))
    reevaluate(first, {"meds[0].dose": 10, "a": 30})
    assert dict(first.values) == before


def test_reevaluate_after_adding_a_row() -> None:
    first = evaluate(CLINIC, {"meds": [{"dose": 1, "times": 2}]})
    rows = [{"dose": 1, "times": 2}, {"dose": 3, "times": 7}]
    assert_same(reevaluate(first, {"meds": rows}), evaluate(CLINIC, {"meds": rows}))


#: top-level items, including calculated ones (a raw value posted for them is ignored)
_TOP = ["a", "b", "flag", "detail", "kept", "extra_note", "weight", "height", "severity", "total", "bmi"]
_ROW_CELLS = ["dose", "times", "reason"]
_GRID_CELLS = ["depth", "note"]

_numbers = st.one_of(st.integers(-5, 60), st.sampled_from(["", "٤", "7", "12", "abc", "2.5", "٣٫٥"]))
_values = st.one_of(
    st.none(), _numbers, st.booleans(), st.sampled_from(["yes", "no", "hi", "far too long", "mild", "severe", "bad"]),
    st.fixed_dictionaries({"value": st.integers(0, 500), "unit": st.sampled_from(["kg", "[lb_av]", "cm", "[in_i]", "g"])}),
)
_row = st.fixed_dictionaries({}, optional={cell: _numbers for cell in _ROW_CELLS})
_rows = st.lists(_row, max_size=4)
_grid = st.dictionaries(st.sampled_from(["16", "26"]), st.fixed_dictionaries({}, optional={cell: _numbers for cell in _GRID_CELLS}), max_size=2)
_answers = st.fixed_dictionaries({}, optional={**{k: _values for k in _TOP}, "meds": _rows, "perio": _grid})


def _change(draw: st.DrawFn, answers: dict[str, Any]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["top", "row", "rows", "grid", "several"]))
    rows = answers.get("meds") if isinstance(answers.get("meds"), list) else []
    rows = rows if all(isinstance(r, dict) for r in rows) else []
    if kind == "row" and rows:
        return {f"meds[{draw(st.integers(0, len(rows) - 1))}].{draw(st.sampled_from(_ROW_CELLS))}": draw(_numbers)}
    if kind == "rows":
        return {"meds": draw(st.one_of(_rows, _values))}
    if kind == "grid" and draw(st.booleans()):
        return {"perio": draw(st.one_of(_grid, _values))}
    if kind == "grid":
        return {f"perio[{draw(st.sampled_from(['16', '26']))}].{draw(st.sampled_from(_GRID_CELLS))}": draw(_numbers)}
    if kind == "several":
        return {key: draw(_values) for key in draw(st.lists(st.sampled_from(_TOP), min_size=2, max_size=3, unique=True))}
    return {draw(st.sampled_from(_TOP)): draw(_values)}


def _apply(answers: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The raw answers a full evaluation gets for the same change."""
    merged = copy.deepcopy(answers)
    for path, value in change.items():
        if "[" not in path:
            merged[path] = copy.deepcopy(value)
            continue
        container, rest = path.split("[", 1)
        key, cell = rest.split("].", 1)
        if container == "meds":
            merged["meds"][int(key)][cell] = value
        else:
            grid = merged["perio"] = merged["perio"] if isinstance(merged.get("perio"), dict) else {}
            if not isinstance(grid.get(key), dict):
                grid[key] = {}
            grid[key][cell] = value
    return merged


@st.composite
def _scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    answers = draw(_answers)
    changes = []
    current = answers
    for _ in range(draw(st.integers(1, 4))):
        change = _change(draw, current)
        changes.append(change)
        current = _apply(current, change)
    return answers, changes


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_scenarios())
def test_reevaluate_equals_full_evaluation(scenario: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    answers, changes = scenario
    previous = evaluate(CLINIC, answers)
    current = answers
    for change in changes:
        current = _apply(current, change)
        previous = reevaluate(previous, change)
        assert_same(previous, evaluate(CLINIC, current))


# -- evaluate_from: the live round-trips' path ------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_scenarios())
def test_evaluate_from_the_previous_round_trip_equals_full_evaluation(scenario: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """Each post carries every answer; only those that differ from the last post are run again."""
    answers, changes = scenario
    previous = evaluate_from(None, CLINIC, answers, Context())
    current = answers
    for change in changes:
        current = _apply(current, change)
        previous = evaluate_from(previous, CLINIC, current, Context())
        full = evaluate(CLINIC, current)
        assert_same(previous, full)
        assert set(previous.issues) == set(full.issues)


def test_evaluate_from_starts_afresh_for_another_language_or_patient() -> None:
    english = evaluate_from(None, CLINIC, {"a": "abc"}, Context())
    arabic = evaluate_from(english, CLINIC, {"a": "abc"}, Context(), "ar")
    assert arabic.errors["a"][0].message == evaluate(CLINIC, {"a": "abc"}, locale="ar").errors["a"][0].message
    assert arabic.errors["a"][0].message != english.errors["a"][0].message
    patient = Context(patient={"sex": "female", "age": 30})
    assert evaluate_from(english, CLINIC, {"a": "abc"}, patient).context == patient


def test_evaluate_from_reuses_an_unchanged_post() -> None:
    first = evaluate_from(None, CLINIC, {"a": "3", "b": "4"}, Context())
    assert evaluate_from(first, CLINIC, {"a": "3", "b": "4"}, Context()) is first


def test_a_failing_calculation_is_reported_once_however_often_it_runs_again() -> None:
    form = compile_source("""
schema: cliniform/form@1
id: demo.ratio
version: 1.0.0
title: {en: Ratio, ar: نسبة}
items:
  - {id: a, type: integer, label: {en: A, ar: أ}}
  - {id: ratio, type: decimal, label: {en: Ratio, ar: نسبة}, calculate: 10 / a}
""")
    ev = evaluate(form, {"a": "0"})
    assert len(ev.issues) == 1
    for raw in ["00", "0", "000", "0"] * 5:  # each is a change, each calculation fails again
        ev = evaluate_from(ev, form, {"a": raw}, Context())
    assert [i.code for i in ev.issues] == [i.code for i in evaluate(form, {"a": "0"}).issues]
    assert evaluate_from(ev, form, {"a": "5"}, Context()).issues == ()
