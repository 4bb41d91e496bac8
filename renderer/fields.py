"""What a template needs to draw one item at one answer path: the view of an Evaluation.

`FormView` wraps a compiled form and its Evaluation for one locale; `FormView.field(item,
path)` gives a `FieldView` with the label in the chosen language (and whether it fell back
to another), the value as the input should show it, the errors to show, and the ids that
tie label, input, help and errors together. Templates do no lookups of their own.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.evaluator import Evaluation, ItemError
from engine.model import Form, Item, Option, Text, per_form
from engine.types import TYPES
from renderer.answers import cells
from renderer.fdi import Arch, arches
from renderer.text import Label, dom_id, label, show, unit_label

if TYPE_CHECKING:
    from renderer.tooth_chart import ToothChart

#: errors that only say "you have not answered yet": hidden on untouched fields until submit
BLANK_CODES = frozenset({"required", "min_rows"})
#: single choice: up to this many options are radio buttons, more a select (appearance: auto)
RADIO_MAX = 5
#: multiple choice: up to this many options are checkboxes, more a multi-select
CHECKBOX_MAX = 12
#: a definition's `appearance` that draws an item with another widget: (type, appearance) -> widget
APPEARANCE_WIDGETS: dict[tuple[str, str], str] = {("grid", "tooth_chart"): "tooth_chart",
                                                   ("multiple_choice", "tooth_chart"): "tooth_picker"}
#: the compact control of a grid cell per widget (forms/_cells.html); other widgets draw in
#: full with a hidden label
CELL_KINDS: dict[str, str] = {"number": "number", "text": "text", "boolean": "boolean", "choice": "choice", "choices": "choices"}
_ROW_CELL = re.compile(r"([a-z][a-z0-9_]*)\[([^\]]+)\]\.([a-z][a-z0-9_]*)")
_CELL_PATH = re.compile(r"^(.+)\[([^\]]+)\]\.[^.\[\]]+$")


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: Label
    checked: bool
    dom: str


def widget_of(item: Item) -> str:
    """The widget an item is drawn with: its type's, unless its appearance names another."""
    return APPEARANCE_WIDGETS.get((item.type, item.appearance), TYPES[item.type].widget)


#: FormView.state: value, raw input, visible, required, calculated, errors shown, locked
FieldState = tuple[Any, Any, bool, bool, bool, "tuple[ItemError, ...]", bool]


