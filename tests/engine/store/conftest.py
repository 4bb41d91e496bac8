"""Fixtures for the store tests: every test that asks for ``db`` or ``store`` runs on both
backends, each time on a fresh database: on SQLite a copy of a migrated template file, on
PostgreSQL the session's migrated database, emptied first."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.store import Actor, Database, Store, upgrade
from engine.store.models import Base
from engine.store.records import ClinicRecord, DefinitionRecord, PatientRecord

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_names = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store-template") / "template.db"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """One migrated PostgreSQL database for the session, emptied before every test.

    Emptying (a DELETE per table with triggers off, sequences restarted) takes a few
    milliseconds where CREATE DATABASE from a template takes a few hundred.
    """
    db = Database.from_url(postgres_server.create_database(f"cliniform_test_{os.getpid()}"))
    upgrade(db)
    db.dispose()
    return db.engine.url.render_as_string(hide_password=False)


def empty_postgres(url: str) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    statements = ["SET LOCAL session_replication_role = replica"]
    statements += [f"DELETE FROM {t}" for t in tables]
    statements += [f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), 1, false)"
                   for t in tables if "id" in Base.metadata.tables[t].c]
    db = Database.from_url(url)
    try:
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on ``backend``."""
    if backend == "sqlite":
        path = tmp_path / "cliniform.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    yield url


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"e_{os.getpid()}_{next(_names)}"
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


@pytest.fixture
def store(db: Database) -> Store:
    return Store(db)


@pytest.fixture
def clinic(store: Store) -> ClinicRecord:
    return store.accounts.create_clinic("north", "North clinic", "عيادة الشمال")


@pytest.fixture
def actor(clinic: ClinicRecord) -> Actor:
    return Actor(user_id=None, role="clinician", clinic_id=clinic.id, ip="10.0.0.7")


@pytest.fixture
def patient(store: Store, actor: Actor) -> PatientRecord:
    return store.patients.create(actor, mrn="MRN-1", given_name="Ahmad", family_name="Saleh",
                                 given_name_ar="أحمد", family_name_ar="صالح", sex="male")


def publish_form(store: Store, actor: Actor, def_id: str = "core.vitals", version: str = "1.0.0",
                 body: str = "items: []\n") -> DefinitionRecord:
    source = f"schema: cliniform/form@1\nid: {def_id}\nversion: {version}\n{body}"
    return store.definitions.publish(actor, kind="form", def_id=def_id, version=version,
                                     source_text=source,
                                     content_hash=hashlib.sha256(source.encode()).hexdigest())


@pytest.fixture
def form(store: Store, actor: Actor) -> DefinitionRecord:
    return publish_form(store, actor)
