"""The authorization matrix, generated: every route of the app x every role, anonymous and a
user of another clinic, each gets exactly what renderer/web/permissions.yaml says.

The cases come from the app's own route table, so a route added later is checked as soon
as it exists; a route that declares no permission fails
:func:`test_every_route_declares_who_may_use_it`, a route without an :data:`ALLOWED` entry
fails :func:`test_every_route_says_what_an_allowed_request_gets` (and its cases), and a path
parameter without a sample fails its cases with the name to add to the world's samples.

Expected, per (route, principal):
  signing-token route     -> a made-up token is refused (4xx) for everyone
  public route            -> its ALLOWED outcome
  anonymous               -> 303 to /login?next=...
  role without permission -> 403 (and a 'denied' audit event)
  role with permission    -> its ALLOWED outcome: the exact status, and for a redirect the
                             exact place, that a well-formed request gets; an allowed route
                             that breaks into 400/404/409/422/500 fails
  other clinic (all roles there) on a record of this clinic -> 404 (the record does not exist for them)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from engine.store import Actor
from renderer.web.permissions import load_policy
from renderer.web.seed import DEMO_USERS
from renderer.web.settings import WebSettings
from tests.renderer.security import (
    ANONYMOUS,
    OTHER_CLINIC,
    PASSWORD,
    PRINCIPALS,
    ROOT,
    ROUTE_TABLE,
    World,
    build_world,
    location,
    path_for,
    prepare,
)
from tests.renderer.test_consents import EXTRACTION, fields, sign_kiosk, soup

#: path parameters that name a record of a clinic (another clinic's user gets 404)
TENANT_PARAMETERS = {"patient_id", "encounter_id", "document_id", "user_id", "consent_id"}
SIGNED_IN = tuple(who for who in PRINCIPALS if who != ANONYMOUS)
SIGN_IN_USER, SIGN_IN_PASSWORD = "matrixsignin", "matrix sign-in passphrase"
VITALS = {"systolic": "120", "diastolic": "80", "heart_rate": "72", "weight": "70", "height": "175"}
REGISTRATION = {"given_name_en": "Hala", "family_name_en": "Barakat", "given_name_ar": "هالة", "family_name_ar": "بركات",
                "birth_date": "1984-09-12", "sex": "female", "phone": "+962790000123", "preferred_language": "ar"}
HOOK = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": "p1"}, "prefetch": {}}


@dataclass(frozen=True)
class Case:
    """One request of the matrix: path parameters over the world's samples, a form body or a
    JSON body."""

    samples: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    json: Any = None


def plain(world: World, who: str) -> Case:
    return Case()


@dataclass(frozen=True)
class Allowed:
    """What a well-formed request of a principal the route admits gets.

    ``status``; for a redirect ``to``, the Location as a regular expression matched in full
    once ``{parameter}`` is filled from the case's samples. ``case`` builds the request from
    the world and the principal (a body; a record of its own for a route that uses one up,
    such as a countersignature). ``by``: principal -> (status, to) where one differs.
    ``bugs``: principal -> a known bug that keeps them from the outcome (a strict xfail: the
    case fails once the bug is fixed, so the entry is removed with it)."""

    status: int
    to: str = ""
    case: Callable[[World, str], Case] = plain
    by: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    bugs: Mapping[str, str] = field(default_factory=dict)


def body(**data: Any) -> Callable[[World, str], Case]:
    return lambda world, who: Case(body=data)


def record(name: str, **data: Any) -> Callable[[World, str], Case]:
    """The route on one of the records the world fixture prepared (``world.samples[name]``)."""
    parameter = {"signed_document_id": "document_id", "signed_consent_id": "consent_id", "edit_patient_id": "patient_id"}[name]
    return lambda world, who: Case(samples={parameter: world.samples[name]}, body=data or None)


def _own_password(world: World, who: str) -> Case:
    current = DEMO_USERS[who][0] if who in DEMO_USERS else PASSWORD
    new = f"{current} changed by the matrix"
    return Case(body={"current_password": current, "new_password": new, "repeat_password": new})


def _new_member(world: World, who: str) -> Case:
    return Case(body={"username": f"member{secrets.token_hex(3)}", "display_name": "New Member", "roles": ["nurse"]})


def _consent_with_link(client: TestClient[Litestar], world: World) -> tuple[str, str]:
    """A dental extraction consent for the sample patient, the clinician part filled and a
    signing link open: (consent id, kiosk path)."""
    prepare(client, world, "clinician")
    started = client.post(f"/patients/{world.samples['patient_id']}/consents", data={"workflow": "dental.extraction_consent"},
                          follow_redirects=False)
    consent_id = location(started).rsplit("/", 1)[1]
    linked = client.post(f"/consents/{consent_id}", data={**EXTRACTION, "_action": "link"})
    assert linked.status_code == 200, linked.text[:300]
    link = soup(linked.text).select_one("#signing-link")
    assert link is not None
    return consent_id, str(link["href"]).replace("http://testserver.local", "")


def _awaiting_countersignature(world: World, who: str) -> Case:
    """A consent the patient has signed at the kiosk, waiting for the clinician's signature."""
    with TestClient(world.app, base_url="http://testserver.local") as client, \
            TestClient(world.app, base_url="http://testserver.local") as tablet:
        consent_id, link = _consent_with_link(client, world)
        assert sign_kiosk(tablet, link).status_code == 303
        page = soup(client.get(f"/consents/{consent_id}").text)
    return Case(samples={"consent_id": consent_id}, body=fields(page, signer_name="Dr. Matrix"))


