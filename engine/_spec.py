"""The loaded protocol as typed data, and the rule semantics every consumer reads from it.

The validator builds a :class:`ProtocolSpec`; the compiler, evaluator, planner, lint,
rulebook, English rendering and diff read it. What a rule *means* is defined here once,
so that no consumer works it out again:

* a rule's **effect** is one of six typed models, one per kind (:data:`Effect`), and
  :class:`Rule` is generic in it; :class:`ProtocolSpec` lists the rules of each kind with
  their effect type known (``spec.contraindications`` holds ``Rule[ContraindicationEffect]``),
  so no consumer needs to check an effect's type;
* **points**: what an argument adds to a technique's score (:attr:`SuitabilityEffect.points`);
* **scope**: the techniques a rule governs (:attr:`Rule.scope`): a safety rule written
  without ``applies_to`` governs every technique in the catalogue;
* **waits**: the waiting periods an effect sets (:meth:`EffectModel.waits`);
* **phases**: the phases of a course (:data:`PHASES`, from :mod:`engine._model`);
* which rules **derive** a fact, in the order they are tried (:func:`derivation_order`);
* what a **technique selector** names (:meth:`ProtocolSpec.select`).

Conditions are parsed into the small tree at the end of the module (:data:`Condition`):
atoms joined by ``all``, ``any`` and ``not``. An atom's matcher field name comes from
:mod:`engine._names`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeGuard, TypeVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from engine._fhir_mapping import FhirMapping
from engine._model import (
    PHASES,
    AgentSpec,
    AgentUse,
    EvidenceRef,
    EvidenceSource,
    FactSpec,
    Grade,
    Manifest,
    Period,
    PeriodModel,
    Phase,
    Replacement,
    RuleKind,
    RuleSpec,
    StepAlternative,
    StrictModel,
    TechniqueSpec,
    WaitSpec,
    parse_period,
)
from engine._names import history_detail_field, history_field, set_member_field

__all__ = [
    "ASSESSMENT_DATE",
    "EFFECT_MODELS",
    "PHASES",
    "PREVIOUS_TREATMENTS",
    "SAFETY_KINDS",
    "START_DATE",
    "STRENGTH_POINTS",
    "AftercareEffect",
    "AllOf",
    "Always",
    "AnyOf",
    "Atom",
    "Citation",
    "Condition",
    "ContraindicationEffect",
    "DerivedEffect",
    "Effect",
    "EffectModel",
    "NotOf",
    "Op",
    "Phase",
    "ProtocolSpec",
    "RequirementEffect",
    "Rule",
    "SequencingEffect",
    "StepPhase",
    "Strength",
    "SuitabilityEffect",
    "Wait",
    "atoms",
    "condition_facts",
    "derivation_order",
    "is_cause_argument",
    "rule_scope",
    "select_techniques",
]

ASSESSMENT_DATE = "assessment_date"
"""The required date fact every ``within`` is measured back from: "today" for a plan."""
PREVIOUS_TREATMENTS = "previous_treatments"
"""The treatment-history fact that ``previous_treatment`` tests and ``after_previous`` waits read."""
START_DATE = "start_date"
"""The planning fact for the first session the client asks for: sessions are dated from it."""

Strength = Literal["weak", "moderate", "strong"]
STRENGTH_POINTS: Mapping[Strength, int] = {"weak": 1, "moderate": 2, "strong": 3}
"""What an argument of each strength adds to (for) or takes from (against) a technique's score."""

SAFETY_KINDS: frozenset[RuleKind] = frozenset({"contraindication", "requirement", "sequencing", "aftercare"})
"""Kinds whose rules decide whether a technique is safe: unknown ones make it pending."""

StepPhase = Literal["consultation", "preparation", "pre_treatment", "exfoliation", "follow_up"]
"""The phases a requirement can add a step to (sessions and aftercare have rules of their own)."""


# ----------------------------------------------------------------------------- effects


@dataclass(frozen=True)
class Wait:
    """A waiting period an effect sets, with the key it is written under in ``then:``."""

    key: str
    spec: WaitSpec


class EffectModel(StrictModel):
    """Base of the typed effects: what a rule of one kind does when its condition holds."""

    kind: ClassVar[RuleKind]

    def waits(self) -> tuple[Wait, ...]:
        """The waiting periods this effect sets (none, for most kinds)."""
        return ()


