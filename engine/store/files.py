"""Content-addressed files: PDFs, signature images, attachments, stored once per clinic."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.errors import IntegrityViolation, NotFoundError
from engine.store.models import StoredFile
from engine.store.records import Actor, FileRecord
from engine.store.service import Service, Tx

MAX_SIZE = 50 * 1024 * 1024


def file_record(f: StoredFile) -> FileRecord:
    return FileRecord(f.sha256, f.size, f.media_type, f.created_at)


def store_blob(tx: Tx, data: bytes, media_type: str, patient_id: int | None) -> str:
    """Store ``data`` content-addressed inside the caller's transaction (a no-op for bytes
    already stored), audited; its SHA-256."""
    if len(data) > MAX_SIZE:
        raise ValueError(f"file is {len(data)} bytes; the limit is {MAX_SIZE}")
    digest = hashlib.sha256(data).hexdigest()
    dialect = postgresql if tx.session.get_bind().dialect.name == "postgresql" else sqlite
    tx.session.execute(
        dialect.insert(StoredFile)
        .values(clinic_id=tx.actor.clinic_id, sha256=digest, size=len(data), media_type=media_type, data=data,
                created_at=tx.now, created_by=tx.actor.user_id)
        .on_conflict_do_nothing(index_elements=["clinic_id", "sha256"])
    )
    tx.audit("create", "file", digest, patient_id=patient_id, media_type=media_type, size=len(data))
    return digest


class Files(Service):
    def put(self, actor: Actor, data: bytes, media_type: str, *, patient_id: int | None = None) -> FileRecord:
        """Store ``data`` and return its record; storing the same bytes again is a no-op."""
        with self._tx(actor) as tx:
            if patient_id is not None:
                tx.require_patient(patient_id)
            digest = store_blob(tx, data, media_type, patient_id)
            # what is on record (an earlier copy keeps its date), without reading the bytes back
            size, stored_type, created_at = tx.session.execute(
                select(StoredFile.size, StoredFile.media_type, StoredFile.created_at)
                .where(StoredFile.clinic_id == actor.clinic_id, StoredFile.sha256 == digest)).one()
            return FileRecord(digest, size, stored_type, created_at)

    def get(self, actor: Actor, sha256: str, *, patient_id: int | None = None) -> tuple[FileRecord, bytes]:
        """The file and its bytes; the content is checked against its hash on every read."""
        with self._tx(actor) as tx:
            row = tx.session.execute(self._query(actor, sha256)).scalar_one_or_none()
            if row is None:
                raise NotFoundError("file", sha256)
            if hashlib.sha256(row.data).hexdigest() != sha256:
                raise IntegrityViolation(f"file {sha256} is corrupt: its content no longer matches its hash")
            tx.audit("read", "file", sha256, patient_id=patient_id)
            return file_record(row), bytes(row.data)

    @staticmethod
    def _query(actor: Actor, sha256: str):  # type: ignore[no-untyped-def]
        return select(StoredFile).where(StoredFile.clinic_id == actor.clinic_id, StoredFile.sha256 == sha256)
