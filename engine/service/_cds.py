"""CDS Hooks 2.0: the discovery document, reading a hook request, fetching what was not prefetched, the card.

One service, ``pore-reduction-plan``, on the ``appointment-book`` hook: when a clinic books
a visit, the record's Patient, Observations, Conditions, medications, allergies and previous
procedures are read through ``fhir-mapping.yaml`` and the protocol answers with one card:

===================== ========== =====================================================
plan status           indicator  card
===================== ========== =====================================================
``ready``             info       the plan, with a suggestion to create the CarePlan
``needs_review``      warning    what to review; the suggestion says it needs a review
``needs_information`` info       the questions to ask; no suggestion
``not_suitable``      warning    the reasons and when to reconsider; no suggestion
===================== ========== =====================================================

A prefetch key sent as ``null``, or resources that lack a fact, mean the record does not
hold it: the fact is unknown and the card asks, never suggests treating. A key that was not
sent is fetched from ``fhirServer`` with the client's ``fhirAuthorization`` (short
timeout); when that is impossible or fails, :class:`PrefetchMissing` names the keys (the
service answers 412, as CDS Hooks 2.0 requires).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from engine import TreatmentPlan
from engine._fhir_mapping import FhirMapping
from engine._spec import ProtocolSpec
from engine.service._fhir_facts import resources_of
from engine.service._fhir_resources import care_plan

__all__ = [
    "HOOK",
    "PREFETCH",
    "SERVICE_ID",
    "HookRequest",
    "HookRequestError",
    "PrefetchMissing",
    "assessment_day",
    "card_for",
    "discovery",
    "fetch_missing",
    "missing_keys",
    "read_hook_request",
]

SERVICE_ID = "pore-reduction-plan"
HOOK = "appointment-book"
PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
}
"""What the service reads; the two medication keys are alternatives (either one is enough)."""
_ALTERNATIVES = (("medicationStatements", "medicationRequests"),)
FETCH_TIMEOUT = 2.0
"""Seconds for each FHIR request when a key was not prefetched: a booking screen cannot wait longer."""
SUMMARY_LIMIT = 140
MAX_QUESTIONS = 12
"""Questions listed on a card, the most needed first; the plan (and the CarePlan) keeps every one."""
_NAMESPACE = uuid.UUID("5d0c5cde-8a56-4bb7-9b7c-3d1c8c1f0a11")


class HookRequestError(Exception):
    """The request is not a CDS Hooks call this service can read (answered 400); the message says why."""


class PrefetchMissing(Exception):
    """Data the service needs could neither be prefetched nor fetched (answered 412 with an OperationOutcome)."""

    def __init__(self, keys: list[str], reasons: Mapping[str, str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys
        self.reasons = dict(reasons)


@dataclass
class HookRequest:
    """The parts of a hook request the service reads; every other context field is ignored."""

    hook_instance: str
    patient_id: str
    appointments: Any
    prefetch: dict[str, Any]
    fhir_server: str | None = None
    access_token: str | None = None
    fetched: list[str] = field(default_factory=list)


def discovery() -> dict[str, Any]:
    """The ``GET /cds-services`` document."""
    return {
        "services": [
            {
                "hook": HOOK,
                "id": SERVICE_ID,
                "title": "Pore reduction treatment plan",
                "description": (
                    "When a visit is booked, checks the client's record against the pore reduction protocol and "
                    "proposes a justified treatment plan, the questions still to ask, or why no technique is "
                    "suitable now."
                ),
                "prefetch": dict(PREFETCH),
                "usageRequirements": (
                    "Prefetch, or give fhirServer and fhirAuthorization so that the service can read, the "
                    "patient and their observations, conditions, medications, allergies and procedures."
                ),
            }
        ]
    }


def read_hook_request(body: Any) -> HookRequest:
    """The hook request in ``body`` (parsed JSON); raises :class:`HookRequestError` naming what is wrong."""
    if not isinstance(body, dict):
        raise HookRequestError("a CDS Hooks request is a JSON object")
    if body.get("hook") != HOOK:
        raise HookRequestError(f"this service answers the '{HOOK}' hook, not {body.get('hook')!r}")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance:
        raise HookRequestError("hookInstance is required (a string)")
    context = body.get("context")
    if not isinstance(context, dict):
        raise HookRequestError("context is required (an object)")
    patient = context.get("patientId")
    if not isinstance(patient, str) or not patient:
        raise HookRequestError("context.patientId is required (a string)")
    prefetch = body.get("prefetch", {})
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise HookRequestError("prefetch must be an object")
    server = body.get("fhirServer")
    auth = body.get("fhirAuthorization")
    token = auth.get("access_token") if isinstance(auth, dict) else None
    return HookRequest(
        hook_instance=instance,
        patient_id=patient,
        appointments=context.get("appointments"),
        prefetch={k: v for k, v in prefetch.items() if k in PREFETCH},
        fhir_server=server if isinstance(server, str) and server.startswith(("https://", "http://")) else None,
        access_token=token if isinstance(token, str) and token else None,
    )


def _usable(value: Any) -> bool:
    """A prefetched value the service can read: ``null`` (no data) or resources, not an OperationOutcome."""
    return not (isinstance(value, dict) and value.get("resourceType") == "OperationOutcome")


def missing_keys(request: HookRequest) -> list[str]:
    """The prefetch keys the service still needs (an alternative pair counts once, as both its keys)."""
    have = {k for k, v in request.prefetch.items() if _usable(v)}
    missing = [k for k in PREFETCH if k not in have]
    for pair in _ALTERNATIVES:
        if any(k in have for k in pair):
            missing = [k for k in missing if k not in pair]
    return missing


async def fetch_missing(request: HookRequest, timeout: float = FETCH_TIMEOUT) -> None:
    """Fetch every missing key from the client's FHIR server; raise :class:`PrefetchMissing` with what still lacks.

    Without ``fhirServer`` and ``fhirAuthorization`` nothing is fetched. A failed fetch (an
    error status, a timeout, an answer that is not JSON) leaves its key missing.
    """
    missing = missing_keys(request)
    if not missing:
        return
    reasons: dict[str, str] = {}
    if request.fhir_server is None or request.access_token is None:
        for key in missing:
            reasons[key] = f"'{key}' was not prefetched and no fhirServer with fhirAuthorization was given"
        raise PrefetchMissing(missing, reasons)
    base = request.fhir_server.rstrip("/")
    headers = {"Authorization": f"Bearer {request.access_token}", "Accept": "application/fhir+json"}
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for key in missing:
            query = PREFETCH[key].replace("{{context.patientId}}", quote(request.patient_id, safe=""))
            try:
                answer = await client.get(f"{base}/{query}", headers=headers)
                if answer.status_code == 404 and key == "patient":
                    request.prefetch[key] = None
                elif answer.status_code != 200:
                    reasons[key] = f"fetching '{key}' from the FHIR server answered HTTP {answer.status_code}"
                    continue
                else:
                    request.prefetch[key] = answer.json()
                request.fetched.append(key)
            except (httpx.HTTPError, ValueError) as exc:
                reasons[key] = f"fetching '{key}' from the FHIR server failed ({type(exc).__name__})"
    still = missing_keys(request)
    if still:
        for key in still:
            reasons.setdefault(key, f"'{key}' could not be had")
        raise PrefetchMissing(still, {k: reasons[k] for k in still})


def assessment_day(request: HookRequest, zone_today: dt.date) -> tuple[dt.date, bool]:
    """The appointment's start date (the earliest, as written in its own offset), else today; and which it is."""
    starts = []
    for resource in resources_of(request.appointments):
        if resource.get("resourceType") == "Appointment" and isinstance(resource.get("start"), str):
            try:
                starts.append(dt.date.fromisoformat(resource["start"][:10]))
            except ValueError:
                continue
    return (min(starts), True) if starts else (zone_today, False)


