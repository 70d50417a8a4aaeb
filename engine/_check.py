"""Is this plan acceptable? Check a practitioner's own course, technique and dates, against the protocol.

A proposal is a technique and the dates of its sessions; one session dated on the
assessment day is the visit check ("can today's session go ahead?"). The check never
decides anything on its own: it builds the plan the practitioner's choice would give
(through the matcher, like every plan, see :func:`engine._plan.plan_with_workings`) and
holds the proposal to what that plan was held to:

- the technique is allowed: excluded, it is ``unacceptable`` (one violation per rule,
  and for a wait that ends, "not today, from DATE"); not indicated for the client's pore
  cause, ``unacceptable``; pending an answer, ``needs_information``;
- no session is before the assessment, or before the first day a rule's wait allows
  (washouts, isotretinoin, surgery, injectables, the gap after previous treatments, a
  preparation's lead time);
- consecutive sessions keep the catalogue's interval, counting from the last session of a
  course in progress; maintenance sessions keep at least ``maintenance_every`` apart;
- the course has no more sessions than the catalogue's maximum, counting those already
  done, nor (when it books more than one visit) fewer than its minimum.

The verdict is the worst that applies: ``unacceptable`` with any violation, else
``needs_information`` with any question open, else ``needs_review`` with any caution on the
technique, else ``acceptable``. Every violation names the rule behind it, the catalogue
entry (``techniques.yaml:<technique>``), or ``facts:assessment_date``. "Today" is the facts'
assessment date, never the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine._errors import FactsError, Issue, suggest
from engine._evaluate import Outcome
from engine._facts import FIRST_YEAR, LAST_YEAR, ClientFacts, as_date, out_of_range
from engine._load import LoadedDocument
from engine._plan import PlanTables, Workings, plan_with_workings
from engine._plan_model import Caution, CourseInfo, MissingFact, ProtocolStamp, TreatmentPlan
from engine._spec import ProtocolSpec
from engine._version import __version__

__all__ = [
    "ASSESSMENT_RULE",
    "CHECK_FORMAT_VERSION",
    "CheckResult",
    "Proposal",
    "Verdict",
    "Violation",
    "check_proposal",
    "read_proposal",
]

Verdict = Literal["acceptable", "needs_review", "needs_information", "unacceptable"]
CHECK_FORMAT_VERSION = "1"
"""The version of the check answer's JSON shape (the README's changelog says what each changed)."""
ASSESSMENT_RULE = "facts:assessment_date"
"""What a violation names when a session is before the assessment: the facts, not a rule."""
MAX_PROPOSED_SESSIONS = 52
"""More dates than a year of weekly visits is not a proposal a clinic makes; refused while reading."""
_KEYS = ("technique", "sessions")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proposal(_Frozen):
    """A practitioner's own plan: the technique and each session's date, in order."""

    technique: str
    sessions: tuple[dt.date, ...] = Field(min_length=1, max_length=MAX_PROPOSED_SESSIONS)


class Violation(_Frozen):
    """One way the proposal breaks the protocol, and what it breaks."""

    rule_id: str = Field(
        description="The rule behind it, 'techniques.yaml:<technique>' for the catalogue's intervals and "
        "session counts, or 'facts:assessment_date' for a session before the assessment."
    )
    session: int | None = Field(description="The proposal's session (1-based), or null for the whole proposal.")
    date: str | None = Field(description="That session's date.")
    message: str


class CheckResult(_Frozen):
    """The answer to "is this plan acceptable?"; see the README's "Checking a proposed plan"."""

    format_version: str = Field(default=CHECK_FORMAT_VERSION, description="The version of this JSON shape.")
    verdict: Verdict
    summary: str
    technique: str
    assessment_date: str
    sessions: tuple[str, ...] = Field(description="The proposal's dates, as given.")
    earliest_start: str | None = Field(description="The first day the protocol allows a session of this technique.")
    course: CourseInfo | None = Field(description="The course the proposal starts, continues or maintains.")
    violations: tuple[Violation, ...]
    cautions: tuple[Caution, ...]
    missing_facts: tuple[MissingFact, ...]
    protocol: ProtocolStamp
    engine_version: str

    @model_validator(mode="after")
    def _consistent(self) -> CheckResult:
        """The verdict follows from what was found; nothing else can be built (as for plans)."""
        expected: Verdict = (
            "unacceptable"
            if self.violations
            else "needs_information"
            if self.missing_facts
            else "needs_review"
            if self.cautions
            else "acceptable"
        )
        if self.verdict != expected:
            raise ValueError(f"verdict {self.verdict} does not follow from what was found ({expected})")
        return self


