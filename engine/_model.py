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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "FACT_NAME_PATTERN",
    "PHASES",
    "RULE_ID_PATTERN",
    "TECHNIQUE_ID_PATTERN",
    "Evidence",
    "FactSpec",
    "Manifest",
    "Period",
    "PeriodModel",
    "Phase",
    "RuleKind",
    "RuleSpec",
    "SessionSpec",
    "StrictModel",
    "TechniqueSpec",
    "WaitSpec",
    "parse_period",
]

RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
FACT_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
TECHNIQUE_ID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

Phase = Literal["consultation", "preparation", "pre_treatment", "exfoliation", "treatment", "aftercare", "follow_up"]
"""The phases of a course of treatment; a plan's steps follow them in this order."""
PHASES: tuple[Phase, ...] = typing.get_args(Phase)

RuleKind = Literal["derived", "contraindication", "suitability", "requirement", "sequencing", "aftercare"]

_PERIOD_RE = re.compile(r"^\s*(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)\s*$")


class StrictModel(BaseModel):
    """Frozen, strict, no unknown keys: the base of every document shape."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, str_strip_whitespace=True)


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
    required: bool = False
    derived: bool = False
    default: str | bool | None = None
    planning_only: bool = False

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
    sessions: SessionSpec
    maintenance_every: Period | None = None
    parameters: dict[str, str | int] = Field(default_factory=dict)

    @field_validator("maintenance_every", mode="before")
    @classmethod
    def _parse_period(cls, value: Any) -> Period | None:
        return None if value is None else parse_period(value)


# ----------------------------------------------------------------------------- rules


class Evidence(StrictModel):
    """A citation that backs a rule."""

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
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    priority: int = Field(default=100, ge=0, le=65535)
