"""The one evaluator: raw input -> typed answers -> calculations -> visibility -> required
-> validation errors, for a compiled form.

The web form, the server-side submit, the PDF, rules and pack tests all call `evaluate`
(or `reevaluate` for the incremental path after one changed answer), so the same answers
give the same visibility, scores and errors everywhere.

Paths name answers: ``weight`` for a top-level item, ``meds[0].dose`` for a cell of a
repeating group, ``perio[16].depth`` for a cell of a grid row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.diagnostics import Diagnostic, make
from engine.expressions import EvaluationProblem, Expression, Record, RecordList
from engine.messages import message
from engine.model import Form, Item
from engine.types import TYPES, ValueProblem, blank, convert

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


class _Run:
    """Mutable state while evaluating; frozen into an Evaluation at the end."""

    def __init__(self, form: Form, locale: str, context: Context, raw: Mapping[str, Any]) -> None:
        self.form = form
        self.locale = locale
        self.context = context
        self.raw = raw
        self.coerced: dict[str, Any] = {}
        self.coerce_errors: dict[str, ItemError] = {}
        self.values: dict[str, Any] = {}
        self.visible: dict[str, bool] = {}
        self.required: set[str] = set()
        self.calculated: set[str] = set()
        self.errors: dict[str, tuple[ItemError, ...]] = {}
        self.issues: list[Diagnostic] = []
        self.env: dict[str, Any] = {
            "patient": Record(_patient(context.patient)),
            "encounter": Record(dict(context.encounter)),
        }

    # -- expressions ----------------------------------------------------------------------
    def run(self, expr: Expression, env: Mapping[str, Any], item: Item, what: str) -> Any:
        try:
            return expr.evaluate(env)
        except EvaluationProblem as problem:
            self.issues.append(make(problem.code, f"{what} of '{item.id}' failed: {problem.message}", item.location, pointer=item.pointer, hint="the result is treated as missing"))
            return None

    # -- coercion --------------------------------------------------------------------------
    def coerce(self, item: Item, raw: Any, path: str, present: bool) -> Any:
        kind = TYPES[item.type]
        self.coerce_errors.pop(path, None)
        if kind.coerce is None:
            return None
        if not present and item.default is not None:
            raw = item.default
        if blank(raw):
            return None
        try:
            return kind.coerce(raw, item)
        except ValueProblem as problem:
            self.coerce_errors[path] = ItemError(path, problem.code, message(problem.code, self.locale, problem.params))
            return None

    @staticmethod
    def _purge(prefix: str, *maps: dict[str, Any]) -> None:
        """Forget per-row state of a container whose rows are being rebuilt."""
        for mapping in maps:
            for path in [p for p in mapping if p.startswith(prefix)]:
                del mapping[path]

    def coerce_container(self, item: Item) -> None:
        self._purge(item.id + "[", self.coerce_errors)
        raw = self.raw.get(item.id)
        cells = _cells(item)
        if item.type == "repeating_group":
            rows_raw = raw if isinstance(raw, list) else []
            if raw is not None and not isinstance(raw, list):
                self.coerce_errors[item.id] = ItemError(item.id, "bad_rows", message("bad_rows", self.locale))
            rows = []
            for i, row in enumerate(rows_raw):
                row = row if isinstance(row, dict) else {}
                rows.append({c.id: self.coerce(c, row.get(c.id), f"{item.id}[{i}].{c.id}", c.id in row) for c in cells})
            self.coerced[item.id] = rows
        else:
            grid_raw = raw if isinstance(raw, dict) else {}
            self.coerced[item.id] = {
                r.code: {c.id: self.coerce(c, (grid_raw.get(r.code) or {}).get(c.id) if isinstance(grid_raw.get(r.code), dict) else None, f"{item.id}[{r.code}].{c.id}", isinstance(grid_raw.get(r.code), dict) and c.id in grid_raw[r.code]) for c in cells}
                for r in item.rows
            }

    def coerce_all(self) -> None:
        for item in self.form.index.values():
            if _row_container(self.form, item) is not None or item.type == "group":
                continue
            if item.type in ROW_CONTAINERS:
                self.coerce_container(item)
            elif TYPES[item.type].coerce is not None:
                self.coerced[item.id] = self.coerce(item, self.raw.get(item.id), item.id, item.id in self.raw)

    # -- visibility and calculation ---------------------------------------------------------
    def step(self, item_id: str, only_row: str | None = None) -> None:
        form = self.form
        item = form.index[item_id]
        container = _row_container(form, item)
        if container is None:
            self._step_top(item)
        else:
            self._step_cells(container, item, only_row)

    def _parent_visible(self, item: Item, row_prefix: str = "") -> bool:
        if item.parent is None:
            return True
        parent = self.form.index[item.parent]
        if parent.type in ROW_CONTAINERS:
            return self.visible.get(parent.id, True)
        return self.visible.get(row_prefix + parent.id if row_prefix else parent.id, True)

    def _step_top(self, item: Item) -> None:
        env = self.env
        visible = self._parent_visible(item)
        if visible and item.visible_when is not None:
            visible = self.run(item.visible_when, env, item, "visible_when") is True
        self.visible[item.id] = visible
        if item.type == "group":
            return
        if item.type in ROW_CONTAINERS:
            self._purge(item.id + "[", self.visible, self.errors)
            self.required = {p for p in self.required if not p.startswith(item.id + "[")}
            self.calculated = {p for p in self.calculated if not p.startswith(item.id + "[")}
            coerced = self.coerced.get(item.id)
            # a copy: calculated and cleared cells must never overwrite what was entered
            value: Any = [dict(r) for r in coerced or []] if item.type == "repeating_group" else {k: dict(v) for k, v in (coerced or {}).items()}
            if not visible and item.when_hidden == "clear":
                value = [] if item.type == "repeating_group" else {r.code: {} for r in item.rows}
            self.values[item.id] = value
            self._refresh_container_env(item)
            return
        if item.calculate is not None:
            value = self.run(item.calculate, env, item, "calculate")
            value = _round(value, item)
            self.calculated.add(item.id)
        else:
            value = self.coerced.get(item.id)
        if not visible and item.when_hidden == "clear":
            value = None
        self.values[item.id] = value
        env[item.id] = _env_value(value, item)

    def _step_cells(self, container: Item, item: Item, only_row: str | None) -> None:
        rows = self.values.get(container.id)
        if rows is None:
            return
        container_visible = self.visible.get(container.id, True)
        keyed = enumerate(rows) if container.type == "repeating_group" else rows.items()
        for key, row in keyed:
            prefix = f"{container.id}[{key}]."
            if only_row is not None and prefix != only_row:
                continue
            path = prefix + item.id
            visible = container_visible and self._parent_visible(item, prefix)
            row_env = None
            if visible and item.visible_when is not None:
                row_env = self._row_env(container, row)
                visible = self.run(item.visible_when, row_env, item, "visible_when") is True
            self.visible[path] = visible
            if item.type == "group":
                continue
            if item.calculate is not None:
                row_env = row_env or self._row_env(container, row)
                value = _round(self.run(item.calculate, row_env, item, "calculate"), item)
                self.calculated.add(path)
            else:
                value = self._coerced_cell(container, key, item.id)
            if not visible and item.when_hidden == "clear":
                value = None
            row[item.id] = value
        self._refresh_container_env(container)

    def _coerced_cell(self, container: Item, key: Any, item_id: str) -> Any:
        source = self.coerced.get(container.id)
        try:
            return source[key].get(item_id) if source is not None else None
        except (IndexError, KeyError):
            return None

    def _row_env(self, container: Item, row: Mapping[str, Any]) -> dict[str, Any]:
        env = dict(self.env)
        for cell in _cells(container):
            env[cell.id] = _env_value(row.get(cell.id), cell)
        return env

    def _refresh_container_env(self, item: Item) -> None:
        value = self.values.get(item.id)
        cells = {c.id: c for c in _cells(item)}
        if item.type == "repeating_group":
            self.env[item.id] = RecordList([Record({k: _env_value(v, cells[k]) for k, v in row.items()}) for row in value or []])
        else:
            self.env[item.id] = {code: {k: _env_value(v, cells[k]) for k, v in row.items()} for code, row in (value or {}).items()}

    # -- requirement and validation ----------------------------------------------------------
    def check(self, item: Item) -> None:
        container = _row_container(self.form, item)
        if container is None:
            if item.type != "group":
                self._check_path(item, item.id, self.values.get(item.id), self.env)
            return
        rows: Any = self.values.get(container.id) or ([] if container.type == "repeating_group" else {})
        keyed = enumerate(rows) if container.type == "repeating_group" else rows.items()
        for key, row in keyed:
            path = f"{container.id}[{key}].{item.id}"
            if item.type != "group":
                self._check_path(item, path, row.get(item.id), None, container, row)

    def _check_path(self, item: Item, path: str, value: Any, env: Mapping[str, Any] | None, container: Item | None = None, row: Mapping[str, Any] | None = None) -> None:
        self.required.discard(path)
        self.errors.pop(path, None)
        if not self.visible.get(path, False):
            return
        kind = TYPES[item.type]
        if not kind.is_input and not kind.is_container:
            return
        if env is None:
            env = self._row_env(container, row or {}) if container is not None else self.env
        required = item.calculate is None and (item.required or (item.required_when is not None and self.run(item.required_when, env, item, "required_when") is True))
        if required:
            self.required.add(path)
        errors: list[ItemError] = []
        if path in self.coerce_errors:
            errors.append(self.coerce_errors[path])
        elif item.type == "repeating_group":
            count = len(value or [])
            if (required and count == 0) or count < item.min_rows:
                errors.append(self._error(path, "min_rows" if item.min_rows else "required", min_rows=max(item.min_rows, 1)))
            elif item.max_rows is not None and count > item.max_rows:
                errors.append(self._error(path, "max_rows", max_rows=item.max_rows))
        elif _empty(value):
            if required:
                errors.append(self._error(path, "required"))
        else:
            errors.extend(self._bounds(item, path, value))
        if not errors and not _empty(value):
            for constraint in item.constraints:
                if self.run(constraint.check, env, item, "constraint") is False:
                    errors.append(ItemError(path, "constraint", constraint.message.get(self.locale)))
                    break
        if errors:
            self.errors[path] = tuple(errors)

    def _error(self, path: str, code: str, **params: Any) -> ItemError:
        return ItemError(path, code, message(code, self.locale, params))

    def _bounds(self, item: Item, path: str, value: Any) -> Iterable[ItemError]:
        number = value["value"] if isinstance(value, dict) and "value" in value and item.type == "quantity" else value
        if item.type == "quantity" and item.unit and isinstance(value, dict):
            number = convert(number, value.get("unit") or item.unit, item.unit) or number
        bound = TYPES[item.type].bound
        if bound is not None:
            lo = _bound_value(item, item.min)
            hi = _bound_value(item, item.max)
            if lo is not None and number < lo:
                yield self._error(path, "min", min=_fmt(item.min, item))
            elif hi is not None and number > hi:
                yield self._error(path, "max", max=_fmt(item.max, item))
        if isinstance(value, str):
            if item.min_length is not None and len(value) < item.min_length:
                yield self._error(path, "min_length", min_length=item.min_length)
            if item.max_length is not None and len(value) > item.max_length:
                yield self._error(path, "max_length", max_length=item.max_length)
            if item.pattern is not None and not re.fullmatch(item.pattern, value):
                yield self._error(path, "pattern")
        if isinstance(value, list) and item.type == "multiple_choice":
            if item.min_length is not None and len(value) < item.min_length:
                yield self._error(path, "min_choices", min_length=item.min_length)
            if item.max_length is not None and len(value) > item.max_length:
                yield self._error(path, "max_choices", max_length=item.max_length)

    def freeze(self) -> Evaluation:
        return Evaluation(
            form=self.form, locale=self.locale, context=self.context, raw=MappingProxyType(dict(self.raw)),
            values=self.values, visible=self.visible, required=frozenset(self.required),
            calculated=frozenset(self.calculated), errors=self.errors, issues=tuple(self.issues),
            _coerced=self.coerced, _coerce_errors=self.coerce_errors, _env=self.env,
        )


def _patient(data: Mapping[str, Any]) -> dict[str, Any]:
    """Patient fields, with `age` derived from `birth_date` when not given."""
    patient = dict(data)
    birth = patient.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = dt.date.fromisoformat(birth)
            patient["birth_date"] = birth
        except ValueError:
            birth = None
    if isinstance(birth, dt.date) and "age" not in patient:
        today = dt.date.today()
        patient["age"] = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return patient


def _row_container(form: Form, item: Item) -> Item | None:
    parent = item.parent
    while parent is not None:
        candidate = form.index[parent]
        if candidate.type in ROW_CONTAINERS:
            return candidate
        parent = candidate.parent
    return None


def _cells(item: Item) -> list[Item]:
    """Items holding values inside a repeating group or grid (through plain groups)."""
    found: list[Item] = []
    for child in item.children:
        if child.type == "group":
            found.extend(_cells(child))
        elif TYPES[child.type].coerce is not None or child.calculate is not None:
            found.append(child)
    return found


def _env_value(value: Any, item: Item) -> Any:
    """What expressions see: quantities as numbers in the item's own unit."""
    if item.type == "quantity" and isinstance(value, dict):
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


