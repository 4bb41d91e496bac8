"""The audit report: who viewed or changed which patient and document, filterable by
person, patient, action and dates; CSV export; the hash chain's verification.

Dates are days of the server's local time zone; "to" includes the whole day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.response import Stream

from engine.store import Store
from engine.store.audit import ACTIONS
from engine.store.audit_report import PAGE, AuditFilter, AuditRow
from renderer.web.auth import actor
from renderer.web.downloads import content_disposition
from renderer.web.permissions import permission
from renderer.web.services import blocking
from renderer.web.views import page

OPT = permission("audit.report")
CSV_COLUMNS = ("seq", "time_utc", "user_id", "username", "name", "role", "ip", "action", "entity", "entity_id",
               "patient_id", "mrn", "patient", "emergency", "other_clinic", "detail")


def _day(value: str | None) -> dt.datetime | None:
    """Local midnight of an ISO date, aware (None when empty or not a date)."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time()).astimezone()


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


async def _filter(request: Request[Any, Any, Any]) -> tuple[AuditFilter, dict[str, str]]:
    """The filter from the query string, and the query as typed (to show it again)."""
    q = {k: request.query_params.get(k, "").strip() for k in ("user", "patient", "action", "from", "to", "emergency", "before")}
    patient_id = None
    if q["patient"]:
        store: Store = request.app.state.store
        patient_id = await blocking(store.audit_report.patient_by_mrn, actor(request), q["patient"])
        if patient_id is None:
            patient_id = _int(q["patient"]) or -1
    until = _day(q["to"])
    where = AuditFilter(
        user_id=_int(q["user"]), patient_id=patient_id, action=q["action"] if q["action"] in ACTIONS else None,
        since=_day(q["from"]), until=until + dt.timedelta(days=1) if until else None,
        emergency_only=bool(q["emergency"]), before=_int(q["before"]),
    )
    return where, q


@get("/audit", name="audit", opt=OPT)
async def report(request: Request[Any, Any, Any]) -> Response[Any]:
    store: Store = request.app.state.store
    where, q = await _filter(request)
    who = actor(request)
    rows = await blocking(store.audit_report.events, who, where, PAGE)
    members = await blocking(store.accounts.members, who)
    export = urlencode({k: v for k, v in q.items() if v and k != "before"})
    return page(request, "audit/report.html", rows=rows, q=q, members=members, actions=sorted(ACTIONS),
                more=len(rows) == PAGE, export_query=export, nav_section="audit")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_line(values: tuple[Any, ...]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue()


def _values(r: AuditRow) -> tuple[Any, ...]:
    return (r.seq, r.at.astimezone(dt.UTC).isoformat(timespec="seconds"), r.user_id, r.username, r.display_name,
            r.role, r.ip, r.action, r.entity_type, r.entity_id, r.patient_id, r.mrn, r.patient_name,
            "yes" if r.emergency else "", "yes" if r.foreign else "",
            json.dumps(r.detail, ensure_ascii=False, sort_keys=True) if r.detail else "")


@get("/audit.csv", name="audit-csv", opt=OPT)
async def export(request: Request[Any, Any, Any]) -> Stream:
    """The whole filtered trail as CSV (UTF-8 with BOM, for spreadsheets), streamed."""
    store: Store = request.app.state.store
    where, _ = await _filter(request)
    rows: Iterator[AuditRow] = store.audit_report.export(actor(request), AuditFilter(**{**_as_dict(where), "before": None}))

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + _csv_line(CSV_COLUMNS)
        while True:
            batch = await blocking(_take, rows, 500)
            for row in batch:
                yield _csv_line(_values(row))
            if len(batch) < 500:
                return

    name = f"audit-{dt.date.today().isoformat()}.csv"
    return Stream(lines(), media_type="text/csv; charset=utf-8",
                  headers={"Content-Disposition": content_disposition(name), "Cache-Control": "private, no-store"})


def _take(rows: Iterator[AuditRow], n: int) -> list[AuditRow]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == n:
            break
    return batch


def _as_dict(where: AuditFilter) -> dict[str, Any]:
    return {k: getattr(where, k) for k in AuditFilter.__dataclass_fields__}


@get("/audit/verify", name="audit-verify", opt=OPT)
async def verify(request: Request[Any, Any, Any]) -> Response[Any]:
    """Walk the whole hash chain (audited as a read); a fragment for htmx, else a page."""
    store: Store = request.app.state.store
    result = await blocking(store.verify_audit)
    await blocking(store.record, actor(request), "read", "audit_chain", None, ok=result.ok, checked=result.checked)
    template = "audit/_chain.html" if request.headers.get("hx-request") == "true" else "audit/chain.html"
    return page(request, template, result=result, nav_section="audit")


ROUTES = [report, export, verify]
