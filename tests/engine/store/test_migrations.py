"""Migrations: fresh upgrade, the start-up check, models == migrations, append-only triggers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.store import Database, NotMigratedError, check_migrated
from engine.store.migrate import current_revision, downgrade, head_revision, upgrade
from engine.store.models import APPEND_ONLY_TABLES, Base
from engine.store.records import Actor, DefinitionRecord, PatientRecord
from engine.store.store import Store


@pytest.fixture
def empty_db(empty_url: str) -> Iterator[Database]:
    database = Database.from_url(empty_url)
    yield database
    database.dispose()


def test_unmigrated_database_is_refused_with_a_clear_message(empty_db: Database) -> None:
    with pytest.raises(NotMigratedError) as caught:
        check_migrated(empty_db)
    message = str(caught.value)
    assert f"is not migrated (at revision none (empty database), need {head_revision()})" in message
    assert "run `cliniform db upgrade`" in message


def test_upgrade_from_empty_reaches_head_and_is_idempotent(empty_db: Database) -> None:
    assert upgrade(empty_db) == (None, head_revision())
    check_migrated(empty_db)
    assert upgrade(empty_db) == (head_revision(), head_revision())


def test_downgrade_to_base_and_back(empty_db: Database) -> None:
    upgrade(empty_db)
    downgrade(empty_db, "base")
    assert current_revision(empty_db) is None
    upgrade(empty_db)
    check_migrated(empty_db)


def test_models_match_the_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_append_only_tables_reject_update_and_delete(
    db: Database, store: Store, actor: Actor, patient: PatientRecord, form: DefinitionRecord,
    table: str,
) -> None:
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"a": 1})
    store.alerts.log(actor, rule_id="core.bp", rule_version="1", severity="warning",
                     summary="BP high", action="shown", patient_id=patient.id, document_id=doc.id)
    store.consents.record(actor, patient_id=patient.id, event="given", text_version="1",
                          language="ar", text_sha256="0" * 64, method="tablet", signers=[])
    key = "seq" if table == "audit_events" else "id"
    with db.engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0
    for statement in (f"UPDATE {table} SET {key} = {key}", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def test_store_open_checks_the_migration(empty_url: str) -> None:
    from engine.store import StoreSettings

    with pytest.raises(NotMigratedError, match="run `cliniform db upgrade`"):
        Store.open(StoreSettings(empty_url))
    unchecked = Store.open(StoreSettings(empty_url), check=False)
    upgrade(unchecked.db)
    unchecked.db.dispose()
    opened = Store.open(StoreSettings(empty_url))
    opened.check_migrated()
    opened.db.dispose()
