"""A plan's dated steps as an iCalendar file a clinic's calendar imports (RFC 5545).

Only what has a day goes in: each session (maintenance sessions included), the day the
client starts each preparation (an antiviral two days before the first session, priming
from today), the start of each later window of an agent taken or paused around every
session (the antiviral before session 2, the hydroquinone pause), and each follow-up. Steps
the clinic does at every visit (cleansing, degreasing) have no day of their own and stay
out. On a plan that needs review, every session says so in its title and lists the
cautions, so that no session is booked without them being read. Each is an all-day event whose description
holds the step's instructions and the rules behind it.

The file is a function of the plan alone, so the same facts and rules give the same bytes:
``DTSTAMP`` is the assessment day (not the clock), and each event's ``UID`` is a digest of
who the client is and what the event is (its phase, technique and session number, or its
title), never of its date. Importing a later file for the same client and course therefore
updates its events rather than adding copies, even when a date moved.

Who the client is: the caller's ``client_id`` when given (a clinic's record number: the
events then stay the same across visits), else the client's facts other than the requested
start date (so moving the start updates the events in place).

``icalendar`` is imported on first use: a plan that is never exported never pays for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from engine._plan_model import Step, TreatmentPlan, starts_per_session
from engine._spec import START_DATE
from engine._version import __version__

__all__ = ["NotDatedError", "render_ics"]

_PREPARING = ("preparation", "pre_treatment")


class NotDatedError(ValueError):
    """The plan has no dated step: without a start date its sessions have no days to export."""


def render_ics(plan: TreatmentPlan, client_id: str | None = None) -> bytes:
    """The dated steps of ``plan`` as an iCalendar file (bytes, CRLF line ends, as RFC 5545 writes them).

    :param client_id: the client's identifier in the caller's records, for event identities
        that survive re-assessment (see the module docstring).

    :raises NotDatedError: no session has a date (a plan without a ``start_date``, or without a technique):
        a calendar with only the day to start a preparation would mislead.
    """
    if not any(step.phase == "treatment" and step.date for step in plan.steps):
        raise NotDatedError(
            "the plan's sessions have no dates to export: give the client's start_date"
            if plan.technique
            else f"the plan is {plan.status} and schedules no session: there is nothing to put in a calendar"
        )
    review = ""
    if plan.status == "needs_review":
        cautions = "\n".join(f"- {c.rule_id} {c.title}: {c.advice}" for c in plan.cautions)
        review = f"NEEDS A PRACTITIONER'S REVIEW BEFORE TREATMENT:\n{cautions}\n\n"
    sessions = [s.date for s in plan.steps if s.phase == "treatment" and s.date]
    events = [event for step in plan.steps for event in _events(step, review, sessions)]
    import icalendar  # here, not at the top: 60 ms of imports, paid only by an export

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//pore-protocol//engine {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    title = next((r.title for r in plan.ranking if r.technique == plan.technique), plan.technique)
    calendar.add("x-wr-calname", f"{plan.protocol.title}: {title}")
    stamp = dt.datetime.combine(dt.date.fromisoformat(plan.assessment_date), dt.time(), dt.timezone.utc)
    who: Any = (
        {"client_id": client_id}
        if client_id is not None
        else {name: value for name, value in plan.facts.items() if name != START_DATE}
    )
    client = json.dumps(who, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for day, summary, description, key in events:
        event = icalendar.Event()
        event.add("uid", f"{_digest(plan.protocol.id, client, key)}@pore-protocol")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        event.add("categories", [key[0].replace("_", "-")])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _events(step: Step, review: str, sessions: list[str]) -> list[tuple[dt.date, str, str, tuple[Any, ...]]]:
    """The step's calendar entries: (day, summary, description, what it is).

    ``review``: for a plan that needs review, what to review, told on every session so that
    nobody books one without reading it. ``sessions``: the dates of the plan's sessions.
    """
    why = "Rules: " + ", ".join(dict.fromkeys(j.rule_id for j in step.justifications))
    text = f"{step.instructions}\n\n{why}"
    out: list[tuple[dt.date, str, str, tuple[Any, ...]]] = []
    if step.phase == "treatment" and step.date:
        key: tuple[Any, ...] = ("treatment", step.technique, step.session, step.maintenance)
        title = f"REVIEW FIRST: {step.title}" if review else step.title
        out.append((dt.date.fromisoformat(step.date), title, f"{review}{text}", key))
    elif step.phase in _PREPARING and step.start_on:
        out.append((dt.date.fromisoformat(step.start_on), f"Start: {step.title}", text, (step.phase, step.title)))
    elif step.phase == "follow_up" and step.date:
        out.append((dt.date.fromisoformat(step.date), step.title, text, (step.phase, step.title, step.session)))
    if step.phase not in _PREPARING:
        return out  # aftercare follows each session: the session's own event is the reminder
    for agent in step.agents:  # around each session: the start of each window (an antiviral, a pause)
        verb = "Take" if agent.role == "uses" else "Pause"
        for n, window in enumerate(agent.windows[1:], 2):
            summary = f"{verb} {agent.title} until {window.until_on} ({step.title})"
            out.append(
                (dt.date.fromisoformat(window.start_on), summary, text, (step.phase, step.title, agent.agent, n))
            )
        for n, day in enumerate(starts_per_session(agent, sessions)[1:], 2):  # started again before each session
            summary = f"{verb} {agent.title} ({step.title})"
            out.append((dt.date.fromisoformat(day), summary, text, (step.phase, step.title, agent.agent, n)))
    return out


def _digest(protocol: str, client: str, key: tuple[Any, ...]) -> str:
    text = json.dumps([protocol, client, list(key)], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
