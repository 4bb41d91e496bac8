"""Inserts of many rows as one DBAPI ``executemany`` of plain tuples.

SQLAlchemy's executemany of a Core ``insert()`` builds a parameter dict per row and runs
every value through its column type's bind processor, row by row; for the 100 observation
rows of a document that bookkeeping costs more than SQLite's own work. A
:class:`RowInsert` is the same INSERT written out once per dialect, with the columns' own
bind processors at hand, so that the caller converts each value the way SQLAlchemy would
(a value shared by all rows once) and hands the driver a list of tuples. What is stored is
what a Core insert stores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class RowInsert:
    """``INSERT INTO table (columns) VALUES (...)`` in the dialect's positional style."""

    sql: str
    #: column name -> the bind processor of its type on this dialect (None: passed as is)
    processors: Mapping[str, Processor | None]

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as SQLAlchemy would bind it into ``column`` (None stays None)."""
        process = self.processors[column]
        return value if process is None or value is None else process(value)

    def execute(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """One executemany of ``rows`` (tuples in column order, values already converted)."""
        if rows:
            connection.exec_driver_sql(self.sql, list(rows))


@lru_cache(maxsize=64)
def row_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> RowInsert:
    """The :class:`RowInsert` of ``columns`` of ``table`` on ``dialect`` (built once)."""
    placeholders = {"qmark": "?", "format": "%s", "pyformat": "%s"}
    if dialect.paramstyle not in placeholders:
        raise ValueError(f"no positional placeholder for paramstyle {dialect.paramstyle!r}")
    placeholder = placeholders[dialect.paramstyle]
    preparer = dialect.identifier_preparer
    sql = (f"INSERT INTO {preparer.format_table(table)} "
           f"({', '.join(preparer.quote(c) for c in columns)}) "
           f"VALUES ({', '.join(placeholder for _ in columns)})")
    processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
    return RowInsert(sql, processors)
