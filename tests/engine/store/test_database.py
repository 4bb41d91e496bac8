"""Settings, engines and SQLite connection set-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.store.database import WAL_AUTOCHECKPOINT_PAGES, Database, normalise_url, sqlite_path
from engine.store.settings import DEFAULT_DATABASE_URL, StoreSettings, load_settings


def test_settings_default_to_a_sqlite_file_under_var() -> None:
    assert load_settings({}).database_url == DEFAULT_DATABASE_URL == "sqlite:///var/cliniform.db"
    assert sqlite_path(DEFAULT_DATABASE_URL) == Path("var/cliniform.db")


def test_settings_read_the_environment_mapping() -> None:
    settings = load_settings({"CLINIFORM_DATABASE_URL": "postgresql://u@h/db",
                              "CLINIFORM_SQLITE_BUSY_TIMEOUT_MS": "250"})
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.sqlite_busy_timeout_ms == 250


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert sqlite_path("postgresql://u@h/db") is None


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        Database.from_url("mysql://u@h/db")


def test_sqlite_connections_get_wal_foreign_keys_timeout_and_normal_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = Database.from_url(DEFAULT_DATABASE_URL)  # relative: created under ./var
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_AUTOCHECKPOINT_PAGES
        assert (tmp_path / "var" / "cliniform.db").is_file()
    finally:
        db.dispose()


def test_sqlite_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer cannot even start while the first is open."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = Database.from_url(url)
    impatient = Database.from_settings(StoreSettings(url, sqlite_busy_timeout_ms=50))
    try:
        with first.transaction() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(OperationalError, match="database is locked"), impatient.transaction() as other:
                other.execute(text("SELECT 1"))
    finally:
        first.dispose()
        impatient.dispose()


def test_a_reading_transaction_takes_no_lock_and_keeps_nothing(tmp_path: Path) -> None:
    """Database.reading: a deferred BEGIN, so it reads while a writer holds the lock (WAL),
    and whatever it wrote is rolled back."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    writer = Database.from_url(url)
    reader = Database.from_settings(StoreSettings(url, sqlite_busy_timeout_ms=50))
    try:
        with writer.transaction() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        with writer.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))  # the write lock is held from here
            with reader.reading() as other:
                assert other.execute(text("SELECT count(*) FROM t")).scalar() == 1  # the committed state
        with reader.reading() as other:
            assert other.execute(text("SELECT count(*) FROM t")).scalar() == 2
            other.execute(text("DELETE FROM t"))
        with reader.reading() as other:
            assert other.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        writer.dispose()
        reader.dispose()
