"""Schedule the chosen technique: the steps of each phase, their dates and the waits behind them.

Dates come only from the facts (the assessment date, the requested start date and the
dates of past events), never from the clock, so the same facts always give the same plan.
The earliest first session is the latest of: the assessment date, every pre-treatment
step's lead time or readiness wait, and every sequencing wait that governs the technique.
Sessions then follow at the shortest interval of the course; aftercare runs from the last
session, and follow-up is dated after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine._agents import KEEP, AgentCheck, StepFate
from engine._course import Course
from engine._facts import ClientFacts
from engine._fastmodel import builder
from engine._holding import Holding
from engine._model import Moment, Period, WaitSpec
from engine._plan_model import AgentTiming, Step, Window
from engine._plan_tables import Justifier, PlanTables
from engine._sessions import Sessions
from engine._spec import PREVIOUS_TREATMENTS, RequirementEffect, Rule
from engine._step_tables import AFTERCARE_STEP, REQUIREMENT_STEP, TIMING, Timing
from engine._wording import (
    MAINTENANCE_WINDOWS_NOTE,
    SKIPPED_EXFOLIATION,
    UNDECIDED_SKIP_NOTE,
    instead_note,
    maintenance_note,
    skip_instructions,
)

__all__ = ["Schedule", "wait_until"]

_new_skipped = builder(Step, "phase", "title", "instructions", "skipped", "justifications")
_new_follow_up = builder(
    Step, "phase", "title", "instructions", "date", "duration", "maintenance_every", "justifications"
)
_new_after_each = builder(
    Step, "phase", "title", "instructions", "session", "of_sessions", "date", "duration", "justifications"
)
_NO_TIME = Period(0, "days")
_DAY = dt.timedelta(days=1)
_new_window = builder(Window, "start_on", "until_on")


def wait_until(wait: WaitSpec, facts: ClientFacts, tables: PlanTables) -> dt.date | None:
    """The first day ``wait`` allows for this client, or ``None`` if its clock never started."""
    if wait.after is not None:
        start = facts.values.get(wait.after)
        if not isinstance(start, dt.date):
            return None
    else:
        assert wait.after_previous is not None  # WaitSpec requires exactly one anchor
        chosen = set(tables.spec.select(wait.after_previous))
        history = facts.values.get(PREVIOUS_TREATMENTS, ())
        dates = [t.date for t in history if t.technique in chosen]
        if not dates:
            return None
        start = max(dates)
    return wait.period.after(start)


class Schedule:
    """The steps of one client's plan, phase by phase, with their dates.

    Holds the client's facts, the rules that hold for them and the plan's justifier for the
    few methods that together lay out the phases; it is used once, by :func:`engine._plan.build_plan`.
    """

    def __init__(
        self,
        tables: PlanTables,
        facts: ClientFacts,
        rules: Holding,
        agents: AgentCheck,
        justify: Justifier,
        true_ids: frozenset[str] = frozenset(),
    ) -> None:
        """:param true_ids: the ids of the rules that hold, when the outcome lists them (they
        spare a plan without a technique a walk over every requirement that holds)."""
        self.true_ids = true_ids
        self.tables = tables
        self.spec = tables.spec
        self.facts = facts
        self.rules = rules
        self.agents = agents
        self.justify = justify
        self.anchor = facts.assessment_date
        self.course = _Course(None, ())
        self.sessions = Sessions(tables, facts, rules, justify)
        """The treatment sessions, and where the plan stands in its course (``sessions.info``)."""
        self.waits: list[tuple[dt.date, str]] = []
        """Each first day a rule allows for the first session, with the rule (set when the steps are laid out)."""

    def steps(self, chosen: str | None, course: Course | None = None) -> tuple[list[Step], dt.date | None]:
        """Every step in phase order, and the earliest safe first session (``None`` without a technique).

        ``course``: the course in progress the plan continues, or the completed one it maintains.
        """
        wanted: list[tuple[Rule[RequirementEffect], StepFate, dt.date | None]] = []
        constraints: list[dt.date] = [self.anchor]
        continuing = course is not None and self.sessions.continues(chosen, course)
        relevant = self.tables.steps.requirements_for[chosen]
        check = self.agents.step if self.agents.active else None
        held = self.true_ids
        if chosen is None and held:  # only the consultation's few general steps: those that hold
            requirements = [r for r in self.tables.steps.consultation if r.id in held]
        else:  # another technique's, or (without one) not the consultation's, are left out
            requirements = [r for r in self.rules.requirements if r.id in relevant]
        for rule in requirements:
            effect = rule.effect
            if effect.course != "any" and (effect.course == "continuing") != continuing:
                continue
            fate = check(rule) if check else KEEP
            if fate.fate in ("drop", "blocked", "undecided"):
                continue  # blocked and undecided steps rule their technique out before it can be chosen
            not_before = None
            if effect.lead_time is not None:
                not_before = effect.lead_time.after(self.anchor)
            if effect.ready_after is not None:
                until = wait_until(effect.ready_after, self.facts, self.tables)
                if until is not None:
                    not_before = max(not_before, until) if not_before else until
            if not_before is not None and effect.phase != "follow_up":
                constraints.append(not_before)
                self.waits.append((not_before, rule.id))
            wanted.append((rule, fate, not_before))
        if chosen is None:
            self.course = _Course(None, ())
            return [self._requirement(*item) for item in wanted if item[0].effect.phase == "consultation"], None
        for seq in self.rules.sequencing:
            if seq.governs(chosen) and seq.effect.not_before is not None:
                until = wait_until(seq.effect.not_before, self.facts, self.tables)
                if until is not None:
                    constraints.append(until)
                    self.waits.append((until, seq.id))
        earliest = max(constraints)
        sessions = self.sessions.lay_out(chosen, earliest, course, continuing)
        info = self.sessions.info
        self.course = _Course(
            self.anchor,
            tuple(dt.date.fromisoformat(s.date) for s in sessions if s.date),
            info is not None and info.state == "maintenance",
        )
        by_phase: dict[str, list[Step]] = {}
        for item in wanted:
            if item[0].effect.phase != "follow_up":
                by_phase.setdefault(item[0].effect.phase, []).append(self._requirement(*item))
        steps: list[Step] = []
        for phase in self.spec.phases:
            if phase == "exfoliation":
                steps.extend(self.exfoliation(chosen, by_phase.get("exfoliation", [])))
            elif phase == "treatment":
                steps.extend(sessions)
            elif phase == "aftercare":
                steps.extend(self.aftercare(chosen, steps))
            elif phase == "follow_up":
                steps.extend(self.follow_up(chosen, steps))
            else:
                steps.extend(by_phase.get(phase, []))
        return steps, earliest

    def _requirement(self, rule: Rule[RequirementEffect], fate: StepFate, not_before: dt.date | None) -> Step:
        """A requirement's step, or its alternative when an agent the step uses is contraindicated."""
        effect = rule.effect
        table, instead = self.tables.steps.requirement[rule.id]
        justifications = [self.justify(rule)]
        if fate.fate == "alternative" and instead is not None:
            table = instead
            justifications += [self.justify(r, instead_note(effect.step)) for r in fate.because]
            justifications += [self.justify(r, instead_note(effect.step, unsure=True)) for r in fate.unsure]
        preparing = effect.phase in ("preparation", "pre_treatment")
        if table.timings:
            timings = self.timings(table.timings, effect.preparation)
            starts = [t.start_on for t in timings if t.start_on]
            ends = [t.until_on for t in timings if t.until_on]
        else:
            timings, starts, ends = (), [], []
        start_on = None  # a step done at each session (cleansing, degreasing) has no day of its own
        if preparing and starts:
            start_on = min(starts)
        elif preparing and effect.lead_time is not None:
            start_on = self.anchor.isoformat()
        return REQUIREMENT_STEP.build(
            self._in_maintenance(table.template, timings),
            start_on=start_on,
            not_before=not_before.isoformat() if not_before else None,
            until=max(ends) if ends else None,
            agents=timings,
            justifications=tuple(justifications),
        )

    def timings(self, timings: Iterable[Timing], preparation: Period | None = None) -> tuple[AgentTiming, ...]:
        """Each agent a step names, with its moments as written and, when the course is dated, as dates.

        An agent used or paused around each session (both moments anchored on "each session")
        gets each session's window: one continuous span from the first to the last would tell
        the client to pause hydroquinone for the whole course, or take an antiviral for months.

        In a maintenance plan each maintenance session is a course of one, a few months from
        the next: every agent with both moments gets a window around each maintenance session
        (see :meth:`_Course.around_each`; ``preparation``: the step's own, see
        :attr:`~engine._spec.RequirementEffect.preparation`). Otherwise a retinoid paused "until
        two weeks after the last session" would be paused for the whole year, and hydroquinone
        primed "from the assessment" taken for a year without a break.
        """
        course = self.course
        build = TIMING.build
        assessment = course.assessment
        sessions = course.sessions
        days = (assessment, sessions[0], sessions[-1]) if sessions else (assessment, None, None)
        out = []
        for timing in timings:  # course.first_day, course.last_day, with what the protocol fixed worked out once
            start_on = until_on = None
            moment = timing.start
            if moment is not None:
                day = days[timing.start_from]
                if day is not None:
                    shift = timing.start_shift
                    start = moment.on(day) if shift is None else day + shift
                    start_on = (start if assessment is None or start >= assessment else assessment).isoformat()
            moment = timing.until
            if moment is not None:
                day = days[timing.until_from]
                if day is not None:
                    shift = timing.until_shift
                    until_on = (moment.on(day) if shift is None else day + shift).isoformat()
            if course.maintenance and course.sessions and timing.start is not None and timing.until is not None:
                windows = course.around_each(timing.start, timing.until, preparation)
                # the first start and the last end; none when every window was over before the assessment
                start_on, until_on = (windows[0].start_on, windows[-1].until_on) if windows else (None, None)
            elif timing.each_session:
                windows = course.windows(timing.start, timing.until)
            else:
                windows = ()
            out.append(build(timing.template, start_on=start_on, until_on=until_on, windows=windows))
        return tuple(out)

    def exfoliation(self, chosen: str, indicated: list[Step]) -> list[Step]:
        """The exfoliation steps, or one skipped step when a true or unknown rule skips the phase."""
        sequencing_of = self.tables.sequencing_of
        undecided = [sequencing_of[r.id] for r in self.rules.unknown if r.id in sequencing_of]
        skips = [
            r
            for r in sorted([*self.rules.sequencing, *undecided], key=lambda r: self.tables.position[r.id])
            if r.effect.skip_phase and r.governs(chosen)
        ]
        if not skips:
            return indicated
        unknown = {r.id for r in undecided}
        reasons = [(r.effect.reason, self.justify(r, UNDECIDED_SKIP_NOTE if r.id in unknown else None)) for r in skips]
        return [
            _new_skipped(
                phase="exfoliation",
                title=SKIPPED_EXFOLIATION,
                instructions=skip_instructions([text for text, _ in reasons]),
                skipped=True,
                justifications=tuple(j for _, j in reasons),
            )
        ]

    def aftercare(self, chosen: str, so_far: Iterable[Step]) -> list[Step]:
        """Aftercare instructions for the chosen technique, each until its duration after the last session."""
        last = _last_session_date(so_far)
        tables = self.tables.steps.aftercare
        relevant = self.tables.steps.aftercare_for[chosen]
        check = self.agents.step if self.agents.active else None
        ends: dict[tuple[int, str], str | None] = {}  # each duration's last day (instructions share a few)
        out = []
        for rule in self.rules.aftercare:
            if rule.id not in relevant:
                continue
            fate = check(rule) if check else KEEP
            if fate.fate in ("drop", "blocked", "undecided"):
                continue
            table, instead = tables[rule.id]
            justifications = [self.justify(rule)]
            if fate.fate == "alternative" and instead is not None:
                table = instead
                justifications += [self.justify(r, instead_note(rule.title)) for r in fate.because]
                justifications += [self.justify(r, instead_note(rule.title, unsure=True)) for r in fate.unsure]
            timings = self.timings(table.timings) if table.timings else ()
            out.append(
                AFTERCARE_STEP.build(
                    self._in_maintenance(table.template, timings),
                    until=_until(ends, rule.effect.duration, last),
                    agents=timings,
                    justifications=tuple(justifications),
                )
            )
        return out

    def _in_maintenance(self, template: dict[str, Any], timings: Sequence[AgentTiming]) -> dict[str, Any]:
        """A step's template; in a maintenance plan with its agents timed per session, saying how its words apply."""
        if not self.course.maintenance or not any(t.windows for t in timings):
            return template
        return {**template, "instructions": template["instructions"] + MAINTENANCE_WINDOWS_NOTE}

    def follow_up(self, chosen: str, so_far: Iterable[Step]) -> list[Step]:
        """Follow-up steps: after the last session, or one after each session; dated when the sessions are.

        The maintenance interval is told once, on the latest follow-up after the last session
        (the review), not on every wound check.
        """
        sessions = [s for s in so_far if s.phase == "treatment"]
        last = _last_session_date(sessions)
        every = self.spec.techniques[chosen].maintenance_every
        wanted = [
            rule
            for rule in self.rules.requirements
            if rule.effect.phase == "follow_up" and (rule.general or chosen in rule.techniques)
        ]
        closing = [r for r in wanted if r.effect.after_each_session is None]
        review = max(closing, key=lambda r: (r.effect.after_last_session or _NO_TIME).approx_days(), default=None)
        out = []
        for rule in wanted:
            effect = rule.effect
            each = effect.after_each_session
            if each is not None:
                out.extend(self._after_each(rule, each, sessions))
                continue
            after = effect.after_last_session
            told = every is not None and rule is review
            out.append(
                _new_follow_up(
                    phase="follow_up",
                    title=effect.step,
                    instructions=effect.instructions + (maintenance_note(every) if told else ""),
                    date=after.after(last).isoformat() if last and after else None,
                    duration=str(after) if after else None,
                    maintenance_every=str(every) if told else None,
                    justifications=(self.justify(rule),),
                )
            )
        return sorted(out, key=lambda s: (s.date or "9999", s.session or 0))

    def _after_each(self, rule: Rule[RequirementEffect], each: Period, sessions: list[Step]) -> list[Step]:
        """A follow-up after every session of the plan, each dated from its session."""
        effect = rule.effect
        return [
            _new_after_each(
                phase="follow_up",
                title=f"{effect.step} after session {s.session}",
                instructions=effect.instructions,
                session=s.session,
                of_sessions=s.of_sessions,
                date=each.after(dt.date.fromisoformat(s.date)).isoformat() if s.date else None,
                duration=str(each),
                justifications=(self.justify(rule),),
            )
            for s in sessions
        ]


