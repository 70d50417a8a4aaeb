"""Render a plan (or the check of a practitioner's own plan) as plain text for the practitioner."""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from collections.abc import Sequence
from typing import Any

from engine._check import CheckResult
from engine._model import Period
from engine._plan_model import (
    AgentTiming,
    Caution,
    Justification,
    MissingFact,
    Pending,
    Ranking,
    Step,
    TreatmentPlan,
    starts_per_session,
)

__all__ = ["render_check_text", "render_text"]

_STATUS = {
    "ready": "READY: every safety rule was checked and passed",
    "needs_review": "NEEDS REVIEW: a practitioner must review the cautions before treatment",
    "needs_information": "NEEDS INFORMATION: answers are missing; nothing unsafe is offered meanwhile",
    "not_suitable": "NOT SUITABLE: no technique is both safe and indicated",
}
_WIDTH = 88


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)


def _value(value: Any) -> str:
    """A fact's value on a "because" line: a treatment history as its count and latest entry, not all of it."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        latest = max(value, key=lambda t: str(t.get("date", "")))
        detail = ", ".join(str(latest[k]) for k in ("reaction", "response") if latest.get(k))
        shown = f"latest {latest.get('technique')} on {latest.get('date')}" + (f" ({detail})" if detail else "")
        return f"{len(value)} treatment{'s' if len(value) != 1 else ''}, {shown}"
    return str(value)


def _why(justifications: tuple[Justification, ...], indent: str) -> list[str]:
    lines = []
    for j in justifications:
        facts = ", ".join(f"{k}={_value(v)}" for k, v in j.facts.items())
        lines.append(f"{indent}because {j.rule_id} ({j.title})" + (f" [{facts}]" if facts else ""))
        if j.note:
            lines.append(f"{indent}  note: {j.note}")
    return lines


_CONSIDERED = ("candidate", "not_indicated", "pending")


def _questions(heading: str, missing: tuple[MissingFact, ...]) -> list[str]:
    """The questions to ask, each with the fact and the rules that need it (nothing when none is open)."""
    if not missing:
        return []
    return ["", heading, *(_list_item(f"{m.question} ({m.fact}; needed by {', '.join(m.needed_by)})") for m in missing)]


def _cautions(heading: str, cautions: tuple[Caution, ...]) -> list[str]:
    """What the practitioner must review, each with its rule and advice (nothing when there is none)."""
    if not cautions:
        return []
    return ["", heading, *(_wrap(f"- {c.rule_id} {c.title}: {c.advice}", "  ") for c in cautions)]


def _first_session(plan: TreatmentPlan) -> int | None:
    """The number of the plan's first session (3 for a course that continues after two)."""
    return next((s.session for s in plan.steps if s.phase == "treatment"), None)


def _list_item(text: str) -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent="  - ", subsequent_indent="    ", break_on_hyphens=False)


def _considered(row: Ranking) -> str:
    """An alternative in one line: why it was not planned, with its cautions."""
    if row.status == "pending":
        verdict = "waiting for answers"
    elif not row.indicated_by:
        verdict = "not indicated for this pore cause"
    elif row.status == "not_indicated":
        verdict = f"indicated by {', '.join(row.indicated_by)} but outweighed"
    else:
        verdict = f"a candidate, indicated by {', '.join(row.indicated_by)}"
    cautions = f"; cautions: {', '.join(row.cautions)}" if row.cautions else ""
    return f"{row.title} [{row.technique}]: {verdict}; score {row.score:+d}, invasiveness {row.invasiveness}{cautions}"


def _continuous(duration: str, sessions: list[str]) -> bool:
    """Whether an instruction of ``duration`` after each session lasts from one session to the next."""
    period = Period.parse(duration)
    days = [dt.date.fromisoformat(d) for d in sessions]
    return all(period.after(a) >= b for a, b in itertools.pairwise(days))


