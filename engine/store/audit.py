"""The audit trail: an append-only, hash-chained log of who did what to which record.

Each event stores its sequence number ``seq`` (1, 2, 3, ...), the hash of the event before
it, and ``hash = SHA-256(prev_hash + canonical JSON of the event)``, where the canonical
JSON covers every column except the two hashes (keys sorted, no spaces, UTF-8, timestamps as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``). Changing, removing, inserting or reordering any event
breaks the chain at that event, and :func:`verify` names its ``seq``.

Appends are serialised so that two transactions never take the same ``seq``: on
PostgreSQL with a transaction-scoped advisory lock, on SQLite by the write lock that every
store transaction takes (``BEGIN IMMEDIATE``). The append is the last statement of a
transaction, so the serialised window is short and lock order is always the same. Database
triggers reject UPDATE and DELETE of audit rows on both backends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from engine.store.inserts import row_insert
from engine.store.models import AuditEvent
from engine.store.records import Actor

GENESIS_HASH = "0" * 64
#: key of the PostgreSQL advisory lock that serialises appends ("CLINAUDT")
ADVISORY_LOCK_KEY = 0x434C494E41554454

#: the newest event: its seq and hash
_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"

ACTIONS = frozenset({
    "create", "read", "update", "sign", "amend", "conflict", "export", "print", "publish",
    "search", "login", "login_failed", "grant", "revoke", "alert", "consent",
    "logout", "download",
    # access control: refused access, account lockout, emergency access, account state
    "denied", "lockout", "break_glass", "disable", "enable",
})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An event waiting to be appended (the chain fields are filled in at append time)."""

    action: str
    entity_type: str
    entity_id: str | None = None
    patient_id: int | None = None
    detail: dict[str, Any] | None = None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_payload(row: Any) -> dict[str, Any]:
    """The hashed content of an audit row (anything with the AuditEvent attributes)."""
    return {
        "seq": row.seq, "at": format_time(row.at), "clinic_id": row.clinic_id,
        "user_id": row.user_id, "role": row.role, "ip": row.ip, "action": row.action,
        "entity_type": row.entity_type, "entity_id": row.entity_id,
        "patient_id": row.patient_id, "detail": row.detail,
    }


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def append(session: Session, actor: Actor, entries: Sequence[AuditEntry], at: datetime) -> list[int]:
    """Append ``entries`` to the chain inside the caller's transaction; returns their seqs.

    Call this as the last statement of the transaction: it takes the chain lock, which is
    held until commit.
    """
    if not entries:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    connection = session.connection()
    # plain SQL (the same on both backends): no statement to build or look up in a cache
    last = connection.exec_driver_sql(_HEAD).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS_HASH)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        if entry.action not in ACTIONS:
            raise ValueError(f"unknown audit action {entry.action!r}; one of {sorted(ACTIONS)}")
        seq += 1
        row = {
            "seq": seq, "at": at, "clinic_id": actor.clinic_id, "user_id": actor.user_id,
            "role": actor.role, "ip": actor.ip, "action": entry.action,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id,
            "patient_id": entry.patient_id,
            # through JSON once, so the hashed value is exactly what is read back
            "detail": None if entry.detail is None else json.loads(canonical_json(entry.detail)),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, event_payload(_Row(row)))
        rows.append(row)
    ins = row_insert(AuditEvent, tuple(rows[0]), connection.dialect)
    ins.execute(connection, [ins.row(r) for r in rows])
    return [r["seq"] for r in rows]


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    broken_seq: int | None = None
    problem: str | None = None

    def message(self) -> str:
        if self.ok:
            if self.head_seq is None:
                return "audit chain OK: no events yet"
            return f"audit chain OK: {self.checked} events, head seq {self.head_seq} hash {self.head_hash}"
        return f"audit chain BROKEN at seq {self.broken_seq}: {self.problem}"


def _rows(target: Engine | Connection, batch: int = 2000) -> Iterator[Any]:
    """All audit rows in seq order, fetched in keyset pages (bounded memory on any size)."""
    after = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        with Session(target) as session:
            page = list(session.scalars(query))
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def verify(target: Engine | Connection, anchors: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Walk the chain from seq 1 and report the first event that does not check out.

    ``anchors`` are (seq, hash) pairs recorded earlier outside the database (e.g. the head
    printed by a previous verify); they catch a rewrite of the whole tail of the chain,
    which hashes alone cannot.
    """
    expected_anchor = dict(anchors)
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    head_seq: int | None = None
    for row in _rows(target):
        broken = _check(row, expected_seq, prev, expected_anchor)
        if broken:
            return VerifyResult(False, checked, head_seq, prev if head_seq else None, *broken)
        prev, expected_seq, checked, head_seq = row.hash, row.seq + 1, checked + 1, row.seq
    head_hash = prev if head_seq else None
    missing = [s for s in expected_anchor if s >= expected_seq]
    if missing:
        problem = f"anchored event is missing (chain ends at seq {expected_seq - 1})"
        return VerifyResult(False, checked, head_seq, head_hash, min(missing), problem)
    return VerifyResult(True, checked, head_seq, head_hash)


def _check(row: Any, seq: int, prev: str, anchors: dict[int, str]) -> tuple[int, str] | None:
    if row.seq > seq:
        return seq, f"event is missing (deleted): the next event present is seq {row.seq}"
    if row.seq < seq:  # cannot happen with seq as primary key; kept for dumps and copies
        return row.seq, "sequence number repeats or goes backwards"
    if row.prev_hash != prev:
        return seq, "prev_hash does not match the previous event's hash (inserted, removed or reordered)"
    if chain_hash(prev, event_payload(row)) != row.hash:
        return seq, "content does not match its hash (modified, or moved from another position)"
    if seq in anchors and anchors[seq] != row.hash:
        return seq, "hash differs from the recorded anchor (the chain was rewritten from here or before)"
    return None
