"""Posted form data -> raw answers, the input the evaluator takes.

Field names are answer paths, as the evaluator names them: ``weight`` for a top-level item,
``meds[0].dose`` for a cell of a repeating-group row, ``teeth[16].depth`` for a grid cell.
Two suffixes name parts of one answer: ``<path>.unit`` (the unit select of a quantity) and
``<path>.upload`` (the file input of an attachment or signature; the web layer turns the
upload into a file reference before calling :func:`parse_answers`). ``<group>[<i>]._row``
marks that a repeating-group row exists even when all its cells are blank.

The parser walks the *form*, not the posted names: every input item gets a raw value (blank
when nothing was posted, as an unchecked checkbox posts nothing), so a default never comes
back after a person cleared it, and names that are not in the form are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.evaluation import cells
from engine.model import Form, Item
from engine.types import TYPES

ROW_MARKER = "_row"
ADD_ROW = "_add_row"
REMOVE_ROW = "_remove_row"
_ROW_NAME = re.compile(r"^([a-z][a-z0-9_]*)\[([^\]]+)\]\.")


class FormData:
    """Posted fields as name -> list of string values (files are handled elsewhere)."""

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            if isinstance(value, str):
                self._values.setdefault(name, []).append(value)

    def get(self, name: str, default: str = "") -> str:
        values = self._values.get(name)
        return values[-1] if values else default

    def getall(self, name: str) -> list[str]:
        return list(self._values.get(name, ()))

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)


def is_input(item: Item) -> bool:
    """True when the item takes an answer from the person (not calculated, not display)."""
    return TYPES[item.type].coerce is not None and item.calculate is None


def leaves(items: Iterable[Item]) -> Iterable[Item]:
    """Top-level answer items and row containers, through plain groups."""
    for item in items:
        if item.type == "group":
            yield from leaves(item.children)
        elif item.type in ("repeating_group", "grid") or TYPES[item.type].coerce is not None:
            yield item


def _leaf(item: Item, path: str, data: FormData, uploads: Mapping[str, Any]) -> Any:
    kind = TYPES[item.type].widget
    if item.type == "multiple_choice":
        return [v for v in data.getall(path) if v.strip()]
    if item.type == "quantity" and f"{path}.unit" in data:
        if not data.get(path).strip():
            return ""  # a unit alone is no answer
        return {"value": data.get(path), "unit": data.get(f"{path}.unit") or item.unit}
    if kind in ("attachment", "signature"):
        if path in uploads:
            return uploads[path]
        if f"{path}.remove" in data:
            return ""
        return _file_ref(data.get(path))
    return data.get(path)


def _file_ref(text: str) -> Any:
    """A kept file reference travels as JSON in a hidden field (or a bare SHA-256)."""
    text = text.strip()
    if not text.startswith("{"):
        return text
    try:
        ref = json.loads(text)
    except ValueError:
        return text
    return ref if isinstance(ref, dict) else text


def row_indices(container_id: str, data: FormData) -> list[str]:
    """Row keys posted for a repeating group, in numeric order."""
    keys = {m.group(2) for n in data.names() if (m := _ROW_NAME.match(n)) and m.group(1) == container_id}
    return sorted((k for k in keys if k.isdigit()), key=int)


def parse_answers(
    form: Form,
    data: FormData,
    uploads: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Raw answers for ``form`` from posted ``data``.

    ``uploads`` maps paths of file items to references of files uploaded with this post;
    ``previous`` holds the stored raw answers, which readonly items keep whatever is posted.
    """
    uploads = uploads or {}
    previous = previous or {}
    raw: dict[str, Any] = {}
    for item in leaves(form.items):
        if item.readonly:
            if item.id in previous:
                raw[item.id] = previous[item.id]
            continue
        if item.type == "repeating_group":
            inputs = [c for c in cells(item) if is_input(c)]
            raw[item.id] = [
                {c.id: _leaf(c, f"{item.id}[{key}].{c.id}", data, uploads) for c in inputs}
                for key in row_indices(item.id, data)
            ]
        elif item.type == "grid":
            inputs = [c for c in cells(item) if is_input(c)]
            raw[item.id] = {
                row.code: {c.id: _leaf(c, f"{item.id}[{row.code}].{c.id}", data, uploads) for c in inputs}
                for row in item.rows
            }
        elif is_input(item):
            raw[item.id] = _leaf(item, item.id, data, uploads)
    return raw


@dataclass(frozen=True, slots=True)
class RowAction:
    """A press of an add-row or remove-row button: which group, which row."""

    container: str
    remove: int | None = None


def row_action(form: Form, data: FormData) -> RowAction | None:
    """The row button pressed in this post, if any (names from the widget templates)."""
    add = data.get(ADD_ROW)
    if add and (item := form.index.get(add)) is not None and item.type == "repeating_group":
        return RowAction(add)
    remove = data.get(REMOVE_ROW)
    match = re.fullmatch(r"([a-z][a-z0-9_]*)\[(\d+)\]", remove)
    if match and (item := form.index.get(match.group(1))) is not None and item.type == "repeating_group":
        return RowAction(match.group(1), int(match.group(2)))
    return None


def apply_row_action(form: Form, raw: dict[str, Any], action: RowAction) -> dict[str, Any]:
    """Raw answers with a row added (blank: defaults apply) or removed."""
    item = form.index[action.container]
    rows = list(raw.get(action.container) or [])
    if action.remove is None:
        if item.max_rows is None or len(rows) < item.max_rows:
            rows.append({})
    elif 0 <= action.remove < len(rows):
        del rows[action.remove]
    return {**raw, action.container: rows}
