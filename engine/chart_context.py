"""The chart as decision support reads it: the store's lists and observations -> ChartContext.

Two stages with plain data between them, so the mapping is testable without a database:

* :func:`read_chart` asks the store (each read audited): the patient, the latest signed
  allergy, medication and problem lists, conditions coded in ICD-10 by any other form (a
  prosthetic valve ticked in a cardiology history), the latest value of every coded
  observation, and the latest answer to the vitals' pregnancy question;
* :func:`rule_context` turns those rows into the records rules see: every list row becomes
  ``{system, code, display, status, ...}`` from its coded choice cell, inactive rows left out.

Both the chart (``patient-view``) and the forms (rules applying to a form) use
:func:`chart_context`, so a rule sees the same patient wherever it runs.

The medication form is Cliniform's order entry (:data:`ORDER_ENTRY`): while it is filled,
:func:`pending_orders` maps its rows that are not on the signed list yet to the same
records, which ``order-select`` rules read as ``order`` (as CDS Hooks' draft orders).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.catalog import Catalog
from engine.decisions import ChartContext, rules_for_event, touched_items
from engine.evaluation import Evaluation
from engine.model import Form, Item, Rule
from engine.store import Actor, ListSpec, PatientRecord, Store
from engine.store.records import ListEntry, SeriesPoint

ICD10 = "http://hl7.org/fhir/sid/icd-10"
#: the problem-list code that says the patient is pregnant (ICD-10 Z33)
PREGNANCY = (ICD10, "Z33")


@dataclass(frozen=True, slots=True)
class ListSource:
    """Where a chart list lives: a repeating group of a core form, one row per entry."""

    name: str
    form_id: str
    group: str
    #: the coded choice cell that names the entry (substance, drug, problem)
    code: str
    #: the free-text cell used when the code is ``other``
    other: str
    #: the status cell, and the statuses that leave the row out
    status: str
    inactive: tuple[str, ...]
    #: cells copied into the record as they are (dates, severity, dose)
    extra: tuple[str, ...] = ()

    @property
    def spec(self) -> ListSpec:
        return ListSpec(self.name, (self.form_id,), self.group)


SOURCES = (
    ListSource("allergies", "core.allergies", "allergies", "substance", "substance_other", "allergy_status", ("inactive",),
               ("allergy_type", "severity", "reaction", "reaction_date")),
    ListSource("medications", "core.medications", "medications", "drug", "drug_other", "medication_status", ("stopped",),
               ("dose", "route", "frequency", "start_date")),
    ListSource("problems", "core.problems", "problems", "problem", "problem_other", "problem_status", ("resolved",),
               ("onset_date",)),
)
#: the order entry: rows of the medication form not on the signed list yet are being ordered
ORDER_ENTRY = next(source for source in SOURCES if source.name == "medications")
ORDER_SELECT = "order-select"
#: the vitals answer that says whether the patient is pregnant now, and how long it holds
PREGNANT_ITEM = ("core.vitals", "pregnant")
PREGNANCY_DAYS = 280


@dataclass(frozen=True, slots=True)
class ChartRecords:
    """What the store holds for the rules, as read (before mapping)."""

    patient: Mapping[str, Any]
    lists: Mapping[str, Sequence[ListEntry]] = field(default_factory=dict)
    #: ICD-10 coded answers of other forms (latest final document of each)
    conditions: Sequence[SeriesPoint] = ()
    #: the newest value of every coded observation
    observations: Sequence[SeriesPoint] = ()
    #: the latest answer to the vitals' pregnancy question (None: never asked) and when
    pregnant_answer: Any = None
    pregnant_at: dt.datetime | None = None


def patient_fields(patient: PatientRecord) -> dict[str, Any]:
    """The demographic fields rules read as `patient` (age is derived from the birth date)."""
    return {"sex": patient.sex, "birth_date": patient.birth_date}


def read_chart(store: Store, actor: Actor, patient_id: int, patient: Mapping[str, Any] | None = None) -> ChartRecords:
    """Everything :func:`rule_context` needs, read from the store (each read audited);
    ``patient``: the demographic fields when the caller has them already."""
    fields = dict(patient) if patient is not None else patient_fields(store.patients.get(actor, patient_id))
    lists = {source.name: store.charts.current_list(actor, patient_id, source.spec) for source in SOURCES}
    conditions = store.charts.coded_answers(actor, patient_id, ICD10, exclude_forms=tuple(s.form_id for s in SOURCES))
    observations = store.charts.latest_observations(actor, patient_id)
    form_id, item_id = PREGNANT_ITEM
    latest = store.charts.latest_answer(actor, patient_id, item_id, def_id=form_id)
    if latest is None:
        return ChartRecords(fields, lists, conditions, observations)
    return ChartRecords(fields, lists, conditions, observations, latest.value, latest.effective_at)


def rule_context(records: ChartRecords, catalog: Catalog, locale: str = "en", today: dt.date | None = None) -> ChartContext:
    """The chart's records as rules read them (see docs/decision-support.md)."""
    lists = {source.name: _list_records(source, records.lists.get(source.name, ()), catalog, locale) for source in SOURCES}
    problems = lists["problems"]
    seen = {(p["system"], p["code"]) for p in problems}
    for point in records.conditions:
        key = (point.code_system or "", point.coding_code or "")
        if key not in seen and point.coding_code:
            seen.add(key)
            problems.append({"system": key[0], "code": key[1], "display": point.coding_display or key[1],
                             "status": "active", "date": point.effective_at, "source": point.item_path})
    patient = dict(records.patient)
    answer = records.pregnant_answer
    if records.pregnant_at is not None and ((today or dt.date.today()) - records.pregnant_at.date()).days > PREGNANCY_DAYS:
        answer = None  # an answer from longer ago than a pregnancy lasts says nothing now
    patient["pregnant"] = _pregnant(problems, answer)
    return ChartContext(
        patient=patient, allergies=tuple(lists["allergies"]), medications=tuple(lists["medications"]),
        problems=tuple(problems), observations=tuple(_observation(p) for p in records.observations),
    )


