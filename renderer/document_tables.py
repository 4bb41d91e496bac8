"""Repeating groups and grids as tables, for the read-only document view (web and PDF).

Columns are the answer cells with something recorded in some row; a grid shows only its rows
where something was recorded (a tooth chart prints its findings, not 32 empty rows). Column
widths follow the text each column holds: its longest word (never broken) and its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.model import Item, Text
from renderer.answers import cells

if TYPE_CHECKING:
    from renderer.documents import DocumentView, Entry

#: the share of a table's width taken by its row labels: row numbers, or grid row names
ROW_HEAD_PERCENT = {"repeating_group": 4.0, "grid": 28.0}
#: a table with more columns than this is printed as several tables, each repeating the
#: row labels (a periodontal chart has 24 columns: no page is wide enough for them at once)
MAX_COLUMNS = {"repeating_group": 10, "grid": 8}


@dataclass(frozen=True, slots=True)
class TableRow:
    key: str
    #: a grid row's label; None for a repeating-group row (numbered instead)
    label: Text | None
    #: one (item, path) per column; None where the cell is hidden in this row
    cells: tuple[tuple[Item, str] | None, ...]


@dataclass(frozen=True, slots=True)
class Table:
    item: Item
    columns: tuple[Item, ...]
    rows: tuple[TableRow, ...]
    #: grid rows left out because nothing was recorded in them
    omitted: int = 0
    #: per column, how much room its text asks for (see DocumentView.table)
    weights: tuple[float, ...] = ()

    @property
    def widths(self) -> tuple[float, ...]:
        """Percent widths: the row labels' column, then one per column (sums to 100)."""
        head = ROW_HEAD_PERCENT.get(self.item.type, 4.0)
        weights = self.weights or tuple(1.0 for _ in self.columns)
        total = sum(weights) or 1.0
        return (head, *(round((100 - head) * w / total, 2) for w in weights))

    def parts(self) -> list[Table]:
        """This table cut into tables of at most MAX_COLUMNS columns, of even width."""
        limit = MAX_COLUMNS.get(self.item.type, 10)
        count = len(self.columns)
        if count <= limit:
            return [self]
        pieces = -(-count // limit)
        size = -(-count // pieces)
        return [
            Table(self.item, self.columns[i:i + size],
                  tuple(TableRow(r.key, r.label, r.cells[i:i + size]) for r in self.rows),
                  self.omitted, self.weights[i:i + size])
            for i in range(0, count, size)
        ]


# -- tables --------------------------------------------------------------------------
def build_table(view: DocumentView, entry: Entry) -> Table:
    """A repeating group or grid as a table: columns with something visible, and for a
    grid only the rows where something was recorded."""
    item = entry.item
    columns = [c for c in cells(item) if c.type != "display"]
    if item.type == "grid":
        keys: list[tuple[str, Text | None]] = [(r.code, r.label) for r in item.rows]
    else:
        rows = view.evaluation.values.get(item.id)
        keys = [(str(i), None) for i in range(len(rows) if isinstance(rows, list) else 0)]
    built: list[TableRow] = []
    omitted = 0
    for key, row_label in keys:
        prefix = f"{entry.path}[{key}]."
        row_cells = tuple((c, prefix + c.id) if view.visible(c, prefix + c.id) else None for c in columns)
        if item.type == "grid" and all(cell is None or _blank(view.value(cell[1])) for cell in row_cells):
            omitted += 1
            continue
        built.append(TableRow(key, row_label, row_cells))
    shown = [i for i in range(len(columns)) if any(_recorded(view, r.cells[i]) for r in built)]
    if not built:
        shown = [i for i, c in enumerate(columns) if c.visible_when is None]
    rows_shown = tuple(TableRow(r.key, r.label, tuple(r.cells[i] for i in shown)) for r in built)
    columns_shown = tuple(columns[i] for i in shown)
    return Table(item, columns_shown, rows_shown, omitted, _weights(view, columns_shown, rows_shown))


def _recorded(view: DocumentView, cell: tuple[Item, str] | None) -> bool:
    return cell is not None and not _blank(view.value(cell[1]))


def _weights(view: DocumentView, columns: tuple[Item, ...], rows: tuple[TableRow, ...]) -> tuple[float, ...]:
    """Room per column: its longest word (never broken) plus a share of its average text,
    over the header and every cell in every language."""
    weights = []
    for i, column in enumerate(columns):
        texts = [view.label(column.label, loc).text for loc in view.locales]
        longest = 3
        for row in rows:
            cell = row.cells[i]
            if cell is not None:
                for _, a in view.cell(*cell):
                    texts.append(a.text)
                    longest = max(longest, len(a.text) if a.nowrap else 0)
        longest = max([longest, *(len(word) for t in texts for word in t.split())])
        average = sum(len(t) for t in texts) / max(len(texts), 1)
        weights.append(max(longest, 4) + 0.3 * average)
    return tuple(weights)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
