"""Schema migrations (Alembic, configured in code so they run from any directory).

The migration scripts ship inside the package (``engine/store/migrations``); no
``alembic.ini`` is needed. `cliniform db upgrade` calls :func:`upgrade`; the app calls
:func:`check_migrated` at start-up and refuses to run on an unmigrated database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from engine.store.database import Database
from engine.store.errors import NotMigratedError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def known_revisions() -> set[str]:
    """Every migration this code knows (a database at any of them can be upgraded)."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _engine(target: Engine | Database) -> Engine:
    return target.engine if isinstance(target, Database) else target


def current_revision(target: Engine | Database) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with _engine(target).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(target: Engine | Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``revision``; returns (revision before, revision after)."""
    engine = _engine(target)
    before = current_revision(engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    return before, current_revision(engine)


def downgrade(target: Engine | Database, revision: str) -> None:
    """Migrate down to ``revision`` (``"base"`` drops everything; for tests and rollbacks)."""
    with _engine(target).begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def check_migrated(target: Engine | Database) -> None:
    """Raise :class:`NotMigratedError` unless the database is at the newest migration."""
    engine = _engine(target)
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise NotMigratedError(engine.url.render_as_string(hide_password=True), current, head)
