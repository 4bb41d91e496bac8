"""The alerts panel of a form: rule cards in severity order, acknowledgements, the alert log.

Every rule that applies to a form has a *slot* in the panel, in a fixed order (severity,
then rule id), so a live round-trip can re-run only the rules an answer affects and swap
only their slots: the other cards stay on the page as they are. A slot shows its rule's
card when the rule fires and the card was not acknowledged for this document with the same
inputs (same rule, same ``inputs_hash``).

Acknowledging: a critical card needs an override reason (one of the rule's reasons, or
free text) before the document can be signed; a warning or info card can be overridden the
same way or marked as noted (logged as ``accepted``). The choices are ordinary form fields
(``_override.<rule>``, ``_override_text.<rule>``) and buttons (``_ack``, ``_accept``), so
the same panel works with htmx (the buttons post to the live endpoint) and without
JavaScript (the buttons submit the form). Signing with a reason chosen counts as
acknowledging. Every card shown, accepted or overridden is logged with the document.

On the medication form (the order entry) the panel also has a slot for each ``order-select``
rule that is not the form's own: it runs on the chart with ``order`` = the rows being
ordered (engine.chart_context.pending_orders), and shows nothing while nothing is ordered.
Its card is acknowledged, logged and blocks signing like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.catalog import Catalog
from engine.chart_context import (
    ORDER_SELECT,
    chart_context,
    order_changed,
    order_select_rules,
    pending_orders,
    reads_chart,
)
from engine.decisions import (
    SEVERITY_ORDER,
    Card,
    ChartContext,
    card_for,
    chart_env,
    form_affected_rules,
    form_env,
    rules_for_form,
)
from engine.evaluator import Evaluation
from engine.model import Form, Rule
from engine.store import Actor, Store
from engine.store.records import AlertRecord, DocumentRecord
from engine.valuesets import Classifier
from renderer.answers import FormData

OVERRIDE = "_override."
OVERRIDE_TEXT = "_override_text."
ACK = "_ack"
ACCEPT = "_accept"
OTHER = "_other"
ACKNOWLEDGED = ("overridden", "accepted", "dismissed")


@dataclass(frozen=True, slots=True)
class Slot:
    """One rule's place in the panel, with its card (None: the rule does not fire)."""

    rule: Rule
    card: Card | None = None
    #: the log entry that acknowledged this very card (same inputs), if any
    acknowledged: AlertRecord | None = None
    #: the override reason chosen on the page (a code, ``_other`` or "") and free text
    chosen: str = ""
    text: str = ""
    #: why the slot is flagged: "reason_needed" (acknowledge pressed without a reason),
    #: "sign_blocked" (sign pressed while this critical card is open)
    error: str = ""

    @property
    def dom(self) -> str:
        return "alert-" + self.rule.id.replace(".", "-")

    @property
    def open(self) -> bool:
        """The card is shown: it fires and nobody acknowledged it for these inputs."""
        return self.card is not None and self.acknowledged is None

    @property
    def blocking(self) -> bool:
        return self.open and self.rule.severity == "critical"

    @property
    def reason(self) -> tuple[str, str] | None:
        """The chosen override reason as (code, text), None when none is given."""
        if self.chosen == OTHER or (not self.chosen and self.text.strip()):
            return ("other", self.text.strip()) if self.text.strip() else None
        if self.card is not None:
            for code, display in self.card.override_reasons:
                if code == self.chosen:
                    return code, display
        return None


@dataclass(frozen=True, slots=True)
class Panel:
    slots: tuple[Slot, ...] = ()
    #: acknowledgement controls are drawn (documents); the preview only shows cards
    actions: bool = True
    #: the whole panel, or only the slots of the rules a change affected (live)
    partial: bool = False
    #: a card was acknowledged by this post (a "not signed" notice is out of date)
    acted: bool = False

    @property
    def cards(self) -> list[Card]:
        return [s.card for s in self.slots if s.open and s.card is not None]

    @property
    def blocking(self) -> list[Slot]:
        return [s for s in self.slots if s.blocking]

    @property
    def acknowledged(self) -> list[Slot]:
        return [s for s in self.slots if s.card is not None and s.acknowledged is not None]


