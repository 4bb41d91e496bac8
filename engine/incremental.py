"""The incremental path: re-evaluate after some answers changed, touching only the items
that depend on them (and, for a change inside one row, only that row where possible).
It must always agree with a full `evaluate` of the changed answers; a property test
checks exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.evaluation import ROW_CONTAINERS, Context, Evaluation, _cells, row_container
from engine.evaluator import _Run, evaluate
from engine.model import Form, Item
from engine.types import TYPES

#: beyond this many changed answers, `evaluate_from` evaluates in full (it costs no more)
_MOST_CHANGES = 8

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
    # the items run again report their problems afresh: their earlier ones are dropped (but
    # not when only one row runs again: the other rows' problems read alike and still hold)
    rerun = set() if only_row else {form.index[i].pointer for i in affected if i in form.index}
    run.issues = [issue for issue in previous.issues if issue.pointer not in rerun]
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
    run.issues = list(dict.fromkeys(run.issues))  # a problem reported again is one problem
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


def evaluate_from(previous: Evaluation | None, form: Form, raw: Mapping[str, Any], context: Context, locale: str = "en") -> Evaluation:
    """``evaluate(form, raw, context, locale)``, re-using ``previous`` where it can.

    When ``previous`` evaluated the same form, context and locale and ``raw`` answers the
    same top-level items, only the items whose raw answer differs are re-evaluated
    (`reevaluate`, a whole row container at a time); otherwise (or when more than
    `_MOST_CHANGES` answers differ), a full evaluation. The
    result is the same either way: the live round-trips of the web use it with the
    evaluation of the previous round-trip of the same page. ``previous`` must be from the
    same day (expressions may read ``today()``; the caller knows when it evaluated).
    """
    if previous is None or previous.form is not form or previous.locale != locale or previous.context != context:
        return evaluate(form, raw, context, locale)
    before = previous.raw
    if before.keys() != raw.keys():
        return evaluate(form, raw, context, locale)
    changes = {path: value for path, value in raw.items() if not _same(before[path], value)}
    if len(changes) > _MOST_CHANGES:  # a different set of answers altogether: start afresh
        return evaluate(form, raw, context, locale)
    return reevaluate(previous, changes) if changes else previous


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types throughout (``0 == False`` and ``1 == 1.0`` are not the
    same answer: they coerce differently)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    return bool(a == b)
