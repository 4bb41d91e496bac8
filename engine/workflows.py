"""Workflows: declarative state machines over a document (consent, note sign/amend).

This module compiles and checks workflow definitions. The runtime that moves documents
between states lives with the consent feature; it reads the compiled `Workflow` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.compiler import Builder, PackContext, check_namespace
from engine.diagnostics import Diagnostic, did_you_mean
from engine.expressions import CONTEXT_NAMES
from engine.model import Form, Signer, State, Transition, Workflow
from engine.reader import SourceDocument
from engine.rules import answer_names

#: names a guard or signer condition can read besides the document's answers
WORKFLOW_NAMES = frozenset({"document", "signatures", "answers"}) | CONTEXT_NAMES
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")


def compile_workflow(doc: SourceDocument, ctx: PackContext, forms: Mapping[str, Form]) -> tuple[Workflow | None, list[Diagnostic]]:
    b = Builder(doc, ctx)
    data = doc.data
    check_namespace(b, str(data["id"]))
    names = set(WORKFLOW_NAMES)
    form_id = data.get("form")
    if form_id is not None:
        form = forms.get(form_id)
        if form is None:
            b.report("WF001", f"workflow document form '{form_id}' is not defined", "/form", did_you_mean(form_id, forms) or "check the form id and that its pack is installed")
        else:
            names |= answer_names(form, b)
    valid_for = data.get("valid_for")
    if valid_for is not None and not _DURATION.match(str(valid_for)):
        b.report("WF004", f"'{valid_for}' is not an ISO 8601 duration", "/valid_for", "write e.g. P1Y (one year), P30D (30 days) or PT15M (15 minutes)")
    states: list[State] = []
    seen: set[str] = set()
    for i, s in enumerate(data["states"]):
        if s["id"] in seen:
            b.report("WF005", f"state '{s['id']}' is declared twice", f"/states/{i}/id", "give each state its own id")
        seen.add(s["id"])
        states.append(State(s["id"], b.text(f"/states/{i}/label", s.get("label")), bool(s.get("final", False)), tuple(s.get("on_enter") or ())))
    if data["initial"] not in seen:
        b.report("WF002", f"initial state '{data['initial']}' is not declared", "/initial", did_you_mean(data["initial"], seen) or "add it under `states:`")
    transitions: list[Transition] = []
    actions: set[str] = set()
    for i, t in enumerate(data["transitions"]):
        ptr = f"/transitions/{i}"
        if t["action"] in actions:
            b.report("WF005", f"action '{t['action']}' is declared twice", f"{ptr}/action", "give each transition its own action name")
        actions.add(t["action"])
        for j, state in enumerate(t["from"]):
            if state not in seen:
                b.report("WF002", f"transition '{t['action']}' starts from unknown state '{state}'", f"{ptr}/from/{j}", did_you_mean(state, seen) or "declare the state under `states:`")
        if t["to"] not in seen:
            b.report("WF002", f"transition '{t['action']}' leads to unknown state '{t['to']}'", f"{ptr}/to", did_you_mean(t["to"], seen) or "declare the state under `states:`")
        signers = tuple(Signer(s["role"], b.expression(f"{ptr}/signers/{k}/when", s.get("when"), names)) for k, s in enumerate(t.get("signers") or ()))
        transitions.append(Transition(
            action=t["action"], sources=tuple(t["from"]), target=t["to"], label=b.text(f"{ptr}/label", t.get("label")),
            roles=tuple(t.get("roles") or ()), guard=b.expression(f"{ptr}/guard", t.get("guard"), names),
            signers=signers, reason_required=bool(t.get("reason_required", False)),
        ))
    _check_reachable(b, data["initial"], states, transitions, data)
    if b.errors:
        return None, b.diagnostics
    workflow = Workflow(
        key=b.key("workflow"), title=b.text("/title", data["title"]), path=doc.path, source_text=doc.text,
        form=form_id, initial=data["initial"], states=tuple(states), transitions=tuple(transitions), valid_for=valid_for,
    )
    return workflow, b.diagnostics


def _check_reachable(b: Builder, initial: str, states: list[State], transitions: list[Transition], data: dict[str, object]) -> None:
    reached = {initial}
    changed = True
    while changed:
        changed = False
        for t in transitions:
            if t.target not in reached and any(s in reached for s in t.sources):
                reached.add(t.target)
                changed = True
    for i, state in enumerate(states):
        if state.id not in reached and initial in {s.id for s in states}:
            b.report("WF003", f"state '{state.id}' cannot be reached from '{initial}'", f"/states/{i}/id", "add a transition into it, or remove it")
