"""Meta-tests on the shipped packs: every calculated item (score) has fixtures, every pack
checks clean with complete translations, and every definition test passes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Self

import pytest

import engine.chart_context
import engine.evaluation
import engine.functions
from engine.model import Form
from engine.packs import LoadResult, load
from engine.testing import run_tests

ROOT = Path(__file__).resolve().parents[2]
_CELL = re.compile(r"^[a-z][a-z0-9_]*\[[^\]]+\]\.([a-z][a-z0-9_]*)$")


@pytest.fixture(scope="module")
def shipped() -> LoadResult:
    return load([ROOT / "form_definitions", ROOT / "specialties"])


def _expected_ids(form: Form) -> set[str]:
    found: set[str] = set()
    for test in form.tests:
        for key, value in (test.expect.get("values") or {}).items():
            match = _CELL.match(key)
            found.add(match.group(1) if match else key)
            # a whole repeating group or grid expected: its rows name the cells they check
            rows = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
            for row in rows:
                if isinstance(row, dict):
                    found |= set(row)
    return found


def test_shipped_packs_check_clean_with_every_translation(shipped: LoadResult) -> None:
    assert {p.manifest.id for p in shipped.packs} == {"core", "dental", "cardiology"}
    assert [str(d) for d in shipped.diagnostics] == []


def test_every_calculated_item_has_a_fixture(shipped: LoadResult) -> None:
    missing = []
    for form in shipped.catalog.latest_forms():
        expected = _expected_ids(form)
        missing += [f"{form.id}: {item.id}" for item in form.index.values() if item.calculate is not None and item.id not in expected]
    assert missing == [], "calculated items without a `tests:` expectation:\n" + "\n".join(missing)


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
