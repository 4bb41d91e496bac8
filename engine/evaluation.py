"""What evaluating a form produces, and the small helpers every stage of it shares.

Paths name answers: ``weight`` for a top-level item, ``meds[0].dose`` for a cell of a
repeating group, ``perio[16].depth`` for a cell of a grid row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.diagnostics import Diagnostic
from engine.functions import whole_years
from engine.model import Form, Item
from engine.types import TYPES, convert

ROW_CONTAINERS = ("repeating_group", "grid")


@dataclass(frozen=True, slots=True)
class ItemError:
    path: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Context:
    """Who and when the form is about: exposed to expressions as `patient` and `encounter`."""

    patient: Mapping[str, Any] = field(default_factory=dict)
    encounter: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of evaluating a form. Treat as read-only."""

    form: Form
    locale: str
    context: Context
    raw: Mapping[str, Any]
    #: typed answers after calculation and hidden-item clearing; row containers hold
    #: a list of row dicts (repeating group) or a dict of row code -> dict (grid)
    values: Mapping[str, Any]
    visible: Mapping[str, bool]
    required: frozenset[str]
    calculated: frozenset[str]
    errors: Mapping[str, tuple[ItemError, ...]]
    issues: tuple[Diagnostic, ...]
    _coerced: Mapping[str, Any]
    _coerce_errors: Mapping[str, ItemError]
    _env: Mapping[str, Any]

    @property
    def valid(self) -> bool:
        return not self.errors

    def is_visible(self, path: str) -> bool:
        return self.visible.get(path, False)

    def answers_json(self) -> dict[str, Any]:
        """Answers as JSON-ready data (ISO dates), as documents store them."""
        return {k: _json(v) for k, v in self.values.items() if v is not None and v != [] and v != {}}


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _patient(data: Mapping[str, Any], on: Any = None) -> dict[str, Any]:
    """Patient fields, with `age` derived from `birth_date` when not given: as of ``on`` (the
    encounter's date, so an old document reads as it did that day, on the page and in print),
    else today."""
    patient = dict(data)
    birth = _date(patient.get("birth_date"))
    if birth is not None:
        patient["birth_date"] = birth
    if birth is not None and "age" not in patient:
        patient["age"] = whole_years(birth, _date(on) or dt.date.today())
    return patient


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def row_container(form: Form, item: Item) -> Item | None:
    parent = item.parent
    while parent is not None:
        candidate = form.index[parent]
        if candidate.type in ROW_CONTAINERS:
            return candidate
        parent = candidate.parent
    return None


def cells(item: Item) -> list[Item]:
    """Items holding values inside a repeating group or grid (through plain groups)."""
    found: list[Item] = []
    for child in item.children:
        if child.type == "group":
            found.extend(cells(child))
        elif TYPES[child.type].coerce is not None or child.calculate is not None:
            found.append(child)
    return found


_cells = cells


#: the types whose answers expressions see converted (`_env_value`); any other, as it is
ENV_CONVERTED = frozenset({"quantity"})


def _env_value(value: Any, item: Item) -> Any:
    """What expressions see: quantities as numbers in the item's own unit."""
    if item.type in ENV_CONVERTED and isinstance(value, dict):
        number = value.get("value")
        unit = value.get("unit") or item.unit
        if item.unit and unit and unit != item.unit and number is not None:
            return convert(number, unit, item.unit)
        return number
    return value


def _round(value: Any, item: Item) -> Any:
    if item.type == "integer" and isinstance(value, float) and value == value and abs(value) < 1e18:
        return round(value)
    if isinstance(value, float) and item.decimals is not None and value == value:
        return round(value, item.decimals)
    if item.type == "quantity" and isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value, "unit": item.unit}
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


