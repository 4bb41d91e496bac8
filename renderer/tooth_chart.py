"""The odontogram a grid draws with ``appearance: tooth_chart``: what each tooth shows.

A grid whose rows are FDI two-digit tooth codes is laid out as a dentist reads a chart,
facing the patient (renderer/fdi.py). Each tooth is a link to its row of the grid's table,
which stays the form's only input (see widgets/tooth_chart.html).

A tooth shows the value of the grid's *status column* (its first single-choice or yes/no
column) as a colour family and a short mark, and the codes ticked in its *surfaces column*
(its first multiple-choice column). Marks are a table keyed by the status code; a code not
in it shows its first two letters, so a pack's own statuses still show as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.model import Item, Text
from engine.types import blank
from renderer.fdi import Arch, all_teeth, arches
from renderer.fields import FieldView, FormView, shown_columns
from renderer.live import changed_item
from renderer.text import Label, dom_id, label


@dataclass(frozen=True, slots=True)
class Mark:
    """What a tooth shows besides its colour: ``text`` (a letter or two) and ``family``
    (the colour, ``.tooth--<family>`` in app.css)."""

    text: str
    family: str


#: status code (an option's code, or a yes/no column's id when ticked) -> mark
MARKS: dict[str, Mark] = {
    "sound": Mark("✓", "sound"),
    "caries": Mark("C", "decay"),
    "fractured": Mark("Fx", "damage"),
    "filled": Mark("F", "restored"),
    "crown": Mark("Cr", "restored"),
    "root_canal": Mark("RC", "endo"),
    "pulp_treated": Mark("P", "endo"),
    "implant": Mark("Im", "prosthetic"),
    "bridge_pontic": Mark("Po", "prosthetic"),
    "missing": Mark("X", "missing"),
    "extracted_caries": Mark("X", "missing"),
    "tooth_missing": Mark("X", "missing"),
    "unerupted": Mark("U", "absent"),
    "absent": Mark("–", "absent"),
}
NO_MARK = Mark("", "none")


def mark_for(code: str) -> Mark:
    return MARKS.get(code) or Mark(code[:2].capitalize(), "other")


@dataclass(frozen=True, slots=True)
class Tooth:
    code: str
    label: Label
    #: the id of its row in the table (the link target)
    row_id: str
    status: Label | None
    mark: Mark
    surfaces: tuple[str, ...]
    #: some answer is recorded in its row
    recorded: bool
    #: its row shows an error
    invalid: bool


@dataclass(frozen=True, slots=True)
class ToothChart:
    dom: str
    arches: tuple[Arch, ...]
    legend: tuple[tuple[Mark, Label], ...]


def status_column(grid: Item) -> Item | None:
    return next((c for c in shown_columns(grid) if c.type in ("single_choice", "boolean")), None)


def surfaces_column(grid: Item) -> Item | None:
    return next((c for c in shown_columns(grid) if c.type == "multiple_choice"), None)


def tooth_chart(view: FormView, grid: FieldView) -> ToothChart | None:
    """The chart of ``grid``, or None when its rows are not FDI tooth codes (a plain table then)."""
    item = grid.item
    if not all_teeth(str(r.code) for r in item.rows):
        return None
    status, surfaces = status_column(item), surfaces_column(item)
    laid_out = arches({str(r.code): _tooth(view, grid, str(r.code), r.label, status, surfaces) for r in item.rows})
    assert laid_out is not None
    return ToothChart(grid.dom, tuple(laid_out), _legend(view, status))


def _tooth(view: FormView, grid: FieldView, code: str, row_label: Text, status: Item | None, surfaces: Item | None) -> Tooth:
    prefix = f"{grid.path}[{code}]."
    shown: Label | None = None
    mark = NO_MARK
    if status is not None:
        cell = view.field(status, prefix + status.id)
        if status.type == "boolean":
            if cell.value is True:
                shown, mark = label(status.label, view.locale), mark_for(status.id)
        elif cell.value not in (None, ""):
            option = status.option(str(cell.value))
            shown = label(option.display, view.locale) if option else Label(str(cell.value))
            mark = mark_for(str(cell.value))
    ticked: tuple[str, ...] = ()
    if surfaces is not None:
        value = view.field(surfaces, prefix + surfaces.id).value
        ticked = tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()
    raw = view.evaluation.raw.get(grid.path)
    row = raw.get(code) if isinstance(raw, dict) else None
    recorded = isinstance(row, dict) and any(not blank(v) for v in row.values())
    invalid = any(path.startswith(prefix) and view.shown_errors(path) for path in view.evaluation.errors)
    return Tooth(code, label(row_label, view.locale), f"row-{grid.dom}-{dom_id(code)}", shown, mark, ticked, recorded, invalid)


def _legend(view: FormView, status: Item | None) -> tuple[tuple[Mark, Label], ...]:
    if status is None:
        return ()
    if status.type == "boolean":
        return ((mark_for(status.id), label(status.label, view.locale)),)
    return tuple((mark_for(o.code), label(o.display, view.locale)) for o in status.options)


def charts_to_refresh(view: FormView, changed: Iterable[str], swapped: set[str]) -> list[FieldView]:
    """The tooth-chart grids whose chart a live round-trip redraws: those holding a changed
    cell, unless the whole grid is swapped already (``swapped``: item ids swapped whole)."""
    grids: dict[str, FieldView] = {}
    for name in changed:
        hit = changed_item(view.form, name)
        if hit is None or "[" not in hit[1]:
            continue
        grid = view.form.index.get(hit[1].partition("[")[0])
        if grid is not None and grid.type == "grid" and grid.appearance == "tooth_chart" and grid.id not in swapped:
            grids.setdefault(grid.id, view.field(grid))
    return list(grids.values())
