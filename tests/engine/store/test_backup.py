"""`cliniform backup` / `cliniform restore` (SQLite online backup API)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from engine.cli import main
from engine.store import Actor, Database, Store, upgrade


@pytest.fixture
def live(tmp_path: Path) -> tuple[str, Store, Actor]:
    url = f"sqlite:///{tmp_path / 'var' / 'cliniform.db'}"
    db = Database.from_url(url)
    upgrade(db)
    store = Store(db)
    clinic = store.accounts.create_clinic("north", "North")
    actor = Actor(None, "clinician", clinic.id)
    store.patients.create(actor, mrn="1", given_name="Ahmad", family_name="Saleh")
    return url, store, actor


def mrns(url: str) -> list[str]:
    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            return list(conn.execute(text("SELECT mrn FROM patients ORDER BY mrn")).scalars())
    finally:
        db.dispose()


def test_backup_then_restore_over_newer_data_with_force(
    live: tuple[str, Store, Actor], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, store, actor = live
    copy = tmp_path / "backups" / "monday.db"
    copy.parent.mkdir()
    assert main(["backup", str(copy), "--database-url", url]) == 0  # while the store is open
    assert "audit chain OK: 2 events" in capsys.readouterr().out
    store.patients.create(actor, mrn="2", given_name="Late", family_name="Entry")
    store.db.dispose()

    assert main(["backup", str(copy), "--database-url", url]) == 2
    assert "exists; choose another name or pass --force" in capsys.readouterr().err
    assert main(["restore", str(copy), "--database-url", url]) == 2
    assert "pass --force to restore over it" in capsys.readouterr().err
    assert mrns(url) == ["1", "2"]

    assert main(["restore", str(copy), "--force", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "kept the previous database as" in out and "restored" in out
    assert mrns(url) == ["1"]
    (safety,) = (tmp_path / "var").glob("cliniform.db.before-restore-*")
    assert mrns(f"sqlite:///{safety}") == ["1", "2"]  # nothing is lost by a restore


def test_restore_into_a_fresh_location(live: tuple[str, Store, Actor], tmp_path: Path) -> None:
    url, _store, _ = live
    copy = tmp_path / "b.db"
    assert main(["backup", str(copy), "--database-url", url]) == 0
    target = f"sqlite:///{tmp_path / 'new' / 'c.db'}"
    assert main(["restore", str(copy), "--database-url", target]) == 0
    assert mrns(target) == ["1"]


def test_restore_refuses_a_backup_with_a_broken_audit_chain(
    live: tuple[str, Store, Actor], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _store, _ = live
    copy = tmp_path / "b.db"
    main(["backup", str(copy), "--database-url", url])
    tampered = Database.from_url(f"sqlite:///{copy}")
    with tampered.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET role = 'admin' WHERE seq = 2"))
    tampered.dispose()
    capsys.readouterr()
    assert main(["restore", str(copy), "--force", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    assert "refusing to restore, audit chain BROKEN at seq 2" in capsys.readouterr().err


def test_restore_refuses_what_is_not_a_cliniform_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    target = f"sqlite:///{tmp_path / 't.db'}"
    assert main(["restore", str(junk), "--database-url", target]) == 2
    assert "not a SQLite database" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.db"), "--database-url", target]) == 2
    assert "no such file" in capsys.readouterr().err


def test_postgres_backup_points_to_pg_dump(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "x.dump", "--database-url", "postgresql://u@h/db"]) == 2
    assert "pg_dump -Fc" in capsys.readouterr().err
