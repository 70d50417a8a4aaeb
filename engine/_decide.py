"""Decide, for one client, which techniques are out, which wait for answers, and which one to plan.

The decision is plain data (:class:`Decision`), made before any step is scheduled or any
sentence written:

1. **Excluded**: a technique with an absolute contraindication that holds.
2. **Pending**: a technique whose safety (a contraindication, requirement, sequencing or
   aftercare rule that governs it) is unknown because a fact is missing. Fail closed: it is
   never planned.
3. **Ranked**: every technique, by :class:`RankKey`: candidates (neither excluded nor
   pending, with a positive score) first, then the higher score (the sum of the points of
   its true suitability arguments), then fewer cautions, then catalogue order. The first
   candidate is chosen.
4. **Status**: ``needs_information`` if a fact that could change the plan is missing, else
   ``not_suitable`` if there is no candidate, else ``needs_review`` if the chosen technique
   carries a caution (a relative contraindication that holds), else ``ready``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, get_args

from engine._evaluate import Outcome, Truth
from engine._model import RuleKind
from engine._plan_model import PlanStatus, RankStatus
from engine._plan_tables import PlanTables
from engine._spec import (
    SAFETY_KINDS,
    AftercareEffect,
    ContraindicationEffect,
    DerivedEffect,
    Effect,
    RequirementEffect,
    Rule,
    SequencingEffect,
    SuitabilityEffect,
)

__all__ = ["Decision", "Holding", "RankKey", "RankRow", "decide", "holding"]


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


_SLOT: Mapping[RuleKind, int] = {kind: n for n, kind in enumerate(get_args(RuleKind))}
"""Each kind's field in :class:`Holding`, whose fields follow the order of ``RuleKind`` (a test checks it)."""


def holding(tables: PlanTables, outcome: Outcome) -> Holding:
    """Sort one client's true and unknown rules by kind; only those rules matter to the plan."""
    position = tables.position
    by_id = tables.spec.by_id
    true_ids = outcome.true_rules or frozenset(r for r, t in outcome.truth.items() if t is Truth.TRUE)
    # One list per kind, in the order of Holding's fields. A rule's kind fixes its effect's type
    # (the validator checks ``then:`` against the kind's model), hence Any here, once.
    kinds: tuple[list[Any], ...] = ([], [], [], [], [], [])
    for rule_id in sorted(true_ids, key=position.__getitem__):
        rule = by_id[rule_id]
        kinds[_SLOT[rule.kind]].append(rule)
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


class RankKey(NamedTuple):
    """How techniques are ordered: the smaller key ranks higher, field by field."""

    not_candidate: bool
    """Candidates (neither excluded nor pending, positive score) come first."""
    minus_score: int
    """Then the higher score."""
    cautions: int
    """Then the fewer cautions."""
    catalogue: int
    """Then the earlier catalogue position."""


class RankRow(NamedTuple):
    """One technique's place in the ranking, and what put it there."""

    technique: str
    status: RankStatus
    score: int
    arguments_for: tuple[str, ...]
    arguments_against: tuple[str, ...]
    cautions: tuple[str, ...]
    key: RankKey


@dataclass(frozen=True)
class Decision:
    """Everything decided for one client before the plan is scheduled and written."""

    status: PlanStatus
    chosen: str | None
    excluded: Mapping[str, tuple[Rule[ContraindicationEffect], ...]]
    """Technique -> the absolute contraindications that hold for it, in catalogue order."""
    pending: Mapping[str, frozenset[str]]
    """Technique -> the unknown safety rules that keep it pending, in catalogue order."""
    cautions: Mapping[str, tuple[Rule[ContraindicationEffect], ...]]
    """Technique -> the relative contraindications that hold for it, in catalogue order."""
    ranking: tuple[RankRow, ...]
    missing: tuple[tuple[str, tuple[str, ...]], ...]
    """Each absent fact that could change the plan, with the rules that need it, by fact name."""


