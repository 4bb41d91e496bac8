"""Web hardening and the sign-in journey: CSRF on every unsafe route (generated), security
headers and CSP-clean markup on every page (generated), cookies, session timeouts with an
injected clock, rotation and sign-out everywhere, lockout, cross-clinic attempts denied and
audited, break-glass end to end, temporary passwords, the audit report, GETs that change
nothing, uploads and downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select, text

from engine.store import Actor
from engine.store.models import AuditEvent
from renderer.web.auth import COOKIE
from renderer.web.csrf import token_for
from renderer.web.downloads import content_disposition
from renderer.web.headers import CSP
from renderer.web.settings import WebSettings
from tests.renderer.security import (
    ANONYMOUS,
    OTHER_CLINIC,
    ROUTE_TABLE,
    World,
    build_world,
    location,
    path_for,
    prepare,
)

Client = TestClient[Litestar]
UNSAFE = [(m, p, opt) for m, p, opt in ROUTE_TABLE if m in ("POST", "PUT", "PATCH", "DELETE")]
PAGES = [(m, p, opt) for m, p, opt in ROUTE_TABLE if m == "GET"]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, settings: WebSettings, clock: Clock) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("security"), settings, clock)


@pytest.fixture()
def web(world: World) -> Iterator[Client]:
    with TestClient(world.app, base_url="http://testserver.local") as client:
        yield client


def somebody_allowed(world: World, opt: dict[str, Any]) -> str:
    """A principal the route lets in (anonymous for public routes, signed in for sign-out)."""
    if opt.get("csrf") == "signed-in":
        return "clinician"
    if opt.get("public"):
        return ANONYMOUS
    policy = world.app.state.policy
    return next(r for r in ("clinician", "nurse", "reception", "admin", "auditor") if policy.allows((r,), opt["permission"]))


def audit(world: World, action: str | None = None) -> list[AuditEvent]:
    with world.store.db.transaction() as session:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.scalars(query))


def sign_in_form(client: Client, username: str, password: str) -> Any:
    """Post the sign-in form the way a browser does (its CSRF token from the page)."""
    page = client.get("/login")
    token = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "_csrf"})["value"]
    return client.post("/login", data={"username": username, "password": password, "next": "/", "_csrf": token},
                       follow_redirects=False)


# -- CSRF ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "opt"), UNSAFE, ids=[f"{m} {p}" for m, p, _ in UNSAFE])
def test_every_unsafe_route_refuses_a_request_without_the_csrf_token(world: World, web: Client, method: str,
                                                                    path: str, opt: dict[str, Any]) -> None:
    who = somebody_allowed(world, opt)
    url = path_for(path, world.samples)
    before = len(audit(world))
    prepare(web, world, who, csrf=False)
    missing = web.request(method, url, data={"x": "1"}, follow_redirects=False)
    prepare(web, world, who, csrf=False)
    other_session = world.session("nurse")
    assert other_session is not None
    web.headers["X-CSRF-Token"] = token_for(world.app.state.secret, other_session)  # a real token, of another session
    foreign = web.request(method, url, data={"_csrf": "forged"}, follow_redirects=False)
    if opt.get("csrf") is False:
        # machine-to-machine JSON without cookies: exempt (see renderer/web/csrf.py)
        assert missing.status_code != 403 and foreign.status_code != 403
        return
    assert missing.status_code == 403, (url, missing.status_code)
    assert foreign.status_code == 403, (url, foreign.status_code)
    assert "Reload the page and try again" in missing.text
    changed = [e.action for e in audit(world)[before:] if e.action not in ("logout",)]
    assert changed == [], f"{method} {url} did something without a CSRF token: {changed}"


def test_the_token_works_as_a_header_and_as_a_form_field_also_multipart(world: World, web: Client) -> None:
    prepare(web, world, "clinician", csrf=False)
    token = token_for(world.app.state.secret, web.cookies[COOKIE])
    as_field = web.post(f"/patients/{world.samples['patient_id']}/encounters", data={"kind": "outpatient", "_csrf": token},
                        follow_redirects=False)
    assert as_field.status_code == 303 and location(as_field).startswith("/encounters/")
    multipart = web.post(f"/documents/{world.samples['document_id']}/live", data={"_csrf": token, "_changed": "systolic"},
                         files={"dummy.upload": ("a.txt", b"hello", "text/plain")})
    assert multipart.status_code == 200
    as_header = web.post(f"/documents/{world.samples['document_id']}/live", data={"_changed": "systolic"},
                         headers={"X-CSRF-Token": token})
    assert as_header.status_code == 200


def test_every_form_in_the_templates_carries_the_token() -> None:
    from tests.renderer.security import ROOT

    missing = []
    for template in (ROOT / "renderer" / "web" / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        for form in re.finditer(r"<form\b[^>]*>.*?</form>", source, re.S):
            opening = form.group(0).split(">", 1)[0]
            if re.search(r'method="post"', opening, re.I) and "csrf_field()" not in form.group(0):
                missing.append(f"{template.relative_to(ROOT)}: {opening[:80]}")
    assert not missing, "POST forms without {{ csrf_field() }}:\n" + "\n".join(missing)


# -- headers and markup --------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "opt"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_every_page_has_the_security_headers_and_no_inline_script_or_style(world: World, web: Client, method: str,
                                                                           path: str, opt: dict[str, Any]) -> None:
    who = somebody_allowed(world, opt)
    prepare(web, world, who)
    response = web.get(path_for(path, world.samples), follow_redirects=True)
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    if not path.startswith("/static"):
        assert "no-store" in headers["cache-control"]
    if response.headers.get("content-type", "").startswith("text/html"):
        assert_csp_clean(response.text, path)


def assert_csp_clean(html: str, where: str) -> None:
    """Nothing the CSP would block: no inline script, style element or attribute, event
    handler or javascript: URL."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src") and not script.string, f"{where}: inline script {str(script)[:80]}"
    assert not soup.find_all("style"), f"{where}: <style> element"
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            assert name != "style", f"{where}: style attribute on <{element.name}>"
            assert not name.startswith("on"), f"{where}: event handler {name} on <{element.name}>"
            if name in ("href", "src", "action") and isinstance(value, str):
                assert not value.strip().lower().startswith("javascript:"), f"{where}: javascript: URL"


