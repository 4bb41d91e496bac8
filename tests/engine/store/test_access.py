"""Access control in the store: sessions, sign-in lockout, account management across clinics,
patient scope and break-glass, refused access audited, the audit report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine.store import Actor, Database, ListSpec, NotFoundError, Store
from engine.store.access_models import UserSession
from engine.store.accounts import LoginPolicy
from engine.store.audit_report import AuditFilter
from engine.store.errors import AccountError, CrossClinicError, OutOfScopeError
from engine.store.models import AuditEvent
from engine.store.passwords import PARAMETERS
from engine.store.records import ClinicRecord, PatientRecord, UserRecord
from engine.store.signing_models import NewSignature
from tests.engine.store.conftest import publish_form

PASSWORD = "a long passphrase"
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(db: Database, clock: Clock) -> Store:
    return Store(db, clock)


@pytest.fixture
def nurse(timed: Store, actor: Actor) -> UserRecord:
    return timed.accounts.create_user(actor, "nora", PASSWORD, "Nora Nurse", ("nurse",))


def events(store: Store, action: str | None = None) -> list[AuditEvent]:
    with store.db.transaction() as session:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


def test_password_hashes_use_the_stated_argon2id_parameters(timed: Store, nurse: UserRecord) -> None:
    with timed.db.transaction() as session:
        stored = session.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith(f"$argon2id$v=19$m={PARAMETERS.memory_cost},t={PARAMETERS.time_cost},p={PARAMETERS.parallelism}$")
    assert PARAMETERS.memory_cost >= 65536 and PARAMETERS.time_cost >= 3


def test_session_keeps_only_a_hash_and_times_out_when_idle(timed: Store, nurse: UserRecord, clock: Clock, actor: Actor) -> None:
    token, started = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600, ip="10.0.0.9")
    assert started.roles == ("nurse",) and started.seconds_left(clock.now) == 900
    with timed.db.transaction() as session:
        row = session.scalars(select(UserSession)).one()
        assert token not in (row.token_sha256, str(row.id)) and len(row.token_sha256) == 64
    clock.advance(minutes=14)
    assert timed.sessions.resume(token).session is not None  # activity: the idle clock restarts
    clock.advance(minutes=14)
    assert timed.sessions.resume(token, touch=False).session is not None
    clock.advance(minutes=1, seconds=1)  # 15 min since the last touching request
    assert timed.sessions.resume(token).ended == "idle"
    assert timed.sessions.resume(token).ended == "ended"
    assert [e.detail for e in events(timed, "logout")] == [{"reason": "idle"}]


def test_session_has_an_absolute_end_whatever_the_activity(timed: Store, nurse: UserRecord, clock: Clock, actor: Actor) -> None:
    token, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    for _ in range(5):
        clock.advance(minutes=10)
        assert timed.sessions.resume(token).session is not None
    clock.advance(minutes=10)
    assert timed.sessions.resume(token).ended == "expired"


def test_sign_in_rotates_and_logout_everywhere_ends_every_session(timed: Store, nurse: UserRecord, actor: Actor) -> None:
    first, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    second, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600, replaces=first)
    assert timed.sessions.resume(first).session is None
    third, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    me = Actor(nurse.id, "nurse", actor.clinic_id)
    assert [s.id for s in timed.sessions.live(me, nurse.id)] == sorted(
        [s.id for s in timed.sessions.live(me, nurse.id)], reverse=True)
    assert timed.sessions.end_all(me, nurse.id, "logout_all", keep=third) == 1
    assert timed.sessions.resume(second).session is None and timed.sessions.resume(third).session is not None
    assert timed.sessions.end(third) is not None and timed.sessions.resume(third).session is None


def test_disabling_a_user_or_removing_their_roles_ends_their_sessions(timed: Store, nurse: UserRecord, actor: Actor) -> None:
    token, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    assert timed.accounts.disable(actor, nurse.id) == 1
    assert timed.sessions.resume(token).ended == "ended"
    assert timed.accounts.authenticate(actor.clinic_id, "nora", PASSWORD) is None
    timed.accounts.enable(actor, nurse.id)
    token, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    with timed.db.transaction() as session:  # a role removed behind the app's back
        session.execute(text("DELETE FROM memberships WHERE user_id = :u"), {"u": nurse.id})
    assert timed.sessions.resume(token).ended == "revoked"


def test_repeated_failures_lock_the_name_for_a_while_and_are_audited(timed: Store, nurse: UserRecord, clock: Clock, actor: Actor) -> None:
    policy = LoginPolicy(max_failures=3, lock_minutes=15)
    for _ in range(2):
        assert timed.accounts.sign_in(actor.clinic_id, "nora", "wrong password!", "10.0.0.5", policy).locked_until is None
    third = timed.accounts.sign_in(actor.clinic_id, "nora", "wrong password!", "10.0.0.5", policy)
    assert third.user is None and third.locked_until == clock.now + dt.timedelta(minutes=15)
    refused = timed.accounts.sign_in(actor.clinic_id, "NORA", PASSWORD, "10.0.0.6", policy)
    assert refused.user is None and refused.locked_until is not None  # even the right password
    clock.advance(minutes=15, seconds=1)
    assert timed.accounts.sign_in(actor.clinic_id, "nora", PASSWORD, "10.0.0.6", policy).user is not None
    ghost = [timed.accounts.sign_in(actor.clinic_id, "nobody", "wrong password!", None, policy) for _ in range(3)]
    assert ghost[-1].locked_until is not None  # unknown names lock the same way
    lockouts = events(timed, "lockout")
    assert [(e.detail or {})["key"] for e in lockouts] == ["user:nora", "user:nobody"]
    assert lockouts[0].entity_id == str(nurse.id) and lockouts[0].user_id is None and lockouts[0].ip == "10.0.0.5"
    assert any((e.detail or {}).get("reason") == "locked" for e in events(timed, "login_failed"))


def test_an_address_with_many_failures_is_throttled(timed: Store, actor: Actor) -> None:
    policy = LoginPolicy(max_failures=100, max_failures_per_address=4)
    results = [timed.accounts.sign_in(actor.clinic_id, f"name{i}", "wrong password!", "203.0.113.9", policy) for i in range(4)]
    assert results[-1].locked_until is not None
    assert timed.accounts.sign_in(actor.clinic_id, "other", "wrong password!", "203.0.113.10", policy).locked_until is None


def test_password_change_and_reset(timed: Store, nurse: UserRecord, actor: Actor) -> None:
    me = Actor(nurse.id, "nurse", actor.clinic_id)
    here, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    elsewhere, _ = timed.sessions.start(nurse.id, actor.clinic_id, idle_seconds=900, max_seconds=3600)
    assert timed.accounts.change_password(me, "not my password", "a new long passphrase") is False
    assert timed.accounts.change_password(me, PASSWORD, "a new long passphrase", keep_session=here) is True
    assert timed.sessions.resume(here).session is not None and timed.sessions.resume(elsewhere).session is None
    timed.accounts.set_password(actor, nurse.id, "temporary pass 123", temporary=True)
    assert timed.sessions.resume(here).session is None
    signed = timed.accounts.sign_in(actor.clinic_id, "nora", "temporary pass 123")
    assert signed.user is not None and signed.must_change_password


def test_an_admin_manages_only_accounts_of_their_own_clinic(timed: Store, nurse: UserRecord, actor: Actor) -> None:
    south = timed.accounts.create_clinic("south", "South")
    south_admin = Actor(None, "admin", south.id)
    for attempt in (lambda: timed.accounts.set_password(south_admin, nurse.id, "taken over 12345"),
                    lambda: timed.accounts.disable(south_admin, nurse.id),
                    lambda: timed.accounts.grant(south_admin, nurse.id, "admin"),
                    lambda: timed.accounts.member(south_admin, nurse.id)):
        with pytest.raises(NotFoundError):
            attempt()
    denied = events(timed, "denied")
    assert len(denied) == 4 and all(e.clinic_id == south.id and e.entity_type == "user" for e in denied)
    # an account that works in two clinics is the operator's to change
    timed.accounts.grant(Actor.system(south.id), nurse.id, "nurse")
    with pytest.raises(AccountError, match="another clinic"):
        timed.accounts.disable(actor, nurse.id)
    assert [m.elsewhere for m in timed.accounts.members(actor)] == [True]
    assert timed.accounts.members(south_admin)[0].roles == ("nurse",)


def test_roles_keep_at_least_one_and_an_admin_keeps_their_own(timed: Store, actor: Actor) -> None:
    boss = timed.accounts.create_user(actor, "boss", PASSWORD, "Boss", ("admin", "auditor"))
    me = Actor(boss.id, "admin", actor.clinic_id)
    with pytest.raises(AccountError, match="own admin"):
        timed.accounts.set_roles(me, boss.id, ("auditor",))
    with pytest.raises(AccountError, match="at least one"):
        timed.accounts.set_roles(me, boss.id, ())
    timed.accounts.set_roles(me, boss.id, ("admin", "clinician"))
    assert timed.accounts.user(boss.id).roles[actor.clinic_id] == ("admin", "clinician")
    with pytest.raises(AccountError, match="your own account"):
        timed.accounts.disable(me, boss.id)


@pytest.fixture
def north_patient(timed: Store, actor: Actor) -> PatientRecord:
    return timed.patients.create(actor, mrn="N-1", given_name="Huda", family_name="Masri")


def test_a_nurse_sees_patients_with_a_recent_or_open_encounter(timed: Store, nurse: UserRecord, actor: Actor, clock: Clock, north_patient: PatientRecord) -> None:
    care = Actor(nurse.id, "nurse", actor.clinic_id, scope="care", care_days=30)
    with pytest.raises(OutOfScopeError):
        timed.patients.get(care, north_patient.id)
    visit = timed.encounters.open(actor, north_patient.id, kind="outpatient", started_at=clock.now)
    assert timed.patients.get(care, north_patient.id).id == north_patient.id
    clock.advance(days=45)
    assert timed.patients.get(care, north_patient.id) is not None  # still open
    timed.encounters.close(actor, visit.id, ended_at=clock.now - dt.timedelta(days=44))
    with pytest.raises(OutOfScopeError):
        timed.charts.timeline(care, north_patient.id)
    with pytest.raises(OutOfScopeError):
        timed.encounters.get(care, visit.id)  # rows of the patient too
    assert timed.patients.search(care, "Huda")  # finding the patient is not opening the record
    denied = events(timed, "denied")
    assert [(e.patient_id, (e.detail or {})["reason"]) for e in denied] == [(north_patient.id, "out_of_scope")] * 3
    nobody = Actor(nurse.id, "auditor", actor.clinic_id, scope="none")
    with pytest.raises(OutOfScopeError):
        timed.patients.get(nobody, north_patient.id)


def test_a_nurse_sees_a_patient_they_registered_during_the_care_window(timed: Store, nurse: UserRecord, actor: Actor, clock: Clock) -> None:
    care = Actor(nurse.id, "nurse", actor.clinic_id, scope="care", care_days=30)
    walk_in = timed.patients.create(care, mrn="WALK-1", given_name="Rami", family_name="Aziz")
    assert timed.patients.get(care, walk_in.id).id == walk_in.id  # no visit yet: theirs, they registered them
    other = timed.accounts.create_user(actor, "nurse2", "another-long-password", "Second Nurse", ("nurse",))
    with pytest.raises(OutOfScopeError):
        timed.patients.get(Actor(other.id, "nurse", actor.clinic_id, scope="care", care_days=30), walk_in.id)
    clock.advance(days=31)
    with pytest.raises(OutOfScopeError):
        timed.patients.get(care, walk_in.id)


def test_break_glass_opens_one_patient_for_a_while_and_marks_what_was_done(timed: Store, nurse: UserRecord, actor: Actor, clock: Clock, north_patient: PatientRecord) -> None:
    care = Actor(nurse.id, "nurse", actor.clinic_id, scope="care")
    with pytest.raises(ValueError, match="reason"):
        timed.access.break_glass(care, north_patient.id, "  x ", 30)
    assert not timed.access.brief(care, north_patient.id).in_scope
    grant = timed.access.break_glass(care, north_patient.id, "Patient collapsed in the waiting room", 30)
    assert grant.expires_at == clock.now + dt.timedelta(minutes=30)
    timed.patients.get(care, north_patient.id)
    timed.charts.timeline(care, north_patient.id)
    reads = [e for e in events(timed, "read") if e.user_id == nurse.id]
    assert reads and all((e.detail or {}).get("break_glass") == grant.id for e in reads)
    assert timed.access.grants(care)[0].id == grant.id
    clock.advance(minutes=31)
    with pytest.raises(OutOfScopeError):
        timed.patients.get(care, north_patient.id)
    assert timed.access.grants(care) == []
    report = timed.audit_report.events(actor, AuditFilter(emergency_only=True))
    assert {r.action for r in report} == {"break_glass", "read"} and all(r.emergency for r in report)
    assert report[-1].detail is not None and report[-1].detail["reason"] == "Patient collapsed in the waiting room"


def test_break_glass_never_crosses_clinics(timed: Store, nurse: UserRecord, north_patient: PatientRecord) -> None:
    south = timed.accounts.create_clinic("south", "South")
    with pytest.raises(CrossClinicError):
        timed.access.break_glass(Actor(nurse.id, "nurse", south.id, scope="care"), north_patient.id, "emergency reason", 30)


def test_break_glass_grants_are_append_only(timed: Store, db: Database, nurse: UserRecord, actor: Actor, north_patient: PatientRecord) -> None:
    timed.access.break_glass(Actor(nurse.id, "nurse", actor.clinic_id, scope="care"), north_patient.id, "emergency reason", 30)
    for statement in ("UPDATE break_glass_grants SET expires_at = created_at", "DELETE FROM break_glass_grants"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def test_cross_clinic_attempts_are_refused_and_shown_to_the_owning_clinic(timed: Store, actor: Actor, north_patient: PatientRecord, form: object) -> None:
    south = timed.accounts.create_clinic("south", "South")
    intruder = Actor(None, "clinician", south.id, ip="198.51.100.7")
    visit = timed.encounters.open(actor, north_patient.id, kind="outpatient")
    for attempt in (lambda: timed.patients.get(intruder, north_patient.id),
                    lambda: timed.encounters.get(intruder, visit.id),
                    lambda: timed.charts.timeline(intruder, north_patient.id)):
        with pytest.raises(NotFoundError):
            attempt()
    north_view = timed.audit_report.events(actor, AuditFilter(action="denied"))
    assert len(north_view) == 3 and all(r.foreign and r.patient_id == north_patient.id for r in north_view)
    assert north_view[0].patient_name == "Huda Masri" and north_view[0].ip == "198.51.100.7"
    south_view = timed.audit_report.events(Actor(None, "auditor", south.id), AuditFilter(action="denied"))
    assert len(south_view) == 3 and all(r.patient_name is None for r in south_view)  # no names of other clinics


def test_the_audit_report_filters_and_exports(timed: Store, actor: Actor, clock: Clock, nurse: UserRecord, north_patient: PatientRecord) -> None:
    other = timed.patients.create(actor, mrn="N-2", given_name="Omar", family_name="Khalil")
    timed.patients.get(actor, north_patient.id)
    clock.advance(days=2)
    timed.patients.get(actor, other.id)
    auditor = Actor(None, "auditor", actor.clinic_id)
    by_patient = timed.audit_report.events(auditor, AuditFilter(patient_id=north_patient.id))
    assert {r.action for r in by_patient} == {"create", "read"} and all(r.mrn == "N-1" for r in by_patient)
    recent = timed.audit_report.events(auditor, AuditFilter(since=T0 + dt.timedelta(days=1), action="read", entity_type="chart"))
    assert [r.patient_id for r in recent] == [other.id]
    timed.accounts.authenticate(actor.clinic_id, "nora", PASSWORD, ip="10.0.0.8")
    assert [(r.username, r.action) for r in timed.audit_report.events(auditor, AuditFilter(user_id=nurse.id))] == [("nora", "login")]
    everything = list(timed.audit_report.export(auditor, AuditFilter(), batch=2))
    assert [r.seq for r in everything] == sorted((r.seq for r in everything), reverse=True)
    assert len(everything) == len({r.seq for r in everything}) >= 6
    assert events(timed, "export")[-1].entity_type == "audit"


StoreCall = Callable[[Store, Actor, dict[str, int]], object]

#: every store method that takes the id of a clinic's record, called by an outsider
TENANT_CALLS: dict[str, StoreCall] = {
    "patients.get": lambda s, a, ids: s.patients.get(a, ids["patient"]),
    "patients.update": lambda s, a, ids: s.patients.update(a, ids["patient"], phone="1"),
    "encounters.open": lambda s, a, ids: s.encounters.open(a, ids["patient"], kind="outpatient"),
    "encounters.get": lambda s, a, ids: s.encounters.get(a, ids["encounter"]),
    "encounters.close": lambda s, a, ids: s.encounters.close(a, ids["encounter"]),
    "encounters.for_patient": lambda s, a, ids: s.encounters.for_patient(a, ids["patient"]),
    "documents.create": lambda s, a, ids: s.documents.create(a, patient_id=ids["patient"], definition_version_id=ids["definition"], answers={}),
    "documents.get": lambda s, a, ids: s.documents.get(a, ids["document"]),
    "documents.revisions": lambda s, a, ids: s.documents.revisions(a, ids["document"]),
    "documents.workspace": lambda s, a, ids: s.documents.workspace(a, ids["document"]),
    "documents.workspace (reads not logged)": lambda s, a, ids: s.documents.workspace(replace(a, reads_logged=False), ids["document"]),
    "documents.latest_of_form": lambda s, a, ids: s.documents.latest_of_form(a, ids["patient"], "core.registration"),
    "documents.save_draft": lambda s, a, ids: s.documents.save_draft(a, ids["document"], base_version=1, answers={}),
    "documents.sign": lambda s, a, ids: s.documents.sign(a, ids["document"], base_version=1),
    "documents.amend": lambda s, a, ids: s.documents.amend(a, ids["document"], base_version=1, answers={}, reason="x"),
    "definitions.get": lambda s, a, ids: s.definitions.get(a, ids["definition"]),
    "charts.timeline": lambda s, a, ids: s.charts.timeline(a, ids["patient"]),
    "charts.series": lambda s, a, ids: s.charts.series(a, ids["patient"], code="8480-6"),
    "charts.latest_answer": lambda s, a, ids: s.charts.latest_answer(a, ids["patient"], "systolic"),
    "charts.current_list": lambda s, a, ids: s.charts.current_list(a, ids["patient"], ListSpec("p", ("core.problems",), "problems")),
    "files.put": lambda s, a, ids: s.files.put(a, b"x", "text/plain", patient_id=ids["patient"]),
    "alerts.log": lambda s, a, ids: s.alerts.log(a, rule_id="r", rule_version="1", severity="info", summary="s", action="shown", patient_id=ids["patient"]),
    "alerts.for_patient": lambda s, a, ids: s.alerts.for_patient(a, ids["patient"]),
    "alerts.for_document": lambda s, a, ids: s.alerts.for_document(a, ids["document"]),
    "charts.latest_observations": lambda s, a, ids: s.charts.latest_observations(a, ids["patient"]),
    "charts.coded_answers": lambda s, a, ids: s.charts.coded_answers(a, ids["patient"], "http://hl7.org/fhir/sid/icd-10"),
    "consents.record": lambda s, a, ids: s.consents.record(a, patient_id=ids["patient"], event="given", text_version="1", language="en", text_sha256="0" * 64, method="tablet", signers=[]),
    "consents.for_patient": lambda s, a, ids: s.consents.for_patient(a, ids["patient"]),
    "worklists.encounter_documents": lambda s, a, ids: s.worklists.encounter_documents(a, ids["encounter"]),
    "access.brief": lambda s, a, ids: s.access.brief(a, ids["patient"]),
    "access.break_glass": lambda s, a, ids: s.access.break_glass(a, ids["patient"], "an emergency reason", 10),
    "accounts.member": lambda s, a, ids: s.accounts.member(a, ids["user"]),
    "accounts.grant": lambda s, a, ids: s.accounts.grant(a, ids["user"], "nurse"),
    "accounts.revoke": lambda s, a, ids: s.accounts.revoke(a, ids["user"], "nurse"),
    "accounts.set_password": lambda s, a, ids: s.accounts.set_password(a, ids["user"], "taken over 12345"),
    "accounts.disable": lambda s, a, ids: s.accounts.disable(a, ids["user"]),
    "accounts.enable": lambda s, a, ids: s.accounts.enable(a, ids["user"]),
    "signing.start": lambda s, a, ids: s.signing.start(a, patient_id=ids["patient"], document_id=ids["document"], workflow_version_id=ids["workflow"], workflow_id="w", workflow_version="1", state="draft"),
    "signing.get": lambda s, a, ids: s.signing.get(a, ids["consent"]),
    "signing.for_patient": lambda s, a, ids: s.signing.for_patient(a, ids["patient"]),
    "signing.events": lambda s, a, ids: s.signing.events(a, ids["consent"]),
    "signing.links": lambda s, a, ids: s.signing.links(a, ids["consent"]),
    "signing.signatures": lambda s, a, ids: s.signing.signatures(a, ids["consent"]),
    "signing.move": lambda s, a, ids: s.signing.move(a, ids["consent"], source=("draft",), target="signed", step="x"),
    "signing.open_link": lambda s, a, ids: s.signing.open_link(a, ids["consent"], roles=("patient",), minutes=5),
    "signing.copy_link": lambda s, a, ids: s.signing.copy_link(a, ids["consent"], minutes=5),
    "signing.sign": lambda s, a, ids: s.signing.sign(a, ids["consent"], NewSignature("patient", "x", b"", None, "en", "0" * 64, {}, ids["workflow"])),
}
#: methods that take an id but are not tenant reads (or are tested elsewhere), with why
NOT_TENANT_CALLS = {
    "accounts.user": "the account itself (global user names); used by sign-in and PDFs for display names",
    "accounts.set_roles": "grant/revoke, which are listed",
    "sessions.start": "called by sign-in for the user it has just authenticated",
    "sessions.end_all": "the web layer passes the signed-in user's own id or a managed member's",
    "sessions.live": "filters by the actor's clinic",
    "files.get": "content-addressed by SHA-256 within the actor's clinic (tested in test_records)",
    "signing.consent_of": "filters by the actor's clinic: another clinic's document has no consent here (None)",
    "signing.refused": "records a refused signing attempt (an audit event), reads nothing",
}
ID_PARAMETERS = ("patient_id", "document_id", "encounter_id", "user_id", "definition_version_id", "consent_id")


def _id_methods(store: Store) -> set[str]:
    import inspect

    from engine.store.service import Service

    found = set()
    for name, service in vars(store).items():
        if not isinstance(service, Service) or name.startswith("_"):
            continue
        for method_name, method in inspect.getmembers(service, inspect.ismethod):
            if method_name.startswith("_"):
                continue
            params = inspect.signature(method).parameters
            if any(p in params for p in ID_PARAMETERS):
                found.add(f"{name}.{method_name}")
    return found


def test_every_store_method_that_takes_a_record_id_is_in_the_tenant_table(timed: Store) -> None:
    untested = _id_methods(timed) - set(TENANT_CALLS) - set(NOT_TENANT_CALLS)
    assert not untested, f"add these store methods to TENANT_CALLS (or NOT_TENANT_CALLS, with why): {sorted(untested)}"


@pytest.mark.parametrize("call", sorted(TENANT_CALLS))
def test_no_store_method_reaches_another_clinics_records(timed: Store, actor: Actor, clinic: ClinicRecord, north_patient: PatientRecord, form: object, call: str) -> None:
    visit = timed.encounters.open(actor, north_patient.id, kind="outpatient")
    doc = timed.documents.create(actor, patient_id=north_patient.id, definition_version_id=form.id, answers={}, encounter_id=visit.id)  # type: ignore[attr-defined]
    member = timed.accounts.create_user(actor, "member", PASSWORD, "Member", ("nurse", "reception"))
    workflow = publish_form(timed, actor, "core.consent_flow", body="states: {}\n")
    consent = timed.signing.start(actor, patient_id=north_patient.id, document_id=doc.id, workflow_version_id=workflow.id,
                                  workflow_id="core.consent_flow", workflow_version="1.0.0", state="draft")
    ids = {"patient": north_patient.id, "encounter": visit.id, "document": doc.id, "definition": form.id,  # type: ignore[attr-defined]
           "user": member.id, "workflow": workflow.id, "consent": consent.id}
    south = timed.accounts.create_clinic("south", "South")
    before = len(events(timed, "denied"))
    with pytest.raises(NotFoundError):
        TENANT_CALLS[call](timed, Actor(None, "admin", south.id), ids)
    assert len(events(timed, "denied")) == before + 1
