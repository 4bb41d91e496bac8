"""Web benchmarks: rendering a 100-item form page, and the live htmx round-trip under load.

1. Server time to render the page of a generated 100-item form (70 inputs, 30 calculated or
   conditional), in process through the whole app (routing, session, evaluation, widgets,
   layout; the ASGI app called directly), warm and cold (item fragments kept or not),
   against Jinja2 rendering an equivalent hand-written template in the same run:
   one flat template that loops over 100 pre-built field dicts and writes the same markup
   for each (label, input, unit, hint), with no evaluator, no widget registry and no
   layout machinery; the two timed in turn, each by the median of its best of PAGE_PASSES
   passes. Target: <= 1.5x.
2. The live round-trip as a clinician makes it: a draft document of the 100-item form in an
   encounter, ``POST /documents/{id}/live`` with a signed-in session and the CSRF header (the
   store read of the document and patient, the pinned definition, the rules panel), one
   changed value (a new number on each post, as a person typing), the out-of-band fragments
   back. 32 concurrent connections for 20 s against one `cliniform serve` worker on
   loopback, driven by wrk with a bounded rate: each connection waits PACE_MS (350 ms, the
   form's own debounce, forms/_form.html) after each answer before its next request (wrk's
   `delay()` hook), i.e. as often as a person typing can make the page post, each
   connection starting at a random moment within its first pause (`_delay_hook`), after an
   unmeasured warm-up of WARMUP_SECONDS of unbounded load. Targets:
   p50 <= 5 ms, p99 <= 25 ms. For the record: the same at STRESS_PACE_MS (100 ms, 3.5x a
   person's rate); the same with all connections starting together and staying in step
   (lockstep, the load of earlier runs); the same 32 connections unbounded (closed loop, no pause): the worker's
   saturation throughput, with the queueing that comes with it; and the definition
   preview's live endpoint (``POST /forms/{id}/live``: no store, no patient, no rules
   panel) bounded, as a secondary row.

``run()`` returns {"title", "metrics", "table"}.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jinja2
import yaml
from bs4 import BeautifulSoup

from benchmarks.bench_definitions import generate_form

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "engine.cli"]
PAGE_RUNS = 200
#: passes of PAGE_RUNS page/flat pairs; each is timed by its best pass's median
PAGE_PASSES = 3
LOAD_SECONDS = 20
#: the unmeasured warm-up load before the measured ones
WARMUP_SECONDS = 8
CONNECTIONS = 32
#: wrk's threads (each runs CONNECTIONS / THREADS connections)
THREADS = 2
#: the bounded load's pause after each answer: the form's own debounce (forms/_form.html,
#: `input delay:350ms`), so each connection posts as often as a person typing can make the
#: page post, and no more
PACE_MS = 350
#: the stress row's pause: 3.5x the rate a person can trigger
STRESS_PACE_MS = 100

FLAT = jinja2.Template("""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/css/app.css"></head><body><main><h1>{{ title }}</h1>
<form method="post" action="/forms/x">{% for f in fields %}
<div class="item" id="item-{{ f.path }}"><label class="label" for="f-{{ f.path }}">{{ f.label }}{% if f.required %} <span class="req">*</span>{% endif %}</label>
<div class="control"><input class="input" type="text" id="f-{{ f.path }}" name="{{ f.path }}" value="{{ f.value }}" aria-describedby="e-{{ f.path }}">
{% if f.unit %}<span class="unit">{{ f.unit }}</span>{% endif %}</div>{% if f.hint %}<p class="hint">{{ f.hint }}</p>{% endif %}
<ul class="errors" id="e-{{ f.path }}">{% for e in f.errors %}<li>{{ e }}</li>{% endfor %}</ul></div>{% endfor %}
<button type="submit">Save</button></form></main></body></html>""", autoescape=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pack(tmp: Path) -> Path:
    pack = tmp / "bench"
    (pack / "forms").mkdir(parents=True)
    (pack / "pack.yaml").write_text(yaml.safe_dump({
        "schema": "cliniform/pack@1", "id": "bench", "version": "1.0.0",
        "title": {"en": "Benchmark", "ar": "قياس"}, "locales": ["en", "ar"],
    }, allow_unicode=True))
    (pack / "forms" / "form_100.yaml").write_text(generate_form(100, pack="bench"))
    return pack


def _env(tmp: Path, pack: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CLINIFORM_DATABASE_URL": f"sqlite:///{tmp / 'web.db'}",
        "CLINIFORM_PACKS": os.pathsep.join([str(ROOT / "form_definitions"), str(ROOT / "specialties"), str(pack)]),
        "CLINIFORM_LOG_LEVEL": "WARNING",
        "CLINIFORM_SECRET_KEY": "bench-secret",
    })
    return env


def _hidden(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {i["name"]: i.get("value", "") for i in soup.select("input[type=hidden][name]")}


def _csrf_header(html: str) -> dict[str, str]:
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    headers = re.search(r"hx-headers='([^']+)'", html)
    if headers:
        import json

        return {k: str(v) for k, v in json.loads(headers.group(1)).items()}
    return {"X-CSRF-Token": meta.group(1)} if meta else {}


def _login(client: httpx.Client) -> None:
    page = client.get("/login")
    data = {**_hidden(page.text), "username": "clinician", "password": "clinician-demo-pass", "next": "/"}
    response = client.post("/login", data=data)
    if response.status_code >= 400 or "/login" in str(response.url):
        raise RuntimeError(f"benchmark sign-in failed: {response.status_code}")


#: where the changed input's value goes in a live post's body: each post puts a new number
#: there (the load's Lua script, `_LUA`), as a person typing changes the answer each time
VALUE = "CLINIFORMVALUE"

#: wrk's per-request hook: the body with the next number (40..89, in turn, per wrk thread),
#: so the server sees one changed answer per round-trip, never the same post twice running
_LUA = f"""local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, (string.gsub(template, "{VALUE}", tostring(40 + n % 50))))
end
"""


def _delay_hook(pace: int, *, staggered: bool = True) -> str:
    """wrk's pause before each request of a connection: ``pace`` ms after each answer. Each
    connection's first request waits a random 0..``pace`` ms (seeded per wrk thread, so runs
    repeat), as 32 people at work do not all press a key in the same millisecond; with
    ``staggered`` False all connections post at once and stay in step (the "lockstep" row)."""
    if not staggered:
        return f"function delay()\n  return {pace}\nend\n"
    return f"""local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
