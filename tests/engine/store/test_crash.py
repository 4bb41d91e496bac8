"""Crash test: SIGKILL a process mid-stream of 500 saves; every acknowledged document must
be complete (document, observations, revision, audit event) and the chain must verify."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, text

from engine.store import Actor, Database, Store, upgrade
from engine.store.models import AuditEvent, Document, Observation, Revision

from .conftest import publish_form
from .crash_writer import answers

DOCUMENTS, OBSERVATIONS, KILL_AFTER = 500, 20, 120
ROOT = Path(__file__).resolve().parents[3]


def test_acknowledged_documents_survive_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = Database.from_url(url)
    upgrade(db)
    store = Store(db)
    actor = Actor(None, "clinician", store.accounts.create_clinic("north", "North").id)
    store.patients.create(actor, mrn="CRASH-1", given_name="Crash", family_name="Test")
    publish_form(store, actor)
    db.dispose()

    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.store.crash_writer", url, str(DOCUMENTS), str(OBSERVATIONS)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert writer.stdout is not None
    acknowledged: dict[int, int] = {}
    while len(acknowledged) < KILL_AFTER:
        line = writer.stdout.readline()
        assert line, f"writer ended early: {writer.stderr.read() if writer.stderr else ''}"
        doc_id, index = map(int, line.split())
        acknowledged[doc_id] = index
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    for line in writer.stdout:  # acknowledged between our last read and the kill
        doc_id, index = map(int, line.split())
        acknowledged[doc_id] = index

    db = Database.from_url(url)  # "restart": a new process opens the database
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        with db.transaction() as session:
            documents = {d.id: d for d in session.scalars(select(Document))}
            observations = dict(session.execute(
                select(Observation.document_id, func.count()).group_by(Observation.document_id)).all())
            revisions = dict(session.execute(
                select(Revision.document_id, func.count()).group_by(Revision.document_id)).all())
            audited = set(session.scalars(select(AuditEvent.entity_id).where(
                AuditEvent.action == "create", AuditEvent.entity_type == "document")))
        assert KILL_AFTER <= len(acknowledged) <= len(documents) < DOCUMENTS
        for doc_id, index in acknowledged.items():
            assert documents[doc_id].answers == answers(index, OBSERVATIONS)
        for doc_id in documents:  # acknowledged or not: all or nothing
            assert observations.get(doc_id) == OBSERVATIONS
            assert revisions.get(doc_id) == 1
            assert str(doc_id) in audited
        result = Store(db).verify_audit()
        assert result.ok, result.message()
    finally:
        db.dispose()