def test_error_pages_and_unknown_paths_have_the_headers_too(web: Client) -> None:
    for response in (web.get("/no/such/page"), web.get("/static/no-such-file.css")):
        assert response.status_code == 404
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"


def test_over_tls_cookies_are_secure_and_hsts_is_sent(world: World) -> None:
    with TestClient(world.app, base_url="https://clinic.example") as client:
        response = sign_in_form(client, "clinician", "clinician-demo-pass")
        cookie = response.headers["set-cookie"]
        assert f"{COOKIE}=" in cookie and "Secure" in cookie
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_session_cookie_holds_only_a_random_id(world: World, web: Client) -> None:
    response = sign_in_form(web, "clinician", "clinician-demo-pass")
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40 and "clinician" not in value and "." not in value
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags and "max-age" not in flags
    assert "secure" not in flags  # plain http in tests; see the TLS test
    with world.store.db.transaction() as session:
        stored = session.execute(text("SELECT token_sha256 FROM user_sessions")).scalars().all()
    assert value not in stored and all(len(s) == 64 for s in stored)


# -- sessions --------------------------------------------------------------------------------

def test_sign_in_rotates_the_session(world: World, web: Client) -> None:
    prepare(web, world, "clinician")
    planted = web.cookies[COOKIE]
    response = sign_in_form(web, "clinician", "clinician-demo-pass")
    fresh = response.cookies[COOKIE]
    assert fresh != planted
    assert world.store.sessions.resume(planted).session is None  # the old id is dead
    assert world.store.sessions.resume(fresh).session is not None


