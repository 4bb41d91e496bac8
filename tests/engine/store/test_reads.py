"""Prepared reads on the driver give the rows SQLAlchemy's own execution gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store import Actor, Store
from engine.store.access_models import UserSession
from engine.store.reads import read_all
from engine.store.sessions import _RESUME, token_hash
from tests.engine.store.test_access import PASSWORD


def test_the_session_read_equals_sqlalchemys_own(store: Store, actor: Actor) -> None:
    user = store.accounts.create_user(actor, "rana", PASSWORD, "Rana Reads", ("nurse", "reception"))
    token, _ = store.sessions.start(user.id, actor.clinic_id, idle_seconds=900, max_seconds=3600, ip="10.0.0.7")
    with store.db.engine.connect() as conn:
        expected = conn.execute(_RESUME, {"token": token_hash(token)}).all()
    rows = read_all(store.db.engine, _RESUME, token=token_hash(token))
    assert len(rows) == len(expected) == 2  # one row per role
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
    assert rows[0]._fields == tuple(expected[0]._fields)
    # aware UTC datetimes, as the column type gives them on both backends
    assert rows[0].expires_at.utcoffset() is not None and rows[0].expires_at == expected[0].expires_at
    assert read_all(store.db.engine, _RESUME, token="0" * 64) == []


def test_a_list_parameter_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="IN with a list"):
        read_all(store.db.engine, select(UserSession.id).where(UserSession.id.in_([1, 2])))