class DerivedEffect(EffectModel):
    """Sets a derived fact to a value (first matching rule wins, in priority order)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)
    kind: ClassVar[RuleKind] = "derived"

    fact: str
    value: str | bool


class ContraindicationEffect(EffectModel):
    """Absolute: the technique is excluded. Relative: allowed only after practitioner review."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=False, arbitrary_types_allowed=True, str_strip_whitespace=True
    )
    kind: ClassVar[RuleKind] = "contraindication"

    level: Literal["absolute", "relative"]
    advice: str = ""
    wait: WaitSpec | None = None
    agents: tuple[str, ...] = ()
    """Agents (ids or groups of ``agents.yaml``) contraindicated for the client, instead of techniques:
    no step of a plan may use them. A rule with agents has no ``applies_to``."""

    @property
    def absolute(self) -> bool:
        """Whether the contraindication excludes (rather than asks for a review)."""
        return self.level == "absolute"

    def waits(self) -> tuple[Wait, ...]:
        return (Wait("wait", self.wait),) if self.wait else ()


class SuitabilityEffect(EffectModel):
    """An argument for or against a technique, with its strength."""

    kind: ClassVar[RuleKind] = "suitability"

    argument: Literal["for", "against"]
    strength: Strength

    @property
    def points(self) -> int:
        """What the argument adds to the technique's score: positive for, negative against."""
        weight = STRENGTH_POINTS[self.strength]
        return weight if self.argument == "for" else -weight