def test_idle_timeout_warns_then_signs_out(world: World, web: Client, clock: Clock) -> None:
    prepare(web, world, "clinician")
    page = BeautifulSoup(web.get("/").text, "html.parser")
    meta = page.find("meta", attrs={"name": "session-seconds"})
    assert int(meta["content"]) == 900 and meta["data-warning"] == "120" and meta["data-idle"] == "900"
    assert page.find(id="session-warning").has_attr("hidden")
    clock.advance(minutes=14)
    assert web.get("/session/status").json()["seconds_left"] == 60  # asking is not activity
    assert web.get("/session/status").json()["seconds_left"] == 60
    extended = web.post("/session/extend", headers={"Accept": "application/json"})
    assert extended.json()["seconds_left"] == 900
    clock.advance(minutes=15, seconds=1)
    response = web.get("/patients", follow_redirects=False)
    assert response.status_code == 303 and location(response).startswith("/login?next=%2Fpatients&ended=idle")
    assert "without activity" in web.get(location(response)).text
    assert [e.detail for e in audit(world, "logout")][-1] == {"reason": "idle"}


def test_absolute_timeout_ends_even_an_active_session(world: World, web: Client, clock: Clock) -> None:
    prepare(web, world, "clinician")  # sessions of prepare() last one hour at most
    for _ in range(5):
        clock.advance(minutes=10)
        assert web.get("/patients").status_code == 200
    clock.advance(minutes=10, seconds=1)
    response = web.get("/patients", follow_redirects=False)
    assert response.status_code == 303 and "ended=expired" in location(response)


