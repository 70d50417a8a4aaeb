"""The treatment plan returned to callers, and the safety invariants checked when it is built.

A plan that breaks an invariant cannot be constructed: ``TreatmentPlan.model_validate``
raises, so an unsafe plan is never returned and never serialised. The invariants are
the ones a reviewer would check by hand: nothing excluded or pending is scheduled, every
step says which rules put it there, a ``ready`` plan has no missing facts and no caution
on its technique, and sessions keep to their interval.

The planner builds its plans through :mod:`engine._fastmodel`, which skips re-validating
parts it made from validated data but runs the same invariant checks and fails the same way.
"""

from __future__ import annotations

import datetime as dt
import itertools
from operator import attrgetter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine._model import PHASES, Moment, Period, Phase

__all__ = [
    "PLAN_FORMAT_VERSION",
    "AgentTiming",
    "Caution",
    "CourseInfo",
    "DerivedFact",
    "Evidence",
    "Exclusion",
    "Justification",
    "MissingFact",
    "Pending",
    "PlanStatus",
    "ProtocolStamp",
    "RankStatus",
    "Ranking",
    "Step",
    "TreatmentPlan",
    "Window",
    "check_invariants",
    "starts_per_session",
]

PlanStatus = Literal["ready", "needs_review", "needs_information", "not_suitable"]
RankStatus = Literal["chosen", "candidate", "not_indicated", "excluded", "pending"]


class _Frozen(BaseModel):
    """Plan parts are immutable and refuse unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Frozen):
    """A source behind a rule: its registry id, what and where it is, its grade, and the digest facts it rests on."""

    source: str | None = Field(description="Id in the protocol's evidence registry; none for an inline citation.")
    citation: str
    url: str
    grade: str | None = Field(
        description="guideline, systematic_review, peer_reviewed, textbook, patient_information or clinic"
    )
    facts: tuple[str, ...] = Field(description="Ids of the clinical digest's facts the rule rests on.")
    note: str | None = None


class Justification(_Frozen):
    """Why something is in the plan: the rule, the facts that triggered it, and its evidence."""

    rule_id: str
    title: str
    kind: str
    severity: str
    facts: dict[str, Any] = Field(description="The facts the rule read, with this client's values.")
    rationale: str
    evidence: tuple[Evidence, ...]
    note: str | None = None


class Window(_Frozen):
    """One occurrence of an agent's use or pause around one session: from a day until a day."""

    start_on: str
    until_on: str


class AgentTiming(_Frozen):
    """An agent a step names, whether the client uses or pauses it, and when (as written and as dates)."""

    agent: str
    title: str
    role: Literal["uses", "withholds"]
    start: str | None = Field(description="When it starts, as the rule says: e.g. '4 weeks before first session'.")
    until: str | None = Field(description="When it ends, as the rule says: e.g. '2 weeks after last session'.")
    start_on: str | None = Field(description="The first day, when the sessions are dated.")
    until_on: str | None = Field(description="The last day, when the sessions are dated.")
    windows: tuple[Window, ...] = Field(
        default=(),
        description="When both moments are around each session (e.g. '2 days before each session' to "
        "'2 days after each session'), or in a maintenance plan (each maintenance session a course of one): "
        "each session's own window, in order; windows that meet are one. start_on and until_on are then "
        "the first window's start and the last one's end, not one continuous span.",
    )


class Step(_Frozen):
    """One thing to do, in one phase of the procedure."""

    phase: Phase
    title: str
    instructions: str
    technique: str | None = None
    session: int | None = None
    of_sessions: int | None = None
    date: str | None = None
    start_on: str | None = Field(
        default=None,
        description="For a preparation step the client starts before the sessions (an agent's timing or a lead "
        "time): the day to start it. None for a step done at each session.",
    )
    not_before: str | None = Field(
        default=None, description="The earliest first session this step allows (a session's own earliest date)."
    )
    until: str | None = None
    duration: str | None = None
    interval: dict[str, str] | None = None
    parameters: dict[str, str | int] | None = None
    maintenance_every: str | None = None
    maintenance: bool = Field(default=False, description="A maintenance session after a completed course.")
    agents: tuple[AgentTiming, ...] = ()
    skipped: bool = False
    justifications: tuple[Justification, ...]