def _when(step: Step, sessions: list[str] | None = None, maintenance: bool = False) -> str:
    """When a step happens, for the line that names it: a session's date; a preparation's start and end.

    Read as a receptionist books: a follow-up is on a day, so many weeks after a session; an
    aftercare instruction follows each session for its duration (the date is when the last one ends),
    or runs without a break when each session's span reaches the next (``sessions``: their dates).
    In a maintenance plan (``maintenance``) a preparation timed around each maintenance session
    says so: its first start and last end would read as one pause of most of a year.
    """
    sessions = sessions or []
    if maintenance and step.phase in ("preparation", "pre_treatment") and any(a.windows for a in step.agents):
        return " — around each maintenance session (dates below)"
    when = []
    if step.phase == "follow_up":
        after = "the last session" if step.session is None else f"session {step.session}"
        if step.date:
            when.append(f"on {step.date}" + (f" ({step.duration} after {after})" if step.duration else ""))
        elif step.duration:
            when.append(f"{step.duration} after {after}")
        return f" — {', '.join(when)}" if when else ""
    if step.phase == "aftercare" and step.duration:
        if not step.until:
            return f" — after each session, for {step.duration}"
        if _continuous(step.duration, sessions):
            return f" — from the first session until {step.until}"  # each session's span reaches the next
        held = [  # pauses without a break over the course (a retinoid through microdermabrasion sessions)
            a
            for a in step.agents
            if a.role == "withholds" and not a.windows and a.start_on and a.until_on and sessions
            if a.start_on <= sessions[0] and a.until_on >= sessions[-1]
        ]
        if held:
            start = min(a.start_on for a in held if a.start_on)
            end = max(a.until_on for a in held if a.until_on)
            return f" — pauses from {start} until {end}; the rest after each session, for {step.duration}"
        return f" — after each session, for {step.duration}; after the last session, until {step.until}"
    if step.date:
        when.append(f"on {step.date}")
    if step.start_on and not step.date:
        when.append(f"start on {step.start_on}")
    if step.until:
        when.append(f"until {step.until}")
    elif step.duration:
        when.append(f"for {step.duration}")
    if step.phase == "treatment" and step.not_before and not step.date:
        when.append(f"not before {step.not_before}")
    return f" — {', '.join(when)}" if when else ""


def _agent_line(
    agent: AgentTiming, since: str | None = None, maintenance: bool = False, sessions: list[str] | None = None
) -> str:
    """One agent's use or pause, in words and dates; around each session, each session's window.

    ``since``: the first session of a course the plan continues. What began at the course's
    first session goes on ("keeps pausing ... as since 2026-10-21"), and a moment counted from
    the first session is counted from the next one of this plan. ``maintenance``: the plan
    maintains a course, and each of its windows is around one maintenance session (or joins
    several), whatever the rule's words count from.
    """
    verb = "uses" if agent.role == "uses" else "pauses"
    start, until = agent.start, agent.until
    if maintenance and agent.windows:
        if len(agent.windows) == 1:  # the windows of every session meet: one span
            (window,) = agent.windows
            return f"{verb} {agent.title} from {window.start_on} to {window.until_on}, across the maintenance sessions"
        days = ", ".join(f"{w.start_on} to {w.until_on}" for w in agent.windows)
        return f"{verb} {agent.title} around each maintenance session, that is {days}"
    if since is not None:
        if start and start.endswith("first session"):
            keep = "keeps using" if agent.role == "uses" else "keeps pausing"
            end = f" until {until.replace('first session', 'next session')}" if until else ""
            end += f" ({agent.until_on})" if until and agent.until_on else ""
            return f"{keep} {agent.title}, as since the course began ({since}){end}"
        start = start.replace("first session", "next session") if start else start
        until = until.replace("first session", "next session") if until else until
    if agent.windows:
        days = ", ".join(f"{w.start_on} to {w.until_on}" for w in agent.windows)
        return f"{verb} {agent.title}: from {start} until {until}, that is {days}"
    span = []
    starts = starts_per_session(agent, sessions or [])
    if start and len(starts) > 1:  # started again before every session ("from 1 day before each session")
        span.append(f"from {start} ({', '.join(starts)})")
    elif start:
        span.append(f"from {start}" + (f" ({agent.start_on})" if agent.start_on else ""))
    if until:
        span.append(f"until {until}" + (f" ({agent.until_on})" if agent.until_on else ""))
    return f"{verb} {agent.title}" + (": " + " ".join(span) if span else "")