def test_an_htmx_request_after_the_timeout_redirects_the_page(world: World, web: Client, clock: Clock) -> None:
    prepare(web, world, "clinician")
    clock.advance(minutes=16)
    response = web.get("/patients?q=sal", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver.local/patients?q=sal"})
    assert response.headers["hx-redirect"].startswith("/login?next=%2Fpatients%3Fq%3Dsal")


def test_sign_out_and_sign_out_everywhere(world: World, clock: Clock) -> None:
    with TestClient(world.app) as laptop, TestClient(world.app) as phone:
        for device in (laptop, phone):
            assert sign_in_form(device, "nurse", "nurse-demo-pass").status_code == 303
        token = BeautifulSoup(laptop.get("/account").text, "html.parser").find("meta", attrs={"name": "csrf-token"})["content"]
        assert laptop.post("/account/logout-everywhere", data={"_csrf": token}, follow_redirects=False).status_code == 303
        for device in (laptop, phone):
            assert location(device.get("/", follow_redirects=False)).startswith("/login")
        assert sign_in_form(phone, "nurse", "nurse-demo-pass").status_code == 303
        old = phone.cookies[COOKIE]
        token = BeautifulSoup(phone.get("/account").text, "html.parser").find("meta", attrs={"name": "csrf-token"})["content"]
        assert phone.post("/logout", data={"_csrf": token}, follow_redirects=False).status_code == 303
        phone.cookies.set(COOKIE, old)  # a copied cookie is worth nothing after sign-out
        assert location(phone.get("/", follow_redirects=False)).startswith("/login")


def test_disabling_a_user_ends_their_session_at_once(world: World) -> None:
    admin = Actor(world.principals["admin"].user_id, "admin", world.clinic_id)
    victim = world.store.accounts.create_user(admin, "leaver", "leaver passphrase", "Leaver", ("reception",))
    with TestClient(world.app) as theirs, TestClient(world.app) as boss:
        assert sign_in_form(theirs, "leaver", "leaver passphrase").status_code == 303
        assert theirs.get("/patients").status_code == 200
        prepare(boss, world, "admin")
        assert boss.post(f"/admin/users/{victim.id}/disable", follow_redirects=False).status_code == 303
        assert location(theirs.get("/patients", follow_redirects=False)).startswith("/login")
        assert sign_in_form(theirs, "leaver", "leaver passphrase").status_code == 401
        assert "disabled" in boss.get(f"/admin/users/{victim.id}").text


def test_repeated_failures_lock_the_sign_in_and_are_audited(world: World, web: Client, clock: Clock) -> None:
    admin = Actor(world.principals["admin"].user_id, "admin", world.clinic_id)
    world.store.accounts.create_user(admin, "lockme", "the right passphrase", "Lock Me", ("reception",))
    statuses = [sign_in_form(web, "lockme", f"wrong guess {i}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = sign_in_form(web, "lockme", "the right passphrase")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    lockout = audit(world, "lockout")[-1]
    assert (lockout.detail or {})["key"] == "user:lockme"
    clock.advance(minutes=16)
    assert sign_in_form(web, "lockme", "the right passphrase").status_code == 303


def test_a_temporary_password_must_be_changed_first(world: World, web: Client) -> None:
    prepare(web, world, "admin")
    created = web.post("/admin/users", data={"username": "newnurse", "display_name": "New Nurse", "roles": ["nurse"]})
    assert created.status_code == 200
    temporary = BeautifulSoup(created.text, "html.parser").select_one(".notice--success code").get_text()
    with TestClient(world.app) as person:
        response = sign_in_form(person, "newnurse", temporary)
        assert location(response) == "/account/password?next=/"
        assert location(person.get("/patients", follow_redirects=False)).startswith("/account/password")
        page = person.get("/account/password")
        token = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "_csrf"})["value"]
        form = {"_csrf": token, "current_password": temporary, "next": "/", "new_password": "my own passphrase",
                "repeat_password": "my own passphrase"}
        assert person.post("/account/password", data={**form, "repeat_password": "typo"}).status_code == 422
        assert person.post("/account/password", data={**form, "new_password": "short", "repeat_password": "short"}).status_code == 422
        assert person.post("/account/password", data=form, follow_redirects=False).status_code == 303
        assert person.get("/patients").status_code == 200


def test_an_admin_resets_a_password_and_assigns_roles(world: World, web: Client) -> None:
    target = world.samples["user_id"]
    prepare(web, world, "admin")
    assert web.post(f"/admin/users/{target}/roles", data={"roles": ["nurse", "reception"]}, follow_redirects=False).status_code == 303
    assert world.store.accounts.user(int(target)).roles[world.clinic_id] == ("nurse", "reception")
    reset = web.post(f"/admin/users/{target}/password")
    assert reset.status_code == 200 and BeautifulSoup(reset.text, "html.parser").select_one(".notice--success code")
    own = world.principals["admin"].user_id
    refused = web.post(f"/admin/users/{own}/disable", follow_redirects=False)
    assert refused.status_code == 409 and "your own account" in refused.text


# -- tenants and break-glass -----------------------------------------------------------------

def test_cross_clinic_attempts_are_denied_and_audited(world: World, web: Client) -> None:
    patient, document = world.samples["patient_id"], world.samples["document_id"]
    prepare(web, world, OTHER_CLINIC)
    before = len(audit(world, "denied"))
    for url in (f"/patients/{patient}", f"/documents/{document}", f"/documents/{document}/pdf",
                f"/encounters/{world.samples['encounter_id']}", f"/admin/users/{world.samples['user_id']}"):
        assert web.get(url).status_code == 404, url
    denied = audit(world, "denied")[before:]
    assert len(denied) == 5 and all(e.clinic_id == world.other_clinic_id for e in denied)
    assert {(e.detail or {}).get("reason") for e in denied} == {"other_clinic"}
    prepare(web, world, "auditor")
    report = BeautifulSoup(web.get("/audit?action=denied").text, "html.parser")
    rows = report.select("tr.audit-row--denied")
    assert len(rows) >= 4 and "other clinic" in rows[0].get_text()


def test_break_glass_end_to_end(world: World, web: Client, clock: Clock) -> None:
    nurse = world.actor("nurse")
    outside = world.store.patients.search(world.actor("clinician"), "Mohammad Ayoub")[0]  # no visit at all
    prepare(web, world, "nurse")
    refused = web.get(f"/patients/{outside.id}", follow_redirects=False)
    assert refused.status_code == 303
    assert location(refused) == f"/patients/{outside.id}/break-glass?next=%2Fpatients%2F{outside.id}"
    htmx = web.get(f"/documents/{world.samples['document_id']}", headers={"HX-Request": "true"})
    assert htmx.status_code == 200  # in scope (open encounter today): no detour
    prompt = web.get(location(refused))
    assert prompt.status_code == 403 and "Mohammad Ayoub" in prompt.text and "D-000020" in prompt.text
    form = {"next": f"/patients/{outside.id}"}
    assert web.post(f"/patients/{outside.id}/break-glass", data={**form, "reason": "hm"}).status_code == 422
    granted = web.post(f"/patients/{outside.id}/break-glass", data={**form, "reason": "Collapsed in the waiting room"},
                       follow_redirects=False)
    assert granted.status_code == 303 and location(granted) == f"/patients/{outside.id}"
    chart = web.get(f"/patients/{outside.id}")
    assert chart.status_code == 200 and "Mohammad" in chart.text
    grant = audit(world, "break_glass")[-1]
    assert grant.user_id == nurse.user_id and grant.patient_id == outside.id
    assert (grant.detail or {})["reason"] == "Collapsed in the waiting room"
    under = [e for e in audit(world, "read") if (e.detail or {}).get("break_glass") == (grant.detail or {})["grant"]]
    assert under and all(e.patient_id == outside.id for e in under)
    prepare(web, world, "auditor")
    report = BeautifulSoup(web.get("/audit", params={"emergency": "1"}).text, "html.parser")
    highlighted = report.select("tr.audit-row--emergency")
    assert len(highlighted) == len(under) + 1 and "Collapsed in the waiting room" in report.get_text()
    clock.advance(minutes=61)
    prepare(web, world, "nurse")
    assert "/break-glass" in location(web.get(f"/patients/{outside.id}", follow_redirects=False))


def test_reception_sees_who_and_when_but_nothing_clinical(world: World, web: Client) -> None:
    prepare(web, world, "reception")
    chart = BeautifulSoup(web.get(f"/patients/{world.samples['patient_id']}").text, "html.parser")
    assert chart.find(id="vitals-title") is None and chart.find(id="allergies-title") is None
    assert not chart.select("a[href^='/documents/']")
    assert web.get(f"/documents/{world.samples['document_id']}").status_code == 403


# -- the audit report ------------------------------------------------------------------------

def test_the_audit_report_filters_exports_and_verifies(world: World, web: Client) -> None:
    patient = world.store.patients.get(world.actor("clinician"), int(world.samples["patient_id"]))
    trap = world.store.patients.create(world.actor("clinician"), mrn="=1+1", given_name="=HYPERLINK(\"http://evil\")",
                                       family_name="@SUM(A1)")
    world.store.patients.get(world.actor("clinician"), trap.id)
    prepare(web, world, "auditor")
    page = BeautifulSoup(web.get("/audit", params={"patient": patient.mrn, "action": "read"}).text, "html.parser")
    rows = page.select("tbody tr")
    assert rows and all(patient.mrn in r.get_text() and "read" in r.get_text() for r in rows)
    user = world.principals["clinician"].user_id
    today = dt.date.today().isoformat()
    mine = BeautifulSoup(web.get("/audit", params={"user": user, "from": today, "to": today}).text, "html.parser")
    assert mine.select("tbody tr") and all("clinician" in r.get_text() for r in mine.select("tbody tr"))
    exported = web.get("/audit.csv", params={"patient": patient.mrn})
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith('attachment; filename="audit-')
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert table[0][:3] == ["seq", "time_utc", "user_id"] and len(table) > 2
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table[1:] for cell in row)
    trapped = list(csv.reader(io.StringIO(web.get("/audit.csv", params={"patient": "=1+1"}).text.lstrip("\ufeff"))))
    cells = [cell for row in trapped[1:] for cell in row]
    assert "'=1+1" in cells and any(c.startswith("'=HYPERLINK") for c in cells)  # kept, but inert
    chain = web.get("/audit/verify", headers={"HX-Request": "true"})
    assert 'class="chain--ok"' in chain.text and "events checked" in chain.text
    assert audit(world, "export")[-1].entity_type == "audit"


