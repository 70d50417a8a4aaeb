"""The shapes of the YAML documents: manifest, intake vocabulary, technique catalogue, rule envelope.

These pydantic models check the *shape* of each document (required keys, types, allowed
values, unknown keys), plus the two value types every document uses: :class:`Period` and
:class:`WaitSpec`. What a rule *means* (its typed effect, its parsed condition, the
techniques it governs) is the loaded protocol, in :mod:`engine._spec`; cross-references
that need the whole protocol are checked by :mod:`engine._validate`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

__all__ = [
    "AGENT_ID_PATTERN",
    "FACT_NAME_PATTERN",
    "PHASES",
    "RULE_ID_PATTERN",
    "TECHNIQUE_ID_PATTERN",
    "AgentSpec",
    "AgentUse",
    "Anchor",
    "Evidence",
    "EvidenceRef",
    "EvidenceSource",
    "FactSpec",
    "Grade",
    "Manifest",
    "Moment",
    "Period",
    "PeriodModel",
    "Phase",
    "Replacement",
    "RuleKind",
    "RuleSpec",
    "SessionSpec",
    "StepAlternative",
    "StrictModel",
    "TechniqueSpec",
    "WaitSpec",
    "parse_period",
]

RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
FACT_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
TECHNIQUE_ID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
AGENT_ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Phase = Literal["consultation", "preparation", "pre_treatment", "exfoliation", "treatment", "aftercare", "follow_up"]
"""The phases of a course of treatment; a plan's steps follow them in this order."""
PHASES: tuple[Phase, ...] = typing.get_args(Phase)

RuleKind = Literal["derived", "contraindication", "suitability", "requirement", "sequencing", "aftercare"]

_PERIOD_RE = re.compile(r"^\s*(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)\s*$")


class StrictModel(BaseModel):
    """Frozen, strict, no unknown keys: the base of every document shape.

    ``defer_build``: each shape's validator is built the first time it validates, not when
    the module is imported. A command that reads the protocol from the compiled-protocol
    cache (``engine._cache``) never validates a rules document, and building every shape's
    validator up front was about 50 ms of ``pore-protocol evaluate``'s start-up.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, str_strip_whitespace=True, defer_build=True)


@dataclass(frozen=True, order=True)
class Period:
    """A length of time written by a clinician, e.g. ``6 months``; calendar-exact for months and years."""

    amount: int
    unit: str  # days | weeks | months | years

    @classmethod
    def parse(cls, text: object) -> Period:
        if not isinstance(text, str):
            raise ValueError(f"a period must be written like '2 weeks' or '6 months', not {text!r}")
        match = _PERIOD_RE.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a period; write a whole number and days, weeks, months or years")
        unit = match.group(2)
        return cls(int(match.group(1)), unit if unit.endswith("s") else unit + "s")

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"

    @property
    def key(self) -> str:
        """A stable identifier, used to name per-client cut-off fields."""
        return f"{self.amount}_{self.unit}"

    def approx_days(self) -> int:
        """Lower bound in days, for comparing periods of different units."""
        per = {"days": 1, "weeks": 7, "months": 28, "years": 365}[self.unit]
        return self.amount * per

    def before(self, day: dt.date) -> dt.date:
        """The date ``self`` before ``day`` (month ends clamp: 31 Mar - 1 month = 28/29 Feb)."""
        return _shift(day, self, -1)

    def after(self, day: dt.date) -> dt.date:
        """The date ``self`` after ``day``."""
        return _shift(day, self, +1)

    def cut_off(self, anchor: dt.date) -> dt.date:
        """The last day ``d`` whose wait of ``self`` has ended by ``anchor`` (``self.after(d) <= anchor``).

        ``within self`` holds for a date after it: exactly when a wait of ``self`` from that
        date has not ended on ``anchor``. ``before`` alone would not do at month ends, where
        ``after`` clamps: 31 March + 6 months is 30 September, yet 30 September - 6 months is
        30 March, so 31 March would still be "within" on the day its wait ends.
        """
        day = self.before(anchor)
        one = dt.timedelta(days=1)
        while day < dt.date.max and self.after(day + one) <= anchor:
            day += one
        while self.after(day) > anchor and day > dt.date.min:
            day -= one
        return day


def _shift(day: dt.date, period: Period, sign: int) -> dt.date:
    if period.unit == "days":
        return day + dt.timedelta(days=sign * period.amount)
    if period.unit == "weeks":
        return day + dt.timedelta(weeks=sign * period.amount)
    months = period.amount * (12 if period.unit == "years" else 1)
    total = day.year * 12 + (day.month - 1) + sign * months
    year, month = divmod(total, 12)
    month += 1
    if year < 1:
        return dt.date(1, 1, 1)
    if year > 9999:
        return dt.date(9999, 12, 31)
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


Anchor = Literal["assessment", "first_session", "each_session", "last_session"]
_MOMENT_RE = re.compile(
    r"^\s*(?:(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)\s+(before|after)\s+)?"
    r"(?:the\s+)?(assessment|first session|each session|last session)\s*$"
)


@dataclass(frozen=True, order=True)
class Moment:
    """A point in a course, written as clinicians write it: ``2 weeks before first session``,
    ``14 days after each session``, ``last session``, ``4 weeks after last session``, ``assessment``.

    ``each_session`` repeats around every session of the course.
    """

    anchor: Anchor
    offset_days_hint: int
    """Signed length in days (average months and years), for ordering and lint only; dates use :attr:`period`."""
    period: Period | None
    direction: Literal["before", "after"] | None

    @classmethod
    def parse(cls, text: object) -> Moment:
        if isinstance(text, Moment):
            return text
        if not isinstance(text, str):
            raise ValueError(f"a moment is written like '2 weeks before first session', not {text!r}")
        match = _MOMENT_RE.match(text)
        if not match:
            raise ValueError(
                f"{text!r} is not a moment of the course; write e.g. '2 weeks before first session', "
                "'14 days after each session', 'last session' or '4 weeks after last session'"
            )
        amount, unit, direction, anchor = match.groups()
        period = None if amount is None else Period.parse(f"{amount} {unit}")
        hint = 0 if period is None else period.approx_days() * (-1 if direction == "before" else 1)
        return cls(anchor.replace(" ", "_"), hint, period, direction)  # type: ignore[arg-type]

    def __str__(self) -> str:
        where = self.anchor.replace("_", " ")
        return where if self.period is None else f"{self.period} {self.direction} {where}"

    def on(self, day: dt.date) -> dt.date:
        """The date of this moment, given the date of its anchor."""
        if self.period is None:
            return day
        return self.period.before(day) if self.direction == "before" else self.period.after(day)


def parse_period(value: Any) -> Period:
    """A :class:`Period` from YAML text (or one already parsed)."""
    if isinstance(value, Period):
        return value
    return Period.parse(value)


class PeriodModel(StrictModel):
    """A document shape with :class:`Period` fields (written as text, parsed on validation)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=False, arbitrary_types_allowed=True, str_strip_whitespace=True
    )


