"""Meta-tests on the shipped packs: every calculated item (score) is asserted by at least five
test vectors, every pack checks clean with complete translations, and every definition test
passes, today and decades from now."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Self

import pytest

import engine.chart_context
import engine.evaluation
import engine.functions
from engine.evaluation import row_container
from engine.model import Form
from engine.packs import LoadResult, load
from engine.testing import run_tests

ROOT = Path(__file__).resolve().parents[2]
#: test vectors that must assert the value of every calculated item (docs/definitions.md)
MINIMUM_VECTORS = 5
_CELL = re.compile(r"^[a-z][a-z0-9_]*\[[^\]]+\]\.([a-z][a-z0-9_]*)$")


@pytest.fixture(scope="module")
def shipped() -> LoadResult:
    return load([ROOT / "form_definitions", ROOT / "specialties"])


def asserted(form: Form) -> Counter[str]:
    """How many fixture vectors assert each item's value (docs/definitions.md, "Form tests"):
    a test's `values` entry for an item counts once; a cell of a grid or repeating group counts
    once per row whose value a test asserts (by path, `perio[16].cal_mb`, or in the rows of the
    whole group)."""
    counts: Counter[str] = Counter()
    for test in form.tests:
        for key, value in (test.expect.get("values") or {}).items():
            match = _CELL.match(key)
            counts[match.group(1) if match else key] += 1
            rows = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
            for row in rows:
                if isinstance(row, dict):
                    counts.update(row.keys())
    return counts


def short_of_vectors(form: Form) -> list[str]:
    """Every calculated item of ``form`` with fewer than MINIMUM_VECTORS asserting vectors."""
    counts = asserted(form)
    short = []
    for item in form.index.values():
        if item.calculate is not None and counts[item.id] < MINIMUM_VECTORS:
            kind = "calculated cell" if row_container(form, item) is not None else "score"
            short.append(f"{form.path}: {form.id}: {kind} '{item.id}' is asserted by {counts[item.id]} test vectors; "
                         f"add tests until it has {MINIMUM_VECTORS} (edge cases: zero, maximum, missing inputs, boundaries)")
    return short


def test_shipped_packs_check_clean_with_every_translation(shipped: LoadResult) -> None:
    assert {p.manifest.id for p in shipped.packs} == {"core", "dental", "cardiology"}
    assert [str(d) for d in shipped.diagnostics] == []


def test_every_score_has_five_test_vectors(shipped: LoadResult) -> None:
    short = [line for form in shipped.catalog.latest_forms() for line in short_of_vectors(form)]
    assert short == [], "\n".join(short)


def test_a_score_with_four_vectors_is_caught(tmp_path: Path) -> None:
    form = tmp_path / "thin.yaml"
    tests = "".join(f"  - {{name: w{w}, answers: {{w: {w}, h: 2}}, expect: {{values: {{bmi2: {w / 4}}}}}}}\n" for w in (4, 8, 12, 16))
    form.write_text(f"""\
schema: cliniform/form@1
id: test.thin
version: 1.0.0
title: {{en: Thin}}
items:
  - {{id: w, type: decimal, label: {{en: W}}}}
  - {{id: h, type: decimal, label: {{en: H}}}}
  - {{id: bmi2, type: decimal, label: {{en: Ratio}}, calculate: w / (h * h)}}
  - id: rows
    type: repeating_group
    label: {{en: Rows}}
    items:
      - {{id: x, type: integer, label: {{en: X}}}}
      - {{id: twice, type: integer, label: {{en: Twice}}, calculate: x * 2}}
tests:
{tests}  - name: five rows at once
    answers: {{w: 1, h: 1, rows: [{{x: 1}}, {{x: 2}}, {{x: 3}}, {{x: 4}}, {{x: 5}}]}}
    expect: {{values: {{bmi2: 1, "rows[0].twice": 2, "rows[1].twice": 4, "rows[2].twice": 6, "rows[3].twice": 8, "rows[4].twice": 10}}}}
""", "utf-8")
    result = load([ROOT / "form_definitions"], extra_files=[form])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    thin = next(f for f in result.catalog.latest_forms() if f.id == "test.thin")
    assert [o.passed for o in run_tests(result) if o.definition.startswith("test.thin")] == [True] * 5
    assert asserted(thin)["bmi2"] == 5 and asserted(thin)["twice"] == 5
    thin_score = replace(thin, tests=thin.tests[1:])
    assert [line.split(": ", 2)[2] for line in short_of_vectors(thin_score)] == [
        "score 'bmi2' is asserted by 4 test vectors; add tests until it has 5 (edge cases: zero, maximum, missing inputs, boundaries)"]
    thin_cells = replace(thin, tests=(*thin.tests[:4], replace(thin.tests[4], expect={"values": {"bmi2": 1, "rows[0].twice": 2}})))
    assert [line.split(": ", 2)[2] for line in short_of_vectors(thin_cells)] == [
        "calculated cell 'twice' is asserted by 1 test vectors; add tests until it has 5 (edge cases: zero, maximum, missing inputs, boundaries)"]


def test_every_form_has_tests(shipped: LoadResult) -> None:
    assert [f.id for f in shipped.catalog.latest_forms() if len(f.tests) < 2] == []


def test_every_definition_test_passes(shipped: LoadResult) -> None:
    failed = [f"{o.location}: {o.definition} :: {o.name}: {o.detail}" for o in run_tests(shipped) if not o.passed]
    assert failed == []


class _AnyDate(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, dt.date)


def _calendar_on(day: dt.date) -> SimpleNamespace:
    """The datetime module as the engine uses it, with ``date.today()`` on ``day``."""

    class Date(dt.date, metaclass=_AnyDate):
        @classmethod
        def today(cls) -> Self:
            return cls.fromordinal(day.toordinal())

    return SimpleNamespace(**{**vars(dt), "date": Date})


@pytest.mark.parametrize("day", [dt.date(2045, 3, 1), dt.date(2099, 12, 31)])
def test_no_definition_test_expires(shipped: LoadResult, monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """A fixture must not depend on the day it runs (a child born in 2022 is an adult from
    2040): write `age:` rather than a birth date when the age matters."""
    for module in (engine.functions, engine.evaluation, engine.chart_context):
        monkeypatch.setattr(module, "dt", _calendar_on(day))
    assert engine.functions.today() == day
    failed = [f"{o.location}: {o.definition} :: {o.name}: {o.detail}" for o in run_tests(shipped) if not o.passed]
    assert failed == []