def _started_consent(world: World, who: str) -> Case:
    """A consent just started (withdrawing it records a refusal; each case needs its own)."""
    with TestClient(world.app, base_url="http://testserver.local") as client:
        prepare(client, world, "clinician")
        started = client.post(f"/patients/{world.samples['patient_id']}/consents", data={"workflow": "core.general_consent"},
                              follow_redirects=False)
    return Case(samples={"consent_id": location(started).rsplit("/", 1)[1]}, body={"reason": "Procedure cancelled"})


#: (method, route) -> what a well-formed request of a principal allowed on it gets. A new
#: route needs its entry: the status (and the redirect) its ordinary use answers with.
ALLOWED: dict[tuple[str, str], Allowed] = {
    ("POST", "/language"): Allowed(303, "/account", body(lang="ar", next="/account?lang=en")),
    ("POST", "/login"): Allowed(303, "/drafts", body(username=SIGN_IN_USER, password=SIGN_IN_PASSWORD, next="/drafts")),
    ("GET", "/login"): Allowed(200, by={who: (303, "/") for who in SIGNED_IN}),
    ("POST", "/logout"): Allowed(303, "/login"),
    ("POST", "/session/extend"): Allowed(303, "/account", body(next="/account")),
    ("GET", "/session/status"): Allowed(200),
    ("GET", "/"): Allowed(200, by={"admin": (303, "/admin/users"), "auditor": (303, "/audit")}),
    ("GET", "/drafts"): Allowed(200),
    ("GET", "/encounters/{encounter_id:int}"): Allowed(200),
    ("POST", "/encounters/{encounter_id:int}/documents"): Allowed(303, r"/documents/\d+", body(form_id="core.vitals")),
    ("GET", "/patients"): Allowed(200),
    ("POST", "/patients/new"): Allowed(303, r"/patients/\d+", body(**REGISTRATION)),
    ("GET", "/patients/new"): Allowed(200),
    ("POST", "/patients/new/live"): Allowed(200, case=body(given_name_en="Sara", _changed="given_name_en")),
    ("GET", "/patients/{patient_id:int}"): Allowed(200),
    ("GET", "/patients/{patient_id:int}/edit"): Allowed(200, case=record("edit_patient_id")),
    ("POST", "/patients/{patient_id:int}/edit"): Allowed(303, "/patients/{patient_id}",
                                                        record("edit_patient_id", **REGISTRATION, _reason="matrix")),
    ("POST", "/patients/{patient_id:int}/edit/live"): Allowed(200, case=record("edit_patient_id", **REGISTRATION)),
    ("POST", "/patients/{patient_id:int}/encounters"): Allowed(303, r"/encounters/\d+", body(reason="matrix")),
    ("POST", "/documents/{document_id:int}"): Allowed(200, case=body(**VITALS, _action="save")),
    ("GET", "/documents/{document_id:int}"): Allowed(200),
    ("POST", "/documents/{document_id:int}/live"): Allowed(200, case=body(**VITALS, _changed="systolic")),
    ("POST", "/documents/{document_id:int}/autosave"): Allowed(200, case=body(**VITALS)),
    ("POST", "/documents/{document_id:int}/amend"): Allowed(303, "/documents/{document_id}",
                                                            record("signed_document_id", **VITALS, _reason="matrix")),
    ("GET", "/documents/{document_id:int}/amend"): Allowed(200, case=record("signed_document_id")),
    ("GET", "/forms"): Allowed(200),
    ("POST", "/forms/{form_id:str}"): Allowed(200, case=body(**VITALS)),
    ("GET", "/forms/{form_id:str}"): Allowed(200),
    ("POST", "/forms/{form_id:str}/live"): Allowed(200, case=body(**VITALS, _changed="systolic")),
    ("GET", "/cds-services"): Allowed(200),
    ("POST", "/cds-services/{service_id:str}"): Allowed(200, case=lambda world, who: Case(json=HOOK)),
    ("GET", "/documents/{document_id:int}/pdf"): Allowed(200),
    ("GET", "/encounters/{encounter_id:int}/pdf"): Allowed(200),
    ("GET", "/patients/{patient_id:int}/chart.pdf"): Allowed(200),
    ("POST", "/patients/{patient_id:int}/consents"): Allowed(303, r"/consents/\d+", body(workflow="core.general_consent")),
    ("GET", "/patients/{patient_id:int}/consents"): Allowed(200),
    ("GET", "/patients/{patient_id:int}/consents/panel"): Allowed(200),
    ("POST", "/consents/{consent_id:int}"): Allowed(303, "/consents/{consent_id}"),
    ("GET", "/consents/{consent_id:int}"): Allowed(200),
    ("POST", "/consents/{consent_id:int}/link"): Allowed(200),
    ("POST", "/consents/{consent_id:int}/countersign"): Allowed(303, "/consents/{consent_id}", _awaiting_countersignature),
    # the consent workflows let only clinicians and administrators withdraw (their transition's
    # roles): a nurse, who manages consents, gets the page back with the refusal
    ("POST", "/consents/{consent_id:int}/withdraw"): Allowed(303, "/consents/{consent_id}", _started_consent,
                                                             by={"nurse": (422, "")}),
    ("POST", "/consents/{consent_id:int}/reconsent"): Allowed(303, r"/consents/\d+"),
    ("POST", "/consents/{consent_id:int}/copy"): Allowed(200, case=record("signed_consent_id")),
    ("GET", "/consents/{consent_id:int}/snapshot.pdf"): Allowed(200, case=record("signed_consent_id")),
    ("GET", "/kiosk/thanks"): Allowed(200),
    ("GET", "/account"): Allowed(200),
    ("POST", "/account/password"): Allowed(303, r"/account\?changed=1", _own_password),
    ("GET", "/account/password"): Allowed(200),
    ("POST", "/account/logout-everywhere"): Allowed(303, "/login"),
    ("POST", "/admin/users"): Allowed(200, case=_new_member),
    ("GET", "/admin/users"): Allowed(200),
    ("GET", "/admin/users/{user_id:int}"): Allowed(200),
    ("POST", "/admin/users/{user_id:int}/roles"): Allowed(303, "/admin/users/{user_id}", body(roles=["nurse"])),
    ("POST", "/admin/users/{user_id:int}/password"): Allowed(200),
    ("POST", "/admin/users/{user_id:int}/disable"): Allowed(303, "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id:int}/enable"): Allowed(303, "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id:int}/logout"): Allowed(303, "/admin/users/{user_id}"),
    ("GET", "/admin/clinic"): Allowed(200),
    ("POST", "/admin/clinic"): Allowed(303, r"/admin/clinic\?saved=1", body(
        name="Demo Family Clinic", address_en="1 Matrix Road", phone="+962 6 555 0100", timezone="Asia/Amman")),
    # the sample patient has an open encounter today: the record is open to both roles already
    ("POST", "/patients/{patient_id:int}/break-glass"): Allowed(303, "/patients/{patient_id}", body(reason="matrix test")),
    ("GET", "/patients/{patient_id:int}/break-glass"): Allowed(303, "/patients/{patient_id}"),
    ("GET", "/audit"): Allowed(200),
    ("GET", "/audit.csv"): Allowed(200),
    ("GET", "/audit/verify"): Allowed(200),
    ("GET", "/static/{file_path:path}"): Allowed(200),
    ("HEAD", "/static/{file_path:path}"): Allowed(200),
    ("OPTIONS", "/static/{file_path:path}"): Allowed(204),
}
NO_ENTRY = ("has no ALLOWED entry in tests/renderer/test_authorization.py: add (method, path): Allowed(status, to, case) "
            "with the status (and for a redirect, where to) that a well-formed request of a role it admits gets")


