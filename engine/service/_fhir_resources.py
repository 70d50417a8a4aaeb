"""The plan and the protocol as FHIR R4 (4.0.1) resources: CarePlan, PlanDefinition, CodeSystem, OperationOutcome.

Built as plain JSON-ready dicts from the validated plan and protocol; the tests validate
every one with ``fhir.resources``' R4B models (the package ships R5 and R4B, not R4;
CarePlan, PlanDefinition, CodeSystem and OperationOutcome do not differ between R4 and R4B).
Nothing clinical is decided here: the texts are the plan's and the rules' own (the English
rendering of the core), and the codes come from ``fhir-mapping.yaml``.

References to the rules are codes of the rules CodeSystem (``<canonical_base>/CodeSystem/
pore-protocol-rules``, code = rule id), which the service publishes beside the project one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine import TreatmentPlan
from engine._english import condition_text, effect_text
from engine._fhir_mapping import FhirMapping
from engine._plan_model import Justification, Step
from engine._spec import Always, Effect, ProtocolSpec, Rule

__all__ = ["care_plan", "code_system", "operation_outcome", "plan_definition", "rules_code_system"]

PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
_ACTIVE_STATUS = {"draft": "draft", "active": "active", "retired": "retired"}


def _canonical(mapping: FhirMapping, spec: ProtocolSpec) -> str:
    return f"{mapping.plan_definition_url(spec.manifest.id)}|{spec.manifest.version}"


def _rule_concept(mapping: FhirMapping, justification: Justification) -> dict[str, Any]:
    return {
        "coding": [{"system": mapping.rules_system_url, "code": justification.rule_id, "display": justification.title}],
        "text": justification.rationale,
    }


def _schedule(step: Step) -> dict[str, Any]:
    """When a step happens: a period of dates when the plan has them, otherwise the plan's words."""
    start = step.date or step.start_on or step.not_before
    end = step.date or step.until
    if start is not None or end is not None:
        period = {"start": start} if start else {}
        if end is not None and (start is None or end >= start):
            period["end"] = end
        return {"scheduledPeriod": period}
    words = []
    if step.session is not None:
        words.append(f"session {step.session}" + (f" of {step.of_sessions}" if step.of_sessions else ""))
    if step.interval:
        words.append(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(step.interval.items())))
    if step.duration:
        words.append(f"for {step.duration}")
    words.append(step.phase.replace("_", " "))
    return {"scheduledString": "; ".join(words)}


def _activity(step: Step, mapping: FhirMapping, canonical: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "instantiatesCanonical": [canonical],
        "code": {"text": step.phase.replace("_", " ")},
        "status": "cancelled" if step.skipped else "not-started",
        "description": f"{step.title}: {step.instructions}",
        **_schedule(step),
    }
    reasons = [_rule_concept(mapping, j) for j in step.justifications]
    if reasons:
        detail["reasonCode"] = reasons
    if step.skipped:
        detail["statusReason"] = {"text": step.instructions}
    return {"detail": detail}


def care_plan(
    plan: TreatmentPlan, spec: ProtocolSpec, mapping: FhirMapping, patient: str | None = None
) -> dict[str, Any]:
    """The plan as a proposed CarePlan: one activity per step, dated where the plan is, each with its rules.

    :param patient: the FHIR Patient id the plan is for (CDS Hooks ``context.patientId``);
        without one the subject is described, not referenced.
    """
    canonical = _canonical(mapping, spec)
    technique = spec.techniques.get(plan.technique) if plan.technique else None
    notes = [{"text": plan.summary}]
    notes += [{"text": f"Caution ({c.rule_id}): {c.title}. {c.advice}"} for c in plan.cautions]
    notes += [{"text": f"To ask ({m.fact}): {m.question}"} for m in plan.missing_facts]
    notes += [
        {
            "text": f"Excluded: {e.title} ({', '.join(r.rule_id for r in e.reasons)})"
            + (f"; reconsider from {e.reconsider_from}" if e.reconsider_from else "")
        }
        for e in plan.excluded
    ]
    dated = sorted(d for s in plan.steps for d in (s.date, s.start_on, s.until) if d)
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "proposal",
        "instantiatesCanonical": [canonical],
        "title": f"Pore reduction plan: {technique.title}" if technique else f"Pore reduction plan ({plan.status})",
        "description": plan.summary,
        "subject": {"reference": f"Patient/{patient}"} if patient else {"display": "The client assessed"},
        "created": plan.assessment_date,
        "category": [{"text": f"status: {plan.status}"}],
        "note": notes,
    }
    if dated:
        resource["period"] = {"start": dated[0], "end": dated[-1]}
    activities = [_activity(step, mapping, canonical) for step in plan.steps]
    if activities:
        resource["activity"] = activities
    return resource


# ----------------------------------------------------------------------------- the protocol


