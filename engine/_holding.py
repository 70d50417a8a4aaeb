"""The rules that hold for one client, sorted by kind: the only rules a plan is made of.

Per client the planner visits only the rules that are true (and, for fail-closed
decisions, those that are unknown), in protocol order and with their effect types known.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
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
    """Sort one client's true and unknown rules by kind; only those rules matter to the plan.

    The true rules are sorted by their place in the protocol grouped by kind
    (:attr:`PlanTables.kind_place`): one sort of integers, and a binary search for where each
    kind starts, sort them by kind and, within a kind, in protocol order, with no Python step
    per rule.
    """
    position = tables.position
    true_ids = outcome.true_rules or frozenset(r for r, t in outcome.truth.items() if t is Truth.TRUE)
    places = sorted(map(tables.kind_place.__getitem__, true_ids))
    # A rule's kind fixes its effect's type (the validator checks ``then:`` against the kind's
    # model), hence Any here, once.
    rules: list[Any] = list(map(tables.by_kind_place.__getitem__, places))
    a, b, c, d, e, f, g = map(bisect_left, repeat(places), tables.kind_starts)
    return Holding(
        tuple(rules[a:b]),
        tuple(rules[b:c]),
        tuple(rules[c:d]),
        tuple(rules[d:e]),
        tuple(rules[e:f]),
        tuple(rules[f:g]),
        tuple(map(tables.spec.by_id.__getitem__, sorted(outcome.needs, key=position.__getitem__))),
    )
