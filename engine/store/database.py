"""Engines and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite connections get WAL, foreign keys, a busy timeout and ``synchronous=NORMAL`` on
connect, and a WAL checkpoint every :data:`WAL_AUTOCHECKPOINT_PAGES` pages rather than
SQLite's 1,000: a saved document dirties one index page per answer, ~150 pages in all, so
the default checkpointed every few saves, writing the same hot index pages to the database
file (and syncing it) again and again; checkpoints are what a save's p95 was made of.
Durability is the same (a checkpoint only moves committed pages from the WAL into the
database file). Every transaction starts with ``BEGIN IMMEDIATE``: the store writes an audit
event in (almost) every transaction, so taking the write lock up front avoids the
deadlock-prone read-then-upgrade of SQLite's deferred transactions, and makes the audit
chain append serialised by construction. A transaction that only reads
(:meth:`Database.reading`) starts with a deferred ``BEGIN`` instead: in WAL mode it takes
no lock and never waits for a writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.store.settings import StoreSettings


def normalise_url(url: str | URL) -> URL:
    """Pick psycopg 3 for ``postgresql://`` URLs; leave everything else as given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL (None for in-memory databases and other backends)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_store_engine(settings: StoreSettings) -> Engine:
    """A configured engine for ``settings.database_url`` (creates ``var/`` for SQLite files)."""
    url = normalise_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        timeout_s = settings.sqlite_busy_timeout_ms / 1000
        engine = create_engine(url, echo=settings.echo_sql, connect_args={"timeout": timeout_s})
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms, wal=path is not None)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(
            url, echo=settings.echo_sql, pool_pre_ping=True, pool_size=settings.pool_size
        )
    raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take over transaction control from the sqlite3 module (see module docstring)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        # a WAL that a long reader let grow is cut back to twice its usual size after a checkpoint
        cursor.execute(f"PRAGMA journal_size_limit={2 * WAL_AUTOCHECKPOINT_PAGES * 4096}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


#: pages in the WAL (4 KiB each: ~40 MiB) after which a commit checkpoints them into the database file
WAL_AUTOCHECKPOINT_PAGES = 10_000

#: the execution option that marks a read-only transaction (a deferred BEGIN on SQLite)
READ_ONLY = "cliniform_read_only"


class Database:
    """One engine plus its session factory; the object the store and the CLI share."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        #: the engine for transactions that only read (a deferred BEGIN on SQLite)
        self.read_engine = engine.execution_options(**{READ_ONLY: True})
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> Database:
        return cls(create_store_engine(settings))

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls.from_settings(StoreSettings(database_url=url))

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads: no write lock on SQLite (see the module docstring).
        Nothing it changes is kept: it is rolled back at the end."""
        with self._read_sessions() as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