# ----------------------------------------------------------------------------- manifest


class Manifest(StrictModel):
    """``protocol.yaml``: who owns the protocol, which version it is, and its phases."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    title: str = Field(min_length=1)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
    status: Literal["draft", "active", "retired"]
    owner: str = Field(min_length=1)
    last_review: dt.date
    description: str = ""
    phases: tuple[Phase, ...] = PHASES
    disclaimer: str = ""

    @field_validator("phases")
    @classmethod
    def _all_phases_once(cls, value: tuple[Phase, ...]) -> tuple[Phase, ...]:
        if sorted(value) != sorted(PHASES):
            missing = sorted(set(PHASES) - set(value))
            raise ValueError(f"phases must list each of {', '.join(PHASES)} exactly once; missing {missing}")
        if value[0] != "consultation":
            raise ValueError("the consultation must come first")
        return value


# ----------------------------------------------------------------------------- vocabulary

FactType = Literal["boolean", "integer", "enum", "set", "date", "treatment_history"]


class FactSpec(StrictModel):
    """One intake question: its type, allowed values, and how to ask it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    type: FactType
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    question: str = Field(min_length=1)
    unit: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    values: tuple[str, ...] = ()
    allow_never: bool = False
    allow_ongoing: bool = False
    """A date fact (a last dose) may be answered ``ongoing``: within every period, and no wait after it has begun."""
    required: bool = False
    derived: bool = False
    default: str | bool | None = None
    planning_only: bool = False
    indication: bool = False
    """Says why the client came (the pore causes): a "for" argument testing only such facts is a cause argument."""
    reactions: tuple[str, ...] = ()
    """For the treatment history: how the skin may have reacted to a session (``reaction`` of an entry)."""
    responses: tuple[str, ...] = ()
    """For the treatment history: how a course worked (``response`` of an entry)."""
    reaction_question: str = ""
    """For the treatment history: how to ask for the reaction to the last session, when a rule needs it."""
    response_question: str = ""
    """For the treatment history: how to ask how well the last course worked, when a rule needs it."""

    @model_validator(mode="after")
    def _consistent(self) -> FactSpec:
        if self.type in ("enum", "set"):
            if not self.values:
                raise ValueError(f"a {self.type} fact needs 'values'")
            if len(set(self.values)) != len(self.values):
                raise ValueError("'values' has duplicates")
            for value in self.values:
                if not re.match(r"^[a-z][a-z0-9_]*$", value):
                    raise ValueError(f"value {value!r} must be lower_snake_case")
        elif self.values:
            raise ValueError(f"'values' only applies to enum and set facts, not {self.type}")
        if self.type == "integer":
            if self.minimum is None or self.maximum is None:
                raise ValueError("an integer fact needs 'minimum' and 'maximum'")
            if self.minimum > self.maximum:
                raise ValueError("'minimum' is greater than 'maximum'")
            if max(abs(self.minimum), abs(self.maximum)) > 10**9:
                raise ValueError("integer bounds must lie within ±1,000,000,000")
        elif self.minimum is not None or self.maximum is not None:
            raise ValueError("'minimum' and 'maximum' only apply to integer facts")
        if self.allow_never and self.type != "date":
            raise ValueError("'allow_never' only applies to date facts")
        if self.allow_ongoing and self.type != "date":
            raise ValueError("'allow_ongoing' only applies to date facts")
        details = self.reactions or self.responses or self.reaction_question or self.response_question
        if details and self.type != "treatment_history":
            raise ValueError(
                "'reactions', 'responses', 'reaction_question' and 'response_question' "
                "only apply to the treatment history"
            )
        for value in (*self.reactions, *self.responses):
            if not re.match(r"^[a-z][a-z0-9_]*$", value):
                raise ValueError(f"value {value!r} must be lower_snake_case")
        if self.default is not None:
            if not self.derived:
                raise ValueError("only derived facts can have a default; an absent answer means unknown")
            if self.type == "enum" and self.default not in self.values:
                raise ValueError(f"default {self.default!r} is not one of {list(self.values)}")
            if self.type == "boolean" and not isinstance(self.default, bool):
                raise ValueError("a boolean default must be true or false")
        if self.derived and self.type not in ("boolean", "enum"):
            raise ValueError("derived facts must be boolean or enum")
        if self.derived and self.default is None:
            # Without a default, a client for whom every deriving rule is false would leave the
            # fact unknown with no question that could settle it: a gap in the protocol, not in
            # the client's answers. Refuse it here rather than fail at evaluation time.
            raise ValueError("a derived fact needs a 'default': the value when none of its rules holds")
        if self.derived and self.required:
            raise ValueError("a derived fact cannot be required from the client")
        return self


