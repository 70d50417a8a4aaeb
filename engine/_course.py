"""A course over time: is the client part-way through a course, or has she finished one?

A returning client's previous treatments say where she is. For each technique, the
sessions she had form a course in progress when each was within the technique's
``interval_max`` of the next and the last is within ``interval_max`` of the assessment.
Such a course continues (sessions k+1 to n of the catalogue's typical n) when the
technique is still allowed and indicated. A course of n or more sessions whose last one is
within the technique's ``maintenance_every`` of the assessment is complete: the plan is
maintenance. Anything older, and a client with no previous treatment, starts a new course.

This module only reads the history; the decision to continue (the technique must still
be safe and indicated) is :mod:`engine._decide`'s, and the dates are :mod:`engine._schedule`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engine._facts import ClientFacts, Treatment
from engine._model import TechniqueSpec
from engine._spec import PREVIOUS_TREATMENTS

__all__ = ["Course", "CourseState", "find_course"]

CourseState = Literal["continuing", "maintenance"]


@dataclass(frozen=True)
class Course:
    """Where a returning client is in a course of one technique."""

    technique: str
    state: CourseState
    done: int
    """Sessions already had in this course (for maintenance: the course's sessions)."""
    of: int
    """The catalogue's typical number of sessions."""
    first: dt.date
    """The course's first session."""
    last: dt.date
    """Its latest session: the next one is counted from it."""


def find_course(facts: ClientFacts, techniques: Mapping[str, TechniqueSpec]) -> Course | None:
    """The course the client is part-way through (or has just completed), the most recent if several."""
    history = facts.values.get(PREVIOUS_TREATMENTS, ())
    if not history:
        return None
    anchor = facts.assessment_date
    days_of: dict[str, set[dt.date]] = {}
    for treatment in history:
        if isinstance(treatment, Treatment):
            days_of.setdefault(treatment.technique, set()).add(treatment.date)
    found: list[Course] = []
    for technique, days in days_of.items():  # the order is the client's: the latest course wins below
        spec = techniques.get(technique)
        if spec is None:
            continue
        dates = sorted(days)
        sessions = spec.sessions
        run = [dates[-1]]
        for day in reversed(dates[:-1]):
            if sessions.interval_max.after(day) < run[-1]:
                break
            run.append(day)
        first, last, done = run[-1], run[0], len(run)
        if done < sessions.typical and sessions.interval_max.after(last) >= anchor:
            found.append(Course(technique, "continuing", done, sessions.typical, first, last))
        elif done >= sessions.typical and spec.maintenance_every and spec.maintenance_every.after(last) >= anchor:
            found.append(Course(technique, "maintenance", done, sessions.typical, first, last))
    return max(found, key=lambda c: (c.last, c.technique)) if found else None