def ordered_rules(catalog: Catalog, form_id: str) -> list[Rule]:
    """The rules of a form in panel order (critical first, then warning, then info): those
    applying to it and, on the order entry form, the other ``order-select`` rules."""
    rules = rules_for_form(catalog, form_id) + order_select_rules(catalog, form_id)
    return sorted(rules, key=lambda r: (SEVERITY_ORDER[r.severity], r.id))


def affected_rules(catalog: Catalog, form: Form, changed: Iterable[str]) -> list[Rule]:
    """The slots a change of ``changed`` items runs again: the form's rules reading them, and
    the ``order-select`` rules when the rows being ordered may have changed."""
    rules = ordered_rules(catalog, form.id)
    mine = {r.id for r in form_affected_rules([r for r in rules if form.id in r.forms], form, changed)}
    ordering = order_changed(form, changed)
    return [r for r in rules if r.id in mine or (ordering and form.id not in r.forms)]


@dataclass(frozen=True, slots=True)
class Envs:
    """What each rule of a panel reads: a rule of the form, the form's answers with the
    chart; an ``order-select`` rule, the chart with ``order`` (None: nothing is ordered)."""

    form_id: str
    form: dict[str, Any]
    order: dict[str, Any] | None = None

    def of(self, rule: Rule) -> dict[str, Any] | None:
        return self.form if self.form_id in rule.forms else self.order


def rule_envs(rules: Sequence[Rule], evaluation: Evaluation, chart: ChartContext, classifier: Classifier | None,
              source: str = "", at: dt.datetime | None = None) -> Envs:
    """The environments ``rules`` need on ``evaluation`` (``source``/``at``: the document the
    order is drafted in)."""
    form_id = evaluation.form.id
    env = form_env(evaluation, chart, classifier) if any(form_id in r.forms for r in rules) else {}
    if all(form_id in r.forms for r in rules):
        return Envs(form_id, env)
    orders = pending_orders(evaluation, chart, evaluation.locale, source, at)
    return Envs(form_id, env, chart_env(replace(chart, order=orders), classifier) if orders else None)


def build_panel(rules: Iterable[Rule], envs: Envs, locale: str, log: Sequence[AlertRecord] = (),
                data: FormData | None = None, *, actions: bool = True, partial: bool = False,
                classifier: Classifier | None = None) -> Panel:
    """Run ``rules`` on their environments and place each card in its slot, acknowledged or not."""
    slots = []
    for rule in rules:
        env = envs.of(rule)
        card = card_for(rule, env, locale, classifier) if env is not None else None
        chosen = data.get(OVERRIDE + rule.id) if data is not None else ""
        text = data.get(OVERRIDE_TEXT + rule.id) if data is not None else ""
        slots.append(Slot(rule, card, _acknowledgement(log, card), chosen, text))
    return Panel(tuple(slots), actions, partial)


def _acknowledgement(log: Sequence[AlertRecord], card: Card | None) -> AlertRecord | None:
    if card is None:
        return None
    for entry in reversed(log):
        if entry.rule_id == card.rule_id and entry.action in ACKNOWLEDGED and (entry.detail or {}).get("inputs_hash") == card.inputs_hash:
            return entry
    return None


def _shown(log: Sequence[AlertRecord], card: Card) -> bool:
    """Logged as shown already: with the same inputs, or it is still on the page with the
    same words since it was last logged (typing a dose into a row the rule reads changes
    its inputs, not what the clinician sees). After an acknowledgement it is logged again."""
    entries = [e for e in log if e.rule_id == card.rule_id]
    if any(e.action == "shown" and (e.detail or {}).get("inputs_hash") == card.inputs_hash for e in entries):
        return True
    return bool(entries) and entries[-1].action == "shown" and entries[-1].summary == card.summary


def preview_panel(catalog: Catalog, evaluation: Evaluation, chart: ChartContext | None = None,
                  only: Iterable[str] | None = None) -> Panel:
    """Cards for a form that is not a document (the definition preview): nothing is logged."""
    rules = _select(ordered_rules(catalog, evaluation.form.id), only)
    chart = chart or ChartContext(patient=dict(evaluation.context.patient))
    classifier = catalog.classifier()
    envs = rule_envs(rules, evaluation, chart, classifier)
    return build_panel(rules, envs, evaluation.locale, actions=False, partial=only is not None, classifier=classifier)


