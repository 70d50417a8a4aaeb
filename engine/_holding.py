"""The rules that hold for one client, sorted by kind: the only rules a plan is made of.

Per client the planner visits only the rules that are true (and, for fail-closed
decisions, those that are unknown), in protocol order and with their effect types known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine._evaluate import Outcome, Truth
from engine._model import RuleKind
from engine._plan_tables import KIND_SLOTS, PlanTables
from engine._spec import (
    AftercareEffect,
    ContraindicationEffect,
    DerivedEffect,
    Effect,
    RequirementEffect,
    Rule,
    SequencingEffect,
    SuitabilityEffect,
)

__all__ = ["Holding", "holding"]


@dataclass(frozen=True)
class Holding:
    """The rules that hold for one client, by kind and in protocol order, and those left unknown."""

    derived: tuple[Rule[DerivedEffect], ...]
    contraindications: tuple[Rule[ContraindicationEffect], ...]
    suitability: tuple[Rule[SuitabilityEffect], ...]
    requirements: tuple[Rule[RequirementEffect], ...]
    sequencing: tuple[Rule[SequencingEffect], ...]
    aftercare: tuple[Rule[AftercareEffect], ...]
    unknown: tuple[Rule[Effect], ...]
    """Rules neither true nor false for this client, in protocol order."""


_SLOT: Mapping[RuleKind, int] = KIND_SLOTS
"""Each kind's field in :class:`Holding`, whose fields follow the order of ``RuleKind`` (a test checks it)."""


def holding(tables: PlanTables, outcome: Outcome) -> Holding:
    """Sort one client's true and unknown rules by kind; only those rules matter to the plan."""
    position = tables.position
    by_id = tables.spec.by_id
    slot = tables.slot
    true_ids = outcome.true_rules or frozenset(r for r, t in outcome.truth.items() if t is Truth.TRUE)
    # One list per kind, in the order of Holding's fields. A rule's kind fixes its effect's type
    # (the validator checks ``then:`` against the kind's model), hence Any here, once.
    kinds: tuple[list[Any], ...] = ([], [], [], [], [], [])
    for rule_id in sorted(true_ids, key=position.__getitem__):
        place, rule = slot[rule_id]
        kinds[place].append(rule)
    unknown = [by_id[i] for i in sorted(outcome.needs, key=position.__getitem__)]
    derived, contraindications, suitability, requirements, sequencing, aftercare = kinds
    return Holding(
        tuple(derived),
        tuple(contraindications),
        tuple(suitability),
        tuple(requirements),
        tuple(sequencing),
        tuple(aftercare),
        tuple(unknown),
    )