def chart_context(store: Store, catalog: Catalog, actor: Actor, patient_id: int, locale: str = "en",
                  patient: Mapping[str, Any] | None = None) -> ChartContext:
    """The patient's chart for rules: :func:`read_chart` then :func:`rule_context`."""
    return rule_context(read_chart(store, actor, patient_id, patient), catalog, locale)


#: the names through which a rule reads the chart (a rule reading none of them runs on the form alone)
CHART_NAMES = frozenset({"allergies", "medications", "problems", "observations", "order", "chart", "patient"})


def reads_chart(rule: Rule) -> bool:
    """Whether the rule reads the chart (its condition or its summary)."""
    return bool(rule.when.names & CHART_NAMES or any(e.names & CHART_NAMES for e in rule.summary_parts.values()))


def _list_records(source: ListSource, entries: Sequence[ListEntry], catalog: Catalog, locale: str) -> list[dict[str, Any]]:
    form = catalog.form(source.form_id)
    cell = form.index.get(source.code) if form else None
    return [{**record, "date": entry.effective_at, "source": f"{entry.def_id}#{entry.document_id}"}
            for entry in entries if (record := _row_record(source, entry.value, cell, locale)) is not None]


def _row_record(source: ListSource, value: Any, cell: Item | None, locale: str) -> dict[str, Any] | None:
    """A list row as a record, or None when it names nothing or is inactive."""
    row = value if isinstance(value, dict) else {}
    code = row.get(source.code)
    status = row.get(source.status) or "active"
    if not isinstance(code, str) or not code or status in source.inactive:
        return None
    option = cell.option(code) if cell is not None else None
    display = option.display.get(locale) if option is not None else code
    if code == "other" and row.get(source.other):
        display = str(row[source.other])
    record: dict[str, Any] = {"system": option.system if option else "", "code": code, "display": display, "status": status}
    record.update({name: row.get(name) for name in source.extra})
    return record


def pending_orders(evaluation: Evaluation, chart: ChartContext, locale: str, source: str = "",
                   at: dt.datetime | None = None) -> tuple[dict[str, Any], ...]:
    """The medications being ordered on the order entry form: its active rows whose drug is
    not on the patient's signed list (``chart.medications``), a new drug or a row changed to
    another drug, as the chart's records with status ``draft`` (CDS Hooks' draft orders).
    A dose or route changed on a drug already listed is not a new order: it would share
    every class with itself. ``source``/``at``: the draft document and its date."""
    if evaluation.form.id != ORDER_ENTRY.form_id:
        return ()
    rows = evaluation.answers_json().get(ORDER_ENTRY.group)
    if not isinstance(rows, list):
        return ()
    cell = evaluation.form.index.get(ORDER_ENTRY.code)
    listed = {_drug(m) for m in chart.medications}
    found = []
    for row in rows:
        record = _row_record(ORDER_ENTRY, row, cell, locale)
        if record is not None and _drug(record) not in listed:
            found.append({**record, "status": "draft", "date": at, "source": source})
    return tuple(found)


def _drug(record: Mapping[str, Any]) -> tuple[str, str, str]:
    """What names a drug on the list: its code, or for "Other" the name written."""
    code = str(record.get("code") or "")
    name = str(record.get("display") or "").casefold() if code == "other" else ""
    return str(record.get("system") or ""), code, name


def order_select_rules(catalog: Catalog, form_id: str) -> list[Rule]:
    """The ``order-select`` rules that run on ``form_id`` as a chart event: on the order entry
    form, those not declared for the form itself (a rule declaring both the form and the
    event runs once, as the form's rule, on the form's rows)."""
    if form_id != ORDER_ENTRY.form_id:
        return []
    return [r for r in rules_for_event(catalog, ORDER_SELECT) if form_id not in r.forms]


def order_changed(form: Form, changed: Iterable[str]) -> bool:
    """Whether changing ``changed`` items can change the order: a cell or row of the order
    entry's group, or an item the group depends on (the "takes no medicines" box)."""
    return form.id == ORDER_ENTRY.form_id and ORDER_ENTRY.group in touched_items(form, changed)


def _pregnant(problems: Sequence[Mapping[str, Any]], answer: Any) -> bool | None:
    """Pregnant when an active problem says so (Z33) or the latest vitals answer does;
    False when the vitals answer says not; None when nothing is known."""
    if any((p.get("system") in ("", PREGNANCY[0])) and p.get("code") == PREGNANCY[1] for p in problems):
        return True
    if isinstance(answer, bool):
        return answer
    return None


def _observation(point: SeriesPoint) -> dict[str, Any]:
    if point.value_num is not None:
        value: Any = point.value_num
    elif point.coding_code is not None:
        value = point.coding_code
    elif point.value_date is not None:
        value = point.value_date
    else:
        value = point.value_text
    at = point.effective_at
    return {"system": point.code_system or "", "code": point.code or "", "value": value, "unit": point.unit,
            "date": at.date() if isinstance(at, dt.datetime) else at, "at": at, "display": point.coding_display}
