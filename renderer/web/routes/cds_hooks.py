"""CDS Hooks 2.0 service: the clinic's rules, answering other systems' EHR hooks.

`GET /cds-services` lists the services; `POST /cds-services/{id}` takes a hook request
(patient-view or order-select) with FHIR R4 prefetch and answers with cards built from the
same rules, by the same runtime, as the live alerts in Cliniform's own forms.

The service reads only what the request carries: it never opens the clinic's records and
never calls the requester's FHIR server, so prefetch is required (without it: 412
Precondition Failed, as the specification asks of a service that cannot get its data; a
malformed request: 400 naming the field). It is meant to be reached by the EHR over the
clinic network (docs/security.md: restrict it at the reverse proxy; client authentication
with JWT is not built yet). It uses no cookies and keeps no state, so it is exempt from
the CSRF check (``MACHINE``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from engine.catalog import Catalog
from engine.decisions import event_cards, rules_for_event
from engine.fhir_context import FhirProblem, chart_from_fhir
from renderer.web.permissions import MACHINE

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "observations": "Observation?patient={{context.patientId}}&_sort=-date&_count=100",
}
SERVICES: dict[str, dict[str, str]] = {
    "cliniform-patient-view": {
        "hook": "patient-view",
        "title": "Cliniform chart checks",
        "description": "Decision-support rules that run when a patient's chart is opened (e.g. active drugs that conflict with recorded allergies).",
    },
    "cliniform-order-select": {
        "hook": "order-select",
        "title": "Cliniform medication checks",
        "description": "Decision-support rules for draft medication orders: allergy class conflicts, duplicate therapy, teratogens in pregnancy.",
    },
}


def _bad(message: str) -> Response[dict[str, Any]]:
    return Response({"error": "bad_request", "message": message}, status_code=400)


def _locale(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("accept-language", "")
    return "ar" if header.strip().lower().startswith("ar") else "en"


@get("/cds-services", opt=MACHINE, name="cds-discovery", sync_to_thread=False)
def discovery(request: Request[Any, Any, Any]) -> dict[str, Any]:
    catalog: Catalog = request.app.state.catalog
    services = []
    for service_id, service in SERVICES.items():
        rules = rules_for_event(catalog, service["hook"])
        services.append({
            "id": service_id, "hook": service["hook"], "title": service["title"],
            "description": service["description"] + f" {len(rules)} rules.",
            "prefetch": PREFETCH,
        })
    return {"services": services}


def _check(body: Any, hook: str) -> str | None:
    """What is wrong with a hook request, or None."""
    if not isinstance(body, Mapping):
        return "the request body must be a JSON object"
    if body.get("hook") != hook:
        return f"'hook' must be '{hook}' for this service (got {body.get('hook')!r})"
    if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
        return "'hookInstance' (a UUID string) is required"
    context = body.get("context")
    if not isinstance(context, Mapping):
        return "'context' must be an object"
    if not isinstance(context.get("patientId"), str) or not context["patientId"]:
        return "'context.patientId' is required"
    if hook == "order-select":
        orders = context.get("draftOrders")
        if not isinstance(orders, Mapping) or orders.get("resourceType") != "Bundle":
            return "'context.draftOrders' must be a FHIR Bundle of the draft orders"
        if not isinstance(context.get("selections"), list):
            return "'context.selections' must be a list of the selected order references"
    if "prefetch" in body and not isinstance(body["prefetch"], Mapping):
        return "'prefetch' must be an object of the prefetch templates' results"
    return None


NO_PREFETCH = "'prefetch' is required: this service does not query FHIR servers; send the prefetch templates listed at GET /cds-services"


@post("/cds-services/{service_id:str}", opt=MACHINE, name="cds-service", status_code=200)
async def call_service(request: Request[Any, Any, Any], service_id: FromPath[str]) -> Response[dict[str, Any]]:
    service = SERVICES.get(service_id)
    if service is None:
        return Response({"error": "not_found", "message": f"no CDS service '{service_id}'; see GET /cds-services"}, status_code=404)
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _bad(f"the request body is not valid JSON: {exc}")
    problem = _check(body, service["hook"])
    if problem:
        return _bad(problem)
    if "prefetch" not in body:
        # CDS Hooks 2.0: a service that cannot get the data it needs answers 412 Precondition Failed
        return Response({"error": "precondition_failed", "message": NO_PREFETCH}, status_code=412)
    context = body["context"]
    try:
        chart = chart_from_fhir(body["prefetch"], context.get("draftOrders") if service["hook"] == "order-select" else None)
    except FhirProblem as exc:
        return _bad(str(exc))
    catalog: Catalog = request.app.state.catalog
    cards = event_cards(catalog, service["hook"], chart, _locale(request))
    return Response({"cards": [card.as_cds_hooks() for card in cards]})


ROUTES = [discovery, call_service]
