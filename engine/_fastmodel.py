"""Build the plan's pydantic models from data the planner already validated, without validating again.

A plan has some fifty nested models. Validating each one as it is made repeats checks
whose inputs came from the validated protocol and facts; :func:`constructor` instead
fills the four slots of a pydantic instance directly, with the fields in declaration order
(the order ``model_dump_json`` writes them in) and the declared defaults for fields left
out. Measured on the plan models (pydantic 2.14): a ``Justification`` takes about half the
time of validating it, a ``Step`` two thirds, a ``Ranking`` about the same; over a whole
plan this saves about 90 µs per client. ``model_construct``, pydantic's own way to skip
validation, is slower than validating.

Safety nets, because this writes pydantic's private layout:

* the layout is checked before a fast constructor is made (slot names, no default
  factories, no private attributes, ``extra="forbid"``); otherwise ``model_construct`` is used;
* at import, :func:`_self_check` builds sample plan parts both ways and compares them
  (equality, fields set and JSON); if they differ, every constructor validates instead;
* with the environment variable ``PORE_PROTOCOL_VALIDATE_PLANS=1`` every part and the
  plan itself are built through full pydantic validation (CI runs the golden examples and
  the safety properties once this way);
* :func:`assemble_plan` always checks the plan's safety invariants.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from engine._plan_model import Evidence, Justification, Ranking, Step, TreatmentPlan, check_invariants

__all__ = ["FULL_VALIDATION", "VALIDATE_ENV", "assemble_plan", "constructor", "make"]

VALIDATE_ENV = "PORE_PROTOCOL_VALIDATE_PLANS"
"""Set to 1 to build every plan through full pydantic validation (slower; for tests)."""

M = TypeVar("M", bound=BaseModel)
_setattr = object.__setattr__
_PYDANTIC_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _fast(cls: type[M]) -> Callable[..., M]:
    """A constructor that fills ``cls``'s slots directly, or ``model_construct`` if the layout differs.

    Unknown or missing fields raise ``TypeError``, as calling the class would.
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


def _self_check() -> bool:
    """Whether fast and validated construction give equal parts, with equal fields set and JSON."""
    evidence: dict[str, Any] = {
        "source": "S01",
        "citation": "A source",
        "url": "https://example.org/a",
        "grade": "guideline",
        "facts": ("PEEL-01",),
    }
    justification: dict[str, Any] = {
        "rule_id": "CHECK-ONE",
        "title": "A rule",
        "kind": "requirement",
        "severity": "low",
        "facts": {"age": 30, "pore_causes": ["congestion"]},
        "rationale": "Why it holds.",
        "evidence": (Evidence(**evidence),),
    }
    step: dict[str, Any] = {
        "phase": "treatment",
        "title": "Session 1 of 2",
        "instructions": "Do it.",
        "technique": "peel.glycolic",
        "session": 1,
        "date": "2026-01-02",
        "interval": {"min": "2 weeks", "max": "4 weeks"},
        "justifications": (Justification(**justification),),
    }
    ranking: dict[str, Any] = {
        "technique": "peel.glycolic",
        "title": "Glycolic",
        "status": "chosen",
        "score": 2,
        "invasiveness": 3,
        "indicated_by": ("A-B",),
        "arguments_for": ("A-B",),
        "arguments_against": (),
        "cautions": (),
    }
    samples: tuple[tuple[type[BaseModel], dict[str, Any]], ...] = (
        (Evidence, evidence),
        (Justification, justification),
        (Step, step),
        (Ranking, ranking),
    )
    for cls, values in samples:
        fast, slow = _fast(cls)(**values), cls(**values)
        if fast != slow or fast.model_fields_set != slow.model_fields_set:
            return False
        if fast.model_dump_json() != slow.model_dump_json():
            return False
    return True


FULL_VALIDATION = os.environ.get(VALIDATE_ENV, "") not in ("", "0") or not _self_check()
"""Whether plans are built through full validation (asked for, or the self-check failed)."""

_CONSTRUCTORS: dict[type[BaseModel], Callable[..., Any]] = {}


def constructor(cls: type[M]) -> Callable[..., M]:
    """The constructor the planner uses for ``cls``: fast, or validating under :data:`FULL_VALIDATION`."""
    found = _CONSTRUCTORS.get(cls)
    if found is None:
        found = _CONSTRUCTORS[cls] = cls if FULL_VALIDATION else _fast(cls)
    return found


def make(cls: type[M], **values: Any) -> M:
    """``cls(**values)`` for values already of the right types, through :func:`constructor`."""
    return constructor(cls)(**values)


_new_plan = constructor(TreatmentPlan)


def assemble_plan(**fields: Any) -> TreatmentPlan:
    """A plan from parts the planner built, with every safety invariant checked.

    A plan that breaks an invariant is rebuilt through full validation, which raises the
    :class:`pydantic.ValidationError` naming the broken invariant.
    """
    plan = _new_plan(**fields)
    if FULL_VALIDATION:
        return plan  # validated, invariants included
    try:
        check_invariants(plan)
    except ValueError:
        TreatmentPlan(**fields)  # raises the ValidationError naming the broken invariant
        raise  # pragma: no cover - the validator runs the same checks, so it cannot pass
    return plan
