"""The incremental path: re-evaluate after some answers changed, touching only the items
that depend on them (and, for a change inside one row, only that row where possible).
It must always agree with a full `evaluate` of the changed answers; a property test
checks exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.evaluation import ROW_CONTAINERS, Evaluation, _cells, row_container
from engine.evaluator import _Run
from engine.model import Item
from engine.types import TYPES

_ROW_PATH = re.compile(r"^([a-z][a-z0-9_]*)\[([^\]]+)\]\.([a-z][a-z0-9_]*)$")


def reevaluate(previous: Evaluation, changes: Mapping[str, Any]) -> Evaluation:
    """Re-evaluate after some answers changed, touching only what depends on them.

    ``changes`` maps paths to new raw values: ``weight``, ``meds[0].dose``, or a whole
    container (``meds``: the new list of rows, e.g. after adding or removing a row).
    """
    form = previous.form
    raw = dict(previous.raw)
    run = _Run(form, previous.locale, previous.context, raw)
    run.coerced = dict(previous._coerced)
    run.coerce_errors = dict(previous._coerce_errors)
    run.values = dict(previous.values)
    run.visible = dict(previous.visible)
    run.required = set(previous.required)
    run.calculated = set(previous.calculated)
    run.errors = dict(previous.errors)
    run.issues = list(previous.issues)
    run.env = dict(previous._env)
    touched: set[str] = set()
    only_row: str | None = None
    for path, value in changes.items():
        match = _ROW_PATH.match(path)
        if match is None:
            item = form.index.get(path)
            if item is None:
                continue
            raw[path] = value
            touched.add(path)
            if item.type in ROW_CONTAINERS:
                run.coerced[path] = None
                run.coerce_container(item)
                touched |= {c.id for c in _cells(item)}
            elif TYPES[item.type].coerce is not None:
                run.coerced[path] = run.coerce(item, value, path, True)
            only_row = None if len(changes) > 1 else only_row
            continue
        container_id, key, cell_id = match.groups()
        container = form.index.get(container_id)
        cell = form.index.get(cell_id)
        if container is None or cell is None or container.type not in ROW_CONTAINERS or row_container(form, cell) is not container:
            continue
        _copy_container(run, raw, container_id)
        row_key: Any = int(key) if container.type == "repeating_group" and key.isdigit() else key
        if container.type == "grid":
            # a grid's rows are declared: the first answer in a row creates the row's answers
            if row_key not in {r.code for r in container.rows}:
                continue
            current = raw.get(container_id)
            grid: dict[str, Any] = current if isinstance(current, dict) else {}
            raw[container_id] = grid
            if not isinstance(grid.get(row_key), dict):
                grid[row_key] = {}
        rows_raw: Any = raw.get(container_id)
        try:
            rows_raw[row_key][cell_id] = value
        except (IndexError, KeyError, TypeError):
            continue
        run.coerced[container_id][row_key][cell_id] = run.coerce(cell, value, path, True)
        touched |= {cell_id, container_id}
        only_row = f"{container_id}[{key}]." if len(changes) == 1 else None
    affected: set[str] = set(touched)
    for item_id in touched:
        affected |= form.dependents.get(item_id, frozenset())
    for item_id in form.order:
        if item_id in affected:
            item = form.index[item_id]
            scoped = only_row if only_row and row_container(form, item) is not None and not _reads_container(item, only_row) else None
            if item.type in ROW_CONTAINERS and only_row:
                run._refresh_container_env(item)
                continue
            run.step(item_id, scoped)
    for item_id in form.order:
        if item_id in affected:
            run.check(form.index[item_id])
    return run.freeze()


def _copy_container(run: _Run, raw: dict[str, Any], container_id: str) -> None:
    """Copy one container's raw and coerced rows so the previous evaluation stays intact."""
    rows = raw.get(container_id)
    if isinstance(rows, list):
        raw[container_id] = [dict(r) if isinstance(r, dict) else {} for r in rows]
    elif isinstance(rows, dict):
        raw[container_id] = {k: dict(v) if isinstance(v, dict) else {} for k, v in rows.items()}
    coerced = run.coerced.get(container_id)
    if isinstance(coerced, list):
        run.coerced[container_id] = [dict(r) for r in coerced]
    elif isinstance(coerced, dict):
        run.coerced[container_id] = {k: dict(v) for k, v in coerced.items()}
    values = run.values.get(container_id)
    if isinstance(values, list):
        run.values[container_id] = [dict(r) for r in values]
    elif isinstance(values, dict):
        run.values[container_id] = {k: dict(v) for k, v in values.items()}


def _reads_container(item: Item, row_prefix: str) -> bool:
    container_id = row_prefix.split("[", 1)[0]
    return any(e is not None and container_id in e.names for e in (item.calculate, item.visible_when, item.required_when))
