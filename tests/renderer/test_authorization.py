"""The authorization matrix, generated: every route of the app x every role, anonymous and a
user of another clinic, each gets exactly what renderer/web/permissions.yaml says.

The cases come from the app's own route table, so a route added later is checked as soon
as it exists; a route that declares no permission fails
:func:`test_every_route_declares_who_may_use_it`, and a path parameter without a sample
fails its cases with the name to add to :data:`SAMPLES`.

Expected, per (route, principal):
  public route            -> let through (not 401/403, no redirect to sign-in)
  signing-token route     -> a made-up token is refused (4xx) for everyone
  anonymous               -> 303 to /login?next=...
  role without permission -> 403 (and a 'denied' audit event)
  role with permission    -> let through
  other clinic (all roles there) on a record of this clinic -> 404 (the record does not exist for them)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from renderer.web.permissions import load_policy
from renderer.web.settings import WebSettings
from tests.renderer.security import (
    ANONYMOUS,
    OTHER_CLINIC,
    PRINCIPALS,
    ROOT,
    ROUTE_TABLE,
    World,
    build_world,
    location,
    path_for,
    prepare,
)

#: path parameters that name a record of a clinic (another clinic's user gets 404)
TENANT_PARAMETERS = {"patient_id", "encounter_id", "document_id", "user_id", "consent_id"}
#: bodies for routes that need one to get past their own checks
BODIES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/encounters/{encounter_id:int}/documents"): {"form_id": "core.vitals"},
    ("POST", "/patients/{patient_id:int}/consents"): {"workflow": "core.general_consent"},
    ("POST", "/patients/{patient_id:int}/break-glass"): {"reason": "authorization matrix test"},
}
#: where a refused request is sent (a public route may still go to /login itself, e.g. sign-out)
SIGN_IN_PATHS = ("/login?next=", "/account/password?next=")


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


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, settings: WebSettings) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("matrix"), settings)


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


@pytest.mark.parametrize(("method", "path", "who"), CASES, ids=[f"{m} {p} as {w}" for m, p, w in CASES])
def test_route_admits_exactly_whom_the_matrix_says(world: World, matrix_client: TestClient[Litestar],
                                                   method: str, path: str, who: str) -> None:
    missing = _params(path) - set(world.samples)
    assert not missing, f"no sample value for path parameter(s) {missing}: add them to the world fixture"
    expected = expectation(world, method, path, who)
    prepare(matrix_client, world, who)
    url = path_for(path, world.samples)
    body = BODIES.get((method, path))
    response = matrix_client.request(method, url, data=body, follow_redirects=False) if body else \
        matrix_client.request(method, url, follow_redirects=False)
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
        assert status not in (401, 403), seen
        assert not (300 <= status < 400 and (where.startswith(SIGN_IN_PATHS) or "/break-glass" in where)), seen


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