OPTS = {(method, path): opt for method, path, opt in ROUTE_TABLE}
CASES = [(method, path, who) for method, path, _ in ROUTE_TABLE for who in PRINCIPALS]


def _params(path: str) -> set[str]:
    return set(re.findall(r"\{(\w+):", path))


def expectation(world: World, method: str, path: str, who: str) -> str:
    opt = OPTS[(method, path)]
    if "token" in _params(path):
        return "refused"
    if opt.get("public"):
        return "allow"
    if who == ANONYMOUS:
        return "login"
    policy = world.app.state.policy
    roles = ("admin", "clinician", "nurse", "reception", "auditor") if who == OTHER_CLINIC else (who,)
    if not any(policy.allows((r,), opt.get("permission", "")) for r in roles):
        return "deny"
    if who == OTHER_CLINIC and _params(path) & TENANT_PARAMETERS:
        return "not-found"
    return "allow"


def _prepare_records(world: World) -> None:
    """Records some routes need in a given state: a signed document (amend), a fully signed
    consent (its PDF, the patient's copy), a patient of the matrix's own to edit (with a visit
    today), and an account to sign in with."""
    demo = Actor.system(world.clinic_id)
    world.store.accounts.create_user(demo, SIGN_IN_USER, SIGN_IN_PASSWORD, "Matrix Sign-in", ("nurse",))
    with TestClient(world.app, base_url="http://testserver.local") as client, \
            TestClient(world.app, base_url="http://testserver.local") as tablet:
        prepare(client, world, "clinician")
        started = client.post(f"/encounters/{world.samples['encounter_id']}/documents", data={"form_id": "core.vitals"},
                              follow_redirects=False)
        document = location(started).rsplit("/", 1)[1]
        signed = client.post(f"/documents/{document}", data={**VITALS, "_action": "sign"}, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:300]
        registered = client.post("/patients/new", data=REGISTRATION, follow_redirects=False)
        assert registered.status_code == 303, registered.text[:300]
        # a visit today, as at the front desk: the patient is in a nurse's care scope
        assert client.post(f"{location(registered)}/encounters", data={"reason": "registration"},
                           follow_redirects=False).status_code == 303
        consent_id, link = _consent_with_link(client, world)
        assert sign_kiosk(tablet, link).status_code == 303
        page = soup(client.get(f"/consents/{consent_id}").text)
        completed = client.post(f"/consents/{consent_id}/countersign", data=fields(page, signer_name="Dr. Matrix"),
                                follow_redirects=False)
        assert completed.status_code == 303, completed.text[:300]
    world.samples.update({"signed_document_id": document, "signed_consent_id": consent_id,
                          "edit_patient_id": location(registered).rsplit("/", 1)[1]})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, settings: WebSettings) -> Iterator[World]:
    for world in build_world(tmp_path_factory.mktemp("matrix"), settings):
        _prepare_records(world)
        yield world