def decide(tables: PlanTables, outcome: Outcome, rules: Holding) -> Decision:
    """Exclusions, pending techniques, cautions, the ranking, the chosen technique and the status."""
    catalogue = tables.catalogue
    excluded: dict[str, list[Rule[ContraindicationEffect]]] = {}
    pending: dict[str, set[str]] = {}
    cautions: dict[str, list[Rule[ContraindicationEffect]]] = {}
    for rule in rules.unknown:
        if rule.kind in SAFETY_KINDS:
            for technique in rule.scope:
                pending.setdefault(technique, set()).add(rule.id)
    for contra in rules.contraindications:
        target = excluded if contra.effect.absolute else cautions
        for technique in contra.scope:
            target.setdefault(technique, []).append(contra)
    for technique in excluded:
        pending.pop(technique, None)
    out_excluded = {t: tuple(excluded[t]) for t in catalogue if t in excluded}
    out_pending = {t: frozenset(pending[t]) for t in catalogue if t in pending}
    out_cautions = {t: tuple(cautions[t]) for t in catalogue if t in cautions}

    ranking = _rank(tables, rules, out_excluded, out_pending, out_cautions)
    chosen = ranking[0].technique if ranking and ranking[0].status == "chosen" else None
    missing = _missing(tables, outcome, out_excluded)
    status: PlanStatus
    if missing:
        status = "needs_information"
    elif chosen is None:
        status = "not_suitable"
    elif chosen in out_cautions:
        status = "needs_review"
    else:
        status = "ready"
    return Decision(status, chosen, out_excluded, out_pending, out_cautions, ranking, missing)


def _rank(
    tables: PlanTables,
    rules: Holding,
    excluded: Mapping[str, object],
    pending: Mapping[str, object],
    cautions: Mapping[str, tuple[Rule[ContraindicationEffect], ...]],
) -> tuple[RankRow, ...]:
    catalogue = tables.catalogue
    pros: dict[str, list[str]] = {t: [] for t in catalogue}
    cons: dict[str, list[str]] = {t: [] for t in catalogue}
    scores = dict.fromkeys(catalogue, 0)
    for rule in rules.suitability:  # rule by rule: arguments keep protocol order
        points = rule.effect.points
        for technique in rule.techniques:
            (pros if points > 0 else cons)[technique].append(rule.id)
            scores[technique] += points
    rows: list[tuple[RankKey, str, RankStatus, tuple[str, ...]]] = []
    for technique in catalogue:
        score = scores[technique]
        status: RankStatus
        if technique in excluded:
            status = "excluded"
        elif technique in pending:
            status = "pending"
        elif score > 0:
            status = "candidate"
        else:
            status = "not_indicated"
        caution_ids = tuple(sorted(r.id for r in cautions.get(technique, ())))
        key = RankKey(status != "candidate", -score, len(caution_ids), tables.order[technique])
        rows.append((key, technique, status, caution_ids))
    rows.sort(key=lambda row: row[0])
    out = []
    for place, (key, technique, status, caution_ids) in enumerate(rows):
        final: RankStatus = "chosen" if place == 0 and status == "candidate" else status
        out.append(
            RankRow(
                technique, final, scores[technique], tuple(pros[technique]), tuple(cons[technique]), caution_ids, key
            )
        )
    return tuple(out)


def _missing(
    tables: PlanTables, outcome: Outcome, excluded: Mapping[str, object]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Absent facts that could still change the plan, and the rules that need them.

    A rule about techniques that are all excluded anyway cannot change the plan, so its
    unknown facts are not asked for; derived facts are traced back to the intake questions
    behind them.
    """
    spec = tables.spec
    open_techniques = [t for t in tables.catalogue if t not in excluded]
    relevant = [
        rule
        for rule in (spec.by_id[rule_id] for rule_id in outcome.needs)
        if rule.kind != "derived"
        and open_techniques
        and (rule.general or any(t not in excluded for t in rule.techniques))
    ]
    involved = {rule.id for rule in relevant}
    frontier: list[Rule[Effect]] = list(relevant)
    while frontier:
        rule = frontier.pop()
        for name in rule.facts:
            for source in spec.deriving.get(name, ()):
                if source.id in outcome.needs and source.id not in involved:
                    involved.add(source.id)
                    frontier.append(source)
    needed: dict[str, set[str]] = {}
    for rule_id in involved:
        for fact in outcome.needs[rule_id]:
            needed.setdefault(fact, set()).add(rule_id)
    return tuple((fact, tuple(sorted(rule_ids))) for fact, rule_ids in sorted(needed.items()))