class CourseInfo(_Frozen):
    """Where the plan stands in a course of its technique: new, continued, restarted or maintained."""

    technique: str
    state: Literal["new", "continuing", "restarting", "maintenance"]
    sessions_done: int = Field(description="Sessions of this course the client has already had.")
    of_sessions: int
    first_session: str | None = Field(description="The first session of the course already begun, if any.")
    last_session: str | None = Field(description="Its latest session, from which the next one is counted.")


class Exclusion(_Frozen):
    """A technique ruled out by an absolute contraindication, when it may be reconsidered, and what to do meanwhile."""

    technique: str
    title: str
    reasons: tuple[Justification, ...]
    reconsider_from: str | None = None
    advice: tuple[str, ...] = Field(
        default=(),
        description="What the rules advise meanwhile (a referral, what not to start, when to reassess), "
        "one entry per distinct advice of the reasons.",
    )


class Pending(_Frozen):
    """A technique that cannot be offered until the listed facts are known."""

    technique: str
    title: str
    missing_facts: tuple[str, ...]
    rules: tuple[str, ...]


class Caution(_Frozen):
    """A relative contraindication: the technique needs a practitioner's review first."""

    rule_id: str
    title: str
    techniques: tuple[str, ...]
    advice: str
    justification: Justification


class Ranking(_Frozen):
    """One technique's place in the ranking: status, score, the arguments for and against, cautions."""

    technique: str
    title: str
    status: RankStatus
    score: int
    invasiveness: int = Field(
        description="1 is the least invasive; of equal candidates the least invasive ranks first."
    )
    indicated_by: tuple[str, ...] = Field(description="The cause arguments that hold: why it treats the pore cause.")
    arguments_for: tuple[str, ...]
    arguments_against: tuple[str, ...]
    cautions: tuple[str, ...]


class MissingFact(_Frozen):
    """An unanswered question that could change the plan, and the rules that need the answer."""

    fact: str
    label: str
    question: str
    needed_by: tuple[str, ...]


class DerivedFact(_Frozen):
    """A fact the protocol worked out (e.g. the risk of pigmentation), and the rule that set it."""

    fact: str
    value: str | bool
    justification: Justification | None = Field(description="The rule that set it; none when the default applied.")


class ProtocolStamp(_Frozen):
    """Which rules wrote the plan: the protocol's id, title, version, status and sha256."""

    id: str
    title: str
    version: str
    status: str
    sha256: str


PLAN_FORMAT_VERSION = "2"
"""The version of the plan's JSON shape; the README's changelog says what each version changed."""


class TreatmentPlan(_Frozen):
    """A validated pore reduction plan for one client; see the README for every field."""

    format_version: str = Field(
        default=PLAN_FORMAT_VERSION, description="The version of this JSON shape (see the README's changelog)."
    )
    status: PlanStatus
    summary: str
    protocol: ProtocolStamp
    engine_version: str
    assessment_date: str
    technique: str | None
    choice: str | None
    course: CourseInfo | None = Field(default=None, description="The course the plan starts, continues or maintains.")
    earliest_start: str | None
    steps: tuple[Step, ...]
    excluded: tuple[Exclusion, ...]
    reconsider_from: str | None = Field(
        default=None,
        description="For a not_suitable plan: the first day a technique indicated for the client may be "
        "reconsidered (none when no exclusion of one has a date).",
    )
    pending: tuple[Pending, ...]
    cautions: tuple[Caution, ...]
    ranking: tuple[Ranking, ...]
    missing_facts: tuple[MissingFact, ...]
    derived_facts: tuple[DerivedFact, ...]
    facts: dict[str, Any]

    @model_validator(mode="after")
    def _invariants(self) -> TreatmentPlan:
        check_invariants(self)
        return self