def test_another_clinics_auditor_sees_none_of_this_clinics_events(world: World, web: Client) -> None:
    prepare(web, world, OTHER_CLINIC)
    page = BeautifulSoup(web.get("/audit", params={"patient": world.samples["patient_id"]}).text, "html.parser")
    names = page.get_text()
    assert "Ahmad" not in names and "Saleh" not in names


# -- GETs change nothing; uploads; downloads ----------------------------------------------

STATE_TABLES = ("patients", "encounters", "documents", "revisions", "observations", "users", "memberships",
                "definition_versions", "consent_records", "consent_instances", "consent_signing_sessions",
                "consent_signatures", "break_glass_grants", "alert_log")
READ_ACTIONS = {"read", "search", "export", "print", "download", "denied", "logout"}


def _counts(world: World) -> dict[str, int]:
    with world.store.db.transaction() as session:
        return {t: session.execute(select(func.count()).select_from(text(t))).scalar_one() for t in STATE_TABLES}


def test_no_get_changes_state(world: World, web: Client) -> None:
    """Every GET route, as every principal: the records stay as they were, and the audit
    trail only gains reads (and refusals)."""
    before, seq = _counts(world), len(audit(world))
    for _, path, _opt in PAGES:
        for who in (ANONYMOUS, "admin", "clinician", "nurse", "reception", "auditor", OTHER_CLINIC):
            prepare(web, world, who)
            web.get(path_for(path, world.samples), follow_redirects=False)
    assert _counts(world) == before
    actions = {e.action for e in audit(world)[seq:]}
    assert actions <= READ_ACTIONS, actions - READ_ACTIONS


