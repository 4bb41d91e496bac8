"""The audit trail: hash chain, append-only triggers, and tamper detection by
`cliniform audit verify` on both backends."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, insert, select, text

from engine.cli import main
from engine.store import Actor, Database, Store
from engine.store.audit import GENESIS_HASH, chain_hash, event_payload, verify
from engine.store.models import AuditEvent
from engine.store.records import PatientRecord

EVENTS = 8


@pytest.fixture
def chain(store: Store, actor: Actor, patient: PatientRecord) -> Store:
    """A chain of EVENTS events: clinic, patient, then reads and exports."""
    store.patients.get(actor, patient.id)
    store.patients.search(actor, "ahmad")
    store.record(actor, "export", "chart", patient.id, patient_id=patient.id, format="fhir")
    store.record(actor, "print", "chart", patient.id, patient_id=patient.id)
    store.charts.timeline(actor, patient.id)
    store.patients.get(actor, patient.id)
    assert store.verify_audit().head_seq == EVENTS
    return store


@contextmanager
def triggers_bypassed(db: Database) -> Iterator[Connection]:
    """What an attacker with database access does: PostgreSQL replica mode skips user
    triggers; on SQLite the triggers are dropped and put back afterwards."""
    with db.engine.begin() as conn:
        if db.backend == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            return
        triggers = conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        )).all()
        assert len(triggers) == 2
        for name, _sql in triggers:
            conn.execute(text(f"DROP TRIGGER {name}"))
        yield conn
        for _name, sql in triggers:
            conn.execute(text(sql))


def cli_verify(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, object]]:
    status = main(["audit", "verify", "--database-url", url, "--json", *extra])
    return status, json.loads(capsys.readouterr().out)


def row(conn: Connection, seq: int) -> dict[str, object]:
    table = AuditEvent.__table__
    return dict(conn.execute(select(table).where(table.c.seq == seq)).mappings().one())


def test_an_intact_chain_verifies(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, result = cli_verify(database_url, capsys)
    assert (status, result["ok"], result["checked"], result["head_seq"]) == (0, True, EVENTS, EVENTS)


def test_events_record_who_what_where_and_link_up(chain: Store, actor: Actor, patient: PatientRecord) -> None:
    with chain.db.transaction() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert [e.seq for e in events] == list(range(1, EVENTS + 1))
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash == chain_hash(before.prev_hash, event_payload(before))
    export = events[4]
    assert (export.action, export.user_id, export.role, export.clinic_id, export.ip, export.patient_id,
            export.detail) == ("export", None, "clinician", actor.clinic_id, "10.0.0.7", patient.id,
                               {"format": "fhir"})


def test_modified_event_is_named(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text("UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 4"))
    status, result = cli_verify(database_url, capsys)
    assert (status, result["broken_seq"]) == (1, 4)
    assert "content does not match its hash" in str(result["problem"])


def test_deleted_event_is_named(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    status, result = cli_verify(database_url, capsys)
    assert (status, result["broken_seq"]) == (1, 5)
    assert "missing (deleted)" in str(result["problem"])


def test_inserted_event_is_named(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A forged event slipped in as seq 6: later events are renumbered to make room, and the
    forger even computes a valid hash for it. The chain breaks at the next event, seq 7."""
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 6"))
        conn.execute(text("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000"))
        forged = {**row(conn, 5), "seq": 6, "action": "read", "ip": "6.6.6.6"}
        forged["prev_hash"] = row(conn, 5)["hash"]
        forged["hash"] = chain_hash(str(forged["prev_hash"]), event_payload(_Obj(forged)))
        conn.execute(insert(AuditEvent), forged)
    status, result = cli_verify(database_url, capsys)
    assert (status, result["broken_seq"]) == (1, 7)
    assert "prev_hash does not match" in str(result["problem"])


def test_appended_forgery_is_named(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with triggers_bypassed(chain.db) as conn:
        last = row(conn, EVENTS)
        conn.execute(insert(AuditEvent), {**last, "seq": EVENTS + 1, "prev_hash": last["hash"],
                                          "hash": "f" * 64})
    status, result = cli_verify(database_url, capsys)
    assert (status, result["broken_seq"]) == (1, EVENTS + 1)


def test_reordered_events_are_named(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text("UPDATE audit_events SET seq = -3 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 4"))
        conn.execute(text("UPDATE audit_events SET seq = 4 WHERE seq = -3"))
    status, result = cli_verify(database_url, capsys)
    assert (status, result["broken_seq"]) == (1, 3)


def test_an_anchor_catches_a_truncated_tail(chain: Store, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = chain.verify_audit()
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text(f"DELETE FROM audit_events WHERE seq >= {EVENTS - 1}"))
    assert cli_verify(database_url, capsys)[0] == 0  # hashes alone cannot see a cut-off tail
    status, result = cli_verify(database_url, capsys, "--anchor", f"{head.head_seq}:{head.head_hash}")
    assert (status, result["broken_seq"]) == (1, EVENTS)
    assert main(["audit", "verify", "--database-url", database_url, "--anchor", "nonsense"]) == 2
    assert "expected SEQ:HASH" in capsys.readouterr().err


def test_verify_command_in_a_subprocess(chain: Store, database_url: str) -> None:
    """The real `cliniform audit verify` process: exit status and the message people read."""
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "engine.cli", "audit", "verify"],
                              env={"CLINIFORM_DATABASE_URL": database_url, "PATH": ""},
                              capture_output=True, text=True, timeout=60)

    ok = run()
    assert ok.returncode == 0 and f"audit chain OK: {EVENTS} events" in ok.stdout
    with triggers_bypassed(chain.db) as conn:
        conn.execute(text("UPDATE audit_events SET role = 'admin' WHERE seq = 2"))
    broken = run()
    assert broken.returncode == 1
    assert "audit chain BROKEN at seq 2: content does not match its hash" in broken.stderr


def test_verify_refuses_an_unmigrated_database(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["audit", "verify", "--database-url", f"sqlite:///{tmp_path / 'none.db'}"]) == 1
    assert "is not migrated" in capsys.readouterr().err


class _Obj:
    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["seq", "at", "clinic_id", "user_id", "role", "ip", "action",
                              "entity_type", "entity_id", "patient_id", "detail"]),
       value=st.one_of(st.integers(), st.text(max_size=8), st.none()))
def test_changing_any_hashed_field_changes_the_hash(field: str, value: object) -> None:
    from datetime import UTC, datetime

    base = {"seq": 7, "at": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "clinic_id": 1,
            "user_id": 2, "role": "clinician", "ip": "10.0.0.1", "action": "read",
            "entity_type": "chart", "entity_id": "9", "patient_id": 9, "detail": {"k": [1, "v"]}}
    changed = dict(base)
    changed[field] = datetime(2025, 1, 1, tzinfo=UTC) if field == "at" else value
    original = chain_hash(GENESIS_HASH, event_payload(_Obj(base)))
    if changed[field] != base[field]:
        assert chain_hash(GENESIS_HASH, event_payload(_Obj(changed))) != original


def test_verify_pages_through_long_chains(db: Database, store: Store, actor: Actor) -> None:
    from engine.store import audit
    from engine.store.columns import utcnow

    with db.transaction() as session:
        audit.append(session, actor, [audit.AuditEntry("read", "chart", str(i)) for i in range(4500)],
                     utcnow())
    result = verify(db.engine)
    assert (result.ok, result.checked) == (True, 4501)