@dataclass(slots=True)
class FieldView:
    """One item at one path, ready for its widget template."""

    item: Item
    path: str
    locale: str
    value: Any
    raw: Any
    visible: bool
    required: bool
    calculated: bool
    errors: tuple[ItemError, ...]
    #: the whole form is shown read-only (a signed document)
    locked: bool = False
    dom: str = field(init=False)

    def __post_init__(self) -> None:
        self.dom = dom_id(self.path)

    # ids tying the parts together
    @property
    def input_id(self) -> str:
        return f"f-{self.dom}"

    @property
    def wrapper_id(self) -> str:
        return f"item-{self.dom}"

    @property
    def widget(self) -> str:
        return widget_of(self.item)

    # a grid cell: no label of its own, named by its row and column headers (widgets/_grid_table.html)
    @property
    def cell_kind(self) -> str:
        return "output" if self.readonly else CELL_KINDS.get(self.widget, "widget")

    @property
    def labelled_by(self) -> str:
        grid, key = _grid_and_key(self.path)
        return f"hr-{dom_id(grid)}-{dom_id(key)} hc-{dom_id(grid)}-{self.item.id}"

    @property
    def cell_described_by(self) -> str:
        grid = _grid_and_key(self.path)[0]
        return f"err-{self.dom}" + (f" hn-{dom_id(grid)}-{self.item.id}" if self.item.help.values else "")

    @property
    def can_require(self) -> bool:
        """Whether a required marker can ever show (grid cells draw its slot only then)."""
        return self.item.required or self.item.required_when is not None

    @property
    def keeps_hidden_value(self) -> bool:
        """A hidden input whose value stays (``when_hidden: keep``) still posts it."""
        return self.item.when_hidden == "keep" and self.item.is_input

    @property
    def label(self) -> Label:
        return label(self.item.label, self.locale)

    @property
    def help(self) -> Label:
        return label(self.item.help, self.locale)

    @property
    def text(self) -> Label:
        return label(self.item.text, self.locale)

    @property
    def placeholder(self) -> str:
        return self.item.placeholder.get(self.locale)

    @property
    def readonly(self) -> bool:
        return self.locked or self.item.readonly or self.calculated

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def described_by(self) -> str:
        ids = [f"help-{self.dom}"] if self.item.help.values else []
        return " ".join([*ids, f"err-{self.dom}"])

    # the value as the input shows it
    @property
    def input_value(self) -> str:
        current = self.raw if self.raw is not None else self.value
        if isinstance(current, dict) and "value" in current:
            current = current["value"]
        return show(current)

    @property
    def unit(self) -> str:
        current = self.raw if isinstance(self.raw, dict) else self.value
        if isinstance(current, dict) and current.get("unit"):
            return str(current["unit"])
        return self.item.unit or ""

    @property
    def units(self) -> list[tuple[str, str]]:
        codes = ([self.item.unit] if self.item.unit else []) + [u for u in self.item.units if u != self.item.unit]
        return [(u, unit_label(u)) for u in codes]

    @property
    def unit_label(self) -> str:
        return unit_label(self.item.unit)

    @property
    def file_ref(self) -> Mapping[str, Any] | None:
        current = self.value if isinstance(self.value, dict) else self.raw
        return current if isinstance(current, dict) and "file" in current else None

    @property
    def file_ref_json(self) -> str:
        ref = self.file_ref
        return json.dumps(dict(ref), sort_keys=True) if ref else ""

    @property
    def choices(self) -> list[Choice]:
        current = self.raw if self.raw is not None else self.value
        picked = {str(v) for v in current} if isinstance(current, list | tuple) else {show(current)}
        return [Choice(o.code, self.option_label(o), o.code in picked, f"{self.input_id}-{i}") for i, o in enumerate(self.item.options)]

    @property
    def tooth_arches(self) -> list[Arch[Choice]] | None:
        """The choices laid out as an odontogram (widgets/tooth_picker.html), or None when an
        option is not an FDI tooth code (the checkbox list then)."""
        return arches({str(c.code): c for c in self.choices})

    def option_label(self, option: Option) -> Label:
        return label(option.display, self.locale)

    @property
    def appearance(self) -> str:
        """radio | select | checkboxes | select_multiple | buttons: an explicit choice wins."""
        chosen = self.item.appearance
        if self.item.type == "multiple_choice":
            if chosen == "select":
                return "select_multiple"
            return "checkboxes" if chosen in ("checkboxes", "buttons") or len(self.item.options) <= CHECKBOX_MAX else "select_multiple"
        if chosen in ("radio", "select", "buttons"):
            return chosen
        return "radio" if len(self.item.options) <= RADIO_MAX else "select"

    @property
    def boolean_value(self) -> str:
        current = self.value if self.value is not None else self.raw
        return show(current) if isinstance(current, bool) else ""

    @property
    def cell_value(self) -> str:
        """A read-only grid cell's value: the number alone, its column header names the unit."""
        value = self.value["value"] if isinstance(self.value, dict) and "value" in self.value else self.value
        return "" if isinstance(value, bool) else show(value)

    @property
    def display_value(self) -> str:
        """A calculated or read-only value as text (quantities with their unit)."""
        value = self.value
        if isinstance(value, dict) and "value" in value:
            return f"{show(value['value'])} {unit_label(value.get('unit'))}".strip()
        if isinstance(value, bool):
            return "✓" if value else "✗"
        text = show(value)
        return f"{text} {unit_label(self.item.unit)}".strip() if text and self.item.unit else text


def _grid_and_key(path: str) -> tuple[str, str]:
    match = _CELL_PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"{path!r} is not a cell of a grid")
    return match.group(1), match.group(2)


def never_shown(item: Item) -> bool:
    """A helper column hidden for good (``visible_when: "false"``): no header, no cells."""
    return item.visible_when is not None and isinstance(item.visible_when.tree, ast.Constant) and item.visible_when.tree.value is False


def shown_columns(grid: Item) -> list[Item]:
    """The columns a grid shows: its cells less the helper columns hidden for good."""
    return [c for c in cells(grid) if not never_shown(c)]


def _parents(form: Form, item: Item) -> Iterator[str]:
    parent = item.parent
    while parent is not None:
        yield parent
        parent = form.index[parent].parent


@per_form
def _uploads(form: Form) -> tuple[tuple[Item, Item | None], ...]:
    """The attachment and signature items of ``form``, each with its row container if any."""
    found = []
    for item in form.index.values():
        if TYPES[item.type].widget in ("attachment", "signature"):
            container = next((form.index[p] for p in _parents(form, item) if form.index[p].type in ("repeating_group", "grid")), None)
            found.append((item, container))
    return tuple(found)


@per_form
def _has_tooth_chart(form: Form) -> bool:
    return any(APPEARANCE_WIDGETS.get((i.type, i.appearance)) == "tooth_chart" for i in form.index.values())