def test_uploads_are_limited_in_size_and_typed_by_their_bytes(world: World, web: Client) -> None:
    from renderer.web.uploads import sniff

    assert sniff(b"<html><script>alert(1)</script>", "image/png") == "application/octet-stream"
    assert sniff(b"%PDF-1.7 ...", "text/html") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....", None) == "image/png"
    for active in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/javascript", "application/xml"):
        assert sniff(b"<svg onload=alert(1)>", active) == "application/octet-stream", active
    assert sniff(b"plain words", "text/plain; charset=utf-8") == "text/plain"
    prepare(web, world, "clinician")
    limit = world.app.state.settings.max_upload_kb
    big = b"0" * ((limit + 1100) * 1024)
    response = web.post(f"/forms/{world.samples['form_id']}/live", files={"big.upload": ("big.bin", big, "application/octet-stream")})
    assert response.status_code == 413


def test_downloads_name_files_safely() -> None:
    assert content_disposition("chart-D-000001.pdf") == 'attachment; filename="chart-D-000001.pdf"'
    evil = content_disposition('a"; filename=evil.exe\r\nX-Injected: 1.pdf', inline=True)
    assert "\r" not in evil and "\n" not in evil
    fallback = evil.split('filename="', 1)[1].split('"', 1)[0]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback), fallback
    arabic = content_disposition("موافقة.pdf")
    assert arabic.startswith('attachment; filename="pdf"') or "filename*=UTF-8''" in arabic
    assert "%D9%85" in arabic


def test_the_security_pages_speak_arabic(world: World, web: Client) -> None:
    prepare(web, world, "nurse")
    account = web.get("/account", params={"lang": "ar"}).text
    assert "حسابي" in account and "تسجيل الخروج من كل الأجهزة" in account and "ابقَ مسجّلًا" in account
    outside = world.store.patients.search(world.actor("clinician"), "Zainab Kurdi")[0]
    assert "قائمة رعايتك" in web.get(f"/patients/{outside.id}/break-glass", params={"lang": "ar"}).text
