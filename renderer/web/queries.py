"""An encounter for a page, or None when it is not found here (the lists of the dashboard
are the store's worklists: `store.worklists`)."""

from __future__ import annotations

from engine.store import Actor, NotFoundError, Store
from engine.store.records import EncounterRecord


def encounter(store: Store, actor: Actor, encounter_id: int) -> EncounterRecord | None:
    """The encounter, through the store (tenant and patient scope checked; a refused
    attempt on another clinic's encounter is audited); None when not found here."""
    try:
        return store.encounters.get(actor, encounter_id)
    except NotFoundError:
        return None