class RequirementEffect(EffectModel):
    """A step the plan must contain, in a given phase."""

    model_config = PeriodModel.model_config
    kind: ClassVar[RuleKind] = "requirement"

    phase: StepPhase
    step: str = Field(min_length=1)
    instructions: str = Field(min_length=1)
    lead_time: Period | None = None
    ready_after: WaitSpec | None = None
    after_last_session: Period | None = None
    after_each_session: Period | None = None
    """A follow-up after every session (a wound check a week after each resurfacing), dated per session."""
    required: bool = True
    """Whether the technique may go ahead without the step: a required step whose agents are
    contraindicated, with no usable alternative, excludes the technique; an optional one is dropped."""
    agents: tuple[AgentUse, ...] = ()
    alternative: StepAlternative | None = None
    course: Literal["any", "new", "continuing"] = "any"
    """For which plans the step is: any, a new course only (the full consultation), or only a
    course that continues or is maintained (a short visit check)."""

    @field_validator("lead_time", "after_last_session", "after_each_session", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period | None:
        return None if value is None else parse_period(value)

    @model_validator(mode="after")
    def _follow_up_timing(self) -> RequirementEffect:
        if (self.after_last_session or self.after_each_session) and self.phase != "follow_up":
            raise ValueError("after_last_session and after_each_session date a follow_up step only")
        if self.after_last_session and self.after_each_session:
            raise ValueError("a follow-up is after the last session or after each session, not both")
        return self

    def waits(self) -> tuple[Wait, ...]:
        return (Wait("ready_after", self.ready_after),) if self.ready_after else ()

    @property
    def preparation(self) -> Period | None:
        """How long before a session the step's preparation begins: the longer of its lead time
        and its readiness wait's period (none without either).

        A maintenance session is a course of one (see :meth:`engine._schedule.Schedule.timings`):
        what the step starts "from assessment" before the first one starts this long before
        each later one (a retinoid paused a week before each maintenance peel, hydroquinone
        primed two weeks before); without a preparation, from the previous session.
        """
        periods = [p for p in (self.lead_time, self.ready_after.period if self.ready_after else None) if p]
        return max(periods, key=Period.approx_days) if periods else None


class SequencingEffect(EffectModel):
    """Timing constraints: a minimum gap, a skipped phase, or techniques not to combine on one day."""

    model_config = PeriodModel.model_config
    kind: ClassVar[RuleKind] = "sequencing"

    not_before: WaitSpec | None = None
    skip_phase: Literal["exfoliation"] | None = None
    reason: str = ""
    not_same_day: tuple[str, ...] = ()
    late_course: Literal["restart", "continue"] | None = None
    """For a course in progress whose next session a wait pushes past the technique's
    ``interval_max``: start the course again (``restart``) or carry on (``continue``).
    Without a rule that holds, the course restarts."""
    end_course: bool = False
    """A course of the technique in progress or completed is not carried on or maintained
    (an inadequate response, say): the techniques are ranked afresh, and ``reason`` says why."""
    session_note: str = ""
    """A sentence added to every session of the technique the plan schedules (gentler settings
    after a reaction to the last session, say); the rule is cited on each session."""

    @model_validator(mode="after")
    def _exactly_one(self) -> SequencingEffect:
        chosen = [
            self.not_before is not None,
            self.skip_phase is not None,
            bool(self.not_same_day),
            self.late_course is not None,
            self.end_course,
            bool(self.session_note.strip()),
        ]
        if sum(chosen) != 1:
            raise ValueError(
                "a sequencing rule sets exactly one of not_before, skip_phase, not_same_day, late_course, "
                "end_course, session_note"
            )
        if (self.skip_phase or self.end_course) and not self.reason:
            raise ValueError("skip_phase and end_course need a 'reason' the practitioner can read")
        return self

    def waits(self) -> tuple[Wait, ...]:
        return (Wait("not_before", self.not_before),) if self.not_before else ()


class AftercareEffect(EffectModel):
    """An instruction to follow after each session, and for how long."""

    model_config = PeriodModel.model_config
    kind: ClassVar[RuleKind] = "aftercare"

    instruction: str = Field(min_length=1)
    duration: Period
    required: bool = True
    """As for a requirement: whether the technique may go ahead without this instruction."""
    agents: tuple[AgentUse, ...] = ()
    alternative: StepAlternative | None = None

    @field_validator("duration", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period:
        return parse_period(value)


Effect = (
    DerivedEffect | ContraindicationEffect | SuitabilityEffect | RequirementEffect | SequencingEffect | AftercareEffect
)
"""Every typed effect; a rule's ``kind`` says which (see :data:`EFFECT_MODELS`)."""

EFFECT_MODELS: Mapping[RuleKind, type[Effect]] = {
    model.kind: model
    for model in (
        DerivedEffect,
        ContraindicationEffect,
        SuitabilityEffect,
        RequirementEffect,
        SequencingEffect,
        AftercareEffect,
    )
}
"""The effect model of each rule kind: ``then:`` is validated against it."""


# ----------------------------------------------------------------------------- conditions

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "within"]
"""What an atom tests: a comparison with ``value``, or (``within``) a date less than ``value`` before the assessment."""


@dataclass(frozen=True)
class Atom:
    """One test of one fact, already type-checked against the vocabulary.

    ``value`` is the comparison value: a :class:`Period` for ``within``, ``True`` (includes)
    or ``False`` (excludes) for a set member.
    """

    fact: str
    op: Op
    value: Any
    text: str
    member: str | None = None
    """For a set test: the member tested."""
    selector: str | None = None
    """For a previous-treatment test: the technique selector (``peel.*``, an id, or ``all``)."""
    detail: Literal["reaction", "response"] | None = None
    """For a previous-treatment test: the detail of the latest such treatment tested (``value`` is a value of it)."""

    @functools.cached_property
    def field(self) -> str:
        """The name of the field this atom tests in the matcher's fact (see :mod:`engine._names`)."""
        if self.selector is not None and self.detail is not None:
            return history_detail_field(self.selector, self.detail)
        if self.selector is not None:
            return history_field(self.selector)
        if self.member is not None:
            return set_member_field(self.fact, self.member)
        return self.fact


@dataclass(frozen=True)
class AllOf:
    """Every item holds (``all:``)."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one item holds (``any:``)."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class NotOf:
    """The item does not hold (``not:``)."""

    item: Condition


@dataclass(frozen=True)
class Always:
    """The condition of a rule without ``when``."""


Condition = Atom | AllOf | AnyOf | NotOf | Always


def atoms(condition: Condition) -> Iterator[Atom]:
    """Every atomic test inside ``condition``, depth first."""
    if isinstance(condition, Atom):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            yield from atoms(item)
    elif isinstance(condition, NotOf):
        yield from atoms(condition.item)


def condition_facts(condition: Condition) -> frozenset[str]:
    """The facts a condition reads."""
    if isinstance(condition, Atom):
        return frozenset((condition.fact,))
    if isinstance(condition, AllOf | AnyOf):
        return frozenset().union(*(condition_facts(c) for c in condition.items))
    if isinstance(condition, NotOf):
        return condition_facts(condition.item)
    return frozenset()


# ----------------------------------------------------------------------------- rules

E = TypeVar("E", bound=EffectModel, covariant=True)


@dataclass(frozen=True)
class Rule(Generic[E]):
    """A validated rule: its envelope, parsed condition, typed effect and where it was written.

    ``techniques`` are the techniques its ``applies_to`` names; ``scope`` those it governs,
    which for a safety rule written without ``applies_to`` is the whole catalogue.
    """

    spec: RuleSpec
    condition: Condition
    effect: E
    techniques: tuple[str, ...]
    scope: tuple[str, ...]
    facts: frozenset[str]
    file: str
    line: int
    order: int
    cause_argument: bool = False
    """A "for" argument whose condition reads only indication facts (why the client came: the pore
    causes). A technique is a candidate only while at least one of its cause arguments holds; the
    other arguments (skin type, Fitzpatrick, age, downtime) adjust its score but never indicate it."""

    id: str = field(init=False, compare=False)
    """The rule's id (``spec.id``, kept as a plain attribute: the planner reads it hundreds of times a plan)."""
    kind: RuleKind = field(init=False, compare=False)
    """The rule's kind (``spec.kind``)."""
    general: bool = field(init=False, compare=False)
    """Written without ``applies_to``: a safety rule that governs every technique."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.spec.id)
        object.__setattr__(self, "kind", self.spec.kind)
        object.__setattr__(self, "general", not self.spec.applies_to)

    @property
    def title(self) -> str:
        return self.spec.title

    def governs(self, technique: str) -> bool:
        """Whether the rule applies to ``technique`` (see :attr:`scope`)."""
        return technique in self.scope


def _is(rule: Rule[EffectModel], model: type[E]) -> TypeGuard[Rule[E]]:
    return isinstance(rule.effect, model)


def rule_scope(
    kind: RuleKind, techniques: tuple[str, ...], general: bool, catalogue: Iterable[str], effect: EffectModel
) -> tuple[str, ...]:
    """The techniques a rule governs: its own, or (in catalogue order) every technique for a general safety rule.

    A contraindication of agents governs no technique by itself: which techniques it rules
    out depends on the steps each would need for the client (see :mod:`engine._decide`).
    """
    if isinstance(effect, ContraindicationEffect) and effect.agents:
        return ()
    if general and kind in SAFETY_KINDS:
        return tuple(catalogue)
    return techniques


def is_cause_argument(effect: EffectModel, reads: frozenset[str], facts: Mapping[str, FactSpec]) -> bool:
    """Whether a rule is a cause argument (see :attr:`Rule.cause_argument`)."""
    return (
        isinstance(effect, SuitabilityEffect)
        and effect.argument == "for"
        and bool(reads)
        and all(name in facts and facts[name].indication for name in reads)
    )


def select_techniques(selector: str, techniques: Mapping[str, TechniqueSpec]) -> tuple[str, ...]:
    """Technique ids named by ``selector``: an id, ``family.*`` or ``all`` (sorted)."""
    if selector == "all":
        return tuple(sorted(techniques))
    if selector.endswith(".*"):
        family = selector[:-2]
        return tuple(sorted(t for t, spec in techniques.items() if spec.family == family))
    return (selector,) if selector in techniques else ()


def derivation_order(rules: Iterable[Rule[EffectModel]]) -> dict[str, tuple[Rule[DerivedEffect], ...]]:
    """The rules deriving each fact, in the order they are tried: priority, then file, then position.

    The first true rule sets the value; an unknown one before it leaves the value unknown.
    """
    deriving: dict[str, list[Rule[DerivedEffect]]] = {}
    for rule in rules:
        if _is(rule, DerivedEffect):
            deriving.setdefault(rule.effect.fact, []).append(rule)
    return {
        name: tuple(sorted(found, key=lambda r: (r.spec.priority, r.file, r.order))) for name, found in deriving.items()
    }


@dataclass(frozen=True)
class Citation:
    """One source behind a rule, resolved: its registry id (none for an inline citation), what and
    where it is, its grade, and the digest facts of it the rule rests on."""

    source: str | None
    citation: str
    url: str
    grade: Grade | None
    facts: tuple[str, ...]
    note: str | None = None
    """An inline citation's free-text reference (registry citations name ``facts`` instead)."""


@dataclass(frozen=True)
class ProtocolSpec:
    """A validated, cross-referenced protocol: everything the engine and its tools read.

    Frozen: per-protocol caches (the evaluator's flattener, the planner's tables) are
    built once from it by :class:`engine._protocol.Protocol` and never go stale.
    """

    root: Path
    manifest: Manifest
    facts: Mapping[str, FactSpec]
    techniques: Mapping[str, TechniqueSpec]
    sources: Mapping[str, EvidenceSource]
    """The evidence registry (``evidence.yaml``), by source id."""
    agents: Mapping[str, AgentSpec]
    """The agent catalogue (``agents.yaml``), by agent id."""
    replaced: Mapping[str, Replacement]
    """Facts the vocabulary retired, with the facts that replaced them."""
    rules: tuple[Rule[Effect], ...]
    sha256: str
    periods: frozenset[Period]
    history_selectors: frozenset[str]
    strata: Mapping[str, int] = field(default_factory=dict)
    """Each rule's stratum: 0 reads only intake facts; n reads facts derived in strata below n."""
    fhir_mapping: FhirMapping | None = None
    """How each intake fact is read from FHIR resources (``fhir-mapping.yaml``; project codes only without it)."""

    def __post_init__(self) -> None:
        rules: tuple[Rule[EffectModel], ...] = self.rules
        derived = derivation_order(rules)
        views: dict[str, Any] = {
            "by_id": {rule.id: rule for rule in rules},
            "deriving": derived,
            "derived": tuple(r for r in rules if _is(r, DerivedEffect)),
            "contraindications": tuple(r for r in rules if _is(r, ContraindicationEffect)),
            "suitability": tuple(r for r in rules if _is(r, SuitabilityEffect)),
            "requirements": tuple(r for r in rules if _is(r, RequirementEffect)),
            "sequencing": tuple(r for r in rules if _is(r, SequencingEffect)),
            "aftercare": tuple(r for r in rules if _is(r, AftercareEffect)),
        }
        for name, value in views.items():
            object.__setattr__(self, name, value)

    # Typed views, set once in __post_init__ (declared here for type checkers and readers).
    by_id: Mapping[str, Rule[Effect]] = field(init=False, repr=False, compare=False)
    deriving: Mapping[str, tuple[Rule[DerivedEffect], ...]] = field(init=False, repr=False, compare=False)
    """For each derived fact, the rules that set it in the order they are tried (:func:`derivation_order`)."""
    derived: tuple[Rule[DerivedEffect], ...] = field(init=False, repr=False, compare=False)
    contraindications: tuple[Rule[ContraindicationEffect], ...] = field(init=False, repr=False, compare=False)
    suitability: tuple[Rule[SuitabilityEffect], ...] = field(init=False, repr=False, compare=False)
    requirements: tuple[Rule[RequirementEffect], ...] = field(init=False, repr=False, compare=False)
    sequencing: tuple[Rule[SequencingEffect], ...] = field(init=False, repr=False, compare=False)
    aftercare: tuple[Rule[AftercareEffect], ...] = field(init=False, repr=False, compare=False)

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The phases of a course, in the order the manifest gives."""
        return self.manifest.phases

    def citations(self, rule: Rule[Effect]) -> tuple[Citation, ...]:
        """The sources a rule cites, resolved through the evidence registry (inline citations as written)."""
        out = []
        for cited in rule.spec.evidence:
            if isinstance(cited, EvidenceRef):
                source = self.sources[cited.source]
                out.append(Citation(cited.source, source.citation, source.url, source.grade, cited.facts))
            else:
                out.append(Citation(None, cited.citation, cited.url, None, (), cited.reference))
        return tuple(out)

    def rule(self, rule_id: str) -> Rule[Effect]:
        """The rule with id ``rule_id``; raises ``KeyError``."""
        return self.by_id[rule_id]

    def select_agents(self, selector: str) -> tuple[str, ...]:
        """Agent ids named by ``selector``: an agent id, or a group of ``agents.yaml`` (sorted)."""
        if selector in self.agents:
            return (selector,)
        return tuple(sorted(a for a, spec in self.agents.items() if selector in spec.groups))

    def select(self, selector: str) -> tuple[str, ...]:
        """Technique ids named by ``selector``: an id, ``family.*`` or ``all``."""
        return select_techniques(selector, self.techniques)
