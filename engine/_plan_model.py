"""The treatment plan returned to callers, and the safety invariants checked when it is built.

A plan that breaks an invariant cannot be constructed: ``TreatmentPlan.model_validate``
raises, so an unsafe plan is never returned and never serialised. The invariants are
the ones a reviewer would check by hand: nothing excluded or pending is scheduled, every
step says which rules put it there, a ``ready`` plan has no missing facts and no caution
on its technique, and sessions keep to their interval.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine._model import PHASES, Period

__all__ = [
    "Caution",
    "DerivedFact",
    "Evidence",
    "Exclusion",
    "Justification",
    "MissingFact",
    "Pending",
    "PlanStatus",
    "ProtocolStamp",
    "Ranking",
    "Step",
    "TreatmentPlan",
]

PlanStatus = Literal["ready", "needs_review", "needs_information", "not_suitable"]
Phase = Literal["consultation", "preparation", "pre_treatment", "exfoliation", "treatment", "aftercare", "follow_up"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Frozen):
    citation: str
    url: str
    reference: str | None = None


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


class Step(_Frozen):
    """One thing to do, in one phase of the procedure."""

    phase: Phase
    title: str
    instructions: str
    technique: str | None = None
    session: int | None = None
    of_sessions: int | None = None
    date: str | None = None
    not_before: str | None = None
    until: str | None = None
    duration: str | None = None
    interval: dict[str, str] | None = None
    parameters: dict[str, str | int] | None = None
    maintenance_every: str | None = None
    skipped: bool = False
    justifications: tuple[Justification, ...]


class Exclusion(_Frozen):
    technique: str
    title: str
    reasons: tuple[Justification, ...]
    reconsider_from: str | None = None


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
    technique: str
    title: str
    status: Literal["chosen", "candidate", "not_indicated", "excluded", "pending"]
    score: int
    arguments_for: tuple[str, ...]
    arguments_against: tuple[str, ...]
    cautions: tuple[str, ...]


class MissingFact(_Frozen):
    fact: str
    label: str
    question: str
    needed_by: tuple[str, ...]


class DerivedFact(_Frozen):
    fact: str
    value: str | bool
    justification: Justification | None = Field(description="The rule that set it; none when the default applied.")


class ProtocolStamp(_Frozen):
    id: str
    title: str
    version: str
    status: str
    sha256: str


class TreatmentPlan(_Frozen):
    """A validated pore reduction plan for one client; see the README for every field."""

    status: PlanStatus
    summary: str
    protocol: ProtocolStamp
    engine_version: str
    assessment_date: str
    technique: str | None
    choice: str | None
    earliest_start: str | None
    steps: tuple[Step, ...]
    excluded: tuple[Exclusion, ...]
    pending: tuple[Pending, ...]
    cautions: tuple[Caution, ...]
    ranking: tuple[Ranking, ...]
    missing_facts: tuple[MissingFact, ...]
    derived_facts: tuple[DerivedFact, ...]
    facts: dict[str, Any]

    @model_validator(mode="after")
    def _invariants(self) -> TreatmentPlan:
        excluded = {e.technique for e in self.excluded}
        pending = {p.technique for p in self.pending}
        for step in self.steps:
            if not step.justifications:
                raise ValueError(f"step {step.title!r} has no justification")
            if step.technique is not None and step.technique in excluded:
                raise ValueError(f"excluded technique {step.technique} appears in a step")
            if step.technique is not None and step.technique in pending:
                raise ValueError(f"technique {step.technique} is pending information but appears in a step")
        if self.technique is not None and (self.technique in excluded or self.technique in pending):
            raise ValueError(f"chosen technique {self.technique} is excluded or pending")
        treatment = [s for s in self.steps if s.phase == "treatment"]
        if any(s.technique != self.technique for s in treatment):
            raise ValueError("a treatment step names a technique other than the chosen one")
        if self.technique is None and treatment:
            raise ValueError("treatment steps without a chosen technique")
        if self.status == "ready":
            if self.missing_facts:
                raise ValueError("a ready plan cannot have missing facts")
            if self.technique is None or not treatment:
                raise ValueError("a ready plan must schedule a technique")
            if any(self.technique in c.techniques for c in self.cautions):
                raise ValueError("a plan whose technique carries a caution needs review, it cannot be ready")
        if self.status == "needs_information" and not self.missing_facts:
            raise ValueError("needs_information without any missing fact")
        if self.status == "not_suitable" and treatment:
            raise ValueError("a not_suitable plan cannot schedule treatment")
        order = {phase: i for i, phase in enumerate(PHASES)}
        ranks = [order[s.phase] for s in self.steps]
        if ranks != sorted(ranks):
            raise ValueError("steps are not in phase order")
        _check_sessions(treatment)
        return self


def _check_sessions(treatment: list[Step]) -> None:
    sessions = [s.session for s in treatment]
    if sessions != list(range(1, len(treatment) + 1)):
        raise ValueError(f"treatment sessions are not numbered 1..n: {sessions}")
    for previous, current in itertools.pairwise(treatment):
        if previous.date is None or current.date is None:
            if (previous.date is None) != (current.date is None):
                raise ValueError("either every session has a date or none has")
            continue
        assert current.interval is not None
        low = Period.parse(current.interval["min"]).after(dt.date.fromisoformat(previous.date))
        high = Period.parse(current.interval["max"]).after(dt.date.fromisoformat(previous.date))
        day = dt.date.fromisoformat(current.date)
        if not low <= day <= high:
            raise ValueError(
                f"session {current.session} on {day} breaks its interval "
                f"({current.interval['min']} to {current.interval['max']} after {previous.date})"
            )
