"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: 64-bit ids on PostgreSQL; on SQLite an INTEGER PRIMARY KEY (the rowid) so it autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: JSON kept as text on both backends (PostgreSQL ``json``, not ``jsonb``): what was saved is
#: what is read back, number formatting and key order included.
JsonDoc = JSON(none_as_null=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None, name: str) -> datetime | None:
    """``value`` unchanged if it is None or timezone-aware; ValueError naming it otherwise."""
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} is a naive datetime ({value.isoformat()}); pass an aware one (UTC)")
    return value


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text. Naive datetimes are
    refused on the way in so that local times never slip into the record.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
