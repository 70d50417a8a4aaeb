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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine._fastmodel import Prototype
from engine._model import AgentSpec, AgentUse, Moment, TechniqueSpec
from engine._plan_model import AgentTiming, Step
from engine._spec import ProtocolSpec
from engine._wording import session_text, session_title

__all__ = [
    "AFTERCARE_STEP",
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
    """An agent a step names: its timing's template and the moments the client's dates come from."""

    template: dict[str, Any]
    start: Moment | None
    until: Moment | None


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


def _timings(uses: Iterable[AgentUse], agents: Mapping[str, AgentSpec]) -> tuple[Timing, ...]:
    return tuple(
        Timing(
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


def _course(technique: str, spec: TechniqueSpec) -> CourseTable:
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
            own = StepTable(
                AFTERCARE_STEP.template(
                    phase="aftercare",
                    title=care.title,
                    instructions=instruction.instruction,
                    technique=None,
                    duration=duration,
                ),
                _timings(instruction.agents, agents),
            )
            replaced = instruction.alternative
            instead = (
                StepTable(
                    AFTERCARE_STEP.template(
                        phase="aftercare",
                        title=replaced.step,
                        instructions=replaced.instructions,
                        technique=None,
                        duration=duration,
                    ),
                    _timings(replaced.agents, agents),
                )
                if replaced is not None
                else None
            )
            aftercare[care.id] = (own, instead)
        self.requirement = requirement
        self.aftercare = aftercare
        self.course: Mapping[str, CourseTable] = {t: _course(t, ts) for t, ts in spec.techniques.items()}
        """Each technique's course of sessions."""
