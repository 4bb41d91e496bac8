"""Running a workflow: which actions are open, who must sign, and moving between states.

A workflow instance is plain data (`Instance`: current state, history, signatures); the
runtime checks a requested transition against the compiled `Workflow` and returns the new
instance plus the effects to carry out on entering the target state (snapshot PDF, lock).
Refusals are `TransitionRefused` with a code and a message a person can act on; nothing
changes when a transition is refused. Storage and signing pages live outside the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.expressions import EvaluationProblem, Record, RecordList
from engine.model import Transition, Workflow


class TransitionRefused(Exception):
    """A transition that may not happen now; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Signature:
    role: str
    name: str
    signed_at: dt.datetime
    relation: str = ""
    file: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    source: str
    target: str
    at: dt.datetime
    by: str
    role: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Instance:
    """One document's journey through a workflow."""

    workflow_id: str
    workflow_version: str
    state: str
    history: tuple[Event, ...] = ()
    signatures: tuple[Signature, ...] = ()
    entered_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    instance: Instance
    effects: tuple[str, ...]
    expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Situation:
    """What guards and signer conditions can read."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    patient: Mapping[str, Any] = field(default_factory=dict)


def start(workflow: Workflow, at: dt.datetime) -> Instance:
    return Instance(workflow.id, workflow.key.version, workflow.initial, entered_at=at)


def _env(situation: Situation, instance: Instance) -> dict[str, Any]:
    from engine.evaluation import _patient

    signatures = RecordList([Record({"role": s.role, "name": s.name, "relation": s.relation}) for s in instance.signatures])
    env: dict[str, Any] = dict(situation.answers)
    env.update({
        "patient": Record(_patient(situation.patient)),
        "encounter": Record({}),
        "answers": Record(dict(situation.answers)),
        "signatures": signatures,
        "document": Record({"state": instance.state}),
    })
    return env


def _truthy(expression: Any, env: Mapping[str, Any]) -> bool:
    try:
        return expression.evaluate(env) is True
    except EvaluationProblem:
        return False


def required_signers(transition: Transition, situation: Situation, instance: Instance) -> list[str]:
    """Roles that must have signed before ``transition`` (conditions evaluated now)."""
    env = _env(situation, instance)
    return [s.role for s in transition.signers if s.when is None or _truthy(s.when, env)]


def missing_signers(transition: Transition, situation: Situation, instance: Instance) -> list[str]:
    signed = {s.role for s in instance.signatures}
    return [role for role in required_signers(transition, situation, instance) if role not in signed]


def available(workflow: Workflow, instance: Instance, role: str) -> list[Transition]:
    """The transitions ``role`` may take from the instance's current state."""
    return [t for t in workflow.transitions if instance.state in t.sources and (not t.roles or role in t.roles)]


def transition(
    workflow: Workflow,
    instance: Instance,
    action: str,
    *,
    by: str,
    role: str,
    at: dt.datetime,
    situation: Situation | None = None,
    reason: str = "",
) -> Outcome:
    """Take ``action``; raises TransitionRefused (and changes nothing) when it may not happen."""
    situation = situation or Situation()
    chosen = next((t for t in workflow.transitions if t.action == action), None)
    if chosen is None:
        raise TransitionRefused("unknown_action", f"'{action}' is not an action of {workflow.id}")
    if instance.state not in chosen.sources:
        raise TransitionRefused("wrong_state", f"'{action}' is not possible while the document is {instance.state}; it needs {' or '.join(chosen.sources)}")
    if chosen.roles and role not in chosen.roles:
        raise TransitionRefused("role_not_allowed", f"a {role} may not '{action}'; allowed: {', '.join(chosen.roles)}")
    if chosen.reason_required and not reason.strip():
        raise TransitionRefused("reason_required", f"'{action}' needs a reason")
    if chosen.guard is not None and not _truthy(chosen.guard, _env(situation, instance)):
        raise TransitionRefused("guard_failed", f"'{action}' is not allowed yet: {chosen.guard.source}")
    missing = missing_signers(chosen, situation, instance)
    if missing:
        raise TransitionRefused("signatures_missing", f"'{action}' needs the signature of: {', '.join(missing)}")
    target = next(s for s in workflow.states if s.id == chosen.target)
    event = Event(action, instance.state, target.id, at, by, role, reason.strip())
    moved = replace(instance, state=target.id, history=(*instance.history, event), entered_at=at)
    expires = expiry(workflow, at) if target.final is False and workflow.valid_for else None
    return Outcome(moved, target.on_enter, expires)


def sign(instance: Instance, signature: Signature, allowed_roles: Sequence[str] = ()) -> Instance:
    """Add a signature; a role signs once."""
    if allowed_roles and signature.role not in allowed_roles:
        raise TransitionRefused("role_not_allowed", f"a {signature.role} signature is not expected here")
    if any(s.role == signature.role for s in instance.signatures):
        raise TransitionRefused("already_signed", f"the {signature.role} has already signed")
    if not signature.name.strip():
        raise TransitionRefused("name_required", "the signer's full name is required")
    return replace(instance, signatures=(*instance.signatures, signature))


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def add_duration(start_at: dt.datetime, duration: str) -> dt.datetime:
    """``start_at`` plus an ISO 8601 duration; months and years are calendar months."""
    match = _DURATION.match(duration)
    if match is None or duration in ("P", "PT"):
        raise ValueError(f"'{duration}' is not an ISO 8601 duration")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    month_index = start_at.month - 1 + months + 12 * years
    year, month = start_at.year + month_index // 12, month_index % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    moved = start_at.replace(year=year, month=month, day=min(start_at.day, last_day))
    return moved + dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def expiry(workflow: Workflow, signed_at: dt.datetime) -> dt.datetime | None:
    return add_duration(signed_at, workflow.valid_for) if workflow.valid_for else None


def is_expired(workflow: Workflow, signed_at: dt.datetime, now: dt.datetime) -> bool:
    until = expiry(workflow, signed_at)
    return until is not None and now >= until