def read_proposal(
    data: Any, spec: ProtocolSpec, source: str | None = None, doc: LoadedDocument | None = None
) -> Proposal:
    """Check a proposal's shape and values; raise :class:`FactsError` listing every problem, located.

    An unknown technique id is refused with a did-you-mean, as the practitioner's choice is.
    """

    def issue(path: tuple[str | int, ...], message: str, hint: str | None = None) -> Issue:
        line = doc.line_of(path) if doc else None
        shown = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
        return Issue(source, line, None, shown, message, hint)

    if not isinstance(data, Mapping):
        raise FactsError(
            "a proposal must be a mapping with a technique and its sessions",
            [
                Issue(
                    source,
                    None,
                    None,
                    "",
                    f"got {type(data).__name__}",
                    "e.g. {technique: peel.salicylic, sessions: [2026-12-15]}",
                )
            ],
        )
    issues: list[Issue] = []
    for key in data:
        if key not in _KEYS:
            hint = suggest(str(key), _KEYS) or "a proposal has a technique and sessions"
            issues.append(issue((str(key),), "unknown key", hint))
    technique = data.get("technique")
    if not isinstance(technique, str):
        issues.append(issue(("technique",), "is required: the technique's id in the catalogue", "e.g. peel.salicylic"))
    elif technique not in spec.techniques:
        hint = suggest(technique, spec.techniques) or "see the technique catalogue"
        issues.append(issue(("technique",), f"{technique!r} is not in the catalogue", hint))
    sessions = data.get("sessions")
    days: list[dt.date] = []
    if not isinstance(sessions, list) or not sessions:
        issues.append(issue(("sessions",), "is required: a list of session dates", "e.g. [2026-12-15, 2027-01-12]"))
    elif len(sessions) > MAX_PROPOSED_SESSIONS:
        issues.append(issue(("sessions",), f"lists {len(sessions)} sessions; at most {MAX_PROPOSED_SESSIONS} are read"))
    else:
        for i, raw in enumerate(sessions):
            day = as_date(raw)
            if day is None:
                issues.append(issue(("sessions", i), f"must be a date written YYYY-MM-DD, not {str(raw)[:40]!r}"))
            elif not FIRST_YEAR <= day.year <= LAST_YEAR:
                issues.append(issue(("sessions", i), out_of_range(day), "check the year"))
            else:
                days.append(day)
    if issues:
        raise FactsError("the proposal is invalid", issues)
    assert isinstance(technique, str)
    return Proposal(technique=technique, sessions=tuple(days))


def check_proposal(
    spec: ProtocolSpec, tables: PlanTables, facts: ClientFacts, outcome: Outcome, proposal: Proposal
) -> CheckResult:
    """Hold ``proposal`` to the plan the practitioner's choice of its technique gives (see the module)."""
    plan, workings = plan_with_workings(spec, facts, outcome, tables, proposal.technique)
    judge = _Judge(spec, facts, plan, workings, proposal)
    violations = _unique([*judge.allowed(), *judge.dates(), *judge.intervals(), *judge.count()])
    missing = plan.missing_facts if plan.technique is None else ()
    cautions = plan.cautions if plan.technique == proposal.technique else ()
    verdict: Verdict = (
        "unacceptable"
        if violations
        else "needs_information"
        if missing
        else "needs_review"
        if cautions
        else "acceptable"
    )
    return CheckResult(
        verdict=verdict,
        summary=_summary(verdict, judge.title, proposal, violations, missing, facts.assessment_date),
        technique=proposal.technique,
        assessment_date=plan.assessment_date,
        sessions=tuple(d.isoformat() for d in proposal.sessions),
        earliest_start=plan.earliest_start if plan.technique == proposal.technique else None,
        course=plan.course if plan.technique == proposal.technique else None,
        violations=tuple(violations),
        cautions=cautions,
        missing_facts=missing,
        protocol=plan.protocol,
        engine_version=__version__,
    )