def _name(text: str) -> str:
    """A computable name (``^[A-Z]([A-Za-z0-9_]){0,254}$``) from an id such as ``pore-reduction``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Protocol"
    return name if name[0].isalpha() else f"P{name}"


def _fhir_id(text: str) -> str:
    """A FHIR id (``[A-Za-z0-9\\-.]{1,64}``) for a technique id such as ``laser.nd_yag``."""
    return re.sub(r"[^A-Za-z0-9\-.]", "-", text)[:64]


def _evidence(spec: ProtocolSpec, rule: Rule[Effect]) -> list[dict[str, Any]]:
    out = []
    for cited in spec.citations(rule):
        artifact: dict[str, Any] = {"type": "citation", "citation": cited.citation}
        if cited.source:
            artifact["label"] = cited.source
        if cited.url:
            artifact["url"] = cited.url
        out.append(artifact)
    return out


def _rule_action(spec: ProtocolSpec, rule: Rule[Effect]) -> dict[str, Any]:
    when = "always" if isinstance(rule.condition, Always) else condition_text(rule.condition, spec)
    documentation = [
        {"type": "documentation", "label": "when", "display": when},
        {"type": "justification", "label": "rationale", "display": rule.spec.rationale},
        *_evidence(spec, rule),
    ]
    return {
        "id": rule.id,
        "title": f"{rule.id}: {rule.spec.title}",
        "description": effect_text(rule, spec),
        "code": [{"coding": [{"code": rule.spec.kind}], "text": rule.spec.kind}],
        "documentation": documentation,
    }


def _technique_action(spec: ProtocolSpec, technique: str) -> dict[str, Any]:
    entry = spec.techniques[technique]
    rules = [r.id for r in spec.rules if technique in r.scope]
    return {
        "id": technique,
        "title": entry.title,
        "description": entry.description or entry.title,
        "definitionCanonical": f"#{_fhir_id(technique)}",
        "documentation": [{"type": "documentation", "label": "rules", "display": "Governed by " + ", ".join(rules)}]
        if rules
        else [],
    }


def _activity_definition(spec: ProtocolSpec, mapping: FhirMapping, technique: str) -> dict[str, Any]:
    entry = spec.techniques[technique]
    sessions = entry.sessions
    course = (
        f"{sessions.typical} sessions ({sessions.minimum} to {sessions.maximum}), "
        f"{sessions.interval_min} to {sessions.interval_max} apart"
    )
    if entry.maintenance_every is not None:
        course += f"; maintenance every {entry.maintenance_every}"
    resource: dict[str, Any] = {
        "resourceType": "ActivityDefinition",
        "id": _fhir_id(technique),
        "status": _ACTIVE_STATUS[spec.manifest.status],
        "name": _name(technique),
        "title": entry.title,
        "description": f"{entry.description or entry.title}. Course: {course}. Downtime: {entry.downtime}.",
        "kind": "ServiceRequest",
        "code": {"coding": [{"system": mapping.codesystem_url, "code": technique, "display": entry.title}]},
    }
    return resource


def plan_definition(spec: ProtocolSpec, mapping: FhirMapping) -> dict[str, Any]:
    """The protocol as a PlanDefinition: the techniques (with their ActivityDefinitions, contained) and every rule.

    Each rule is an action whose description is its effect in plain English; its condition,
    rationale and evidence are documentation, where FHIR has no better home for rules
    written in this project's language.
    """
    manifest = spec.manifest
    kinds: dict[str, list[Rule[Effect]]] = {}
    for rule in spec.rules:
        kinds.setdefault(rule.spec.kind, []).append(rule)
    return {
        "resourceType": "PlanDefinition",
        "id": manifest.id,
        "url": mapping.plan_definition_url(manifest.id),
        "version": manifest.version,
        "name": _name(manifest.id),
        "title": manifest.title,
        "type": {
            "coding": [{"system": PLAN_DEFINITION_TYPE, "code": "clinical-protocol", "display": "Clinical Protocol"}]
        },
        "status": _ACTIVE_STATUS[manifest.status],
        "experimental": manifest.status == "draft",
        "date": manifest.last_review.isoformat(),
        "publisher": manifest.owner,
        "description": manifest.description or manifest.title,
        "usage": manifest.disclaimer or manifest.title,
        "lastReviewDate": manifest.last_review.isoformat(),
        "relatedArtifact": [
            {"type": "documentation", "label": "sha256", "display": f"rules content sha256 {spec.sha256}"}
        ],
        "contained": [_activity_definition(spec, mapping, t) for t in spec.techniques],
        "action": [
            {
                "id": "technique",
                "title": "One treatment technique",
                "selectionBehavior": "at-most-one",
                "action": [_technique_action(spec, t) for t in spec.techniques],
            },
            *(
                {"id": f"rules-{kind}", "title": f"{kind} rules", "action": [_rule_action(spec, r) for r in rules]}
                for kind, rules in kinds.items()
            ),
        ],
    }


def _code_system(
    url: str, cs_id: str, title: str, spec: ProtocolSpec, concepts: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": cs_id,
        "url": url,
        "version": spec.manifest.version,
        "name": _name(cs_id),
        "title": title,
        "status": _ACTIVE_STATUS[spec.manifest.status],
        "experimental": spec.manifest.status == "draft",
        "publisher": spec.manifest.owner,
        "caseSensitive": True,
        "content": "complete",
        "concept": [{"code": code, "display": display or code} for code, display in concepts],
    }


def code_system(spec: ProtocolSpec, mapping: FhirMapping) -> dict[str, Any]:
    """The project CodeSystem: a code for every fact, value, technique and answer no standard code covers."""
    return _code_system(
        mapping.codesystem_url,
        "pore-protocol",
        f"{spec.manifest.title}: intake facts and techniques",
        spec,
        ((c.code, c.display) for c in mapping.concepts),
    )


def rules_code_system(spec: ProtocolSpec, mapping: FhirMapping) -> dict[str, Any]:
    """The rules CodeSystem: one code per rule id, which CarePlan activities cite as their reasons."""
    return _code_system(
        mapping.rules_system_url,
        "pore-protocol-rules",
        f"{spec.manifest.title}: rules",
        spec,
        ((r.id, r.spec.title) for r in sorted(spec.rules, key=lambda r: r.id)),
    )


def operation_outcome(problems: Mapping[str, str] | Iterable[tuple[str, str]], code: str = "invalid") -> dict[str, Any]:
    """An OperationOutcome with one error per (where, what): ``where`` goes in ``expression``."""
    items = problems.items() if isinstance(problems, Mapping) else problems
    issues = []
    for where, what in items:
        issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": what}
        if where:
            issue["expression"] = [where]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}
