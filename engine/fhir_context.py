"""FHIR R4 resources (CDS Hooks prefetch) -> the chart context rules read.

Only the fields rules use are read: Patient (birthDate, gender), Condition,
AllergyIntolerance, MedicationRequest / MedicationStatement (active ones) and Observation
(latest value per code). Anything malformed is a `FhirProblem` naming where it is, so the
service can answer 400 with a message the calling system's developers can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.decisions import ChartContext

PREGNANCY_CODES = {("http://loinc.org", "82810-3"), ("http://snomed.info/sct", "77386006"), ("http://hl7.org/fhir/sid/icd-10", "Z33")}
INACTIVE = {"inactive", "resolved", "remission", "stopped", "completed", "cancelled", "entered-in-error", "refuted"}


class FhirProblem(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def resources(prefetch: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every resource in a prefetch (single resources and Bundles), with where it came from."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in prefetch.items():
        if value is None:
            continue
        if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
            raise FhirProblem(f"prefetch.{key}", "must be a FHIR resource or Bundle (an object with resourceType)")
        if value["resourceType"] == "Bundle":
            entries = value.get("entry") or []
            if not isinstance(entries, list):
                raise FhirProblem(f"prefetch.{key}.entry", "must be a list")
            for i, entry in enumerate(entries):
                resource = entry.get("resource") if isinstance(entry, Mapping) else None
                if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
                    raise FhirProblem(f"prefetch.{key}.entry[{i}]", "has no resource with a resourceType")
                found.append((f"prefetch.{key}.entry[{i}]", resource))
        else:
            found.append((f"prefetch.{key}", value))
    return found


def _codings(concept: Any, where: str) -> list[dict[str, str]]:
    if concept is None:
        return []
    if not isinstance(concept, Mapping):
        raise FhirProblem(where, "must be a CodeableConcept (an object with coding)")
    codings = concept.get("coding") or []
    if not isinstance(codings, list):
        raise FhirProblem(f"{where}.coding", "must be a list")
    rows = []
    for coding in codings:
        if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
            rows.append({"system": str(coding.get("system", "")), "code": coding["code"], "display": str(coding.get("display") or concept.get("text") or "")})
    if not rows and isinstance(concept.get("text"), str):
        rows.append({"system": "", "code": concept["text"].strip().lower(), "display": concept["text"]})
    return rows


def _status(resource: Mapping[str, Any], key: str) -> str:
    value = resource.get(key)
    if isinstance(value, Mapping):
        codings = value.get("coding") or []
        return str(codings[0].get("code", "")) if codings and isinstance(codings[0], Mapping) else ""
    return str(value or "")


def _rows(concept: Any, where: str, extra: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    codings = _codings(concept, where)
    for coding in codings[:1]:  # the first coding names the concept; others are translations
        yield {**coding, "codings": codings, **extra}


def chart_from_fhir(prefetch: Mapping[str, Any], draft_orders: Mapping[str, Any] | None = None) -> ChartContext:
    """A chart context from prefetched resources (and order-select's draft orders)."""
    patient: dict[str, Any] = {}
    allergies: list[dict[str, Any]] = []
    medications: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for where, resource in resources(prefetch):
        kind = resource["resourceType"]
        if kind == "Patient":
            if "birthDate" in resource:
                patient["birth_date"] = str(resource["birthDate"])
            if "gender" in resource:
                patient["sex"] = str(resource["gender"])
        elif kind == "Condition":
            status = _status(resource, "clinicalStatus")
            if status not in INACTIVE:
                problems += _rows(resource.get("code"), f"{where}.code", {"status": status or "active"})
                if any((c["system"], c["code"]) in PREGNANCY_CODES for c in _codings(resource.get("code"), where)):
                    patient["pregnant"] = True
        elif kind == "AllergyIntolerance":
            status = _status(resource, "clinicalStatus")
            if status not in INACTIVE:
                allergies += _rows(resource.get("code"), f"{where}.code", {"criticality": resource.get("criticality", "")})
        elif kind in ("MedicationRequest", "MedicationStatement"):
            if _status(resource, "status") not in INACTIVE:
                medications += _rows(resource.get("medicationCodeableConcept"), f"{where}.medicationCodeableConcept", {"status": _status(resource, "status")})
        elif kind == "Observation":
            _observation(resource, where, latest, patient)
    order: list[dict[str, Any]] = []
    if draft_orders is not None:
        for where, resource in resources({"draftOrders": draft_orders}):
            if resource["resourceType"] == "MedicationRequest":
                order += _rows(resource.get("medicationCodeableConcept"), f"context.{where[9:]}.medicationCodeableConcept", {"status": "draft"})
    return ChartContext(patient=patient, allergies=tuple(allergies), medications=tuple(medications), problems=tuple(problems),
                        observations=tuple(latest.values()), order=tuple(order))


def _observation(resource: Mapping[str, Any], where: str, latest: dict[tuple[str, str], dict[str, Any]], patient: dict[str, Any]) -> None:
    if _status(resource, "status") in INACTIVE:
        return
    date = str(resource.get("effectiveDateTime") or resource.get("issued") or "")
    quantity = resource.get("valueQuantity")
    value: Any = None
    unit = ""
    if isinstance(quantity, Mapping):
        value, unit = quantity.get("value"), str(quantity.get("code") or quantity.get("unit") or "")
        if value is not None and not isinstance(value, int | float):
            raise FhirProblem(f"{where}.valueQuantity.value", "must be a number")
    elif "valueCodeableConcept" in resource:
        codes = _codings(resource["valueCodeableConcept"], f"{where}.valueCodeableConcept")
        value = codes[0]["code"] if codes else None
    elif isinstance(resource.get("valueString"), str | bool | int | float):
        value = resource.get("valueString")
    for coding in _codings(resource.get("code"), f"{where}.code"):
        key = (coding["system"], coding["code"])
        if key not in latest or date > str(latest[key]["date"]):
            latest[key] = {"system": coding["system"], "code": coding["code"], "display": coding["display"], "value": value, "unit": unit, "date": date}
        if key == ("http://loinc.org", "82810-3") and isinstance(value, str):
            patient["pregnant"] = value in ("77386006", "pregnant")
