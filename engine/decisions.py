"""Decision support at run time: rules -> CDS Hooks-shaped cards.

Rules run on the one evaluator's values: live while a form is filled (the rules that
apply to that form), when the chart opens (`patient-view`) and when a medication is being
ordered (`order-select`). The chart context has stable names, documented in
docs/definitions.md: `patient`, `allergies`, `medications`, `problems`, `observations`,
`order`, plus the answers of the form by item id (and as `answers`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.catalog import Catalog
from engine.evaluation import Evaluation, _patient
from engine.expressions import Record, RecordList
from engine.model import Form, Item, Rule
from engine.rules import fires, render_summary
from engine.valuesets import Classifier

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
#: the code system of a rule's override reasons (their codes are the rule's own)
OVERRIDE_REASONS = "https://cliniform.dev/override-reason"


@dataclass(frozen=True, slots=True)
class ChartContext:
    """What the chart knows about the patient, as plain data (from the store or FHIR)."""

    patient: Mapping[str, Any] = field(default_factory=dict)
    allergies: Sequence[Mapping[str, Any]] = ()
    medications: Sequence[Mapping[str, Any]] = ()
    problems: Sequence[Mapping[str, Any]] = ()
    #: latest observations: {system, code, value, unit, date}
    observations: Sequence[Mapping[str, Any]] = ()
    #: medications being ordered (order-select)
    order: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class Card:
    """A CDS Hooks card, rendered in one language."""

    uuid: str
    rule_id: str
    rule_version: str
    severity: str
    summary: str
    detail: str
    source_label: str
    source_url: str
    suggestions: tuple[str, ...]
    override_reasons: tuple[tuple[str, str], ...]
    #: SHA-256 of the values the rule read: an acknowledged card stays quiet until it changes
    inputs_hash: str

    def as_cds_hooks(self) -> dict[str, Any]:
        """The card as CDS Hooks 2.0 sends it. Suggestions are alternatives with a label and
        no actions (the clinician acts on them in the ordering system), so the card says
        ``selectionBehavior: at-most-one`` (required with suggestions; the value CDS Hooks
        1.0 clients understand too). Override reasons are Codings with a display."""
        card: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": self.summary,
            "indicator": self.severity,
            "source": {"label": self.source_label or self.rule_id, **({"url": self.source_url} if self.source_url else {})},
        }
        if self.detail:
            card["detail"] = self.detail
        if self.suggestions:
            card["suggestions"] = [{"label": s, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.uuid}/{i}"))} for i, s in enumerate(self.suggestions)]
            card["selectionBehavior"] = "at-most-one"
        if self.override_reasons:
            card["overrideReasons"] = [{"code": c, "system": OVERRIDE_REASONS, "display": d} for c, d in self.override_reasons]
        return card


def _records(rows: Iterable[Mapping[str, Any]]) -> RecordList:
    return RecordList([Record(dict(r)) for r in rows])


def chart_env(chart: ChartContext, classifier: Classifier | None = None) -> dict[str, Any]:
    """The chart's names for rules; coded records get `classes` from the value sets."""

    def classified(rows: Sequence[Mapping[str, Any]]) -> RecordList:
        return _records(classifier.annotate(r) for r in rows) if classifier else _records(rows)

    lists = {
        "allergies": classified(chart.allergies),
        "medications": classified(chart.medications),
        "problems": classified(chart.problems),
        "observations": _records(chart.observations),
        "order": classified(chart.order),
    }
    # `chart.x` stays unambiguous when a form has an item with the same id as a list
    return {"patient": Record(_patient(chart.patient)), "encounter": Record({}), **lists, "chart": Record(lists)}


def form_env(evaluation: Evaluation, chart: ChartContext, classifier: Classifier | None = None) -> dict[str, Any]:
    env = chart_env(chart, classifier)
    answers = {k: v for k, v in evaluation._env.items() if k in evaluation.form.index}
    if classifier is not None:
        for item in evaluation.form.index.values():
            if item.type == "repeating_group" and isinstance(answers.get(item.id), RecordList):
                answers[item.id] = RecordList([_classify_row(item, row, classifier) for row in answers[item.id]])
    env.update(answers)
    env["answers"] = Record(answers)
    own = evaluation._env.get("patient")
    if isinstance(own, Record):
        # the form's own patient fields win; the chart adds what the form does not know (pregnancy)
        known = {k: v for k, v in own.as_dict().items() if v is not None}
        env["patient"] = Record({**env["patient"].as_dict(), **known})
    return env


def _classify_row(group: Item, row: Record, classifier: Classifier) -> Record:
    """A repeating-group row with `classes` from its coded choice cells (e.g. the drug)."""
    fields = row.as_dict()
    classes: set[str] = set(fields.get("classes") or [])
    for cell in group.children:
        value = fields.get(cell.id)
        if cell.options and isinstance(value, str):
            option = cell.option(value)
            classes |= set(classifier.classes(option.system if option else None, value))
    fields["classes"] = sorted(classes)
    return Record(fields)


