"""The one evaluator: raw input -> typed answers -> calculations -> visibility -> required
-> validation errors, for a compiled form.

The web form, the server-side submit, the PDF, rules and pack tests all call `evaluate`
(or `reevaluate`, engine.incremental, after some answers changed), so the same answers
give the same visibility, scores and errors everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.diagnostics import Diagnostic, make
from engine.evaluation import (
    ENV_CONVERTED,
    ROW_CONTAINERS,
    Context,
    Evaluation,
    ItemError,
    _cells,
    _env_value,
    _patient,
    _round,
    row_container,
)
from engine.expressions import EvaluationProblem, Expression, Record, RecordList
from engine.messages import message
from engine.model import Form, Item, per_form
from engine.types import TYPES, ValueProblem, blank
from engine.validation import Validation

__all__ = ["Context", "Evaluation", "ItemError", "evaluate", "evaluate_from", "reevaluate"]


class _Run(Validation):
    """Mutable state while evaluating; frozen into an Evaluation at the end."""

    def __init__(self, form: Form, locale: str, context: Context, raw: Mapping[str, Any]) -> None:
        self.form = form
        self.plan = plan_of(form)
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
            "patient": Record(_patient(context.patient, context.encounter.get("date"))),
            "encounter": Record(dict(context.encounter)),
            "score": Record({}),
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
        if raw is None or blank(raw):
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
        self.coerce_errors.pop(item.id, None)
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
        plan = self.plan
        for item in plan.containers:
            self.coerce_container(item)
        raw, coerced = self.raw, self.coerced
        for item in plan.inputs:
            coerced[item.id] = self.coerce(item, raw.get(item.id), item.id, item.id in raw)

    # -- visibility and calculation ---------------------------------------------------------
    def step(self, item_id: str, only_row: str | None = None) -> None:
        form = self.form
        item = form.index[item_id]
        container = row_container(form, item)
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
        visible = item.parent is None or self._parent_visible(item)
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
        env[item.id] = _env_value(value, item) if item.type in ENV_CONVERTED else value
        if item.id in self.plan.scored:
            scores = env["score"].as_dict()
            scores[item.id] = _score(item, value)
            env["score"] = Record(scores)

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

    def freeze(self) -> Evaluation:
        return Evaluation(
            form=self.form, locale=self.locale, context=self.context, raw=MappingProxyType(dict(self.raw)),
            values=self.values, visible=self.visible, required=frozenset(self.required),
            calculated=frozenset(self.calculated), errors=self.errors, issues=tuple(self.issues),
            _coerced=self.coerced, _coerce_errors=self.coerce_errors, _env=self.env,
        )


def _score(item: Item, value: Any) -> float | int | None:
    """The score of the chosen option (the sum for multiple choice); None when unanswered."""
    if value is None or value == []:
        return None
    total: float | int = 0
    for code in value if isinstance(value, list) else [value]:
        option = item.option(str(code))
        if option is None or option.score is None:
            return None
        total += option.score
    return total


@dataclass(frozen=True, slots=True)
class Plan:
    """How a form is walked, worked out once per compiled form (`plan_of`)."""

    #: every item in evaluation order, with the repeating group or grid it is a cell of
    steps: tuple[tuple[Item, Item | None], ...]
    #: top-level repeating groups and grids (their rows are coerced as a whole)
    containers: tuple[Item, ...]
    #: top-level items with a value to coerce from the raw answers
    inputs: tuple[Item, ...]
    #: ids of the choice items with scored options (their answers make `score`)
    scored: frozenset[str]


@per_form
def plan_of(form: Form) -> Plan:
    """The walk of ``form``."""
    items = form.index.values()
    top = [item for item in items if row_container(form, item) is None and item.type != "group"]
    return Plan(
        steps=tuple((item, row_container(form, item)) for item in map(form.index.__getitem__, form.order)),
        containers=tuple(item for item in top if item.type in ROW_CONTAINERS),
        inputs=tuple(item for item in top if item.type not in ROW_CONTAINERS and TYPES[item.type].coerce is not None),
        scored=frozenset(item.id for item in items if any(o.score is not None for o in item.options)),
    )


def evaluate(form: Form, raw: Mapping[str, Any], context: Context | None = None, locale: str = "en") -> Evaluation:
    """Evaluate ``form`` for the raw answers ``raw`` (strings from a web form or JSON values)."""
    run = _Run(form, locale, context or Context(), raw)
    run.coerce_all()
    # `step` and `check` of every item, with their dispatch on the item's row container
    # done once per form (most of a form is top-level items: no row to walk)
    order = run.plan.steps
    for item, container in order:
        if container is None:
            run._step_top(item)
        else:
            run._step_cells(container, item, None)
    values, env = run.values, run.env
    for item, container in order:
        if container is not None:
            run.check(item)
        elif item.type != "group":
            run._check_path(item, item.id, values.get(item.id), env)
    return run.freeze()



from engine.incremental import evaluate_from, reevaluate  # noqa: E402  (re-exported: the one evaluator API)
