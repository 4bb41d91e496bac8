"""Which fragments a live round-trip sends back after one answer changed.

The browser posts the whole form plus the name of the input that changed (``_changed``, last;
before it the inputs changed since the last answer arrived) and the paths it currently shows
(``_visible``). The server evaluates the answers with the one
evaluator and answers with out-of-band fragments for the changed item and every item that
depends on it (`Form.dependents`):

* an item that appears or disappears, a calculated or display item, or a group whose rows
  changed is swapped whole (its wrapper, ``item-<path>``): nobody is typing in it;
* an input that stays visible keeps its element (focus, caret and what is being typed stay
  put); only its error list and required marker are swapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.evaluation import ROW_CONTAINERS, row_container
from engine.model import Form, Item
from engine.types import TYPES
from renderer.answers import is_input
from renderer.fields import FieldView, FormView

_NAME = re.compile(r"^([a-z][a-z0-9_]*)(?:\[([^\]]+)\]\.([a-z][a-z0-9_]*))?(?:\.(?:unit|upload|remove))?$")


@dataclass(frozen=True, slots=True)
class Part:
    """One out-of-band fragment: the whole item (``whole``) or its errors and marker."""

    field: FieldView
    whole: bool
    #: the row prefix (``meds[0].``) for items inside a repeating-group row or grid row
    prefix: str = ""
    #: a grid cell (drawn without a visible label)
    compact: bool = False


def changed_item(form: Form, name: str | None) -> tuple[Item, str] | None:
    """The item and answer path a posted field name belongs to (None if not in the form)."""
    match = _NAME.match(name or "")
    if match is None:
        return None
    top, key, cell = match.groups()
    if cell is None:
        item = form.index.get(top)
        return (item, top) if item is not None else None
    item = form.index.get(cell)
    container = form.index.get(top)
    if item is None or container is None or container.type not in ROW_CONTAINERS:
        return None
    return item, f"{top}[{key}].{cell}"


def _changed_rows(form: Form, hits: list[tuple[Item, str]], ids: set[str]) -> tuple[str, tuple[str, ...], frozenset[str]] | None:
    """For inputs changed in rows of one container: the container, the changed rows' prefixes
    and the cells of that container that change in those rows only. A cell reads the cells
    of its own row (row-scoped names), so a depth typed in one row of a 32-row chart changes
    that row's attachment level, not all 32; a cell that also depends on something outside
    the row (a total, a top-level answer) changes in every row."""
    containers = {h[1].partition("[")[0] for h in hits if "[" in h[1]}
    if len(containers) != 1:
        return None
    container = containers.pop()
    outside = {i for i in ids if (c := row_container(form, form.index[i])) is None or c.id != container}
    everywhere: set[str] = set()
    for item_id in outside:
        everywhere |= form.dependents.get(item_id, frozenset())
    local = frozenset(i for i in ids if i not in outside and i not in everywhere)
    prefixes = tuple(dict.fromkeys(h[1][: h[1].index("]") + 2] for h in hits if "[" in h[1]))
    return container, prefixes, local


def _paths(form: Form, view: FormView, item: Item, rows: tuple[str, tuple[str, ...], frozenset[str]] | None = None) -> Iterable[tuple[str, str]]:
    """Every (path, row prefix) an item has: one at the top level, one per row inside rows
    (only the changed rows' for a cell that changes in those rows only, see _changed_rows)."""
    container = row_container(form, item)
    if container is None:
        yield item.id, ""
        return
    if rows is not None and rows[0] == container.id:
        for prefix in rows[1]:
            yield prefix + item.id, prefix
        return
    for key in view.rows(container):
        prefix = f"{container.id}[{key}]."
        yield prefix + item.id, prefix


def live_parts(view: FormView, changed: str | None, shown: Iterable[str], forced: Iterable[str] = (),
               earlier: Iterable[str] = ()) -> list[Part]:
    """The fragments to send after ``changed`` (a posted field name) changed.

    ``shown`` are the paths the page showed when it posted; ``forced`` names items to swap
    whole whatever they show (a repeating group after a row was added or removed);
    ``earlier`` names inputs changed before ``changed`` whose round-trip never answered
    (the browser replaced it with this one), so their dependents are sent too.
    """
    form = view.form
    shown = set(shown)
    forced = set(forced)
    hits = [h for h in (changed_item(form, name) for name in (*earlier, changed)) if h is not None]
    ids: set[str] = set(forced) | {h[0].id for h in hits}
    for item_id in list(ids):
        ids |= form.dependents.get(item_id, frozenset())
    rows = _changed_rows(form, hits, ids) if not forced else None
    parts: list[Part] = []
    for item_id in form.index:
        if item_id not in ids:
            continue
        item = form.index[item_id]
        container = row_container(form, item)
        compact = container is not None and container.type == "grid"
        for path, prefix in _paths(form, view, item, rows if rows and item_id in rows[2] else None):
            field = view.field(item, path)
            if item_id in forced or field.visible != (path in shown):
                parts.append(Part(field, True, prefix, compact))
            elif not field.visible:
                continue
            elif item.calculate is not None or TYPES[item.type].widget == "display":
                parts.append(Part(field, True, prefix, compact))
            elif is_input(item) or item.type in ("repeating_group", "grid"):
                parts.append(Part(field, False, prefix, compact))
    return _outermost(form, parts)


def _outermost(form: Form, parts: list[Part]) -> list[Part]:
    """Drop fragments already inside another whole fragment (in a group that appeared)."""
    whole = {(p.prefix, p.field.item.id) for p in parts if p.whole}
    kept: list[Part] = []
    for part in parts:
        parent, prefix = part.field.item.parent, part.prefix
        covered = False
        while parent is not None and not covered:
            ancestor = form.index[parent]
            if ancestor.type in ("repeating_group", "grid"):
                prefix = ""  # the container and what holds it are outside the row
            covered = (prefix, parent) in whole
            parent = ancestor.parent
        if not covered:
            kept.append(part)
    return kept
