"""Unit tests of the expression language: checking, semantics, values, functions, properties.

Data-driven cases live in tests/conformance/expressions/ and escape payloads in
test_sandbox.py; this file covers what is awkward to write as data.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import CATALOGUE
from engine.expressions import (
    CONTEXT_NAMES,
    FUNCTION_NAMES,
    RESERVED_NAMES,
    EvaluationProblem,
    Expression,
    ExpressionProblem,
    Record,
    RecordList,
    check_expression,
    compile_expression,
    reference_evaluate,
)
from engine.functions import LIBRARY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"


def ev(source: str, **env: Any) -> Any:
    return compile_expression(source).evaluate(env)


def problem(source: str, known: set[str] | None = None) -> ExpressionProblem:
    with pytest.raises(ExpressionProblem) as caught:
        compile_expression(source, known_names=known)
    return caught.value


def failure(source: str, **env: Any) -> EvaluationProblem:
    expression = compile_expression(source)
    with pytest.raises(EvaluationProblem) as caught:
        expression.evaluate(env)
    return caught.value


# -- names, functions and the reserved words ---------------------------------------------------


def test_names_are_free_variables_only() -> None:
    expression = compile_expression("bmi(weight, height) > 30 and patient.age >= 18 and sum(meds.dose) > limit")
    assert expression.names == {"weight", "height", "patient", "meds", "limit"}
    assert expression.functions == {"bmi", "sum"}


def test_constants_are_not_names() -> None:
    expression = compile_expression("x == null or y is true or z != false or w is None")
    assert expression.names == {"x", "y", "z", "w"}


def test_reserved_names_cover_functions_context_constants_and_keywords() -> None:
    assert FUNCTION_NAMES <= RESERVED_NAMES
    assert {"patient", "encounter"} == CONTEXT_NAMES
    assert {"patient", "encounter", "true", "false", "null", "if", "and", "lambda", "None"} <= RESERVED_NAMES
    assert "weight" not in RESERVED_NAMES


def test_expression_is_immutable_and_compares_by_source() -> None:
    a, b = compile_expression("x + 1"), compile_expression("x + 1")
    assert a == b
    with pytest.raises(AttributeError):
        a.source = "y"  # type: ignore[misc]


# -- problems, hints and offsets -------------------------------------------------------------


def test_unknown_name_has_a_did_you_mean_hint_and_offset() -> None:
    found = problem("weight + wieght", {"weight", "height"})
    assert (found.code, found.message, found.hint, found.offset) == ("EXPR002", "unknown name 'wieght'", "did you mean 'weight'?", 9)


def test_context_names_are_known_and_suggested() -> None:
    assert compile_expression("patient.age > 1 and encounter.kind == 'x'", known_names=set()).names == {"patient", "encounter"}
    assert problem("pateint.age", set()).hint == "did you mean 'patient'?"


def test_a_function_used_as_a_name_hints_at_calling_it() -> None:
    found = problem("today > visit", {"visit"})
    assert found.code == "EXPR002" and "today(" in found.hint


def test_unknown_function_has_a_hint() -> None:
    found = problem("x / sqr(2)")
    assert (found.code, found.hint, found.offset) == ("EXPR003", "did you mean 'sqrt'?", 4)


def test_wrong_number_of_arguments_shows_the_signature() -> None:
    found = problem("age()")
    assert found.code == "EXPR007" and found.hint == "call it as age(birth_date[, on_date])"


def test_offset_counts_characters_not_bytes() -> None:
    assert problem("'éé' + wieght", {"weight"}).offset == 7


def test_offset_in_a_multi_line_expression() -> None:
    source = "weight > 1 and\n  wieght < 3"
    assert problem(source, {"weight"}).offset == source.index("wieght")


def test_offset_with_leading_spaces() -> None:
    assert problem("   wieght", {"weight"}).offset == 3


def test_syntax_error_offset() -> None:
    found = problem("weight + * 2")
    assert (found.code, found.offset) == ("EXPR001", 9)


def test_attribute_problem_points_at_the_attribute() -> None:
    found = problem("patient.__class__")
    assert (found.code, found.offset) == ("EXPR004", 8)


def test_method_call_hints_at_the_function_form() -> None:
    found = problem("name.lower()")
    assert found.code == "EXPR004" and found.hint == "use the function form: lower(...)"


def test_check_expression_collects_every_problem_in_order() -> None:
    problems = check_expression("wieght + hieght + sqr(1) + x.__y", known_names={"weight", "height", "x"})
    assert [(p.code, p.offset) for p in problems] == [("EXPR002", 0), ("EXPR002", 9), ("EXPR003", 18), ("EXPR004", 29)]
    assert check_expression("weight + 1", known_names={"weight"}) == []


def test_too_long_and_too_deep_come_first() -> None:
    assert problem("x" * 2001).code == "EXPR005"
    assert check_expression("-" * 200 + "wieght", known_names={"weight"})[0].code == "EXPR005"


def test_non_text_source_is_a_problem() -> None:
    assert problem(42).code == "EXPR001"  # type: ignore[arg-type]


def test_codes_exist_in_the_catalogue() -> None:
    for code in ("EXPR001", "EXPR002", "EXPR003", "EXPR004", "EXPR005", "EXPR007", "EVAL001", "EVAL002"):
        assert code in CATALOGUE


# -- semantics --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x + 1", None), ("-x", None), ("x * 'a'", None), ("x > 1", False), ("x < 1", False),
        ("x == None", True), ("x != None", False), ("x == 1", False), ("x != 1", False), ("x == y", False),
        ("not x", True), ("x in [None]", False),
        ("x not in [1]", False), ("1 if x else 2", 2), ("x or 3", 3), ("x and 3", None),
    ],
)  # fmt: skip
def test_missing_value_rules(source: str, expected: Any) -> None:
    assert ev(source, x=None, y=None) == expected
    assert type(ev(source, x=None, y=None)) is type(expected)


def test_absent_names_are_missing() -> None:
    assert ev("nothing_here") is None


def test_boolean_operators_short_circuit() -> None:
    assert ev("x == 0 or 1 / x > 1", x=0) is True
    assert ev("x != 0 and 1 / x > 1", x=0) is False
    assert ev("1 if true else 1 / 0") == 1


def test_chained_comparison_does_not_evaluate_past_a_false_link() -> None:
    assert ev("3 < x < 1 / 0", x=1) is False


def test_dates_compare_and_mismatched_types_fail() -> None:
    assert ev("a < b", a=dt.date(2024, 1, 1), b=dt.date(2024, 1, 2)) is True
    assert failure("a < b", a=dt.date(2024, 1, 1), b=dt.datetime(2024, 1, 2)).code == "EVAL001"


def test_evaluate_raises_only_evaluation_problems() -> None:
    expression = compile_expression("x + 1")
    with pytest.raises(EvaluationProblem) as caught:
        expression.evaluate(None)  # type: ignore[arg-type]
    assert caught.value.code == "EVAL001"


def test_run_time_messages_are_short_and_plain() -> None:
    assert failure("1 / x", x=0).message == "division by zero"
    assert failure("'a' - 1").message == "cannot apply '-' to text and number"
    assert len(failure("date(t)", t="x" * 40).message) <= 203


def test_the_same_expression_from_many_threads() -> None:
    expression = compile_expression("bmi(weight, height) + x")
    results: dict[int, list[Any]] = {}

    def work(i: int) -> None:
        results[i] = [expression.evaluate({"weight": 70, "height": 175, "x": i}) for _ in range(2000)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(4):
        assert results[i] == [22.9 + i] * 2000


# -- Record and RecordList ---------------------------------------------------------------------


def test_record_fields_and_missing_fields() -> None:
    patient = Record({"sex": "female", "age": 40})
    assert patient.sex == "female" and patient.pregnant is None
    assert ev("patient.age + 1", patient=patient) == 41


def test_record_is_immutable_and_copies_its_input() -> None:
    data = {"a": 1}
    record = Record(data)
    data["a"] = 2
    assert record.a == 1
    with pytest.raises(AttributeError):
        record.a = 3
    with pytest.raises(AttributeError):
        del record.a
    assert record.as_dict() == {"a": 1}


def test_record_private_names_are_not_fields() -> None:
    record = Record({"_secret": 1})
    with pytest.raises(AttributeError):
        _ = record._secret
    assert problem("r._secret").code == "EXPR004"


def test_record_equality_copy_and_pickle() -> None:
    record = Record({"a": 1, "b": [1, 2]})
    assert record == Record({"a": 1, "b": [1, 2]}) and record != Record({"a": 2})
    assert record != {"a": 1, "b": [1, 2]}
    assert copy.deepcopy(record) == record
    assert pickle.loads(pickle.dumps(record)) == record
    rows = RecordList([{"a": 1}])
    assert pickle.loads(pickle.dumps(rows)) == rows and copy.copy(rows) == rows


def test_record_list_rows_and_columns() -> None:
    meds = RecordList([{"dose": 5}, Record({"dose": 2}), {}])
    assert len(meds) == 3 and meds[1].dose == 2 and meds.dose == [5, 2, None]
    assert [row.dose for row in meds] == [5, 2, None]
    assert ev("meds.dose", meds=meds) == [5, 2, None]
    assert ev("sum(meds.dose) + count(meds)", meds=meds) == 10
    assert not RecordList() and ev("'some' if meds else 'none'", meds=RecordList()) == "none"


def test_attribute_access_only_on_records() -> None:
    assert failure("x.real", x=1).code == "EVAL001"
    assert failure("x.keys", x={"keys": 1}).code == "EVAL001"
    assert failure("x.upper", x="abc").code == "EVAL001"


# -- functions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        ("2000-01-01", "2000-01-01", 0), ("2000-01-01", "2000-12-31", 0), ("2000-01-01", "2001-01-01", 1),
        ("2000-02-29", "2001-02-28", 0), ("2000-02-29", "2001-03-01", 1), ("2000-02-29", "2004-02-29", 4),
        ("2000-02-29", "2004-02-28", 3), ("1999-03-01", "2000-02-29", 0), ("1999-03-01", "2000-03-01", 1),
        ("1900-06-15", "2024-06-14", 123),
    ],
)  # fmt: skip
def test_age_edge_cases(born: str, on: str, years: int) -> None:
    assert ev("age(b, o)", b=dt.date.fromisoformat(born), o=dt.date.fromisoformat(on)) == years


def test_age_defaults_to_today() -> None:
    today = dt.date.today()
    born = dt.date(today.year - 30, 1, 1)
    assert ev("age(b)", b=born) == 30
    assert ev("today()") == today
    assert isinstance(ev("now()"), dt.datetime)


def test_bmi_rounds_to_one_decimal() -> None:
    assert ev("bmi(70, 175)") == 22.9
    assert ev("bmi(weight, height)", weight=72.5, height=168) == 25.7
    assert ev("bmi(w, h)", w=None, h=170) is None
    assert failure("bmi(-70, 175)").code == "EVAL001"


def test_qtc_formulas() -> None:
    assert ev("round(qt / sqrt(rr / 1000))", qt=360, rr=810) == 400
    assert ev("round(qt / cbrt(rr / 1000))", qt=360, rr=729) == 400


def test_round_is_half_away_from_zero() -> None:
    assert [ev(f"round({x})") for x in ("0.5", "1.5", "2.5", "-0.5", "-2.5")] == [1, 2, 3, -1, -3]
    assert ev("round(1.005, 2)") == 1.01
    assert isinstance(ev("round(2.4)"), int) and isinstance(ev("round(2.45, 1)"), float)
    assert failure("round(1, 50)").code == "EVAL001"


def test_aggregates_flatten_lists_and_skip_missing() -> None:
    assert ev("sum(1, [2, None], None)") == 3
    assert ev("max(a, [3, 9])", a=4) == 9
    assert ev("count(x, [None, 1])", x=None) == 1
    assert ev("mean([])") is None and ev("min([])") is None


def test_has_code_shapes() -> None:
    snomed = "http://snomed.info/sct"
    coding = Record({"system": snomed, "code": "24211005"})
    assert ev("has_code(v, s, '24211005')", v=coding, s=snomed)
    assert ev("has_code(v, s, '24211005')", v={"system": snomed, "code": "24211005"}, s=snomed)
    assert ev("has_code(v, s, '24211005')", v=Record({"coding": [coding]}), s=snomed)
    assert ev("has_code(v, s, '24211005')", v="24211005", s=snomed)
    assert not ev("has_code(v, 'other', '24211005')", v=[coding])
    assert not ev("has_code(v, s, null)", v=[coding], s=snomed)
    assert failure("has_code(v, 1, 'x')", v=[coding]).code == "EVAL001"


def test_grid_functions() -> None:
    grid = {"16": {"depth": 4}, "17": {"depth": 6, "bleeding": True}}
    assert ev("cell(g, 16, 'depth')", g=grid) == 4
    assert ev("column(g, 'bleeding')", g=grid) == [None, True]
    assert ev("cell(g, '16', 'depth')", g=None) is None


def test_text_functions_are_bounded_and_typed() -> None:
    assert ev("lower('ÀB')") == "àb"
    assert failure("upper(t) + 'x'", t="ß" * 6000).code == "EVAL002"  # 'ß'.upper() == 'SS'
    assert failure("contains(1, 'a')").code == "EVAL001"


def test_long_answers_pass_through_functions_unharmed() -> None:
    notes = "x" * 50_000 + " chest pain"
    assert ev("contains(lower(coalesce(notes, '')), 'chest pain')", notes=notes) is True
    assert ev("len(upper(notes))", notes=notes) == len(notes)
    assert failure("notes + '.'", notes=notes).code == "EVAL002"  # but an expression builds no more than 10,000


def test_expressions_and_problems_pickle() -> None:
    expression = pickle.loads(pickle.dumps(compile_expression("bmi(weight, height) > x")))
    assert expression.evaluate({"weight": 70, "height": 175, "x": 20}) is True
    assert copy.deepcopy(expression) == expression
    found = pickle.loads(pickle.dumps(problem("wieght", {"weight"})))
    assert (found.code, found.message, found.hint, found.offset) == ("EXPR002", "unknown name 'wieght'", "did you mean 'weight'?", 0)
    failed = pickle.loads(pickle.dumps(failure("1 / 0")))
    assert (failed.code, failed.message) == ("EVAL001", "division by zero")


def test_every_function_has_a_consistent_table_entry() -> None:
    for name, spec in LIBRARY.items():
        assert spec.name == name and spec.summary and spec.example
        compile_expression(spec.example)  # examples are valid expressions
        assert spec.accepts(spec.min_args)


def test_every_function_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(\w+)\(", text, re.MULTILINE))
    assert documented == set(FUNCTION_NAMES)


# -- property tests ---------------------------------------------------------------------------

ENV: dict[str, Any] = {
    "weight": 70, "height": 175.5, "pain": None, "sex": "female", "flag": True,
    "born": dt.date(1990, 2, 28), "allergies": ["latex", "penicillin"], "grid": {"16": {"depth": 4}},
    "patient": Record({"age": 34, "sex": "female"}), "meds": RecordList([{"dose": 5}, {"dose": None}]),
}  # fmt: skip
TOKENS = [
    *ENV, "missing", "0", "1", "2.5", "-1", "10", "99", "1e99", "'a'", "'penicillin'", "''", "true", "false", "null",
    "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "~", "<", "<=", ">", ">=", "==", "!=",
    "in", "not in", "is", "is not", "and", "or", "not", "if", "else", "(", ")", "[", "]", ",", ".", "dose", "age",
    "__class__", "_x", "lambda", ":", "=", ":=", "for", "{", "}", "f'", "'", "\n",
    *(f"{name}(" for name in sorted(FUNCTION_NAMES - {"now"})),
]  # fmt: skip


def both_paths(expression: Expression) -> tuple[tuple[str, Any], tuple[str, Any]]:
    results = []
    for run in (expression.evaluate, lambda env: reference_evaluate(expression, env)):
        try:
            results.append(("value", run(ENV)))
        except EvaluationProblem as error:
            assert error.code in ("EVAL001", "EVAL002")
            results.append(("error", error.code))
    return results[0], results[1]


def check(source: str) -> None:
    try:
        expression = compile_expression(source)
    except ExpressionProblem as error:
        assert error.code in CATALOGUE and 0 <= error.offset <= len(source)
        return
    fast, reference = both_paths(expression)
    assert fast == reference


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_random_token_strings_compile_or_fail_cleanly(source: str) -> None:
    check(source)


LEAVES = st.sampled_from([*ENV, "missing", "0", "1", "2.5", "-3", "1e99", "10 ** 50", "'a'", "'ab' * 4000", "true", "null", "[1, 2]", "patient.age", "meds.dose"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<<", "<", ">=", "==", "!=", "in", "not in", "and", "or"])
    functions = st.sampled_from(sorted(FUNCTION_NAMES - {"now"}))  # now() differs between two calls
    return st.one_of(
        st.tuples(children, binary, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "not ", "~"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(functions, st.lists(children, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.lists(children, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(LEAVES, _combine, max_leaves=12))
def test_random_well_formed_expressions_agree_on_both_paths(source: str) -> None:
    check(source)
