"""One-statement reads straight on the driver, for the reads every request makes.

Resuming the session and reading a document's workspace happen on every page and on every
live round-trip of a form. Through SQLAlchemy's Core execution each costs about 170 us here
(a connection checked out with its BEGIN, an execution context, a result object, the
connection's rollback on return), of which SQLite's own work is about 10 us. A
:class:`PreparedRead` is the same SELECT compiled once per dialect, run on a pooled
driver connection as a single statement (atomic on its own: no transaction is opened
around it on SQLite; on PostgreSQL the pool rolls back the implicit one on return), with
the bind and result processors of the statement's own column types, so the rows read are
exactly what SQLAlchemy would give (aware UTC datetimes included).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class PreparedRead:
    """A SELECT written out for one dialect, with its binds' and columns' processors."""

    sql: str
    #: bind name -> its value when the statement fixes it (None: given per call)
    fixed: Mapping[str, Any]
    #: bind names in placeholder order (positional dialects), else None (named)
    order: tuple[str, ...] | None
    binds: Mapping[str, Processor | None]
    results: tuple[Processor | None, ...]
    row_type: Any

    def all(self, engine: Engine, **params: Any) -> list[Any]:
        """Every row of the statement with ``params``, as named tuples."""
        values = {**self.fixed, **params}
        converted = {name: value if (process := self.binds[name]) is None or value is None else process(value)
                     for name, value in values.items()}
        arguments: Any = tuple(converted[n] for n in self.order) if self.order is not None else converted
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, arguments)
                fetched = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which resets it
        make, processors = self.row_type._make, self.results
        return [make([v if p is None or v is None else p(v) for p, v in zip(processors, row, strict=True)]) for row in fetched]


@lru_cache(maxsize=64)
def prepared(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> PreparedRead:
    """``statement`` compiled for ``dialect`` (once per statement and dialect)."""
    compiled = statement.compile(dialect=dialect)
    binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
    if any(bind.expanding for bind in compiled.binds.values()):
        raise ValueError("IN with a list of values is not supported by a prepared read")
    fixed = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
    columns = list(statement.selected_columns)
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    # the statement's own names for its columns (labels, e.g. `documents_id`, when it has them)
    row_type = namedtuple("Row", list(statement.selected_columns.keys()))  # type: ignore[misc]
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup is not None else None
    return PreparedRead(compiled.string, fixed, order, binds, results, row_type)


def read_all(engine: Engine, statement: Select[*tuple[Any, ...]], **params: Any) -> list[Any]:
    """The rows of ``statement`` with ``params`` (see :class:`PreparedRead`)."""
    return prepared(statement, engine.dialect).all(engine, **params)
