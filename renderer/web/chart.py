"""What the patient chart shows, gathered from the store in one place.

Lists (problems, medications, allergies) come from the latest signed documents of the core
forms; vital signs are observation series by LOINC code, drawn as small inline SVG trends;
alerts are the rules that fire on opening the chart (`patient-view`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from engine.catalog import Catalog
from engine.chart_context import SOURCES, patient_fields, read_chart, rule_context
from engine.decisions import Card, event_cards
from engine.store import Actor, Store
from engine.store.records import ListEntry, SeriesPoint
from renderer.fields import label, unit_label

log = logging.getLogger("cliniform.web")

#: the lists the chart shows, in this order (read with the rules' chart context)
LISTS = ("problems", "medications", "allergies")
#: (LOINC code, item whose label names it)
VITALS = (("8480-6", "systolic"), ("8462-4", "diastolic"), ("8867-4", "heart_rate"),
          ("29463-7", "weight"), ("39156-5", "bmi"), ("8310-5", "temperature"))


@dataclass(frozen=True, slots=True)
class Trend:
    name: str
    latest: float
    unit: str
    at: Any
    points: str  # SVG polyline points, 100 x 24 box
    count: int


def _trend(name: str, series: list[SeriesPoint]) -> Trend | None:
    values = [(p.effective_at, p.value_num, p.unit) for p in series if p.value_num is not None][-12:]
    if not values:
        return None
    numbers = [v for _, v, _ in values]
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = 100 / max(len(numbers) - 1, 1)
    points = " ".join(f"{i * step:.1f},{22 - (v - low) / span * 20:.1f}" for i, v in enumerate(numbers))
    at, latest, unit = values[-1]
    return Trend(name, latest, unit_label(unit), at, points, len(numbers))


def _entry_text(catalog: Catalog, form_id: str, entry: ListEntry, locale: str) -> str:
    """A list row as one line: its coded or free-text answers, in the UI language."""
    form = catalog.form(form_id)
    row = entry.value if isinstance(entry.value, dict) else {"value": entry.value}
    parts: list[str] = []
    for key, value in row.items():
        if value in (None, "", [], {}) or key.endswith(("_note", "_date")):
            continue
        item = form.index.get(key) if form else None
        if item is not None and item.calculate is not None:  # a helper the form derives (is_active), not an answer
            continue
        if item is not None and item.options and isinstance(value, str):
            option = item.option(value)
            parts.append(label(option.display, locale).text if option else value)
        elif isinstance(value, dict) and "value" in value:
            parts.append(f"{value['value']:g} {unit_label(value.get('unit'))}".strip())
        elif isinstance(value, str | int | float):
            parts.append(str(value))
    return " · ".join(parts[:4])


def _log_shown(store: Store, actor: Actor, patient_id: int, cards: list[Card]) -> None:
    """Log each patient-view card in the alert log the first time it shows for its inputs
    (opening the chart again shows it again, logged once; changed inputs log it again)."""
    if not cards:
        return
    seen = {(a.rule_id, (a.detail or {}).get("inputs_hash")) for a in store.alerts.for_patient(actor, patient_id)
            if a.document_id is None and a.action == "shown"}
    for card in cards:
        if (card.rule_id, card.inputs_hash) not in seen:
            store.alerts.log(actor, rule_id=card.rule_id, rule_version=card.rule_version, severity=card.severity,
                             summary=card.summary, action="shown", patient_id=patient_id,
                             detail={"inputs_hash": card.inputs_hash, "hook": "patient-view"})


def chart_data(store: Store, catalog: Catalog, actor: Actor, patient_id: int, locale: str,
               clinical: bool = True) -> dict[str, Any]:
    """Everything chart.html shows (each read audited by the store). Without ``clinical``
    (reception), only who the patient is and their visits: no lists, trends, alerts or
    documents are read."""
    patient = store.patients.get(actor, patient_id)
    timeline = store.charts.timeline(actor, patient_id, limit=100)
    if not clinical:
        return {"patient": patient, "timeline": [e for e in timeline if e.kind == "encounter"], "lists": {},
                "trends": [], "titles": {}, "cards": [], "forms": []}
    records = read_chart(store, actor, patient_id, patient_fields(patient))
    list_forms = {source.name: source.form_id for source in SOURCES}
    lists = {name: [t for e in records.lists.get(name, ()) if (t := _entry_text(catalog, list_forms[name], e, locale))]
             for name in LISTS}
    vitals_form = catalog.form("core.vitals")
    trends = []
    for code, item_id in VITALS:
        series = store.charts.series(actor, patient_id, code=code)
        item = vitals_form.index.get(item_id) if vitals_form else None
        name = label(item.label, locale).text if item else code
        trend = _trend(name, series)
        if trend is not None:
            trends.append(trend)
    latest = catalog.latest_forms()
    titles = {f.id: label(f.title, locale).text for f in latest}
    cards = []
    try:
        cards = event_cards(catalog, "patient-view", rule_context(records, catalog, locale), locale)
        _log_shown(store, actor, patient_id, cards)
    except Exception:  # decision support must never keep a chart from opening
        log.exception("patient-view rules failed for patient %s", patient_id)
    forms = [(f.id, titles[f.id]) for f in latest if f.id != "core.registration"]
    return {"patient": patient, "timeline": timeline, "lists": lists, "trends": trends, "titles": titles,
            "cards": cards, "forms": forms}
