"""Store commands: `cliniform db upgrade|current`, `cliniform audit verify`,
`cliniform backup FILE`, `cliniform restore FILE`.

Exit status: 0 success, 1 a check failed (broken audit chain, unmigrated database),
2 refused or bad usage (the message says what to do).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from engine.store import audit, backup
from engine.store.database import Database, sqlite_path
from engine.store.errors import NotMigratedError
from engine.store.migrate import check_migrated, current_revision, head_revision, upgrade
from engine.store.settings import StoreSettings, load_settings

URL_HELP = "database URL (default: $CLINIFORM_DATABASE_URL, else sqlite:///var/cliniform.db)"
PG_DUMP_HINT = (
    "this is a PostgreSQL database: back it up with `pg_dump -Fc -f FILE DBNAME` and restore it "
    "with `pg_restore --clean --if-exists -d DBNAME FILE` (see docs/operations.md)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="database schema: upgrade, current",
                               description="Manage the database schema (Alembic migrations shipped with Cliniform).")
    db_sub = db.add_subparsers(dest="db_command", metavar="SUBCOMMAND", title="subcommands")
    up = db_sub.add_parser(
        "upgrade", help="create or migrate the database schema to the newest version",
        description="Create the database schema, or migrate it to the newest version this Cliniform "
        "knows. Safe to run on every deploy: an up-to-date database is left as it is. SQLite files "
        "(and their folder) are created as needed.")
    up.add_argument("--revision", default="head", help="target revision (default: head, the newest)")
    _url(up).set_defaults(handler=cmd_db_upgrade)
    cur = db_sub.add_parser(
        "current", help="show the schema revision and whether it is up to date",
        description="Show the database's schema revision and the newest known one. Exit status 0 "
        "when up to date, 1 when `cliniform db upgrade` is needed.")
    cur.add_argument("--json", action="store_true", help="print {url, current, head, up_to_date} as JSON")
    _url(cur).set_defaults(handler=cmd_db_current)
    db.set_defaults(handler=lambda _args: _usage(db))

    au = subparsers.add_parser("audit", help="audit trail: verify the hash chain",
                               description="Work with the tamper-evident audit trail.")
    au_sub = au.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", title="subcommands")
    ver = au_sub.add_parser(
        "verify", help="walk the audit hash chain and name the first broken sequence number",
        description="Recompute every audit event's hash from seq 1 and check the links between "
        "events. Reports the first broken sequence number (a modified, deleted, inserted or "
        "reordered event) and exits 1, or prints the chain head and exits 0. Record the head "
        "somewhere outside the database and pass it back later with --anchor to detect a "
        "rewrite of the whole tail of the chain.")
    ver.add_argument("--anchor", action="append", default=[], metavar="SEQ:HASH",
                     help="a head printed by an earlier verify; may be repeated")
    ver.add_argument("--json", action="store_true", help="print the result as JSON")
    _url(ver).set_defaults(handler=cmd_audit_verify)
    au.set_defaults(handler=lambda _args: _usage(au))

    bk = subparsers.add_parser(
        "backup", help="copy the SQLite database to FILE while the app runs",
        description="Copy the SQLite database to FILE with SQLite's online backup API (the app "
        "can keep running), then check the copy (integrity and audit chain). Refuses to replace "
        "an existing FILE without --force. For PostgreSQL use pg_dump (docs/operations.md).")
    bk.add_argument("file", metavar="FILE", type=Path, help="where to write the backup")
    bk.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _url(bk).set_defaults(handler=cmd_backup)
    rs = subparsers.add_parser(
        "restore", help="replace the SQLite database with the backup FILE",
        description="Check the backup FILE (integrity, audit chain, schema revision) and copy it "
        "over the database. Stop the app first. Refuses to replace an existing database without "
        "--force; with --force the current database is first kept as "
        "<name>.before-restore-<time>. For PostgreSQL use pg_restore (docs/operations.md).")
    rs.add_argument("file", metavar="FILE", type=Path, help="the backup to restore")
    rs.add_argument("--force", action="store_true", help="replace an existing database (a copy is kept)")
    _url(rs).set_defaults(handler=cmd_restore)


def _url(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--database-url", metavar="URL", help=URL_HELP)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _settings(args: argparse.Namespace) -> StoreSettings:
    settings = load_settings()
    if getattr(args, "database_url", None):
        settings = StoreSettings(args.database_url, settings.echo_sql,
                                 settings.sqlite_busy_timeout_ms, settings.pool_size)
    return settings


def _fail(message: str, status: int = 2) -> int:
    print(f"cliniform: {message}", file=sys.stderr)
    return status


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    db = Database.from_settings(_settings(args))
    try:
        before, after = upgrade(db, args.revision)
    except SQLAlchemyError as exc:
        return _fail(f"cannot migrate {db.display_url}: {exc.__class__.__name__}: {exc}", 1)
    finally:
        db.dispose()
    if before == after:
        print(f"{db.display_url}: already at revision {after}; nothing to do")
    else:
        print(f"{db.display_url}: migrated from {before or 'an empty database'} to revision {after}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    db = Database.from_settings(_settings(args))
    try:
        current, head = current_revision(db), head_revision()
    except SQLAlchemyError as exc:
        return _fail(f"cannot read {db.display_url}: {exc}", 1)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps({"url": db.display_url, "current": current, "head": head,
                          "up_to_date": current == head}))
    elif current == head:
        print(f"{db.display_url}: at revision {current} (up to date)")
    else:
        print(f"{db.display_url}: at revision {current or 'none (empty)'}, newest is {head}; "
              "run `cliniform db upgrade`")
    return 0 if current == head else 1


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"bad --anchor {text!r}: expected SEQ:HASH, e.g. 120:3fa9... (64 hex digits)")
    return int(seq), digest.lower()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    try:
        anchors = [_parse_anchor(a) for a in args.anchor]
    except ValueError as exc:
        return _fail(str(exc))
    db = Database.from_settings(_settings(args))
    try:
        check_migrated(db)
        result = audit.verify(db.engine, anchors)
    except NotMigratedError as exc:
        return _fail(str(exc), 1)
    finally:
        db.dispose()
    if args.json:
        out: dict[str, Any] = {"ok": result.ok, "checked": result.checked,
                               "head_seq": result.head_seq, "head_hash": result.head_hash,
                               "broken_seq": result.broken_seq, "problem": result.problem}
        print(json.dumps(out))
    else:
        print(result.message(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _sqlite_file(args: argparse.Namespace) -> Path | None:
    return sqlite_path(_settings(args).database_url)


def cmd_backup(args: argparse.Namespace) -> int:
    path = _sqlite_file(args)
    if path is None:
        return _fail(PG_DUMP_HINT)
    try:
        info = backup.backup(path, args.file, force=args.force)
    except backup.BackupError as exc:
        return _fail(str(exc))
    print(f"backed up {path} to {info.path} ({info.size} bytes, schema {info.revision}); "
          f"{info.audit.message()}")
    return 0 if info.audit.ok else 1


def cmd_restore(args: argparse.Namespace) -> int:
    path = _sqlite_file(args)
    if path is None:
        return _fail(PG_DUMP_HINT)
    try:
        info, safety = backup.restore(args.file, path, force=args.force)
    except backup.BackupError as exc:
        return _fail(str(exc))
    if safety is not None:
        print(f"kept the previous database as {safety}")
    print(f"restored {path} from {info.path} (schema {info.revision}); {info.audit.message()}")
    if info.revision != head_revision():
        print(f"the backup is at an older schema: run `cliniform db upgrade` (to {head_revision()})")
    return 0
