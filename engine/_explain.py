"""Render a plan as plain text for the practitioner who will carry it out."""

from __future__ import annotations

import textwrap

from engine._plan_model import Justification, TreatmentPlan

__all__ = ["render_text"]

_STATUS = {
    "ready": "READY: every safety rule was checked and passed",
    "needs_review": "NEEDS REVIEW: a practitioner must review the cautions before treatment",
    "needs_information": "NEEDS INFORMATION: answers are missing; nothing unsafe is offered meanwhile",
    "not_suitable": "NOT SUITABLE: no technique is both safe and indicated",
}
_WIDTH = 88


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=indent, subsequent_indent=indent)


def _why(justifications: tuple[Justification, ...], indent: str) -> list[str]:
    lines = []
    for j in justifications:
        facts = ", ".join(f"{k}={v}" for k, v in j.facts.items())
        lines.append(f"{indent}because {j.rule_id} ({j.title})" + (f" [{facts}]" if facts else ""))
        if j.note:
            lines.append(f"{indent}  note: {j.note}")
    return lines


def render_text(plan: TreatmentPlan) -> str:
    """A readable plan: status, choice, steps by phase, exclusions, cautions, missing answers."""
    out = [
        f"Pore reduction plan — {plan.protocol.title} v{plan.protocol.version}",
        f"Assessment date: {plan.assessment_date}",
        f"Status: {_STATUS[plan.status]}",
        _wrap(plan.summary, ""),
    ]
    if plan.choice:
        out += ["", "Why this technique:", _wrap(plan.choice, "  ")]
    if plan.missing_facts:
        out += ["", "Questions to ask before treatment can be confirmed:"]
        for m in plan.missing_facts:
            out.append(_wrap(f"- {m.question} ({m.fact}; needed by {', '.join(m.needed_by)})", "  "))
    if plan.cautions:
        out += ["", "Cautions (practitioner review required):"]
        for c in plan.cautions:
            out.append(_wrap(f"- {c.rule_id} {c.title} [{', '.join(c.techniques)}]: {c.advice}", "  "))
    if plan.steps:
        out += ["", "Steps:"]
        phase = None
        for number, step in enumerate(plan.steps, 1):
            if step.phase != phase:
                phase = step.phase
                out.append(f"  {phase.replace('_', ' ').upper()}")
            when = []
            if step.date:
                when.append(f"on {step.date}")
            if step.not_before and not step.date:
                when.append(f"not before {step.not_before}")
            if step.until:
                when.append(f"until {step.until}")
            elif step.duration:
                when.append(f"for {step.duration}")
            head = f"{number:>3}. {'(skipped) ' if step.skipped else ''}{step.title}"
            out.append(head + (f" — {', '.join(when)}" if when else ""))
            if step.session is not None and step.session > 1:
                continue  # later sessions repeat the first one's instructions and reasons
            out.append(_wrap(step.instructions, "       "))
            if step.parameters:
                params = ", ".join(f"{k}: {v}" for k, v in step.parameters.items())
                out.append(_wrap(f"parameters: {params}", "       "))
            out.extend(_why(step.justifications, "       "))
    if plan.excluded:
        out += ["", "Excluded techniques:"]
        for e in plan.excluded:
            again = f" (may be reconsidered from {e.reconsider_from})" if e.reconsider_from else ""
            out.append(f"  - {e.title} [{e.technique}]{again}")
            out.extend(_why(e.reasons, "      "))
    if plan.pending:
        out += ["", "Techniques waiting for answers:"]
        for p in plan.pending:
            out.append(f"  - {p.title} [{p.technique}]: needs {', '.join(p.missing_facts)} ({', '.join(p.rules)})")
    out += [
        "",
        f"Protocol {plan.protocol.id} {plan.protocol.version}, sha256 {plan.protocol.sha256}",
        f"Engine {plan.engine_version}",
    ]
    return "\n".join(out) + "\n"