# ----------------------------------------------------------------------------- the card


def _short(text: str, limit: int = SUMMARY_LIMIT - 1) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary(plan: TreatmentPlan, spec: ProtocolSpec) -> str:
    entry = spec.techniques.get(plan.technique or "")
    title = entry.title if entry is not None else None
    if plan.status == "ready" and title:
        return _short(f"Pore reduction: {title} can be planned")
    if plan.status == "needs_review" and title:
        return _short(f"Pore reduction: {title} needs a practitioner's review ({len(plan.cautions)} caution(s))")
    if plan.status == "needs_information":
        count = len(plan.missing_facts)
        return _short(f"Pore reduction: {count} question{'s' if count != 1 else ''} to answer before a plan")
    when = f"; reconsider from {plan.reconsider_from}" if plan.reconsider_from else ""
    return _short(f"Pore reduction: no technique is suitable now{when}")


def _rules(ids: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def _detail(plan: TreatmentPlan, spec: ProtocolSpec, dated_by: str, notes: list[str]) -> str:
    lines = [
        plan.summary,
        "",
        f"*Assessment date {plan.assessment_date}: {dated_by}. Sessions are dated from that day, "
        "at the earliest the protocol allows.*",
    ]
    if plan.choice:
        lines += ["", f"**Why this technique:** {plan.choice}"]
    if plan.cautions:
        lines += ["", "**To review before treating:**"]
        lines += [f"- {c.title}: {c.advice} ({_rules([c.rule_id])})" for c in plan.cautions]
    if plan.missing_facts:
        lines += ["", "**Questions to ask:**"]
        lines += [f"- {m.question} (needed by {_rules(list(m.needed_by))})" for m in plan.missing_facts[:MAX_QUESTIONS]]
        if len(plan.missing_facts) > MAX_QUESTIONS:
            lines.append(f"- and {len(plan.missing_facts) - MAX_QUESTIONS} more (the plan lists every one)")
    if plan.status == "not_suitable" or (plan.excluded and plan.status != "needs_information"):
        lines += ["", "**Ruled out:**"]
        for ex in plan.excluded:
            when = f"; reconsider from {ex.reconsider_from}" if ex.reconsider_from else ""
            reasons = "; ".join(f"{r.title} ({_rules([r.rule_id])})" for r in ex.reasons)
            lines.append(f"- {ex.title}: {reasons}{when}")
    treatment = [s for s in plan.steps if s.phase == "treatment" and not s.skipped]
    chosen = spec.techniques.get(plan.technique or "")
    if treatment and plan.status in ("ready", "needs_review") and chosen is not None:
        title = chosen.title
        dates = [s.date for s in treatment if s.date]
        when = f", from {dates[0]}" if dates else ""
        rules = sorted({j.rule_id for s in plan.steps for j in s.justifications})
        lines += [
            "",
            f"**Plan:** {len(treatment)} session(s) of {title}{when}.",
            f"Rules behind the steps: {_rules(rules)}",
        ]
    if notes:
        lines += ["", "**Record notes:**", *[f"- {n}" for n in notes]]
    lines += [
        "",
        f"Protocol {spec.manifest.id} {spec.manifest.version} ({spec.manifest.status}), rules sha256 "
        f"`{spec.sha256[:12]}`. Decision support only: the practitioner decides.",
    ]
    return "\n".join(lines)


def card_for(
    plan: TreatmentPlan,
    spec: ProtocolSpec,
    mapping: FhirMapping,
    request: HookRequest,
    source_url: str,
    dated_by: str,
    notes: list[str],
) -> dict[str, Any]:
    """The one card that answers the hook, by the plan's status (see the module's table)."""
    card_id = str(uuid.uuid5(_NAMESPACE, f"{request.hook_instance}|card"))
    card: dict[str, Any] = {
        "uuid": card_id,
        "summary": _summary(plan, spec),
        "indicator": "warning" if plan.status in ("needs_review", "not_suitable") else "info",
        "detail": _detail(plan, spec, dated_by, notes),
        "source": {"label": f"{spec.manifest.title} {spec.manifest.version}", "url": source_url},
    }
    if plan.status in ("ready", "needs_review") and plan.technique is not None:
        review = plan.status == "needs_review"
        card["suggestions"] = [
            {
                "label": "Create the care plan (needs a practitioner's review first)"
                if review
                else "Create the care plan",
                "uuid": str(uuid.uuid5(_NAMESPACE, f"{request.hook_instance}|suggestion")),
                "isRecommended": not review,
                "actions": [
                    {
                        "type": "create",
                        "description": "Add the proposed pore reduction care plan to the record",
                        "resource": care_plan(plan, spec, mapping, request.patient_id),
                    }
                ],
            }
        ]
        card["selectionBehavior"] = "at-most-one"
    return card
