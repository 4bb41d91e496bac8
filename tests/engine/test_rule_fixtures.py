"""Meta-test: every shipped rule carries its own evidence, at least two fixtures where it
fires and two where it does not, and they pass (the decision-support issue's acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.model import Rule
from engine.packs import LoadResult, load
from engine.testing import run_rule_test
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