class _Judge:
    """The checks of one proposal against one plan; holds both so each check reads like the rule it applies."""

    def __init__(
        self, spec: ProtocolSpec, facts: ClientFacts, plan: TreatmentPlan, workings: Workings, proposal: Proposal
    ) -> None:
        self.spec = spec
        self.plan = plan
        self.workings = workings
        self.technique = proposal.technique
        self.entry = f"techniques.yaml:{proposal.technique}"
        self.title = spec.techniques[proposal.technique].title
        self.days = proposal.sessions
        self.today = facts.assessment_date

    def allowed(self) -> Iterator[Violation]:
        """The technique is neither excluded nor unindicated (pending is a question, not a violation)."""
        exclusion = next((e for e in self.plan.excluded if e.technique == self.technique), None)
        if exclusion is not None:
            for reason in exclusion.reasons:
                why = reason.title + (f" ({reason.note})" if reason.note else "")
                end = self.workings.ends.get((self.technique, reason.rule_id))
                if end is None:
                    yield Violation(
                        rule_id=reason.rule_id, session=None, date=None, message=f"{self.title} is ruled out: {why}"
                    )
                    continue
                early = [(n, day) for n, day in enumerate(self.days, 1) if day < end]
                for n, day in early:
                    yield self._early(reason.rule_id, n, day, end, why)
                if not early:
                    yield Violation(
                        rule_id=reason.rule_id,
                        session=None,
                        date=None,
                        message=f"{self.title} is ruled out at the assessment on {self.today} ({why}) until {end}: "
                        f"reassess the client on or after {end} before booking",
                    )
            return
        if self.plan.technique is None and not self.plan.missing_facts and not self._pending():
            row = next(r for r in self.plan.ranking if r.technique == self.technique)
            yield Violation(
                rule_id=self.entry,
                session=None,
                date=None,
                message=f"{self.title} is not indicated for this client: no rule that treats the client's pore "
                f"cause holds for it"
                + (f" (against it: {', '.join(row.arguments_against)})" if row.arguments_against else ""),
            )

    def _pending(self) -> bool:
        return any(p.technique == self.technique for p in self.plan.pending)

    def dates(self) -> Iterator[Violation]:
        """No session before the assessment, nor before the first day each wait allows."""
        for n, day in enumerate(self.days, 1):
            if day < self.today:
                yield Violation(
                    rule_id=ASSESSMENT_RULE,
                    session=n,
                    date=day.isoformat(),
                    message=f"{day} is before the assessment on {self.today}: a session is booked after it",
                )
        if self.plan.technique != self.technique:
            return
        latest: dict[str, dt.date] = {}
        for until, rule_id in self.workings.waits:
            latest[rule_id] = max(until, latest.get(rule_id, until))
        for rule_id, until in latest.items():
            why = self.spec.rule(rule_id).title
            for n, day in enumerate(self.days, 1):
                if self.today <= day < until:
                    yield self._early(rule_id, n, day, until, why)

    def _early(self, rule_id: str, n: int, day: dt.date, until: dt.date, why: str) -> Violation:
        text = f"not today, from {until}" if day == self.today else f"{day} is too early, from {until}"
        return Violation(rule_id=rule_id, session=n, date=day.isoformat(), message=f"{text}: {why}")

    def intervals(self) -> Iterator[Violation]:
        """Consecutive sessions keep the catalogue's interval, from the last session of a course in progress."""
        technique = self.spec.techniques[self.technique]
        course = self.plan.course if self.plan.technique == self.technique else None
        previous = dt.date.fromisoformat(course.last_session) if course and course.last_session else None
        if course is not None and course.state in ("new", "restarting"):
            previous = None
        if course is not None and course.state == "maintenance":
            every = technique.maintenance_every
            assert every is not None  # a course is maintained only when the catalogue says how often
            for n, day in enumerate(self.days, 1):
                if previous is not None and day < every.after(previous):
                    yield self._catalogue(
                        n,
                        day,
                        f"{day} is less than {every} after the session on {previous}: "
                        f"maintenance sessions of {self.title} are {every} apart",
                    )
                previous = day
            return
        low, high = technique.sessions.interval_min, technique.sessions.interval_max
        for n, day in enumerate(self.days, 1):
            if previous is not None:
                latest = high.after(previous)
                if n == 1 and self.workings.waits:  # a rule may keep a course going past its interval
                    latest = max(latest, max(until for until, _ in self.workings.waits))
                if not low.after(previous) <= day <= latest:
                    yield self._catalogue(
                        n,
                        day,
                        f"{day} is not {low} to {high} after the session on {previous}: "
                        f"sessions of {self.title} are due between {low.after(previous)} and {latest}",
                    )
            previous = day

    def _catalogue(self, n: int | None, day: dt.date | None, message: str) -> Violation:
        """A violation of the technique's catalogue entry (its intervals or session counts)."""
        return Violation(rule_id=self.entry, session=n, date=day.isoformat() if day else None, message=message)

    def count(self) -> Iterator[Violation]:
        """No more sessions than the catalogue's maximum (with those already done), nor fewer than its minimum."""
        course = self.plan.course if self.plan.technique == self.technique else None
        if course is not None and course.state == "maintenance":
            return
        sessions = self.spec.techniques[self.technique].sessions
        done = course.sessions_done if course is not None and course.state == "continuing" else 0
        total = done + len(self.days)
        already = f" ({done} already done)" if done else ""
        if total > sessions.maximum:
            n = sessions.maximum - done + 1  # >= 2: a course continues only while fewer than typical are done
            yield self._catalogue(
                n,
                self.days[n - 1],
                f"a course of {self.title} has at most {sessions.maximum} sessions; "
                f"this would be session {sessions.maximum + 1}{already}",
            )
        elif len(self.days) > 1 and total < sessions.minimum:
            yield self._catalogue(
                None,
                None,
                f"a course of {self.title} has at least {sessions.minimum} sessions; "
                f"this proposal makes {total}{already}",
            )


def _unique(violations: list[Violation]) -> list[Violation]:
    """Each violation once (a rule that excludes a technique for two of its agents is one violation)."""
    seen: set[tuple[str, int | None]] = set()
    out = []
    for v in violations:
        if (v.rule_id, v.session) not in seen:
            seen.add((v.rule_id, v.session))
            out.append(v)
    return out


def _summary(
    verdict: Verdict,
    title: str,
    proposal: Proposal,
    violations: list[Violation],
    missing: tuple[MissingFact, ...],
    today: dt.date,
) -> str:
    if proposal.sessions == (today,):
        what = f"Today's session of {title}"
    elif len(proposal.sessions) == 1:
        what = f"The session of {title} on {proposal.sessions[0]}"
    else:
        what = f"The proposed course of {title}"
    if verdict == "unacceptable":
        n = len(violations)
        return f"{what} is not acceptable: {n} violation{'s' if n != 1 else ''} of the protocol."
    if verdict == "needs_information":
        return f"{what} cannot be judged until these are answered: {', '.join(m.label for m in missing)}."
    if verdict == "needs_review":
        return f"{what} keeps to the protocol, but a practitioner must review its cautions first."
    return f"{what} keeps to the protocol."
