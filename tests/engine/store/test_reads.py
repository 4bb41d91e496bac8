"""Prepared reads on the driver give the rows SQLAlchemy's own execution gives."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.store import Actor, Store
from engine.store.access_models import UserSession
from engine.store.reads import read_all
from engine.store.records import PatientRecord
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


def test_a_live_round_trips_workspace_read_equals_the_audited_one(store: Store, actor: Actor, patient: PatientRecord) -> None:
    """The unlogged read (prepared, on the driver) and the audited one (in a transaction,
    through the session) give the same document, definition, patient and consent."""
    from dataclasses import replace

    from tests.engine.store.conftest import publish_form

    form = publish_form(store, actor)
    when = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    doc = store.documents.create(actor, patient_id=patient.id, definition_version_id=form.id,
                                 answers={"weight": 70.5, "note": "نص عربي", "rows": [{"a": 1}]}, effective_at=when)
    logged = store.documents.workspace(actor, doc.id)
    unlogged = store.documents.workspace(replace(actor, reads_logged=False), doc.id)
    assert unlogged == logged
    assert unlogged[0].document.answers == {"weight": 70.5, "note": "نص عربي", "rows": [{"a": 1}]}
    assert unlogged[0].document.effective_at == when and unlogged[0].document.effective_at.utcoffset() is not None