def _bound_value(item: Item, bound: Any) -> Any:
    if bound is None:
        return None
    if TYPES[item.type].bound is float:
        return bound
    try:
        coerce = TYPES[item.type].coerce
        return coerce(bound, item) if coerce else None
    except ValueProblem:
        return None


def _fmt(bound: Any, item: Item) -> str:
    text = f"{bound:g}" if isinstance(bound, float) else str(bound)
    return f"{text} {item.unit}" if item.unit and isinstance(bound, int | float) else text


def evaluate(form: Form, raw: Mapping[str, Any], context: Context | None = None, locale: str = "en") -> Evaluation:
    """Evaluate ``form`` for the raw answers ``raw`` (strings from a web form or JSON values)."""
    run = _Run(form, locale, context or Context(), raw)
    run.coerce_all()
    for item_id in form.order:
        run.step(item_id)
    for item_id in form.order:
        run.check(form.index[item_id])
    return run.freeze()


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
        if container is None or cell is None or container.type not in ROW_CONTAINERS:
            continue
        _copy_container(run, raw, container_id)
        row_key: Any = int(key) if container.type == "repeating_group" and key.isdigit() else key
        rows_raw = raw[container_id]
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
            scoped = only_row if only_row and _row_container(form, item) is not None and not _reads_container(item, only_row) else None
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
