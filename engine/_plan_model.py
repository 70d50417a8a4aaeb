"""The treatment plan returned to callers, and the safety invariants checked when it is built.

A plan that breaks an invariant cannot be constructed: ``TreatmentPlan.model_validate``
raises, so an unsafe plan is never returned and never serialised. The invariants are
the ones a reviewer would check by hand: nothing excluded or pending is scheduled, every
step says which rules put it there, a ``ready`` plan has no missing facts and no caution
on its technique, and sessions keep to their interval.

The planner builds its plans with :func:`make` and :func:`assemble_plan`, which skip
re-validating parts it made from validated data (a plan has some fifty nested models,
and validating each one was a third of the time spent on a client) but run the same
invariant checks and fail the same way.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any, Literal, TypeVar

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
    "assemble_plan",
    "check_invariants",
    "constructor",
    "make",
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
        check_invariants(self)
        return self


def check_invariants(plan: TreatmentPlan) -> None:
    """Raise ``ValueError`` if ``plan`` breaks a safety invariant (see the module docstring)."""
    excluded = {e.technique for e in plan.excluded}
    pending = {p.technique for p in plan.pending}
    for step in plan.steps:
        if not step.justifications:
            raise ValueError(f"step {step.title!r} has no justification")
        if step.technique is not None and step.technique in excluded:
            raise ValueError(f"excluded technique {step.technique} appears in a step")
        if step.technique is not None and step.technique in pending:
            raise ValueError(f"technique {step.technique} is pending information but appears in a step")
    if plan.technique is not None and (plan.technique in excluded or plan.technique in pending):
        raise ValueError(f"chosen technique {plan.technique} is excluded or pending")
    treatment = [s for s in plan.steps if s.phase == "treatment"]
    if any(s.technique != plan.technique for s in treatment):
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
    ranks = [_PHASE_ORDER[s.phase] for s in plan.steps]
    if ranks != sorted(ranks):
        raise ValueError("steps are not in phase order")
    _check_sessions(treatment)


_PHASE_ORDER = {phase: i for i, phase in enumerate(PHASES)}


M = TypeVar("M", bound=BaseModel)
_setattr = object.__setattr__
_PYDANTIC_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _constructor(cls: type[M]) -> Callable[..., M]:
    """A fast ``model_construct`` for one plan model: same instance, a tenth of the time.

    pydantic's ``model_construct`` (pure Python, generic) costs more than validating. This
    fills the same four slots directly, with the fields in declaration order (the order
    ``model_dump_json`` writes them in) and plain defaults for omitted ones; unknown or
    missing fields raise ``TypeError``. If pydantic's instance layout is not the one this
    relies on, ``model_construct`` itself is used.
    """
    names = tuple(cls.model_fields)
    defaults = {n: f.default for n, f in cls.model_fields.items() if not f.is_required()}
    required = frozenset(n for n in names if n not in defaults)
    template = {n: defaults.get(n) for n in names}  # declaration order; required ones overwritten below
    size = len(names)
    if (
        getattr(BaseModel, "__slots__", None) != _PYDANTIC_SLOTS
        or any(f.default_factory is not None for f in cls.model_fields.values())
        or cls.__pydantic_post_init__
        or cls.__private_attributes__
        or cls.model_config.get("extra") != "forbid"
    ):
        return cls.model_construct

    def construct(**values: Any) -> M:
        data = template.copy()
        data.update(values)  # known keys keep their place; an unknown one is appended
        if len(data) != size or not values.keys() >= required:
            unknown = sorted(values.keys() - template.keys())
            missing = sorted(required - values.keys())
            raise TypeError(f"{cls.__name__}: missing {missing}, unknown {unknown}")
        instance = cls.__new__(cls)
        _setattr(instance, "__dict__", data)
        _setattr(instance, "__pydantic_fields_set__", set(values))
        _setattr(instance, "__pydantic_extra__", None)
        _setattr(instance, "__pydantic_private__", None)
        return instance

    return construct


_CONSTRUCTORS: dict[type[BaseModel], Callable[..., Any]] = {}


def constructor(cls: type[M]) -> Callable[..., M]:
    """The fast constructor of ``cls`` (see :func:`make`), to bind once where it is called often."""
    found = _CONSTRUCTORS.get(cls)
    if found is None:
        found = _CONSTRUCTORS[cls] = _constructor(cls)
    return found


def make(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)``, faster: for values already of the right types only."""
    return constructor(cls)(**values)


def assemble_plan(**fields: Any) -> TreatmentPlan:
    """A plan from parts the planner built out of validated data, checked but not re-validated.

    The nested models must have been made with :func:`make` from values of the
    right types (the planner's job; a test re-validates generated plans to prove it).
    Every invariant is still checked here; a plan that breaks one is rebuilt through full
    validation, which raises the same :class:`pydantic.ValidationError` as ever.
    """
    plan = _plan(**fields)
    try:
        check_invariants(plan)
    except ValueError:
        TreatmentPlan(**fields)  # raises the ValidationError naming the broken invariant
        raise  # pragma: no cover - the validator runs the same checks, so it cannot pass
    return plan


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
        low = _period(current.interval["min"]).after(dt.date.fromisoformat(previous.date))
        high = _period(current.interval["max"]).after(dt.date.fromisoformat(previous.date))
        day = dt.date.fromisoformat(current.date)
        if not low <= day <= high:
            raise ValueError(
                f"session {current.session} on {day} breaks its interval "
                f"({current.interval['min']} to {current.interval['max']} after {previous.date})"
            )


_plan = constructor(TreatmentPlan)


_PERIODS: dict[str, Period] = {}


def _period(text: str) -> Period:
    """``Period.parse``, remembered: a plan repeats the same few intervals on every session."""
    period = _PERIODS.get(text)
    if period is None:
        period = Period.parse(text)
        if len(_PERIODS) < 1024:
            _PERIODS[text] = period
    return period