def _select(rules: list[Rule], only: Iterable[str] | None) -> list[Rule]:
    if only is None:
        return rules
    wanted = set(only)
    return [r for r in rules if r.id in wanted]


@dataclass(frozen=True, slots=True)
class DocumentAlerts:
    """The rules of a document's form, run with the patient's chart, logged with the document."""

    store: Store
    catalog: Catalog
    actor: Actor
    document: DocumentRecord

    def panel(self, evaluation: Evaluation, data: FormData | None = None, *, only: Iterable[str] | None = None,
              signing: bool = False) -> Panel:
        """Run the rules (``only``: those ids, for a live change), apply the acknowledgement
        the post asks for (``_ack``/``_accept``, or every chosen reason when ``signing``),
        log the cards shown for the first time, and return the panel."""
        rules = _select(ordered_rules(self.catalog, evaluation.form.id), only)
        if not rules:
            return Panel(partial=only is not None)
        # the chart is read (several audited queries) only when a rule to run reads it (an
        # order-select rule always does: what is ordered is what is not on the signed list)
        known = dict(evaluation.context.patient)
        form_id = evaluation.form.id
        chart = (chart_context(self.store, self.catalog, self.actor, self.document.patient_id, evaluation.locale, known)
                 if any(reads_chart(r) or form_id not in r.forms for r in rules) else ChartContext(patient=known))
        classifier = self.catalog.classifier()
        envs = rule_envs(rules, evaluation, chart, classifier, f"{self.document.def_id}#{self.document.id}", self.document.effective_at)
        log = self.store.alerts.for_document(self.actor, self.document.id)
        panel = build_panel(rules, envs, evaluation.locale, log, data, partial=only is not None, classifier=classifier)
        for slot in panel.slots:
            if slot.open and slot.card is not None and not _shown(log, slot.card):
                self._log(slot, "shown")
        slots = tuple(self._act(slot, data, signing) for slot in panel.slots)
        acted = any(new.acknowledged is not None and old.acknowledged is None for old, new in zip(panel.slots, slots, strict=True))
        return replace(panel, slots=slots, acted=acted)

    def log_for_view(self) -> list[AlertRecord]:
        """What happened to the document's cards, for the signed view (no "shown" lines)."""
        return [e for e in self.store.alerts.for_document(self.actor, self.document.id) if e.action in ACKNOWLEDGED]

    def _act(self, slot: Slot, data: FormData | None, signing: bool) -> Slot:
        if data is None or not slot.open:
            return slot
        if data.get(ACCEPT) == slot.rule.id and slot.rule.severity != "critical":
            return replace(slot, acknowledged=self._log(slot, "accepted"))
        if data.get(ACK) == slot.rule.id or (signing and slot.reason is not None):
            if slot.reason is None:
                return replace(slot, error="reason_needed")
            return replace(slot, acknowledged=self._log(slot, "overridden", slot.reason))
        if signing and slot.blocking:
            return replace(slot, error="sign_blocked")
        return slot

    def _log(self, slot: Slot, action: str, reason: tuple[str, str] | None = None) -> AlertRecord:
        card = slot.card
        assert card is not None
        detail = {"inputs_hash": card.inputs_hash, "card": card.uuid, "form": self.document.def_id}
        if self.document.def_id not in slot.rule.forms:
            detail["hook"] = ORDER_SELECT
        if reason is not None:
            detail["reason_code"] = reason[0]
        alert_id = self.store.alerts.log(
            self.actor, rule_id=card.rule_id, rule_version=card.rule_version, severity=card.severity,
            summary=card.summary, action=action, patient_id=self.document.patient_id,
            document_id=self.document.id, reason=reason[1] if reason else None, detail=detail,
        )
        return AlertRecord(alert_id, self.document.patient_id, self.document.id, card.rule_id, card.rule_version,
                           card.severity, card.summary, action, reason[1] if reason else None,
                           self.actor.user_id, dt.datetime.now(dt.UTC), detail)
