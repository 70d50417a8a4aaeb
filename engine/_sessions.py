"""The treatment sessions of the chosen technique: a new course, the rest of one in progress, or maintenance.

A returning client's course (:mod:`engine._course`) continues when its next session can keep
the technique's interval (or a rule says to carry on regardless), restarts otherwise, and a
completed one is maintained for a year. Sessions are dated from the requested start date, or
from the course itself when it continues; never before the earliest day the waits allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from engine._course import Course
from engine._facts import ClientFacts
from engine._fastmodel import builder
from engine._holding import Holding
from engine._model import Period
from engine._plan_model import CourseInfo, Step
from engine._plan_tables import Justifier, PlanTables
from engine._spec import START_DATE, Effect, Rule, SequencingEffect
from engine._step_tables import SESSION_STEP
from engine._wording import (
    describe,
    maintenance_text,
    maintenance_title,
    moved_note,
    same_day_note,
)

__all__ = ["Sessions"]

_new_maintenance = builder(
    Step,
    "phase",
    "title",
    "instructions",
    "technique",
    "session",
    "of_sessions",
    "date",
    "not_before",
    "interval",
    "parameters",
    "maintenance",
    "justifications",
)
_new_course = builder(CourseInfo, "technique", "state", "sessions_done", "of_sessions", "first_session", "last_session")
_YEAR = Period(12, "months")


class Sessions:
    """Lays out the sessions of one client's plan and records where the plan stands in its course.

    Holds the client's facts, the rules that hold for them and the plan's justifier, and
    ``info``, set when the sessions are laid out; used once per plan, by
    :class:`engine._schedule.Schedule`.
    """

    def __init__(self, tables: PlanTables, facts: ClientFacts, rules: Holding, justify: Justifier) -> None:
        self.tables = tables
        self.spec = tables.spec
        self.facts = facts
        self.rules = rules
        self.justify = justify
        self.info: CourseInfo | None = None
        """Where the plan stands in a course of its technique (set when the sessions are laid out)."""

    def continues(self, chosen: str | None, course: Course) -> bool:
        """Whether the plan carries the course on (or maintains it).

        Not when waits push the next session past the technique's longest interval, unless a
        rule that holds says to continue regardless (and none says to restart): then the
        course restarts.
        """
        if chosen != course.technique:
            return False
        if course.state == "maintenance":
            return True
        interval = self.spec.techniques[chosen].sessions
        due = self._first_day(interval.interval_min.after(course.last))
        if due <= interval.interval_max.after(course.last):
            return True
        says = {r.effect.late_course for r in self.rules.sequencing if r.governs(chosen) and r.effect.late_course}
        return says == {"continue"}

    def _first_day(self, not_before: dt.date) -> dt.date:
        """The first session's day before the other waits are known: the start date, if later."""
        start = self.facts.values.get(START_DATE)
        return max(start, not_before) if isinstance(start, dt.date) else not_before

    def lay_out(
        self, chosen: str, earliest: dt.date, course: Course | None = None, continuing: bool = False
    ) -> list[Step]:
        """The course's sessions, dated from the requested start (never before ``earliest``) when given.

        Continuing a course: the remaining sessions, from the last one plus the shortest
        interval (dated even without a start date: the course fixes them). Maintaining one:
        a session every ``maintenance_every`` for the next 12 months. A course that cannot
        continue restarts.
        """
        technique = self.spec.techniques[chosen]
        if course is not None and continuing and course.state == "maintenance":
            return self._maintenance(chosen, earliest, course)
        spec = technique.sessions
        going_on = course is not None and continuing
        state: Literal["new", "continuing", "restarting"] = (
            "continuing" if going_on else "restarting" if course is not None else "new"
        )
        self.info = _new_course(
            technique=chosen,
            state=state,
            sessions_done=course.done if course is not None and going_on else 0,
            of_sessions=spec.typical,
            first_session=course.first.isoformat() if course else None,
            last_session=course.last.isoformat() if course else None,
        )
        if course is not None and going_on:
            earliest = max(earliest, spec.interval_min.after(course.last))
            return self._course(chosen, earliest, course.done + 1, dated=True)
        return self._course(chosen, earliest, 1, dated=False)

    def _maintenance(self, chosen: str, earliest: dt.date, course: Course) -> list[Step]:
        """Maintenance sessions after a completed course: one every ``maintenance_every`` for 12 months."""
        technique = self.spec.techniques[chosen]
        every = technique.maintenance_every
        assert every is not None  # find_course only reports maintenance for techniques that have it
        self.info = _new_course(
            technique=chosen,
            state="maintenance",
            sessions_done=course.done,
            of_sessions=technique.sessions.typical,
            first_session=course.first.isoformat(),
            last_session=course.last.isoformat(),
        )
        horizon = _YEAR.after(self.facts.assessment_date)
        days = [self._first_day(max(earliest, every.after(course.last)))]
        while every.after(days[-1]) <= horizon:
            days.append(every.after(days[-1]))
        supporting: list[Rule[Effect]] = [
            r for r in self.rules.suitability if chosen in r.techniques and r.effect.argument == "for"
        ]
        noting = [r for r in self.rules.sequencing if r.effect.session_note and r.governs(chosen)]
        justifications = tuple([self.justify(r) for r in supporting] + [self.justify(r) for r in noting])
        text = maintenance_text(technique, every) + _session_notes(noting)
        out = []
        for number, day in enumerate(days, 1):
            out.append(
                _new_maintenance(
                    phase="treatment",
                    title=maintenance_title(number, len(days), technique),
                    instructions=text,
                    technique=chosen,
                    session=number,
                    of_sessions=len(days),
                    date=day.isoformat(),
                    not_before=earliest.isoformat() if number == 1 else None,
                    interval={"min": str(every), "max": str(every)},
                    parameters=dict(sorted(technique.parameters.items())) or None,
                    maintenance=True,
                    justifications=justifications,
                )
            )
        return out

    def _course(self, chosen: str, earliest: dt.date, number_from: int, dated: bool) -> list[Step]:
        """Sessions ``number_from`` to the course's end, at the shortest interval."""
        techniques = self.spec.techniques
        course = techniques[chosen].sessions
        table = self.tables.steps.course[chosen]
        supports, times = table.supporting, table.timing  # the rules that can, worked out once per protocol
        supporting: list[Rule[Effect]] = [r for r in self.rules.suitability if r.id in supports]
        timing = [r for r in self.rules.sequencing if r.id in times]
        justify = self.justify
        justifications = tuple([justify(r) for r in supporting] + [justify(r) for r in timing])
        start = self.facts.values.get(START_DATE)
        first: dt.date | None = earliest if dated else None
        note = ""
        if isinstance(start, dt.date):
            first = max(start, earliest)
            if first > start:
                note = moved_note(start)
        others = [describe(sel, techniques) for r in timing for sel in r.effect.not_same_day]
        same_day = same_day_note(others) + _session_notes(timing)
        text = table.text
        interval, parameters = table.interval, table.parameters
        build, templates = SESSION_STEP.build, table.sessions
        out = []
        day = first
        for number in range(number_from, course.typical + 1):
            if number > number_from and day is not None:
                day = course.interval_min.after(day)
            out.append(
                build(
                    templates[number - 1],
                    instructions=text + (note if number == number_from else "") + same_day,
                    date=day.isoformat() if day else None,
                    not_before=earliest.isoformat() if number == number_from else None,
                    interval=dict(interval),
                    parameters=dict(parameters) if parameters else None,
                    justifications=justifications,
                )
            )
        return out


def _session_notes(rules: Sequence[Rule[SequencingEffect]]) -> str:
    """The sentences the sequencing rules that hold add to each session (see ``SequencingEffect.session_note``)."""
    notes = [r.effect.session_note.strip() for r in rules if r.effect.session_note]
    return "".join(f" {note}" for note in dict.fromkeys(notes))
