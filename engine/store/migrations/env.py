"""Alembic environment: runs on the connection that ``engine.store.migrate`` passes in.

Run through `cliniform db upgrade`; the plain ``alembic`` tool is not needed. When this file
is used without a connection (``alembic -x ...`` by hand), it connects to
``CLINIFORM_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from engine.store.database import create_store_engine
from engine.store.models import Base
from engine.store.settings import load_settings


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = create_store_engine(load_settings())
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        engine.dispose()


main()
