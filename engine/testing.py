"""Run the tests written inside definitions (form `tests:` and rule `tests:`).

Form tests give answers (and a patient) and expect calculated values, visibility, required
items and errors; rule tests give answers and chart context and expect the rule to fire or
not, optionally with its rendered summary. Both run on the one evaluator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.decisions import ChartContext, chart_env, form_env
from engine.diagnostics import Diagnostic, Location, make
from engine.evaluator import Context, evaluate
from engine.model import Form, Rule
from engine.packs import LoadResult
from engine.rules import fires, render_summary
from engine.valuesets import Classifier


@dataclass(frozen=True, slots=True)
class Outcome:
    definition: str
    name: str
    passed: bool
    detail: str
    location: Location
    #: the diagnostic code of a failure (RULE003 for rule tests; form tests have none yet)
    code: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"definition": self.definition, "name": self.name, "passed": self.passed, "detail": self.detail, "location": str(self.location)}

    def diagnostic(self) -> Diagnostic | None:
        """A failed test as a diagnostic at the test's location (None when it passed)."""
        if self.passed or not self.code:
            return None
        return make(self.code, f"test '{self.name}' of {self.definition} fails: {self.detail}", self.location, hint="fix the definition, or the test's expectation if the definition is right")


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, int | float) and isinstance(actual, int | float) and not isinstance(expected, bool):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same(a, b) for a, b in zip(expected, actual, strict=True))
    return bool(expected == actual)


_CELL = re.compile(r"^([a-z][a-z0-9_]*)\[([^\]]+)\]\.([a-z][a-z0-9_]*)$")


def _lookup(answers: Mapping[str, Any], path: str) -> Any:
    """An answer by path: `bmi`, `meds[0].dose` or `perio[16].cal_mb`."""
    match = _CELL.match(path)
    if match is None:
        return answers.get(path)
    container, key, cell = match.groups()
    rows = answers.get(container)
    if isinstance(rows, list) and key.isdigit() and int(key) < len(rows):
        return rows[int(key)].get(cell)
    if isinstance(rows, dict) and isinstance(rows.get(key), dict):
        return rows[key].get(cell)
    return None


def run_form_test(form: Form, index: int) -> Outcome:
    test = form.tests[index]
    ev = evaluate(form, dict(test.answers), Context(patient=dict(test.patient), encounter=dict(test.encounter)))
    answers = ev.answers_json()
    problems: list[str] = []
    expect = test.expect
    for item_id, want in (expect.get("values") or {}).items():
        got = _lookup(answers, item_id)
        if isinstance(got, dict) and "value" in got and not isinstance(want, dict):
            got = got["value"]
        if not _same(want, got):
            problems.append(f"{item_id}: expected {want!r}, got {got!r}")
    for path in expect.get("visible") or ():
        if not ev.is_visible(path):
            problems.append(f"{path}: expected visible, is hidden")
    for path in expect.get("hidden") or ():
        if ev.is_visible(path):
            problems.append(f"{path}: expected hidden, is visible")
    for path in expect.get("required") or ():
        if path not in ev.required:
            problems.append(f"{path}: expected required")
    for path, code in (expect.get("errors") or {}).items():
        codes = [e.code for e in ev.errors.get(path, ())]
        if code not in codes:
            problems.append(f"{path}: expected error {code}, got {codes or 'none'}")
    if "valid" in expect and bool(expect["valid"]) != ev.valid:
        problems.append(f"expected valid={expect['valid']}, errors: {[e.path + ':' + e.code for errs in ev.errors.values() for e in errs]}")
    for issue in ev.issues:
        problems.append(f"runtime issue: {issue.message}")
    return Outcome(f"{form.id}@{form.version}", test.name, not problems, "; ".join(problems), test.location, "FORM016")


def chart_from(context: Mapping[str, Any]) -> ChartContext:
    """A rule test's `context:` as chart data (patient, allergies, medications, ...)."""

    def rows(key: str) -> tuple[Mapping[str, Any], ...]:
        value = context.get(key) or ()
        return tuple(v for v in value if isinstance(v, Mapping)) if isinstance(value, list) else ()

    patient = context.get("patient")
    return ChartContext(
        patient=patient if isinstance(patient, Mapping) else {},
        allergies=rows("allergies"), medications=rows("medications"), problems=rows("problems"),
        observations=rows("observations"), order=rows("order"),
    )


def rule_env(rule: Rule, answers: Mapping[str, Any], context: Mapping[str, Any], forms: Mapping[str, Form], classifier: Classifier | None = None, event: str | None = None) -> dict[str, Any]:
    """The names a rule sees in a test: chart context plus the answers of its form
    (or, for a test of a chart event, the chart context alone)."""
    chart = chart_from(context)
    form = None if event else next((forms[f] for f in rule.forms if f in forms), None)
    if form is not None:
        ev = evaluate(form, dict(answers), Context(patient=chart.patient))
        return form_env(ev, chart, classifier)
    env = chart_env(chart, classifier)
    env.update(dict(answers))
    return env


def run_rule_test(rule: Rule, index: int, forms: Mapping[str, Form], classifier: Classifier | None = None) -> Outcome:
    test = rule.tests[index]
    env = rule_env(rule, test.answers, test.context, forms, classifier, test.event)
    fired = fires(rule, env)
    problems: list[str] = []
    if fired != test.expect_fires:
        problems.append(f"expected {'fires' if test.expect_fires else 'does_not_fire'}, rule {'fired' if fired else 'did not fire'}")
    if fired and test.summary is not None:
        summary = render_summary(rule, env, "en", (lambda code: classifier.label(code, "en")) if classifier else None)
        if summary != test.summary:
            problems.append(f"summary: expected {test.summary!r}, got {summary!r}")
    return Outcome(f"{rule.id}@{rule.key.version}", test.name, not problems, "; ".join(problems), test.location, "RULE003")


def run_tests(result: LoadResult, packs: set[str] | None = None) -> list[Outcome]:
    """Every definition test of the loaded packs (or of the named packs)."""
    forms = {f.id: f for f in result.catalog.latest_forms()}
    classifier = result.catalog.classifier()
    outcomes: list[Outcome] = []

    def wanted(def_id: str) -> bool:
        return packs is None or def_id.split(".", 1)[0] in packs

    for form in result.catalog.latest_forms():
        if wanted(form.id):
            outcomes += [run_form_test(form, i) for i in range(len(form.tests))]
    for rule in result.catalog.rules():
        if wanted(rule.id):
            outcomes += [run_rule_test(rule, i, forms, classifier) for i in range(len(rule.tests))]
    return outcomes