def _waiting(pending: Sequence[Pending]) -> list[str]:
    """Each technique waiting for answers, with what it still needs.

    A client who has answered little leaves a dozen techniques waiting on the same thirty
    facts; the answers they all need are said once, so that each line shows what sets one
    technique apart instead of repeating the list.
    """
    shared: set[str] = set()
    if len(pending) > 1:
        shared = set(pending[0].missing_facts).intersection(*(p.missing_facts for p in pending[1:]))
    out = []
    if shared:
        every = [fact for fact in pending[0].missing_facts if fact in shared]
        out.append(_list_item(f"all {len(pending)} need: {', '.join(every)}"))
    for p in pending:
        rules = ", ".join(p.rules[:3]) + (f" and {len(p.rules) - 3} more rules" if len(p.rules) > 3 else "")
        own = [fact for fact in p.missing_facts if fact not in shared]
        needs = f"{'also needs' if shared else 'needs'} {', '.join(own)}" if own else "only those"
        out.append(_list_item(f"{p.title} [{p.technique}]: {needs} ({rules})"))
    return out


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
    out += _questions("Questions to ask before treatment can be confirmed:", plan.missing_facts)
    out += _cautions("Cautions on the planned technique (practitioner review required):", plan.cautions)
    if plan.steps:
        out += ["", "Steps:"]
        phase = None
        course = plan.course
        since = course.first_session if course is not None and course.state == "continuing" else None
        maintenance = course is not None and course.state == "maintenance"
        first = next((s for s in plan.steps if s.phase == "treatment"), None)
        days = [s.date for s in plan.steps if s.phase == "treatment" and s.date]
        for number, step in enumerate(plan.steps, 1):
            if step.phase != phase:
                phase = step.phase
                out.append(f"  {phase.replace('_', ' ').upper()}")
            out.append(
                f"{number:>3}. {'(skipped) ' if step.skipped else ''}{step.title}{_when(step, days, maintenance)}"
            )
            if step.phase == "treatment" and step is not first:
                continue  # later sessions repeat the plan's first session's instructions and reasons
            if step.phase == "follow_up" and step.session is not None and step.session != _first_session(plan):
                continue  # a follow-up after each session: told in full once
            out.append(_wrap(step.instructions, "       "))
            if step.not_before and step.phase != "treatment":
                out.append(_wrap(f"(the first session cannot be before {step.not_before})", "       "))
            for agent in step.agents:
                out.append(_wrap(_agent_line(agent, since, maintenance, days), "       "))
            if step.parameters:
                params = ", ".join(f"{k}: {v}" for k, v in step.parameters.items())
                out.append(_wrap(f"parameters: {params}", "       "))
            out.extend(_why(step.justifications, "       "))
    others = [r for r in plan.ranking if r.status in _CONSIDERED and r.technique != plan.technique]
    if others:
        out += ["", "Other techniques considered:"]
        out.extend(_list_item(_considered(r)) for r in others)
    if plan.excluded:
        out += ["", "Excluded techniques:"]
        for e in plan.excluded:
            again = f" (may be reconsidered from {e.reconsider_from})" if e.reconsider_from else ""
            out.append(f"  - {e.title} [{e.technique}]{again}")
            out.extend(_why(e.reasons, "      "))
            out.extend(_wrap(f"meanwhile: {advice}", "      ") for advice in e.advice)
    if plan.pending:
        out += ["", "Techniques waiting for answers:"]
        out.extend(_waiting(plan.pending))
    out += [
        "",
        f"Protocol {plan.protocol.id} {plan.protocol.version}, sha256 {plan.protocol.sha256}",
        f"Engine {plan.engine_version}",
    ]
    return "\n".join(out) + "\n"


_VERDICT = {
    "acceptable": "ACCEPTABLE: the proposal keeps to every rule that was checked",
    "needs_review": "NEEDS REVIEW: it keeps to the rules, but a practitioner must review the cautions first",
    "needs_information": "NEEDS INFORMATION: answers are missing; do not book until they are given",
    "unacceptable": "UNACCEPTABLE: it breaks the protocol as listed below",
}


def render_check_text(result: CheckResult) -> str:
    """A readable answer to "is this plan acceptable?": the verdict, each violation with its rule, what to ask."""
    out = [
        f"Check of a proposed plan — {result.protocol.title} v{result.protocol.version}",
        f"Assessment date: {result.assessment_date}",
        f"Verdict: {_VERDICT[result.verdict]}",
        _wrap(result.summary, ""),
        "",
        f"Technique: {result.technique}",
        "Sessions: " + ", ".join(f"{n}. {day}" for n, day in enumerate(result.sessions, 1)),
    ]
    if result.earliest_start:
        out.append(f"Earliest first session the protocol allows: {result.earliest_start}")
    if result.course is not None and result.course.state != "new":
        course = result.course
        out.append(
            f"Course: {course.state}, {course.sessions_done} of {course.of_sessions} sessions done"
            + (f" (last on {course.last_session})" if course.last_session else "")
        )
    if result.violations:
        out += ["", "Violations:"]
        for v in result.violations:
            where = f"session {v.session} ({v.date})" if v.session is not None else "the whole proposal"
            out.append(_list_item(f"{where} [{v.rule_id}]: {v.message}"))
    out += _questions("Questions to ask first:", result.missing_facts)
    out += _cautions("Cautions (practitioner review required):", result.cautions)
    out += [
        "",
        f"Protocol {result.protocol.id} {result.protocol.version}, sha256 {result.protocol.sha256}",
        f"Engine {result.engine_version}",
    ]
    return "\n".join(out) + "\n"
