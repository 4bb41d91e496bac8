"""The workflow runtime: transitions, roles, reasons, guards, signers and expiry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.compiler import PackContext
from engine.model import Workflow
from engine.packs import load
from engine.reader import read_text
from engine.schema import check_structure
from engine.workflow_runtime import (
    Signature,
    Situation,
    TransitionRefused,
    add_duration,
    available,
    is_expired,
    missing_signers,
    sign,
    start,
    transition,
)
from engine.workflows import compile_workflow

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)

CONSENT = """\
schema: cliniform/workflow@1
id: test.consent
version: 1.0.0
title: {en: Consent, ar: موافقة}
initial: draft
valid_for: P1Y
states:
  - {id: draft}
  - {id: signed, on_enter: [snapshot_pdf, lock]}
  - {id: withdrawn, final: true}
transitions:
  - action: complete
    from: [draft]
    to: signed
    roles: [clinician]
    guard: answers.risks_discussed == true
    signers:
      - {role: patient}
      - {role: guardian, when: patient.age < 18}
      - {role: clinician}
  - action: withdraw
    from: [signed]
    to: withdrawn
    roles: [clinician, patient]
    reason_required: true
"""


@pytest.fixture(scope="module")
def consent() -> Workflow:
    doc, diags = read_text(CONSENT, "consent.yaml")
    assert doc is not None and not diags and not check_structure(doc)
    workflow, diags = compile_workflow(doc, PackContext(), {})
    assert workflow is not None, [str(d) for d in diags]
    return workflow


def _signed(instance, *roles):  # type: ignore[no-untyped-def]
    for role in roles:
        instance = sign(instance, Signature(role, f"{role} name", T0))
    return instance


def test_minor_needs_a_guardian(consent: Workflow) -> None:
    born = dt.date.today() - dt.timedelta(days=16 * 365)  # 15 years and some 360 days old, on any day
    minor = Situation(answers={"risks_discussed": True}, patient={"birth_date": born.isoformat()})
    instance = _signed(start(consent, T0), "patient", "clinician")
    tr = consent.transitions[0]
    assert missing_signers(tr, minor, instance) == ["guardian"]
    with pytest.raises(TransitionRefused) as refused:
        transition(consent, instance, "complete", by="dr", role="clinician", at=T0, situation=minor)
    assert refused.value.code == "signatures_missing"
    outcome = transition(consent, _signed(instance, "guardian"), "complete", by="dr", role="clinician", at=T0, situation=minor)
    assert outcome.instance.state == "signed"
    assert outcome.effects == ("snapshot_pdf", "lock")
    assert outcome.expires_at == dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


def test_refusals_change_nothing(consent: Workflow) -> None:
    adult = Situation(answers={"risks_discussed": False}, patient={"birth_date": "1980-01-01"})
    instance = _signed(start(consent, T0), "patient", "clinician")
    for kwargs, code in [
        ({"action": "complete", "role": "reception"}, "role_not_allowed"),
        ({"action": "complete", "role": "clinician"}, "guard_failed"),
        ({"action": "withdraw", "role": "clinician"}, "wrong_state"),
        ({"action": "fly", "role": "clinician"}, "unknown_action"),
    ]:
        with pytest.raises(TransitionRefused) as refused:
            transition(consent, instance, kwargs["action"], by="x", role=kwargs["role"], at=T0, situation=adult)
        assert refused.value.code == code
    assert instance.state == "draft" and instance.history == ()


def test_withdrawal_needs_a_reason_and_is_an_event(consent: Workflow) -> None:
    adult = Situation(answers={"risks_discussed": True}, patient={"birth_date": "1980-01-01"})
    signed = transition(consent, _signed(start(consent, T0), "patient", "clinician"), "complete", by="dr", role="clinician", at=T0, situation=adult).instance
    with pytest.raises(TransitionRefused) as refused:
        transition(consent, signed, "withdraw", by="p", role="patient", at=T0)
    assert refused.value.code == "reason_required"
    withdrawn = transition(consent, signed, "withdraw", by="p", role="patient", at=T0, reason="changed my mind").instance
    assert withdrawn.state == "withdrawn"
    assert [e.action for e in withdrawn.history] == ["complete", "withdraw"]
    assert withdrawn.history[-1].reason == "changed my mind"
    assert available(consent, withdrawn, "clinician") == []


def test_a_role_signs_once_with_a_name(consent: Workflow) -> None:
    instance = _signed(start(consent, T0), "patient")
    with pytest.raises(TransitionRefused) as refused:
        sign(instance, Signature("patient", "again", T0))
    assert refused.value.code == "already_signed"
    with pytest.raises(TransitionRefused) as refused:
        sign(instance, Signature("clinician", "  ", T0))
    assert refused.value.code == "name_required"


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("P1Y", dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)),
        ("P1M", dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)),
        ("P30D", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)),
        ("PT15M", dt.datetime(2026, 1, 31, 9, 15, tzinfo=dt.UTC)),
        ("P1W", dt.datetime(2026, 2, 7, 9, 0, tzinfo=dt.UTC)),
    ],
)
def test_durations(duration: str, expected: dt.datetime) -> None:
    assert add_duration(T0, duration) == expected


def test_expiry(consent: Workflow) -> None:
    assert not is_expired(consent, T0, T0 + dt.timedelta(days=364))
    assert is_expired(consent, T0, T0 + dt.timedelta(days=366))


def test_core_note_signing_workflow_loads() -> None:
    result = load([ROOT / "form_definitions"])
    workflow = result.catalog.get("workflow", "core.note_signing")
    assert isinstance(workflow, Workflow)
    instance = start(workflow, T0)
    signed = transition(workflow, instance, "sign", by="dr", role="clinician", at=T0).instance
    with pytest.raises(TransitionRefused):
        transition(workflow, signed, "amend", by="dr", role="clinician", at=T0)
    assert transition(workflow, signed, "amend", by="dr", role="clinician", at=T0, reason="typo").instance.state == "amending"