@pytest.fixture(scope="module")
def matrix_client(world: World) -> Iterator[TestClient[Litestar]]:
    with TestClient(world.app, base_url="http://testserver.local") as client:
        yield client


def test_every_route_declares_who_may_use_it() -> None:
    """A permission the matrix defines, or public; a route with a signing token in its path
    declares SIGNING_TOKEN. Nothing else (the old opt={"roles": ...} included)."""
    policy = load_policy()
    problems = []
    for method, path, opt in ROUTE_TABLE:
        if "token" in _params(path) and opt.get("token") != "signing":
            problems.append(f"{method} {path}: declare opt=SIGNING_TOKEN (renderer.web.permissions)")
        elif opt.get("public"):
            continue
        elif opt.get("permission") not in policy.permissions:
            problems.append(f"{method} {path}: declare opt=permission(<one of permissions.yaml>), has {opt}")
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_every_role_and_every_permission_is_used() -> None:
    """Each permission guards a route or is checked in code (``can("...")``, e.g. the
    dashboard's worklist)."""
    policy = load_policy()
    used = {opt.get("permission") for _, _, opt in ROUTE_TABLE}
    for source in (ROOT / "renderer" / "web").rglob("*.*"):
        if source.suffix in (".py", ".html"):
            used |= set(re.findall(r"""can\(["']([\w.]+)["']\)""", source.read_text(encoding="utf-8")))
    assert set(policy.roles) == {"admin", "clinician", "nurse", "reception", "auditor"}
    assert set(policy.permissions) - used == set(), "permissions no route uses"