# ----------------------------------------------------------------------------- techniques


class Replacement(StrictModel):
    """A fact the vocabulary no longer has, what replaced it and since which protocol version.

    Facts files that still send the old name get an error naming the new ones, so that an
    integrator sees what to change rather than "unknown fact".
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    by: tuple[str, ...] = Field(min_length=1)
    since: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    note: str = ""


class AgentSpec(StrictModel):
    """An entry of the agent catalogue (``agents.yaml``): a substance a step can use or ask to withhold."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    title: str = Field(min_length=1)
    description: str = ""
    groups: tuple[str, ...] = ()
    """Groups the agent belongs to (e.g. ``acids``), so that a rule can contraindicate them all at once."""


class AgentUse(PeriodModel):
    """An agent a step names: used (checked against the client) or withheld (paused), and when.

    ``from`` and ``until`` are moments of the course (:class:`Moment`). A withheld agent is
    never contraindication-checked; a used one is, and a step whose used agent is
    contraindicated for the client is replaced by its ``alternative`` or, when it has none,
    dropped (an optional step) or the technique is excluded (a required step).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=False,
        arbitrary_types_allowed=True,
        str_strip_whitespace=True,
        populate_by_name=True,
    )

    agent: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: Literal["uses", "withholds"] = "uses"
    start: Moment | None = Field(default=None, alias="from")
    until: Moment | None = None

    @field_validator("start", "until", mode="before")
    @classmethod
    def _parse_moment(cls, value: Any) -> Moment | None:
        return None if value is None else Moment.parse(value)


class StepAlternative(PeriodModel):
    """The version of a step to use when an agent the step uses is contraindicated for the client."""

    step: str = Field(min_length=1)
    instructions: str = Field(min_length=1)
    agents: tuple[AgentUse, ...] = ()


class SessionSpec(PeriodModel):
    """How many sessions a course has and how far apart they are."""

    typical: int = Field(ge=1, le=52)
    minimum: int = Field(ge=1, le=52)
    maximum: int = Field(ge=1, le=52)
    interval_min: Period
    interval_max: Period

    @field_validator("interval_min", "interval_max", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period:
        return parse_period(value)

    @model_validator(mode="after")
    def _ordered(self) -> SessionSpec:
        if not self.minimum <= self.typical <= self.maximum:
            raise ValueError("sessions must satisfy minimum <= typical <= maximum")
        if self.interval_min.approx_days() > self.interval_max.approx_days():
            raise ValueError("interval_min is longer than interval_max")
        return self


class TechniqueSpec(PeriodModel):
    """An entry of the technique catalogue."""

    family: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    description: str = ""
    depth: str = ""
    exfoliates: bool
    downtime: str = Field(min_length=1)
    downtime_level: Literal["none", "short", "extended"]
    invasiveness: int = Field(ge=1, le=20)
    agents: tuple[str, ...] = ()
    """Agents applied at every session (e.g. ``salicylic_acid`` for a salicylic peel): a client for
    whom one is contraindicated cannot have the technique."""
    """How invasive the technique is, 1 the least: of equally good candidates the least invasive is chosen."""
    sessions: SessionSpec
    maintenance_every: Period | None = None
    parameters: dict[str, str | int] = Field(default_factory=dict)

    @field_validator("maintenance_every", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period | None:
        return None if value is None else parse_period(value)


# ----------------------------------------------------------------------------- rules


Grade = Literal["guideline", "systematic_review", "peer_reviewed", "textbook", "patient_information", "clinic"]
"""How much a source weighs, highest first. Where sources conflict, the more cautious value is encoded
unless a guideline or a systematic review explicitly says the less cautious one is safe."""
SOURCE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
DIGEST_FACT_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"


class EvidenceSource(StrictModel):
    """A source in the evidence registry (``evidence.yaml``): what it is, where it is, how much it weighs."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    citation: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    grade: Grade


