"""Requirement and validation of answers: required items, bounds, lengths, patterns,
choices, row counts and author-written constraints. Hidden items are never required and
never validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.evaluation import ItemError, _empty, row_container
from engine.expressions import Expression
from engine.messages import message
from engine.model import Form, Item
from engine.types import TYPES, ValueProblem, convert


class Validation:
    """Mixed into the evaluator's run state; uses its values, visibility and env."""

    form: Form
    locale: str
    values: dict[str, Any]
    visible: dict[str, bool]
    required: set[str]
    errors: dict[str, tuple[ItemError, ...]]
    coerce_errors: dict[str, ItemError]
    env: dict[str, Any]

    def run(self, expr: Expression, env: Mapping[str, Any], item: Item, what: str) -> Any:
        raise NotImplementedError

    def _row_env(self, container: Item, row: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, item: Item) -> None:
        container = row_container(self.form, item)
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
            # a row's environment (a copy of the form's) only for a cell that reads one
            reads = item.required_when is not None or bool(item.constraints)
            env = (self._row_env(container, row or {}) if container is not None else self.env) if reads else {}
        required = item.calculate is None and (item.required or (item.required_when is not None and self.run(item.required_when, env, item, "required_when") is True))
        if required:
            self.required.add(path)
        if value is None and item.type != "repeating_group" and path not in self.coerce_errors:
            # unanswered (most of a form being filled): only "required" can apply
            if required:
                self.errors[path] = (self._error(path, "required"),)
            return
        errors: list[ItemError] = []
        empty = _empty(value)
        if path in self.coerce_errors:
            errors.append(self.coerce_errors[path])
        elif item.type == "repeating_group":
            count = len(value or [])
            if (required and count == 0) or count < item.min_rows:
                errors.append(self._error(path, "min_rows" if item.min_rows else "required", min_rows=max(item.min_rows, 1)))
            elif item.max_rows is not None and count > item.max_rows:
                errors.append(self._error(path, "max_rows", max_rows=item.max_rows))
        elif empty:
            if required:
                errors.append(self._error(path, "required"))
        else:
            errors.extend(self._bounds(item, path, value))
        if not errors and not empty:
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


