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
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class RowInsert:
    """``INSERT INTO table (columns) VALUES (...) [RETURNING ...]`` in the dialect's
    positional style."""

    sql: str
    columns: tuple[str, ...]
    #: column name -> the bind processor of its type on this dialect (None: passed as is)
    processors: Mapping[str, Processor | None]

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as SQLAlchemy would bind it into ``column`` (None stays None)."""
        process = self.processors[column]
        return value if process is None or value is None else process(value)

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """``values`` (one per column) converted, in column order."""
        return tuple(self.convert(c, values[c]) for c in self.columns)

    def execute(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """One executemany of ``rows`` (tuples in column order, values already converted)."""
        if rows:
            connection.exec_driver_sql(self.sql, list(rows))

    def insert_one(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """Insert one row of ``values``; the value of the RETURNING column, if any."""
        result = connection.exec_driver_sql(self.sql, self.row(values))
        return result.scalar_one() if result.returns_rows else None


@lru_cache(maxsize=64)
def row_insert(model: type[DeclarativeBase], columns: tuple[str, ...], dialect: Dialect,
               returning: str | None = None) -> RowInsert:
    """The :class:`RowInsert` of ``columns`` of ``model``'s table on ``dialect`` (built once)."""
    table = cast(Table, model.__table__)
    placeholders = {"qmark": "?", "format": "%s", "pyformat": "%s"}
    if dialect.paramstyle not in placeholders:
        raise ValueError(f"no positional placeholder for paramstyle {dialect.paramstyle!r}")
    placeholder = placeholders[dialect.paramstyle]
    preparer = dialect.identifier_preparer
    sql = (f"INSERT INTO {preparer.format_table(table)} "
           f"({', '.join(preparer.quote(c) for c in columns)}) "
           f"VALUES ({', '.join(placeholder for _ in columns)})")
    if returning is not None:
        sql += f" RETURNING {preparer.quote(returning)}"
    processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
    return RowInsert(sql, columns, processors)


def insert_row(connection: Connection, model: type[DeclarativeBase], values: Mapping[str, Any],
               returning: str | None = None) -> Any:
    """Insert ``values`` into ``model``'s table as a :class:`RowInsert`; the RETURNING value, if asked."""
    return row_insert(model, tuple(values), connection.dialect, returning).insert_one(connection, values)
