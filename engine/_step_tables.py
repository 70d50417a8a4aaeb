"""What each step of a plan says whatever the client, written once per protocol.

A requirement's step, its alternative, an aftercare instruction, each session of a
technique's course and each agent a step names carry texts that depend only on the rules:
titles, instructions, the agent's title and its moments as written, the session's title,
description, interval and parameters. Per client only the dates, the notes and the
justifications differ. :class:`StepTables` writes the constant parts into per-step
templates (:class:`engine._fastmodel.Prototype`) when the protocol loads, so that building
a plan's steps is filling in what differs (:mod:`engine._schedule`, :mod:`engine._sessions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine._fastmodel import Prototype
from engine._model import AgentSpec, AgentUse, Moment, TechniqueSpec
from engine._plan_model import AgentTiming, Step
from engine._spec import ProtocolSpec, RequirementEffect, Rule
from engine._wording import session_text, session_title

__all__ = [
    "AFTERCARE_STEP",
    "ASSESSMENT",
    "FIRST_SESSION",
    "LAST_SESSION",
    "REQUIREMENT_STEP",
    "SESSION_STEP",
    "TIMING",
    "CourseTable",
    "StepTable",
    "StepTables",
    "Timing",
]

REQUIREMENT_STEP = Prototype(
    Step, ("phase", "title", "instructions"), ("start_on", "not_before", "until", "agents", "justifications")
)
AFTERCARE_STEP = Prototype(
    Step, ("phase", "title", "instructions", "technique", "duration"), ("until", "agents", "justifications")
)
SESSION_STEP = Prototype(
    Step,
    ("phase", "title", "technique", "session", "of_sessions"),
    ("instructions", "date", "not_before", "interval", "parameters", "justifications"),
)
TIMING = Prototype(AgentTiming, ("agent", "title", "role", "start", "until"), ("start_on", "until_on", "windows"))


@dataclass(frozen=True)
class Timing:
    """An agent a step names: its timing's template and the moments the client's dates come from.

    With each moment, what turning it into a day needs, worked out once: which day it is
    counted from (:data:`ASSESSMENT`, :data:`FIRST_SESSION` or :data:`LAST_SESSION` of a
    client's course) and, for a moment counted in days or weeks, the shift as a
    ``timedelta`` (``None``: the moment's own :meth:`~engine._model.Moment.on`, for months
    and years, whose length varies).
    """

    template: dict[str, Any]
    start: Moment | None
    until: Moment | None
    start_from: int = 0
    start_shift: dt.timedelta | None = None
    until_from: int = 0
    until_shift: dt.timedelta | None = None
    each_session: bool = False
    """Both moments are around each session: the agent's use or pause has a window per session."""


ASSESSMENT, FIRST_SESSION, LAST_SESSION = 0, 1, 2
"""The days a :class:`Timing`'s moments are counted from, as indexes of (assessment, first, last session)."""


def _counted_from(moment: Moment, last: bool) -> int:
    """Which day ``moment`` falls from; around each session, the first occurrence for a start, the last for an end."""
    if moment.anchor == "assessment":
        return ASSESSMENT
    if moment.anchor == "first_session":
        return FIRST_SESSION
    if moment.anchor == "last_session":
        return LAST_SESSION
    return LAST_SESSION if last else FIRST_SESSION


def _shift(moment: Moment) -> dt.timedelta | None:
    """The moment's shift from its day, when that is a fixed number of days (else ``None``)."""
    period = moment.period
    if period is None:
        return dt.timedelta(0)
    sign = -1 if moment.direction == "before" else 1
    if period.unit == "days":
        return dt.timedelta(days=sign * period.amount)
    if period.unit == "weeks":
        return dt.timedelta(weeks=sign * period.amount)
    return None


def _timing(template: dict[str, Any], start: Moment | None, until: Moment | None) -> Timing:
    return Timing(
        template,
        start,
        until,
        _counted_from(start, last=False) if start else 0,
        _shift(start) if start else None,
        _counted_from(until, last=True) if until else 0,
        _shift(until) if until else None,
        start is not None and until is not None and start.anchor == "each_session" and until.anchor == "each_session",
    )


@dataclass(frozen=True)
class StepTable:
    """One version of a step (the rule's own, or its alternative): its template and its agents."""

    template: dict[str, Any]
    timings: tuple[Timing, ...]


@dataclass(frozen=True)
class CourseTable:
    """A technique's course as every plan writes it: each session's template and the shared texts."""

    sessions: tuple[dict[str, Any], ...]
    """The template of session 1, 2, ... of the typical course."""
    text: str
    """What every session is (the technique, the course and its downtime)."""
    interval: Mapping[str, str]
    parameters: Mapping[str, str | int]
    """The technique's parameters, sorted by name (empty when it has none)."""
    supporting: frozenset[str] = frozenset()
    """The suitability arguments for the technique (positive points): those that hold justify its sessions."""
    timing: frozenset[str] = frozenset()
    """The sequencing rules that govern it and skip no phase: those that hold time its sessions."""


def _aftercare(
    title: str, instructions: str, duration: str, uses: Iterable[AgentUse], agents: Mapping[str, AgentSpec]
) -> StepTable:
    """An aftercare step as every plan writes it (its own or the alternative that replaces it)."""
    step = AFTERCARE_STEP.template(
        phase="aftercare", title=title, instructions=instructions, technique=None, duration=duration
    )
    return StepTable(step, _timings(uses, agents))


def _timings(uses: Iterable[AgentUse], agents: Mapping[str, AgentSpec]) -> tuple[Timing, ...]:
    return tuple(
        _timing(
            TIMING.template(
                agent=use.agent,
                title=agents[use.agent].title if use.agent in agents else use.agent,
                role=use.role,
                start=str(use.start) if use.start else None,
                until=str(use.until) if use.until else None,
            ),
            use.start,
            use.until,
        )
        for use in uses
    )


def _course(technique: str, spec: TechniqueSpec, protocol: ProtocolSpec) -> CourseTable:
    course = spec.sessions
    return CourseTable(
        sessions=tuple(
            SESSION_STEP.template(
                phase="treatment",
                title=session_title(number, course.typical, spec),
                technique=technique,
                session=number,
                of_sessions=course.typical,
            )
            for number in range(1, course.typical + 1)
        ),
        text=session_text(spec, course),
        interval={"min": str(course.interval_min), "max": str(course.interval_max)},
        parameters=dict(sorted(spec.parameters.items())),
        supporting=frozenset(r.id for r in protocol.suitability if technique in r.techniques and r.effect.points > 0),
        timing=frozenset(r.id for r in protocol.sequencing if technique in r.scope and not r.effect.skip_phase),
    )


class StepTables:
    """Per-protocol templates of every step, read-only once built (see the module docstring)."""

    def __init__(self, spec: ProtocolSpec) -> None:
        agents = spec.agents
        self.requirement: Mapping[str, tuple[StepTable, StepTable | None]] = {}
        """Each requirement's step, and its alternative's (``None``: no alternative)."""
        self.aftercare: Mapping[str, tuple[StepTable, StepTable | None]] = {}
        """Each aftercare rule's instruction, and its alternative's."""
        requirement: dict[str, tuple[StepTable, StepTable | None]] = {}
        for rule in spec.requirements:
            effect = rule.effect
            own = StepTable(
                REQUIREMENT_STEP.template(phase=effect.phase, title=effect.step, instructions=effect.instructions),
                _timings(effect.agents, agents),
            )
            other = effect.alternative
            instead = (
                StepTable(
                    REQUIREMENT_STEP.template(phase=effect.phase, title=other.step, instructions=other.instructions),
                    _timings(other.agents, agents),
                )
                if other is not None
                else None
            )
            requirement[rule.id] = (own, instead)
        aftercare: dict[str, tuple[StepTable, StepTable | None]] = {}
        for care in spec.aftercare:
            instruction = care.effect
            duration = str(instruction.duration)
            replaced = instruction.alternative
            aftercare[care.id] = (
                _aftercare(care.title, instruction.instruction, duration, instruction.agents, agents),
                None
                if replaced is None
                else _aftercare(replaced.step, replaced.instructions, duration, replaced.agents, agents),
            )
        self.requirement = requirement
        self.aftercare = aftercare
        self.course: Mapping[str, CourseTable] = {t: _course(t, ts, spec) for t, ts in spec.techniques.items()}
        """Each technique's course of sessions."""
        self.requirements_for: Mapping[str | None, frozenset[str]] = {
            None: frozenset(r.id for r in spec.requirements if r.general and r.effect.phase == "consultation"),
            **{
                t: frozenset(r.id for r in spec.requirements if r.general or t in r.techniques) for t in spec.techniques
            },
        }
        """The requirements whose steps a plan of each technique can have (``None``: a plan without
        one, which has only the consultation's general steps)."""
        self.consultation: tuple[Rule[RequirementEffect], ...] = tuple(
            r for r in spec.requirements if r.id in self.requirements_for[None]
        )
        """The consultation's general requirements, in protocol order (a plan without a technique has only these)."""
        self.aftercare_for: Mapping[str, frozenset[str]] = {
            t: frozenset(r.id for r in spec.aftercare if t in r.techniques) for t in spec.techniques
        }
        """The aftercare rules whose instructions a plan of each technique can have."""
