"""Typed observation rows from an evaluated form, for queries across documents.

Every visible answered item (calculated ones included) whose type has an observation
column becomes one row (one per option for multiple choice). The row carries the item's
first terminology binding, so "systolic BP over time" is a query on (system, code)
whatever form recorded it; unbound items are found by their item path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from engine.evaluation import ROW_CONTAINERS, Evaluation, _cells, row_container
from engine.model import Item
from engine.store.records import ObservationRow
from engine.types import TYPES, convert


def derive_observations(evaluation: Evaluation) -> list[ObservationRow]:
    """The observation rows of an evaluation's visible answers."""
    form = evaluation.form
    rows: list[ObservationRow] = []
    for item in form.index.values():
        if item.type in ROW_CONTAINERS:
            if evaluation.is_visible(item.id):
                rows.extend(_container_rows(evaluation, item))
            continue
        if row_container(form, item) is not None or not evaluation.is_visible(item.id):
            continue
        rows.extend(_rows(item, item.id, evaluation.values.get(item.id)))
    return rows


def _container_rows(evaluation: Evaluation, item: Item) -> Iterator[ObservationRow]:
    value = evaluation.values.get(item.id)
    keyed = enumerate(value or []) if item.type == "repeating_group" else (value or {}).items()
    for key, row in keyed:
        for cell in _cells(item):
            path = f"{item.id}[{key}].{cell.id}"
            if evaluation.is_visible(path):
                yield from _rows(cell, path, row.get(cell.id))


def _rows(item: Item, path: str, value: Any) -> Iterator[ObservationRow]:
    column = TYPES[item.type].column
    if column is None or value is None or value == [] or value == "":
        return
    system, code = (item.codes[0].system, item.codes[0].code) if item.codes else (None, None)
    base: dict[str, Any] = {"item_path": path, "code_system": system, "code": code}
    if item.type == "quantity" and isinstance(value, dict):
        number, unit = value.get("value"), value.get("unit") or item.unit
        if not isinstance(number, int | float):
            return
        if item.unit and unit and unit != item.unit:
            converted = convert(number, unit, item.unit)
            number, unit = (converted, item.unit) if converted is not None else (number, unit)
        yield ObservationRow(**base, value_num=float(number), unit=unit)
    elif column == "num":
        yield ObservationRow(**base, value_num=float(value), unit=item.unit)
    elif column == "bool":
        yield ObservationRow(**base, value_num=1.0 if value else 0.0, value_text="true" if value else "false")
    elif column == "date":
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        yield ObservationRow(**base, value_date=value)
    elif column == "coding":
        for chosen in value if isinstance(value, list) else [value]:
            option = item.option(str(chosen))
            display = option.display.get(option.display.default_locale) if option else str(chosen)
            yield ObservationRow(**base, coding_system=(option.system if option and option.system else None), coding_code=str(chosen), coding_display=display)
    else:
        text = value.isoformat() if isinstance(value, dt.time) else str(value)
        yield ObservationRow(**base, value_text=text)
