"""A clinic's settings as the web pages need them, kept by each process for a short while.

Every Arabic page needs one of them: whether it shows Arabic-Indic digits (the clinic's
choice, engine.store.clinics, else the deployment's ``CLINIFORM_ARABIC_DIGITS``). Reading the
clinic row on every request would add a query to each (the session is read already), so
each process keeps what it read for ``clinic_cache_seconds`` (default 30 s; 0 reads every
time). Any number of processes may serve a clinic: the one that saves a change forgets its
copy at once, the others read the row again when theirs expires, so a change shows
everywhere within the TTL. English pages do not look at it at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar import Request

from engine.store import NotFoundError, Store
from engine.store.clinics import ClinicProfile
from renderer.web.services import blocking
from renderer.web.settings import WebSettings


class ClinicCache:
    """Clinic id -> its settings (or None: no such clinic), each kept for ``ttl`` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._kept: dict[int, tuple[float, ClinicProfile | None]] = {}
        #: clinic code -> id, for requests without a session (a code never changes)
        self._ids: dict[str, tuple[float, int | None]] = {}

    async def get(self, store: Store, clinic_id: int) -> ClinicProfile | None:
        now = self.clock()
        kept = self._kept.get(clinic_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        try:
            found: ClinicProfile | None = await blocking(store.clinics.get, clinic_id)
        except NotFoundError:
            found = None
        self._kept[clinic_id] = (now + self.ttl, found)
        return found

    async def clinic_id(self, store: Store, code: str) -> int | None:
        now = self.clock()
        kept = self._ids.get(code)
        if kept is not None and (kept[1] is not None or kept[0] > now):
            return kept[1]
        record = await blocking(store.accounts.clinic_by_code, code)
        self._ids[code] = (now + self.ttl, None if record is None else record.id)
        return None if record is None else record.id

    def forget(self, clinic_id: int) -> None:
        """Read the clinic again on its next use (after this process changed it)."""
        self._kept.pop(clinic_id, None)


async def request_clinic(request: Request[Any, Any, Any]) -> ClinicProfile | None:
    """The clinic of the signed-in person, else the one people sign in to here
    (``CLINIFORM_CLINIC``), from the process's cache."""
    state = request.app.state
    cache: ClinicCache = state.clinic_cache
    user = request.state.user if "user" in request.state else None
    clinic_id = user.clinic_id if user is not None else await cache.clinic_id(state.store, state.settings.clinic)
    return None if clinic_id is None else await cache.get(state.store, clinic_id)


async def arabic_digits(request: Request[Any, Any, Any]) -> bool:
    """Whether this request's Arabic page shows Arabic-Indic digits: the clinic's choice,
    else the deployment's default."""
    settings: WebSettings = request.app.state.settings
    clinic = await request_clinic(request)
    chosen = None if clinic is None else clinic.pdf.arabic_digits
    return settings.arabic_digits if chosen is None else chosen
