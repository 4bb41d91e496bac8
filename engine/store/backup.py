"""Backup and restore of a SQLite database with SQLite's online backup API.

A backup is a consistent copy taken while the app keeps running (readers and writers are not
stopped); it is written to a temporary file and renamed into place, so a failed backup never
leaves a half-written file under the requested name, and then checked (``integrity_check``
and the audit chain).

A restore first checks the backup the same way and refuses a damaged one. It will not
replace an existing database unless ``force`` is given, and even then it first saves the
current database next to it as ``<name>.before-restore-<UTC time>``: a restore loses nothing.
Stop the app before restoring. PostgreSQL uses pg_dump / pg_restore (docs/operations.md).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from engine.store.audit import VerifyResult, verify
from engine.store.errors import StoreError
from engine.store.migrate import head_revision, known_revisions


class BackupError(StoreError):
    """A backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size: int
    revision: str | None
    audit: VerifyResult


def _check(path: Path) -> BackupInfo:
    """Open ``path`` read-only and check that it is a sound Cliniform database."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise BackupError(f"{path}: SQLite integrity check failed: {result}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables or "audit_events" not in tables:
                raise BackupError(f"{path}: not a Cliniform database (no schema version or audit table)")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a SQLite database ({exc})") from exc
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        audit = verify(engine)
    finally:
        engine.dispose()
    return BackupInfo(path, path.stat().st_size, row[0] if row else None, audit)


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup(database: Path, destination: Path, *, force: bool = False) -> BackupInfo:
    """Copy the live database at ``database`` to ``destination`` and check the copy."""
    if not database.is_file():
        raise BackupError(f"{database}: no database to back up (run `cliniform db upgrade` first?)")
    if destination.exists() and not force:
        raise BackupError(f"{destination} exists; choose another name or pass --force to replace it")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(database, partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return _check(destination)


def restore(source: Path, database: Path, *, force: bool = False) -> tuple[BackupInfo, Path | None]:
    """Replace ``database`` with the backup ``source``; returns (backup info, safety copy).

    A backup made by an older version (an older schema revision) is restored as it is; run
    `cliniform db upgrade` afterwards.
    """
    info = _check(source)
    if not info.audit.ok:
        raise BackupError(f"{source}: refusing to restore, {info.audit.message()}")
    if info.revision not in known_revisions():
        raise BackupError(
            f"{source}: backup is at schema revision {info.revision}, which this version of "
            f"Cliniform does not know (newest known: {head_revision()}); restore it with the "
            "version that made it"
        )
    safety: Path | None = None
    if database.exists() and database.stat().st_size > 0:
        if not force:
            raise BackupError(
                f"{database} exists and would be replaced; pass --force to restore over it "
                "(the current database is kept as a .before-restore copy)"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = database.with_name(f"{database.name}.before-restore-{stamp}")
        _copy(database, safety)
    database.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(database)) as dst:
        src.backup(dst)
    return info, safety
