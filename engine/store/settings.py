"""Store settings, read from the environment in one place (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/cliniform.db"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where the database is and how to talk to it.

    ``database_url`` is a SQLAlchemy URL. ``sqlite:///var/cliniform.db`` (the default) is a
    file relative to the current directory; ``postgresql://user@host/db`` selects psycopg 3.
    """

    database_url: str = DEFAULT_DATABASE_URL
    echo_sql: bool = False
    sqlite_busy_timeout_ms: int = 10_000
    pool_size: int = 5


def load_settings(environ: Mapping[str, str] | None = None) -> StoreSettings:
    """Read ``CLINIFORM_DATABASE_URL`` (and friends) from ``environ`` (default: os.environ)."""
    env = os.environ if environ is None else environ
    return StoreSettings(
        database_url=env.get("CLINIFORM_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        echo_sql=env.get("CLINIFORM_ECHO_SQL", "") in ("1", "true", "yes"),
        sqlite_busy_timeout_ms=int(env.get("CLINIFORM_SQLITE_BUSY_TIMEOUT_MS", "10000")),
        pool_size=int(env.get("CLINIFORM_DB_POOL_SIZE", "5")),
    )