class FormView:
    """A form and its evaluation, seen in one locale, for the templates."""

    def __init__(self, evaluation: Evaluation, *, show_all_errors: bool = False, changed: str | None = None,
                 locked: bool = False) -> None:
        self.evaluation = evaluation
        self.form = evaluation.form
        self.locale = evaluation.locale
        self.show_all_errors = show_all_errors
        self.changed = changed
        self.locked = locked

    @property
    def title(self) -> Label:
        return label(self.form.title, self.locale)

    def _lookup(self, mapping: Mapping[str, Any], path: str) -> Any:
        if "[" not in path:  # a top-level item: most of a form
            return mapping.get(path)
        match = _ROW_CELL.fullmatch(path)
        if match is None:
            return mapping.get(path)
        container, key, cell = match.groups()
        rows = mapping.get(container)
        try:
            row = rows[int(key)] if isinstance(rows, list) else (rows or {}).get(key)
        except (IndexError, ValueError):
            return None
        return row.get(cell) if isinstance(row, dict) else None

    def shown_errors(self, path: str) -> tuple[ItemError, ...]:
        errors = self.evaluation.errors.get(path, ())
        if self.show_all_errors or path == self.changed:
            return errors
        return tuple(e for e in errors if e.code not in BLANK_CODES)

    def state(self, item: Item, path: str) -> FieldState:
        """What the field view of ``item`` at ``path`` is made of besides the item, the path
        and the language: value, raw input, visible, required, calculated, errors to show,
        locked (in FieldView's order)."""
        ev = self.evaluation
        return (self._lookup(ev.values, path), self._lookup(ev.raw, path), ev.visible.get(path, item.visible_when is None),
                path in ev.required, path in ev.calculated, () if self.locked else self.shown_errors(path), self.locked)

    def field(self, item: Item, path: str | None = None) -> FieldView:
        path = path or item.id
        return FieldView(item, path, self.locale, *self.state(item, path))

    def label(self, text: Text) -> Label:
        return label(text, self.locale)

    def cells(self, item: Item) -> list[Item]:
        """The columns of a grid (answer items through plain groups)."""
        return cells(item)

    def columns(self, item: Item) -> list[Item]:
        """The columns a grid shows (hidden helper columns left out)."""
        return shown_columns(item)

    @staticmethod
    def dom(text: str) -> str:
        return dom_id(text)

    def tooth_chart(self, grid: FieldView) -> ToothChart | None:
        """The odontogram of a grid drawn with ``appearance: tooth_chart`` (None: a plain table)."""
        from renderer.tooth_chart import tooth_chart

        return tooth_chart(self, grid)

    def rows(self, item: Item) -> list[str]:
        """Row keys of a repeating group (indices) or grid (row codes), as in paths."""
        if item.type == "grid":
            return [r.code for r in item.rows]
        rows = self.evaluation.values.get(item.id)
        count = len(rows) if isinstance(rows, list) else len(self.evaluation.raw.get(item.id) or [])
        return [str(i) for i in range(count)]

    def error_summary(self) -> Iterator[tuple[FieldView, ItemError]]:
        """Every shown error, in document order, with the field it belongs to."""
        # only the paths with an error to show (a blank form's "required" errors wait for a
        # submit: most pages have none, and draw no field view for them)
        shown = {path: errors for path in self.evaluation.errors if (errors := self.shown_errors(path))}
        if not shown:
            return
        position = {item_id: i for i, item_id in enumerate(self.form.index)}

        def order(path: str) -> tuple[int, int, str]:
            item_id = path.rsplit(".", 1)[-1] if "[" in path else path
            row = re.search(r"\[(\d+)\]", path)
            return position.get(item_id, 0), int(row.group(1)) if row else -1, path

        for path in sorted(shown, key=order):
            item_id = path.rsplit(".", 1)[-1] if "[" in path else path
            item = self.form.index.get(item_id)
            if item is None:
                continue
            view = self.field(item, path)
            for error in shown[path]:
                yield view, error

    @property
    def upload_names(self) -> list[str]:
        """Names of the file inputs, which live round-trips leave out."""
        names: list[str] = []
        for item, container in _uploads(self.form):
            if container is None:
                names.append(f"{item.id}.upload")
            else:
                names += [f"{container.id}[{key}].{item.id}.upload" for key in self.rows(container)]
        return names

    @property
    def has_tooth_chart(self) -> bool:
        """The page needs tooth-chart.js (one grid or more draws an odontogram)."""
        return _has_tooth_chart(self.form)

    @property
    def has_errors(self) -> bool:
        return any(True for _ in self.error_summary())