class EvidenceRef(StrictModel):
    """A rule's citation of a registry source, with the digest facts of it the rule rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)

    source: str = Field(pattern=SOURCE_ID_PATTERN)
    facts: tuple[str, ...] = ()

    @field_validator("facts")
    @classmethod
    def _fact_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fact in value:
            if not re.match(DIGEST_FACT_PATTERN, fact):
                raise ValueError(f"{fact!r} is not a digest fact id (e.g. PEEL-03)")
        return value


class Evidence(StrictModel):
    """A citation written out in a rule instead of cited from the registry (accepted; lint prefers the registry)."""

    citation: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    reference: str | None = None


class WaitSpec(PeriodModel):
    """A date before which something may not happen: ``period`` after a date fact or a previous treatment.

    ``after`` names a date fact (e.g. ``isotretinoin_last_dose``); ``after_previous`` names a
    technique or family (``peel.*``) whose most recent previous treatment starts the clock.
    """

    after: str | None = None
    after_previous: str | None = None
    period: Period

    @field_validator("period", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period:
        return parse_period(value)

    @model_validator(mode="after")
    def _one_anchor(self) -> WaitSpec:
        if (self.after is None) == (self.after_previous is None):
            raise ValueError("give exactly one of 'after' (a date fact) or 'after_previous' (a technique)")
        return self


def _citation_kind(value: Any) -> str:
    """An inline citation has a ``citation``; anything else is read as a registry reference."""
    if isinstance(value, Evidence) or (isinstance(value, dict) and "citation" in value):
        return "inline"
    return "ref"


_CITED = Discriminator(_citation_kind)


class RuleSpec(StrictModel):
    """The envelope of a rule; ``when`` stays raw here and ``then`` is checked per kind."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=False, arbitrary_types_allowed=True, str_strip_whitespace=True
    )

    id: str = Field(pattern=RULE_ID_PATTERN)
    title: str = Field(min_length=3)
    kind: RuleKind
    applies_to: tuple[str, ...] = ()
    when: Any = None
    then: Any
    rationale: str = Field(min_length=10)
    severity: Literal["info", "low", "moderate", "high"]
    evidence: tuple[Annotated[Annotated[EvidenceRef, Tag("ref")] | Annotated[Evidence, Tag("inline")], _CITED], ...] = (
        Field(min_length=1)
    )
    priority: int = Field(default=100, ge=0, le=65535)

    @field_validator("evidence", mode="before")
    @classmethod
    def _bare_ids(cls, value: Any) -> Any:
        """A bare source id (``- S23``) cites the registry entry without naming digest facts."""
        if isinstance(value, list):
            return [{"source": item} if isinstance(item, str) else item for item in value]
        return value
