"""Runs the expression conformance cases in tests/conformance/expressions/*.yaml.

The file format is described in tests/conformance/expressions/README.md. Every case runs on
the fast closure path (`Expression.evaluate`) and on the simpleeval reference path
(`reference_evaluate`); both must give the same value or the same problem.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.expressions import (
    EvaluationProblem,
    ExpressionProblem,
    Record,
    RecordList,
    compile_expression,
    reference_evaluate,
)

CASES_DIR = Path(__file__).resolve().parent.parent / "conformance" / "expressions"
CASE_KEYS = {"name", "expr", "env", "known", "expect", "error", "tolerance"}
TAGS = {
    "$date": dt.date.fromisoformat,
    "$datetime": dt.datetime.fromisoformat,
    "$time": dt.time.fromisoformat,
}


def value(data: Any) -> Any:
    """A YAML value with the conventions $date, $datetime, $time, $record and $rows."""
    if isinstance(data, dict) and len(data) == 1:
        ((tag, inner),) = data.items()
        if tag in TAGS:
            return TAGS[tag](str(inner))
        if tag == "$record":
            return Record({key(k): value(v) for k, v in (inner or {}).items()})
        if tag == "$rows":
            return RecordList(Record({key(k): value(v) for k, v in (row or {}).items()}) for row in inner or ())
    if isinstance(data, dict):
        return {key(k): value(v) for k, v in data.items()}
    if isinstance(data, list):
        return [value(v) for v in data]
    return data


def key(name: Any) -> str:
    """Keys must be text: YAML reads unquoted yes/no/on/off as booleans and 16 as a number."""
    assert isinstance(name, str), f"key {name!r} is not text: quote it"
    return name


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for case in document["cases"]:
            assert set(case) <= CASE_KEYS, f"{path.name}: {case.get('name')}: unknown keys {set(case) - CASE_KEYS}"
            assert case["name"] not in names, f"{path.name}: duplicate case name {case['name']!r}"
            assert ("expect" in case) != ("error" in case), f"{path.name}: {case['name']}: give exactly one of expect / error"
            names.add(case["name"])
            params.append(pytest.param(case, id=f"{path.name}:{case['name']}"))
    return params


CASES = load_cases()


def same(actual: Any, expected: Any, tolerance: float = 0.0) -> bool:
    """Equality that keeps yes/no apart from numbers and allows a tolerance on decimals."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance) if tolerance else actual == expected
    if isinstance(expected, list) and isinstance(actual, list | tuple):
        return len(actual) == len(expected) and all(same(a, e, tolerance) for a, e in zip(actual, expected, strict=True))
    return type(actual) is type(expected) and actual == expected


def outcome(case: dict[str, Any], reference: bool = False) -> tuple[str, Any]:
    """('value', v) or ('error', code) for one case."""
    try:
        expression = compile_expression(str(case["expr"]), known_names=case.get("known"))
    except ExpressionProblem as problem:
        return "error", problem.code
    env = {key(k): value(v) for k, v in (case.get("env") or {}).items()}
    try:
        if reference:
            return "value", reference_evaluate(expression, env)
        return "value", expression.evaluate(env)
    except EvaluationProblem as problem:
        return "error", problem.code


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    kind, result = outcome(case)
    if "error" in case:
        assert (kind, result) == ("error", case["error"])
    else:
        assert kind == "value", f"expected {case['expect']!r}, got problem {result}"
        expected = value(case["expect"])
        assert same(result, expected, float(case.get("tolerance", 0))), f"expected {expected!r}, got {result!r}"


@pytest.mark.parametrize("case", CASES)
def test_reference_path_agrees(case: dict[str, Any]) -> None:
    fast, reference = outcome(case), outcome(case, reference=True)
    assert fast[0] == reference[0]
    assert same(reference[1], fast[1]), f"closure path {fast!r}, simpleeval path {reference!r}"