@dataclass(frozen=True)
class _Course:
    """The dated course, to turn an agent's moments into days (none when the sessions are not dated)."""

    assessment: dt.date | None
    sessions: tuple[dt.date, ...]
    maintenance: bool = False
    """The sessions are maintenance sessions: each is a course of one (see :meth:`around_each`)."""

    def _anchor(self, moment: Moment, last: bool) -> dt.date | None:
        if moment.anchor == "assessment":
            return self.assessment
        if not self.sessions:
            return None
        if moment.anchor == "first_session":
            return self.sessions[0]
        if moment.anchor == "last_session":
            return self.sessions[-1]
        return self.sessions[-1] if last else self.sessions[0]  # each session: the first and the last occurrence

    def first_day(self, moment: Moment | None) -> str | None:
        """The first day a moment falls on (for a start), never before the assessment.

        "Stop waxing 2 weeks before the first session", with the first session 6 days after
        the assessment, starts on the assessment day: an instruction cannot begin in the past
        (a wait that must be kept in full is a lead time or a sequencing rule, which move the
        sessions instead).
        """
        day = self._anchor(moment, last=False) if moment else None
        if moment is None or day is None:
            return None
        start = moment.on(day)
        return max(start, self.assessment).isoformat() if self.assessment else start.isoformat()

    def windows(self, start: Moment | None, until: Moment | None) -> tuple[Window, ...]:
        """Each session's window, when both moments are around each session (else none).

        Windows that meet or overlap (no waxing for 2 weeks before sessions 2 weeks apart) are
        one: the client keeps to it without a break.
        """
        if start is None or until is None or start.anchor != "each_session" or until.anchor != "each_session":
            return ()
        return self._merged([(start.on(session), until.on(session)) for session in self.sessions])

    def around_each(self, start: Moment, until: Moment, preparation: Period | None) -> tuple[Window, ...]:
        """A maintenance plan's window for each maintenance session, each session a course of one.

        Around each session, "first session", "last session" and "each session" are that
        session. "Assessment" is the visit that books the session: the assessment for the
        first one, the previous session for each later one. A step with a ``preparation`` (its
        lead time or readiness wait: what it needs before a session) starts only that long
        before each session, the first one included, and never before the visit that books it.
        So a retinoid is paused from a week before each maintenance peel rather than all year,
        and hydroquinone primed two weeks before a laser session six months away rather than
        for six months, while sun avoidance, which states no such time, runs on from one
        session to the next. Windows that meet or overlap are one, as around each session of a
        course.
        """
        sessions = self.sessions

        def day(moment: Moment, number: int, session: dt.date) -> dt.date:
            if moment.anchor != "assessment":
                return moment.on(session)
            booked = (self.assessment or session) if number == 0 else sessions[number - 1]
            return moment.on(max(preparation.before(session), booked) if preparation is not None else booked)

        return self._merged([(day(start, n, session), day(until, n, session)) for n, session in enumerate(sessions)])

    def _merged(self, spans: Sequence[tuple[dt.date, dt.date]]) -> tuple[Window, ...]:
        """The windows of ``spans``, in order, none starting before the assessment, those that meet joined.

        A span over before the assessment (or before it starts) has nothing left to keep to.
        """
        joined: list[list[dt.date]] = []
        for first, last in sorted(spans):
            if self.assessment is not None:
                first = max(first, self.assessment)
            if last < first:
                continue
            if joined and first <= joined[-1][1] + _DAY:
                joined[-1][1] = max(joined[-1][1], last)
            else:
                joined.append([first, last])
        return tuple(_new_window(start_on=a.isoformat(), until_on=b.isoformat()) for a, b in joined)

    def last_day(self, moment: Moment | None) -> str | None:
        """The last day a moment falls on (for an end)."""
        day = self._anchor(moment, last=True) if moment else None
        return moment.on(day).isoformat() if moment and day else None


def _until(ends: dict[tuple[int, str], str | None], duration: Period, last: dt.date | None) -> str | None:
    """The day ``duration`` after ``last`` (``None`` without one), worked out once per duration in ``ends``."""
    key = (duration.amount, duration.unit)  # (a Period's own hash is a Python call)
    if key in ends:
        return ends[key]
    found = ends[key] = duration.after(last).isoformat() if last else None
    return found


def _last_session_date(steps: Sequence[Step] | Iterable[Step]) -> dt.date | None:
    dates = [s.date for s in steps if s.phase == "treatment" and s.date]
    return dt.date.fromisoformat(max(dates)) if dates else None