def _fingerprint(value: Any) -> Any:
    # a record's `display` is its code in the reader's language: the same inputs in Arabic
    # and in English must hash alike (an acknowledged card stays quiet in both)
    if isinstance(value, Record):
        return {k: _fingerprint(v) for k, v in value.as_dict().items() if k != "display"}
    if isinstance(value, RecordList | list | tuple):
        return [_fingerprint(v) for v in value]
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)


def _encoded(value: Any) -> str:
    """The value's fingerprint as JSON; a list of records once per list (the chart's lists
    and a form's rows are read by many rules of one run)."""
    if type(value) is RecordList:
        return value._derive(_encode)
    return _encode(value)


def _encode(value: Any) -> str:
    return json.dumps(_fingerprint(value), sort_keys=True, default=str)


def inputs_hash(rule: Rule, env: Mapping[str, Any]) -> str:
    """SHA-256 of the rule's id and version and of the values of every name its `when` and
    summary read: the JSON object of name -> fingerprint, keys sorted (`json.dumps(...,
    sort_keys=True)` of that object, assembled from each value's own encoding)."""
    names = sorted(rule.when.names | {n for e in rule.summary_parts.values() for n in e.names})
    payload = "{" + ", ".join(f"{json.dumps(n)}: {_encoded(env.get(n))}" for n in names) + "}"
    return hashlib.sha256(f"{rule.key.id}@{rule.key.version}\n{payload}".encode()).hexdigest()


def card_for(rule: Rule, env: Mapping[str, Any], locale: str, classifier: Classifier | None = None) -> Card | None:
    """The rule's card when it fires, else None. With ``classifier``, a class code in the
    summary reads as the class's name in ``locale``."""
    return _card(rule, env, locale, classifier) if fires(rule, env) else None


def _card(rule: Rule, env: Mapping[str, Any], locale: str, classifier: Classifier | None) -> Card:
    """The card of a rule that fires."""
    digest = inputs_hash(rule, env)
    return Card(
        uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"cliniform:{digest}")),
        rule_id=rule.key.id,
        rule_version=rule.key.version,
        severity=rule.severity,
        summary=render_summary(rule, env, locale, (lambda code: classifier.label(code, locale)) if classifier else None),
        detail=rule.detail.get(locale) if rule.detail.values else "",
        source_label=rule.source_label.get(locale) if rule.source_label.values else "",
        source_url=rule.source_url,
        suggestions=tuple(s.get(locale) for s in rule.suggestions),
        override_reasons=tuple((o.code, o.display.get(locale)) for o in rule.override_reasons),
        inputs_hash=digest,
    )


def run_rules(rules: Iterable[Rule], env: Mapping[str, Any], locale: str, classifier: Classifier | None = None) -> list[Card]:
    """Cards of every firing rule, most severe first."""
    cards = [_card(r, env, locale, classifier) for r in rules if fires(r, env)]
    return sorted(cards, key=lambda c: (SEVERITY_ORDER[c.severity], c.rule_id))


def rules_for_form(catalog: Catalog, form_id: str) -> list[Rule]:
    return [r for r in _latest_rules(catalog) if form_id in r.forms]


def rules_for_event(catalog: Catalog, event: str) -> list[Rule]:
    return [r for r in _latest_rules(catalog) if event in r.events]


def _latest_rules(catalog: Catalog) -> list[Rule]:
    return [r for r in catalog.latest("rule") if isinstance(r, Rule)]


def form_cards(catalog: Catalog, evaluation: Evaluation, chart: ChartContext, locale: str = "en") -> list[Card]:
    """Cards for a form being filled: the rules that apply to it, on its current answers."""
    classifier = catalog.classifier()
    return run_rules(rules_for_form(catalog, evaluation.form.id), form_env(evaluation, chart, classifier), locale, classifier)


def event_cards(catalog: Catalog, event: str, chart: ChartContext, locale: str = "en") -> list[Card]:
    """Cards for a chart event: patient-view or order-select."""
    classifier = catalog.classifier()
    return run_rules(rules_for_event(catalog, event), chart_env(chart, classifier), locale, classifier)


def affected_rules(rules: Iterable[Rule], changed: Iterable[str], dependents: Mapping[str, frozenset[str]]) -> list[Rule]:
    """The rules to re-run after ``changed`` items changed (directly or through calculations)."""
    touched = set(changed)
    for item_id in list(touched):
        touched |= dependents.get(item_id, frozenset())
    if touched:
        touched.add("answers")  # a rule reading `answers.x` may read any of them
    return [r for r in rules if r.when.names & touched or any(e.names & touched for e in r.summary_parts.values())]


def form_affected_rules(rules: Iterable[Rule], form: Form, changed: Iterable[str]) -> list[Rule]:
    """The rules to re-run after items of ``form`` changed (directly or through the items
    that depend on them): a cell inside a repeating group or grid row changes the whole
    group, which is the name a rule reads."""
    return affected_rules(rules, touched_items(form, changed), form.dependents)


def touched_items(form: Form, changed: Iterable[str]) -> set[str]:
    """``changed`` with the items that depend on them and every group they sit in."""
    touched = set(changed)
    for item_id in list(touched):
        touched |= form.dependents.get(item_id, frozenset())
    for item_id in list(touched):
        item = form.index.get(item_id)
        while item is not None and item.parent is not None:
            touched.add(item.parent)
            item = form.index.get(item.parent)
    return touched