def test_every_route_says_what_an_allowed_request_gets() -> None:
    """Every route someone may use has its ALLOWED entry (a signing-token route is refused to
    everyone here: the kiosk tests check its real tokens), and no entry names a route that
    is gone."""
    routes = {(method, path) for method, path, _ in ROUTE_TABLE}
    missing = [f"{method} {path} {NO_ENTRY}" for method, path in sorted(routes - set(ALLOWED))
               if "token" not in _params(path)]
    stale = [f"{method} {path}: no such route any more; remove its ALLOWED entry" for method, path in sorted(set(ALLOWED) - routes)]
    assert not missing + stale, "\n".join(missing + stale)


@pytest.mark.parametrize(("method", "path", "who"), CASES, ids=[f"{m} {p} as {w}" for m, p, w in CASES])
def test_route_admits_exactly_whom_the_matrix_says(world: World, matrix_client: TestClient[Litestar],
                                                   request: pytest.FixtureRequest, method: str, path: str, who: str) -> None:
    expected = expectation(world, method, path, who)
    allowed = ALLOWED.get((method, path))
    if expected == "allow":
        assert allowed is not None, f"{method} {path} {NO_ENTRY}"
        if who in allowed.bugs:
            request.applymarker(pytest.mark.xfail(reason=allowed.bugs[who], strict=True))
    case = allowed.case(world, who) if allowed is not None and expected == "allow" else Case()
    samples = {**world.samples, **case.samples}
    missing = _params(path) - set(samples)
    assert not missing, f"no sample value for path parameter(s) {missing}: add them to the world fixture"
    prepare(matrix_client, world, who)
    url = path_for(path, samples)
    if case.json is not None:
        response = matrix_client.request(method, url, json=case.json, follow_redirects=False)
    elif case.body is not None:
        response = matrix_client.request(method, url, data=case.body, follow_redirects=False)
    else:
        response = matrix_client.request(method, url, follow_redirects=False)
    status, where = response.status_code, location(response)
    seen = f"{method} {url} as {who}: expected {expected}, got {status} {where}".strip()
    assert status < 500, seen + "\n" + response.text[:500]
    if expected == "login":
        assert status == 303 and where.startswith("/login?next="), seen
    elif expected == "deny":
        assert status == 403, seen
    elif expected == "not-found":
        assert status == 404, seen
    elif expected == "refused":
        assert 400 <= status < 500, seen
    else:
        assert allowed is not None
        want, to = allowed.by.get(who, (allowed.status, allowed.to))
        to = to.format(**samples)
        seen = f"{method} {url} as {who}: expected {want} {to}, got {status} {where}".strip()
        assert status == want, seen + "\n" + response.text[:500]
        assert re.fullmatch(to, where) if 300 <= want < 400 else not where, seen


def test_a_refused_route_is_audited(world: World, matrix_client: TestClient[Litestar]) -> None:
    from sqlalchemy import select

    from engine.store.models import AuditEvent

    prepare(matrix_client, world, "reception")
    assert matrix_client.get("/audit").status_code == 403
    with world.store.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.seq.desc())).first()
    assert event is not None and event.entity_type == "route" and event.entity_id == "/audit"
    assert event.user_id == world.principals["reception"].user_id and (event.detail or {})["permission"] == "audit.report"


def test_a_route_that_declares_nothing_is_closed_to_everyone(world: World, settings: WebSettings) -> None:
    from litestar import get

    from renderer.web.app import create_app

    @get("/undeclared", sync_to_thread=False)
    def undeclared() -> str:
        return "should never be seen"

    app = create_app(settings, catalog=world.app.state.catalog, store=world.store)
    app.register(undeclared)
    with TestClient(app, base_url="http://testserver.local") as client:
        for who in PRINCIPALS:
            prepare(client, world, who)
            response = client.get("/undeclared", follow_redirects=False)
            assert response.status_code == (303 if who == ANONYMOUS else 403), who


def test_the_matrix_in_docs_security_md_is_the_one_in_permissions_yaml() -> None:
    policy = load_policy()
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    header = "| permission | " + " | ".join(policy.roles) + " |"
    assert header in doc, "docs/security.md: the matrix table's header differs from the roles of permissions.yaml"
    rows = doc.split(header, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0].strip("`")] = frozenset(r for r, c in zip(policy.roles, cells[1:], strict=True) if c == "yes")
    assert table == dict(policy.permissions), "docs/security.md: update the permission table from permissions.yaml"
