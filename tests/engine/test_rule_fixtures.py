"""Meta-test: every shipped rule carries its own evidence, at least two fixtures where it
fires and two where it does not, fixtures on both sides of every numeric threshold of its
`when`, and they pass (the decision-support issue's acceptance)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

from engine.expressions import EvaluationProblem, compile_expression
from engine.model import Form, Rule
from engine.packs import LoadResult, load
from engine.testing import rule_env, run_rule_test
from engine.valuesets import Classifier

ROOT = Path(__file__).resolve().parents[2]
MINIMUM = 2


@pytest.fixture(scope="module")
def shipped() -> LoadResult:
    result = load([ROOT / "form_definitions", ROOT / "specialties"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result


def _rules(result: LoadResult) -> list[Rule]:
    return sorted(result.catalog.rules(), key=lambda r: (r.id, r.key.version))


def test_there_are_rules_to_check(shipped: LoadResult) -> None:
    assert len(_rules(shipped)) >= 7  # the core rules of the issue


def short_of_fixtures(rule: Rule) -> str | None:
    """What is missing, or None when the rule has enough fixtures both ways."""
    fires = sum(1 for t in rule.tests if t.expect_fires)
    quiet = len(rule.tests) - fires
    if fires >= MINIMUM and quiet >= MINIMUM:
        return None
    return (f"{rule.path}: {rule.id} has {fires} 'fires' and {quiet} 'does_not_fire' tests; "
            f"add tests until each is at least {MINIMUM}")


def test_every_rule_has_two_fixtures_each_way(shipped: LoadResult) -> None:
    short = [found for rule in _rules(shipped) if (found := short_of_fixtures(rule))]
    assert not short, "\n".join(short)


def test_a_rule_with_one_fixture_is_caught(tmp_path: Path) -> None:
    rule = tmp_path / "thin.yaml"
    rule.write_text("""\
schema: cliniform/rule@1
id: test.thin
version: 1.0.0
title: {en: Thin}
applies_to: {forms: [core.vitals]}
when: heart_rate > 150
severity: warning
summary: {en: Fast}
tests:
  - {name: fires, answers: {heart_rate: 160}, expect: fires}
  - {name: quiet, answers: {heart_rate: 60}, expect: does_not_fire}
  - {name: quiet too, answers: {}, expect: does_not_fire}
""", "utf-8")
    result = load([ROOT / "form_definitions"], extra_files=[rule])
    thin = next(r for r in result.catalog.rules() if r.id == "test.thin")
    assert "has 1 'fires' and 2 'does_not_fire' tests" in (short_of_fixtures(thin) or "")


def test_every_rule_fixture_passes(shipped: LoadResult) -> None:
    forms = {f.id: f for f in shipped.catalog.latest_forms()}
    classifier = Classifier(shipped.catalog.valuesets())
    failed = [str(o.diagnostic()) for rule in _rules(shipped) for i in range(len(rule.tests))
              if not (o := run_rule_test(rule, i, forms, classifier)).passed]
    assert not failed, "\n".join(failed)


#: comparison -> (its symbol, the side of the threshold its neighbour lies on, its mirror)
_COMPARISONS: dict[type, tuple[str, int, type]] = {
    ast.GtE: (">=", -1, ast.LtE), ast.Gt: (">", +1, ast.Lt), ast.LtE: ("<=", +1, ast.GtE), ast.Lt: ("<", -1, ast.Gt),
}


def _number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool)


def thresholds(rule: Rule) -> list[tuple[str, type, int | float]]:
    """(operand, comparison, number) of every comparison of a value with a number in `when`."""
    found: list[tuple[str, type, int | float]] = []
    for node in ast.walk(rule.when.tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS):
            continue
        left, right, op = node.left, node.comparators[0], type(node.ops[0])
        if _number(left) and not _number(right):
            left, right, op = right, left, _COMPARISONS[op][2]
        if _number(right) and not _number(left):
            assert isinstance(right, ast.Constant) and isinstance(right.value, int | float)
            found.append((ast.unparse(left), op, right.value))
    return found


def unpinned(rule: Rule, forms: Mapping[str, Form], classifier: Classifier | None) -> list[str]:
    """Thresholds of ``rule`` without a test exactly at the number and one just across it (the
    next whole number for a whole threshold, else any value on the other side)."""
    envs = [rule_env(rule, t.answers, t.context, forms, classifier, t.event) for t in rule.tests]
    problems = []
    for source, op, limit in thresholds(rule):
        operand = compile_expression(source)
        values = []
        for env in envs:
            try:
                value = operand.evaluate(env)
            except EvaluationProblem:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                values.append(value)
        symbol, side, _ = _COMPARISONS[op]
        missing = [] if any(abs(v - limit) < 1e-9 for v in values) else [f"{limit}"]
        if isinstance(limit, int):
            if not any(abs(v - (limit + side)) < 1e-9 for v in values):
                missing.append(f"{limit + side}")
        elif not any((v - limit) * side > 0 for v in values):
            missing.append(f"{'below' if side < 0 else 'above'} {limit}")
        if missing:
            problems.append(f"{rule.path}: {rule.id}: `{source} {symbol} {limit}` has no test where {source} is "
                            f"{' or '.join(missing)}; add tests on both sides of the threshold")
    return problems


def test_every_threshold_has_tests_on_both_sides(shipped: LoadResult) -> None:
    forms = {f.id: f for f in shipped.catalog.latest_forms()}
    classifier = Classifier(shipped.catalog.valuesets())
    assert sum(len(thresholds(rule)) for rule in _rules(shipped)) >= 15
    problems = [p for rule in _rules(shipped) for p in unpinned(rule, forms, classifier)]
    assert not problems, "\n".join(problems)


def test_a_threshold_without_a_test_at_the_boundary_is_caught(tmp_path: Path) -> None:
    rule = tmp_path / "loose.yaml"
    rule.write_text("""\
schema: cliniform/rule@1
id: test.loose
version: 1.0.0
title: {en: Loose}
applies_to: {forms: [core.vitals]}
when: heart_rate >= 150 or 90 > systolic
severity: warning
summary: {en: Fast}
tests:
  - {name: fires, answers: {heart_rate: 160}, expect: fires}
  - {name: fires too, answers: {heart_rate: 150}, expect: fires}
  - {name: quiet, answers: {heart_rate: 60, systolic: 90}, expect: does_not_fire}
  - {name: quiet too, answers: {}, expect: does_not_fire}
""", "utf-8")
    result = load([ROOT / "form_definitions"], extra_files=[rule])
    loose = next(r for r in result.catalog.rules() if r.id == "test.loose")
    assert thresholds(loose) == [("heart_rate", ast.GtE, 150), ("systolic", ast.Lt, 90)]
    problems = unpinned(loose, {f.id: f for f in result.catalog.latest_forms()}, None)
    assert [p.split(": ", 2)[2] for p in problems] == [
        "`heart_rate >= 150` has no test where heart_rate is 149; add tests on both sides of the threshold",
        "`systolic < 90` has no test where systolic is 89; add tests on both sides of the threshold",
    ]
