"""FHIR R4 records for tests: a client's facts written as the resources a clinic system would hold.

:func:`record_for` writes every fact with the project CodeSystem's codes (the convention of
``rules/fhir-mapping.yaml``), so that reading the record back must give the same facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import engine

__all__ = ["appointment", "bundle", "hook_request", "project_system", "record_for"]


def project_system(protocol: engine.Protocol) -> str:
    mapping = protocol._spec.fhir_mapping
    assert mapping is not None
    return mapping.codesystem_url


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _observation(system: str, fact: str, value: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{number}",
        "status": "final",
        "code": _concept(system, fact),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-20",
        **value,
    }


def record_for(protocol: engine.Protocol, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources (Observations and Procedures, project codes) that hold exactly ``facts``."""
    system = project_system(protocol)
    out: list[dict[str, Any]] = []
    for number, (name, value) in enumerate(sorted(facts.items())):
        if name in ("assessment_date", "start_date") or value is None:
            continue
        kind = protocol.facts[name].type
        if kind == "boolean":
            out.append(_observation(system, name, {"valueBoolean": value}, number))
        elif kind == "integer":
            out.append(_observation(system, name, {"valueInteger": value}, number))
        elif kind == "enum":
            out.append(
                _observation(system, name, {"valueCodeableConcept": _concept(system, f"{name}.{value}")}, number)
            )
        elif kind == "set":
            concept = (
                {"coding": [{"system": system, "code": f"{name}.{v}"} for v in value]}
                if value
                else _concept(system, "none")
            )
            out.append(_observation(system, name, {"valueCodeableConcept": concept}, number))
        elif kind == "date":
            answer = (
                {"valueCodeableConcept": _concept(system, value)}
                if value in ("never", "ongoing")
                else {"valueDateTime": str(value)}
            )
            out.append(_observation(system, name, answer, number))
        elif kind == "treatment_history":
            if not value:
                out.append(_observation(system, name, {"valueCodeableConcept": _concept(system, "none")}, number))
            for i, entry in enumerate(value):
                procedure: dict[str, Any] = {
                    "resourceType": "Procedure",
                    "id": f"proc-{number}-{i}",
                    "status": "completed",
                    "code": _concept(system, entry["technique"]),
                    "subject": {"reference": "Patient/p1"},
                    "performedDateTime": str(entry["date"]),
                }
                if entry.get("reaction"):
                    procedure["complication"] = [_concept(system, f"reaction.{entry['reaction']}")]
                if entry.get("response"):
                    procedure["outcome"] = _concept(system, f"response.{entry['response']}")
                out.append(procedure)
    return out


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A searchset Bundle of ``resources``, as a FHIR search answers."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType']}-{r.get('id', i)}", "resource": r}
            for i, r in enumerate(resources)
        ],
    }


def appointment(start: dt.date | str = "2026-11-25") -> dict[str, Any]:
    """A proposed Appointment starting on ``start`` at 10:00 local time (the hook's context)."""
    return {
        "resourceType": "Appointment",
        "id": "apt1",
        "status": "proposed",
        "serviceType": [{"text": "Pore reduction consultation"}],
        "start": f"{start}T10:00:00-05:00",
        "end": f"{start}T10:30:00-05:00",
        "participant": [{"actor": {"reference": "Patient/p1"}, "status": "needs-action"}],
    }


def hook_request(
    protocol: engine.Protocol, facts: dict[str, Any], appointments: Any = None, **extra: Any
) -> dict[str, Any]:
    """An appointment-book request shaped like the CDS Hooks 2.0 examples, every key prefetched."""
    resources = record_for(protocol, facts)
    by_kind = {kind: [r for r in resources if r["resourceType"] == kind] for kind in ("Observation", "Procedure")}
    return {
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": "appointment-book",
        "context": {
            "userId": "PractitionerRole/A2340113",
            "patientId": "p1",
            "appointments": appointments
            if appointments is not None
            else bundle([appointment(facts["assessment_date"])]),
        },
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "p1", "gender": "female"},
            "observations": bundle(by_kind["Observation"]),
            "conditions": None,
            "medicationStatements": None,
            "allergies": None,
            "procedures": bundle(by_kind["Procedure"]),
        },
        **extra,
    }
