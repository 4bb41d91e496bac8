"""Published definition versions: every version kept with its exact source text and hash."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.store.errors import DuplicateError, IntegrityViolation, NotFoundError
from engine.store.models import DEFINITION_KINDS, DefinitionVersion
from engine.store.records import Actor, DefinitionRecord
from engine.store.service import Service


def definition_record(d: DefinitionVersion) -> DefinitionRecord:
    return DefinitionRecord(d.id, d.kind, d.def_id, d.version, d.content_hash, d.source_text,
                            d.status, d.published_at, d.published_by)


class Definitions(Service):
    def publish(
        self, actor: Actor, *, kind: str, def_id: str, version: str, source_text: str,
        content_hash: str,
    ) -> DefinitionRecord:
        """Publish a version in the actor's clinic.

        Publishing the same (kind, id, version) with the same hash again returns the stored
        version (idempotent); with different content it is refused: a published version is
        never changed, publish a new version number instead.
        """
        try:
            return self._publish(actor, kind, def_id, version, source_text, content_hash)
        except IntegrityError:
            # another process published the same version at the same moment: the retry
            # finds it and returns it (same content) or refuses (different content)
            return self._publish(actor, kind, def_id, version, source_text, content_hash)

    def _publish(
        self, actor: Actor, kind: str, def_id: str, version: str, source_text: str,
        content_hash: str,
    ) -> DefinitionRecord:
        if kind not in DEFINITION_KINDS:
            raise ValueError(f"unknown definition kind {kind!r}; one of {', '.join(DEFINITION_KINDS)}")
        actual = hashlib.sha256(source_text.encode("utf-8")).hexdigest()
        if actual != content_hash:
            raise IntegrityViolation(
                f"{kind} {def_id}@{version}: content hash {content_hash[:12]}... does not match "
                f"the source text (SHA-256 {actual[:12]}...); recompile the definition"
            )
        with self._tx(actor) as tx:
            existing = tx.session.scalars(select(DefinitionVersion).where(
                DefinitionVersion.clinic_id == actor.clinic_id, DefinitionVersion.kind == kind,
                DefinitionVersion.def_id == def_id, DefinitionVersion.version == version,
            ).with_for_update()).first()
            if existing is not None:
                if existing.content_hash != content_hash:
                    raise DuplicateError(
                        f"{kind} {def_id}@{version} is already published with different content "
                        f"(hash {existing.content_hash[:12]}...); give the changed definition a new version"
                    )
                return definition_record(existing)
            row = DefinitionVersion(
                clinic_id=actor.clinic_id, kind=kind, def_id=def_id, version=version,
                source_text=source_text, content_hash=content_hash, status="published",
                published_at=tx.now, published_by=actor.user_id,
            )
            tx.session.add(row)
            tx.session.flush()
            tx.audit("publish", "definition", row.id, kind=kind, def_id=def_id, version=version,
                     content_hash=content_hash)
            return definition_record(row)

    def get(self, actor: Actor, definition_version_id: int) -> DefinitionRecord:
        with self._tx(actor) as tx:
            return definition_record(tx.get(DefinitionVersion, definition_version_id, "definition version"))

    def find(self, actor: Actor, kind: str, def_id: str, version: str | None = None) -> DefinitionRecord:
        """A published version, or the most recently published one when ``version`` is None."""
        query = select(DefinitionVersion).where(
            DefinitionVersion.clinic_id == actor.clinic_id, DefinitionVersion.kind == kind,
            DefinitionVersion.def_id == def_id,
        )
        if version is not None:
            query = query.where(DefinitionVersion.version == version)
        query = query.order_by(DefinitionVersion.published_at.desc(), DefinitionVersion.id.desc())
        with self._tx(actor) as tx:
            row = tx.session.scalars(query.limit(1)).first()
            if row is None:
                raise NotFoundError(f"{kind}", f"{def_id}@{version or 'latest'}")
            return definition_record(row)

    def versions(self, actor: Actor, kind: str, def_id: str) -> list[DefinitionRecord]:
        """Every published version of one definition, oldest first."""
        with self._tx(actor) as tx:
            rows = tx.session.scalars(select(DefinitionVersion).where(
                DefinitionVersion.clinic_id == actor.clinic_id, DefinitionVersion.kind == kind,
                DefinitionVersion.def_id == def_id,
            ).order_by(DefinitionVersion.published_at, DefinitionVersion.id))
            return [definition_record(r) for r in rows]