function init(args)
  math.randomseed(7919 * thread_number)
end
local calls = 0
function delay()
  calls = calls + 1
  if calls <= {CONNECTIONS // THREADS} then
    return math.random(0, {pace})
  end
  return {pace}
end
"""


def _live_body(html: str) -> tuple[str, dict[str, str], str]:
    """The form's fields as the browser posts them, with one numeric input's value left as
    `VALUE`, for the load generator to fill in."""
    soup = BeautifulSoup(html, "html.parser")
    form = soup.select_one("form[hx-post]")
    if form is None:
        raise RuntimeError("no live form on the page")
    pairs: list[tuple[str, str]] = []
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            pairs.append((name, chosen.get("value", "") if chosen else ""))
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                pairs.append((name, field.get("value", "on")))
        elif field.get("type") != "file":
            pairs.append((name, field.get("value", "")))
    changed = next(name for name, _ in pairs if re.fullmatch(r"q\d+", name) or name.startswith("n_"))
    pairs = [(n, VALUE if n == changed else v) for n, v in pairs]
    pairs.append(("_changed", changed))
    pairs += [("_visible", n) for n, _ in pairs if not n.startswith("_")]
    return urlencode(pairs), _csrf_header(html), str(form["hx-post"])


def bench_page(env: dict[str, str]) -> dict[str, Any]:
    """Server time, in process, in one event loop (no thread hop, no HTTP client): the ASGI
    app (as `cliniform serve` builds it) is called directly with a signed-in GET of the form
    page and runs the whole request
    (routing, session, evaluation, widgets, layout); against the flat template. Warm: item
    fragments kept from earlier requests (renderer/web/fragments.py), as a page opened before
    draws; cold: the kept fragments dropped before every request, every item drawn anew."""
    import asyncio

    os.environ.update({k: env[k] for k in ("CLINIFORM_DATABASE_URL", "CLINIFORM_PACKS", "CLINIFORM_SECRET_KEY", "CLINIFORM_LOG_LEVEL")})
    from renderer.web.app import serve_app

    # the app as `cliniform serve` builds it: its long-lived objects frozen out of the
    # garbage collector (undone at the end, for whatever runs next in this process)
    switch = sys.getswitchinterval()
    app = serve_app()
    fragments = app.template_engine.engine.globals["item_fragments"]  # type: ignore[union-attr]

    async def measure() -> tuple[list[float], list[float], bytes]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            page = await client.get("/login")
            await client.post("/login", data={**_hidden(page.text), "username": "clinician", "password": "clinician-demo-pass", "next": "/"})
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        path = "/forms/bench.form_100"
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def get() -> None:
            sent.clear()
            await app(dict(scope, state={}), receive, send)  # type: ignore[arg-type]

        await get()
        if sent[0].get("status") != 200:
            raise RuntimeError(f"form page answered {sent[0].get('status')}")
        body = b"".join(m.get("body", b"") for m in sent)
        for _ in range(20):
            await get()
        warm, cold = [], []
        for _ in range(PAGE_PASSES):
            pass_warm, pass_flat = [], []
            for _ in range(PAGE_RUNS):
                start = time.perf_counter()
                await get()
                pass_warm.append((time.perf_counter() - start) * 1000)
                # the flat template right after each page: both meet the same machine (a virtual
                # machine's speed drifts within a run, which skewed the ratio of two separate loops)
                start = time.perf_counter()
                FLAT.render(title="Benchmark form", fields=fields)
                pass_flat.append((time.perf_counter() - start) * 1000)
            warm.append(statistics.median(pass_warm))
            flat.append(statistics.median(pass_flat))
        for _ in range(PAGE_RUNS // 2):
            fragments.clear()
            start = time.perf_counter()
            await get()
            cold.append((time.perf_counter() - start) * 1000)
        return warm, cold, body

    fields = [{"path": f"q{i}", "label": f"Question {i}", "required": i % 3 == 0, "value": "", "unit": "kg" if i % 7 == 0 else "",
               "hint": "From 0 to 500" if i % 5 == 0 else "", "errors": []} for i in range(100)]
    flat: list[float] = []
    try:
        warm, cold, body = asyncio.run(measure())
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch)
    soup = BeautifulSoup(body.decode(), "html.parser")
    # each the best pass's median: other processes on the machine can only add time
    return {"page_p50_ms": min(warm), "page_cold_p50_ms": statistics.median(cold),
            "flat_p50_ms": min(flat), "pass_ratios": " / ".join(f"{w / f:.2f}" for w, f in zip(warm, flat, strict=True)), "page_kb": len(body) / 1024,
            "page_items": float(len(soup.select("[id^=item-]")))}


def _wrk_latency(output: str, label: str) -> float:
    match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no {label} latency:\n{output}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _target(client: httpx.Client, path: str) -> tuple[str, dict[str, str], str]:
    """The live post of the page at ``path`` (body, headers, URL), checked once: it must
    answer 200 with out-of-band fragments before it is measured."""
    page = client.get(path)
    if page.status_code != 200:
        raise RuntimeError(f"{path} answered {page.status_code}")
    body, headers, url = _live_body(page.text)
    check = client.post(url, content=body.replace(VALUE, "42"), headers={"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", **headers})
    if check.status_code != 200 or "hx-swap-oob" not in check.text:
        raise RuntimeError(f"live endpoint {url} answered {check.status_code}: {check.text[:300]}")
    return body, headers, url


def _document_target(client: httpx.Client) -> tuple[str, dict[str, str], str]:
    """A draft document of the 100-item form in a new encounter of a demo patient, started
    through the clinician's own pages: its live post."""
    chart = client.get("/patients?q=Saleh")
    found = re.search(r'href="/patients/(\d+)"', chart.text)
    if found is None:
        raise RuntimeError("no demo patient found")
    patient = f"/patients/{found.group(1)}"
    headers = _csrf_header(client.get(patient).text)
    encounter = client.post(f"{patient}/encounters", data={"reason": "benchmark"}, headers=headers)
    if encounter.status_code != 200 or "/encounters/" not in str(encounter.url):
        raise RuntimeError(f"starting an encounter answered {encounter.status_code} at {encounter.url}")
    document = client.post(f"{encounter.url.path}/documents", data={"form_id": "bench.form_100"}, headers=headers)
    if document.status_code != 200 or not re.fullmatch(r"/documents/\d+", document.url.path):
        raise RuntimeError(f"starting the document answered {document.status_code} at {document.url}")
    return _target(client, document.url.path)


def bench_live(env: dict[str, str]) -> dict[str, float]:
    """A `cliniform serve` worker on loopback, loaded by wrk for LOAD_SECONDS."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (make bench installs it: apt-get install wrk)")
    port = _free_port()
    server = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start: " + (server.stderr.read().decode()[-2000:] if server.stderr else "")) from None
                time.sleep(0.2)
        with httpx.Client(base_url=base, follow_redirects=True) as client:
            _login(client)
            targets = {"document": _document_target(client), "preview": _target(client, "/forms/bench.form_100")}
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        results = {}
        # a warm-up first, not measured: a worker that has just started still compiles
        # templates on first use and settles its garbage collector after its first few
        # thousand responses (renderer/web/app.py GcSettler); a clinic's worker runs for hours
        runs = (("warmup", "document", 0), ("live", "document", PACE_MS), ("stress", "document", STRESS_PACE_MS),
                ("lockstep", "document", PACE_MS), ("saturated", "document", 0), ("preview", "preview", PACE_MS))
        for label, target, pace in runs:
            body, headers, url = targets[target]
            lua_headers = "".join(f'wrk.headers["{k}"] = [==[{v}]==]\n' for k, v in
                                  {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "Cookie": cookie, **headers}.items())
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            hook = _delay_hook(pace, staggered=label != "lockstep") if pace else ""
            script.write_text(f'wrk.method = "POST"\ntemplate = [==[{body}]==]\n{lua_headers}{hook}{_LUA}')
            seconds = WARMUP_SECONDS if label == "warmup" else LOAD_SECONDS
            result = subprocess.run([wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), f"{base}{url}"],
                                    capture_output=True, text=True, timeout=LOAD_SECONDS + 60, check=True)
            script.unlink()
            out = result.stdout
            requests = re.search(r"(\d+) requests in", out)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            rate = re.search(r"Requests/sec:\s*([\d.]+)", out)
            results.update({
                f"{label}_p50_ms": _wrk_latency(out, "50%"), f"{label}_p90_ms": _wrk_latency(out, "90%"),
                f"{label}_p99_ms": _wrk_latency(out, "99%"), f"{label}_requests": float(requests.group(1)) if requests else 0.0,
                f"{label}_non_2xx": float(errors.group(1)) if errors else 0.0, f"{label}_rps": float(rate.group(1)) if rate else 0.0,
            })
        return results
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cliniform-web-bench-") as name:
        tmp = Path(name)
        env = _env(tmp, _pack(tmp))
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([*CLI, *command], env=env, cwd=ROOT, check=True, capture_output=True)
        page = bench_page(env)
        live = bench_live(env)
    ratio = page["page_p50_ms"] / page["flat_p50_ms"]
    rows = [
        (f"the 100-item form page, server time through the whole app, p50 ({page['page_kb']:.0f} kB)", f"{page['page_p50_ms']:.2f} ms", "", None),
        ("flat hand-written Jinja2 template with the same fields, p50", f"{page['flat_p50_ms']:.2f} ms", "", None),
        ("page / flat template", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5),
        (f"page / flat in each of the {PAGE_PASSES} passes (the spread this machine gives)", page["pass_ratios"], "", None),
        ("the same page cold (no kept item fragments: every item drawn), p50", f"{page['page_cold_p50_ms']:.2f} ms ({page['page_cold_p50_ms'] / page['flat_p50_ms']:.1f}x)", "", None),
        (f"live round-trip of a document (POST /documents/{{id}}/live, signed in, CSRF header), {CONNECTIONS} connections, {LOAD_SECONDS} s, one worker, bounded ({PACE_MS} ms pause per connection), p50", f"{live['live_p50_ms']:.2f} ms", "<= 5 ms", live["live_p50_ms"] <= 5),
        ("live round-trip of a document, bounded, p90", f"{live['live_p90_ms']:.2f} ms", "", None),
        ("live round-trip of a document, bounded, p99", f"{live['live_p99_ms']:.2f} ms", "<= 25 ms", live["live_p99_ms"] <= 25),
        ("live round-trips completed, bounded (non-2xx)", f"{live['live_requests']:,.0f} ({live['live_non_2xx']:.0f}), {live['live_rps']:.0f}/s", "", None),
        (f"stress: the same with a {STRESS_PACE_MS} ms pause (3.5x a person's rate), p50 / p99", f"{live['stress_p50_ms']:.2f} / {live['stress_p99_ms']:.2f} ms, "
         f"{live['stress_rps']:.0f}/s ({live['stress_non_2xx']:.0f} non-2xx)", "", None),
        ("lockstep: bounded as above, but all connections post their first request in the same instant and stay in step, p50 / p99",
         f"{live['lockstep_p50_ms']:.2f} / {live['lockstep_p99_ms']:.2f} ms ({live['lockstep_non_2xx']:.0f} non-2xx)", "", None),
        (f"unbounded (closed loop, {CONNECTIONS} connections, no pause): throughput", f"{live['saturated_rps']:.0f}/s", "", None),
        ("unbounded: p50 / p99 (queueing behind 32 connections)", f"{live['saturated_p50_ms']:.1f} / {live['saturated_p99_ms']:.1f} ms", "", None),
        ("definition preview's live round-trip (POST /forms/{id}/live: no store, no rules panel), bounded, p50 / p99", f"{live['preview_p50_ms']:.2f} / {live['preview_p99_ms']:.2f} ms ({live['preview_non_2xx']:.0f} non-2xx)", "", None),
    ]
    lines = ["| measurement | result | target | met |", "|---|---:|---|---|"]
    for name, value, target, met in rows:
        lines.append(f"| {name} | {value} | {target} | {'' if met is None else ('yes' if met else 'NO')} |")
    lines.append("")
    lines.append(f"The load generator (wrk, {THREADS} threads) runs on the same cores as the server. Before the measured loads, "
                 f"{WARMUP_SECONDS} s of unbounded load warm the freshly started worker up ({live['warmup_requests']:,.0f} "
                 "round-trips, not counted: templates compiled on first use, the garbage collector settled after the first "
                 "responses as renderer/web/app.py `GcSettler` does). "
                 f"Bounded: each of the {CONNECTIONS} "
                 f"connections is a person typing as fast as the page lets them post: it pauses {PACE_MS} ms after each answer, "
                 "the form's own debounce (forms/_form.html), so at most about 3 round-trips a second per connection. "
                 f"Each connection starts at a random moment within its first {PACE_MS} ms (seeded, so runs repeat): 32 people "
                 "do not all press a key in the same millisecond. The lockstep row is the load of earlier runs, "
                 "where all 32 first posts left together and the connections stayed in step: each round's 32 "
                 "requests queue behind each other, and that queue, not the request's own time, set the p99. Each post "
                 "carries a new value of one numeric item (wrk's request hook), so no round-trip repeats the one before. "
                 f"The stress row pauses {STRESS_PACE_MS} ms instead, 3.5x what a person can trigger (the bound of runs "
                 "before 2026-12-03). Unbounded, the worker answers as fast as it can and each request waits behind the "
                 "other 31: p50 is then about 32 / throughput, a measure of capacity, not of what a clinician waits.")
    lines.append("")
    lines.append("The live round-trip measured is a clinician's: a draft document of the 100-item form, posted to "
                 "/documents/{id}/live with the session cookie and the CSRF header, so each request resumes the session, "
                 "reads the document and the patient through the store (audited once when the page opened, not on every "
                 "round-trip: docs/operations.md) and runs the rules panel. The worker keeps each page's last evaluation, "
                 "so a round-trip evaluates again only the answer that changed and what depends on it. "
                 "The definition preview's endpoint evaluates and draws the same fragments without the store; its row "
                 "shows what the store's part adds.")
    lines.append("")
    lines.append(f"The page and the flat template are timed in turn, {PAGE_RUNS} of each per pass, in {PAGE_PASSES} passes; "
                 "each figure is the median of its best pass (other processes on the machine can only add time), as the "
                 "compile figures are the best of 3 passes. "
                 "Server time is the ASGI app called directly (no HTTP client in the figure), built as `cliniform serve` "
                 "builds it (renderer/web/app.py `serve_app`: compiled definitions and templates frozen out of the garbage "
                 "collector), session read and "
                 "evaluation included. A simple item's HTML is kept once drawn, keyed by everything it is drawn from "
                 "(renderer/web/fragments.py); the cold row is the page with nothing kept, as the first time a form "
                 "is opened in a given state.")
    if ratio > 1.5:
        lines.append("")
        lines.append("The page misses its target on this run: the rest of the request (session read, evaluating "
                     "100 items, building the field views, the layout) costs more than the flat template's loop.")
    demand = CONNECTIONS * 1000 / PACE_MS
    if live["live_p50_ms"] > 5 or live["live_p99_ms"] > 25:
        lines.append("")
        lines.append(f"The live round-trip misses its target on this run. The bounded load asks for up to {demand:.0f} "
                     f"round-trips a second; the worker's capacity on this endpoint (the unbounded row) is "
                     f"{live['saturated_rps']:.0f}/s" + (", so requests queue behind each other." if live["saturated_rps"] < demand
                                                          else "; the time is the request's own or the machine's load."))
    return {"title": "Web: form page and live round-trip", "metrics": {**page, **live, "ratio": ratio}, "table": "\n".join(lines)}


if __name__ == "__main__":
    print(run()["table"])