def check_invariants(plan: TreatmentPlan) -> None:
    """Raise ``ValueError`` if ``plan`` breaks a safety invariant (see the module docstring)."""
    excluded = set(map(_TECHNIQUE, plan.excluded))
    pending = set(map(_TECHNIQUE, plan.pending))
    # One walk over the steps (a plan is checked every time one is made); the errors are still
    # raised in the order of the invariants, the first step's first.
    treatment: list[Step] = []
    in_order = True
    rank = 0
    for step in plan.steps:
        technique = step.technique
        if not step.justifications:
            raise ValueError(f"step {step.title!r} has no justification")
        if technique is not None and technique in excluded:
            raise ValueError(f"excluded technique {technique} appears in a step")
        if technique is not None and technique in pending:
            raise ValueError(f"technique {technique} is pending information but appears in a step")
        phase = step.phase
        if phase == "treatment":
            treatment.append(step)
        now = _PHASE_ORDER[phase]
        if now < rank:
            in_order = False
        rank = now
    if plan.technique is not None and (plan.technique in excluded or plan.technique in pending):
        raise ValueError(f"chosen technique {plan.technique} is excluded or pending")
    if treatment and any(s.technique != plan.technique for s in treatment):
        raise ValueError("a treatment step names a technique other than the chosen one")
    if plan.technique is None and treatment:
        raise ValueError("treatment steps without a chosen technique")
    if plan.status == "ready":
        if plan.missing_facts:
            raise ValueError("a ready plan cannot have missing facts")
        if plan.technique is None or not treatment:
            raise ValueError("a ready plan must schedule a technique")
        if any(plan.technique in c.techniques for c in plan.cautions):
            raise ValueError("a plan whose technique carries a caution needs review, it cannot be ready")
    if plan.status == "needs_information" and not plan.missing_facts:
        raise ValueError("needs_information without any missing fact")
    if plan.status == "not_suitable" and treatment:
        raise ValueError("a not_suitable plan cannot schedule treatment")
    if not in_order:
        raise ValueError("steps are not in phase order")
    if treatment:  # (no sessions break nothing)
        _check_sessions(treatment)


def starts_per_session(agent: AgentTiming, sessions: list[str]) -> tuple[str, ...]:
    """The day an agent started around each session with no end of its own starts, for each dated session.

    "An antibiotic from 1 day before each session" (for a course the prescriber sets) has no
    window to give, yet it starts again before every session: the text and the calendar name
    each day, which :meth:`engine._model.Moment.on` works out from the session's date. Empty
    for any other timing.
    """
    if agent.start is None or agent.until is not None or agent.windows or not sessions:
        return ()
    moment = Moment.parse(agent.start)
    if moment.anchor != "each_session":
        return ()
    return tuple(moment.on(dt.date.fromisoformat(day)).isoformat() for day in sessions)


_PHASE_ORDER = {phase: i for i, phase in enumerate(PHASES)}
_TECHNIQUE = attrgetter("technique")


def _check_sessions(treatment: list[Step]) -> None:
    sessions = [s.session for s in treatment]
    first = sessions[0] if sessions and isinstance(sessions[0], int) else 1
    if sessions != list(range(first, first + len(treatment))) or first < 1:
        raise ValueError(f"treatment sessions are not numbered consecutively from 1 or the next due: {sessions}")
    if any(s.of_sessions is None or (s.session or 0) > s.of_sessions for s in treatment):
        raise ValueError("a session is numbered beyond its course")
    for previous, current in itertools.pairwise(treatment):
        if previous.date is None or current.date is None:
            if (previous.date is None) != (current.date is None):
                raise ValueError("either every session has a date or none has")
            continue
        assert current.interval is not None
        low = _period(current.interval["min"]).after(dt.date.fromisoformat(previous.date))
        high = _period(current.interval["max"]).after(dt.date.fromisoformat(previous.date))
        day = dt.date.fromisoformat(current.date)
        if not low <= day <= high:
            raise ValueError(
                f"session {current.session} on {day} breaks its interval "
                f"({current.interval['min']} to {current.interval['max']} after {previous.date})"
            )


_PERIODS: dict[str, Period] = {}


def _period(text: str) -> Period:
    """``Period.parse``, remembered: a plan repeats the same few intervals on every session."""
    period = _PERIODS.get(text)
    if period is None:
        period = Period.parse(text)
        if len(_PERIODS) < 1024:
            _PERIODS[text] = period
    return period
