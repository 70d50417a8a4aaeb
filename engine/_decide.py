"""Decide, for one client, which techniques are out, which wait for answers, and which one to plan.

The decision is plain data (:class:`Decision`), made before any step is scheduled or any
sentence written:

1. **Excluded**: a technique with an absolute contraindication that holds.
2. **Pending**: a technique whose safety (a contraindication, requirement, sequencing or
   aftercare rule that governs it) is unknown because a fact is missing. Fail closed: it is
   never planned.
3. **Ranked**: every technique, by :class:`RankKey`. A *candidate* is neither excluded nor
   pending, is indicated for the client's pore cause (at least one of its cause arguments
   holds: see ``Rule.cause_argument``) and has a positive score (the sum of the points of its
   true suitability arguments; skin type, Fitzpatrick type, age and downtime adjust it but
   never indicate a technique on their own). Candidates come first; then fewer cautions (a
   technique that needs a practitioner's review never beats one that does not); then the
   higher score; then the lower invasiveness (ties never go to the deeper technique); then
   catalogue order.
4. **Status**: ``needs_information`` if a fact that could change the plan is missing (and
   then no technique is chosen: the plan says what to ask, and names nothing to act on),
   else ``not_suitable`` if there is no candidate, else ``needs_review`` if the chosen
   technique carries a caution (a relative contraindication that holds), else ``ready``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import NamedTuple

from engine._agents import AgentCheck, StepFate
from engine._course import Course
from engine._evaluate import Outcome
from engine._holding import Holding
from engine._plan_model import PlanStatus, RankStatus
from engine._plan_tables import PlanTables, Reason
from engine._spec import (
    AftercareEffect,
    Effect,
    RequirementEffect,
    Rule,
    SuitabilityEffect,
)

__all__ = ["Decision", "RankKey", "RankRow", "Reason", "decide"]


class RankKey(NamedTuple):
    """How techniques are ordered: the smaller key ranks higher, field by field."""

    not_candidate: bool
    """Candidates (neither excluded nor pending, indicated for the pore cause, positive score) come first."""
    cautions: int
    """Then the fewer cautions: a technique that needs a review never beats one that does not."""
    minus_score: int
    """Then the higher score."""
    invasiveness: int
    """Then the less invasive technique."""
    catalogue: int
    """Then the earlier catalogue position."""


class RankRow(NamedTuple):
    """One technique's place in the ranking, and what put it there."""

    technique: str
    status: RankStatus
    score: int
    indicated_by: tuple[str, ...]
    """The cause arguments that hold: why the technique treats the client's pore cause."""
    arguments_for: tuple[str, ...]
    arguments_against: tuple[str, ...]
    cautions: tuple[str, ...]
    key: RankKey


@dataclass(frozen=True)
class Decision:
    """Everything decided for one client before the plan is scheduled and written."""

    status: PlanStatus
    chosen: str | None
    excluded: Mapping[str, tuple[Reason, ...]]
    """Technique -> the absolute contraindications that rule it out, in catalogue order."""
    pending: Mapping[str, frozenset[str]]
    """Technique -> the unknown safety rules that keep it pending, in catalogue order."""
    cautions: Mapping[str, tuple[Reason, ...]]
    """Technique -> the relative contraindications that hold for it, in catalogue order."""
    ranking: tuple[RankRow, ...]
    missing: tuple[tuple[str, tuple[str, ...]], ...]
    """Each absent fact that could change the plan, with the rules that need it, by fact name."""
    agents: AgentCheck
    """The fate of each step for this client (see :mod:`engine._agents`)."""
    requested: str | None = None
    """The technique the practitioner asked for, if any (it is planned only when it is safe)."""
    course: Course | None = None
    """The course in progress (or just completed) the plan continues (or maintains), if it does."""
    overruled: tuple[Rule[SuitabilityEffect], ...] = ()
    """Arguments against the practitioner's choice that the protocol's own choice heeds: every
    strong one, and all of them when they outweigh the arguments for. The practitioner reviews
    them (the plan needs review): choosing a deep laser for a client who accepts no downtime
    is a decision to confirm with her, not one to plan silently."""


def decide(
    tables: PlanTables,
    outcome: Outcome,
    rules: Holding,
    requested: str | None = None,
    course: Course | None = None,
) -> Decision:
    """Exclusions, pending techniques, cautions, the ranking, the chosen technique and the status.

    :param requested: the practitioner's choice. It is planned when it is neither excluded
        nor pending and a cause argument indicates it (whatever its rank), and its questions
        are the only ones asked; safety rules are never overridden.
    :param course: the course the client is part-way through or has completed (see
        :mod:`engine._course`). Its technique is planned again, continued or maintained,
        when it is still safe and indicated (unless the practitioner asks for another);
        otherwise the choice starts afresh.
    """
    catalogue = tables.catalogue
    asked = requested  # the practitioner's own choice (a course carried on is not one)
    governed = tables.governed
    held, unsure = governed.masks(rules)  # the contraindications that hold, the safety rules left unknown
    excluded: dict[str, tuple[Reason, ...]] = {}
    pending: dict[str, frozenset[str]] = {}
    cautions: dict[str, tuple[Reason, ...]] = {}
    if held or unsure:
        reasons, rule_ids = governed.reasons_of.get, governed.rule_ids_of.get  # seen before, most often
        for technique, absolute, relative, safety in governed.techniques:
            if mask := held & absolute:
                excluded[technique] = reasons(mask) or governed.reasons(mask)
            elif mask := unsure & safety:  # an excluded technique is not pending
                pending[technique] = rule_ids(mask) or governed.rule_ids(mask)
            if mask := held & relative:
                cautions[technique] = reasons(mask) or governed.reasons(mask)
    check = AgentCheck.of(tables, rules, (held, unsure))
    if check.active:
        _steps_against_agents(tables, rules, outcome.true_rules, check, excluded, pending, cautions)
        for technique in excluded:
            pending.pop(technique, None)
        excluded = {t: excluded[t] for t in catalogue if t in excluded}
        pending = {t: pending[t] for t in catalogue if t in pending}
        cautions = {t: cautions[t] for t in catalogue if t in cautions}
    out_excluded, out_pending, out_cautions = excluded, pending, cautions

    if course is not None and any(r.effect.end_course and r.governs(course.technique) for r in rules.sequencing):
        course = None  # a rule ends the course (an inadequate response): the choice starts afresh
    if requested is None and course is not None:
        row = next(
            r
            for r in _rank(tables, rules, out_excluded, out_pending, out_cautions, False)
            if r.technique == course.technique
        )
        if row.status == "candidate" or (row.indicated_by and row.status == "not_indicated"):
            requested = course.technique
        else:
            course = None
    elif course is not None and requested != course.technique:
        course = None
    missing = _missing(tables, outcome, out_excluded, requested)
    ranking = _rank(tables, rules, out_excluded, out_pending, out_cautions, choose=not missing and requested is None)
    chosen = ranking[0].technique if ranking and ranking[0].status == "chosen" else None
    if requested is not None and not missing and requested not in out_excluded and requested not in out_pending:
        row = next(r for r in ranking if r.technique == requested)
        if row.indicated_by:
            chosen = requested
            ranking = tuple(r._replace(status="chosen") if r is row else r for r in ranking)
    overruled = _overruled(rules, ranking, chosen) if asked is not None and chosen == asked else ()
    status: PlanStatus
    if missing:
        status = "needs_information"
    elif chosen is None:
        status = "not_suitable"
    elif chosen in out_cautions or overruled:
        status = "needs_review"
    else:
        status = "ready"
    if chosen is None:
        course = None
    return Decision(
        status, chosen, out_excluded, out_pending, out_cautions, ranking, missing, check, requested, course, overruled
    )


def _overruled(rules: Holding, ranking: tuple[RankRow, ...], chosen: str) -> tuple[Rule[SuitabilityEffect], ...]:
    """The arguments against the practitioner's choice to review (see :attr:`Decision.overruled`)."""
    best = next((r.technique for r in ranking if r.status in ("candidate", "chosen") and r.technique != chosen), None)
    row = next(r for r in ranking if r.technique == chosen)
    if best is None or row.key < next(r.key for r in ranking if r.technique == best):
        return ()  # the protocol would have chosen it too
    outweighed = row.score <= 0
    return tuple(
        rule
        for rule in rules.suitability
        if chosen in rule.techniques
        and rule.effect.argument == "against"
        and (outweighed or rule.effect.strength == "strong")
    )


def _steps_against_agents(
    tables: PlanTables,
    rules: Holding,
    true_ids: frozenset[str],
    check: AgentCheck,
    excluded: dict[str, tuple[Reason, ...]],
    pending: dict[str, frozenset[str]],
    cautions: dict[str, tuple[Reason, ...]],
) -> None:
    """Rule out, hold back or caution each technique whose steps (or sessions) need a contraindicated agent.

    Each step's fate is the same for every technique it belongs to, so the steps whose fate
    changes nothing (kept, replaced or dropped, with no caution) are set aside once per check
    (:attr:`AgentCheck.telling`; ``true_ids``: the rules that hold, when the outcome lists them), and the
    reasons of the others are written once and shared by the techniques they belong to. What
    the telling steps do to each technique follows from the check and those steps alone: it
    is remembered on the (shared) check, by the steps' rule ids.
    """
    holds = true_ids or {rule.id for rule in (*rules.requirements, *rules.aftercare)}
    key = tuple(rule.id for rule in check.telling if rule.id in holds)
    effects: dict[str, _Effects] | None = check.memo.get(key)
    if effects is None:  # the same for every client with the same check and telling steps
        telling = [
            (rule, rule.effect.step if isinstance(rule.effect, RequirementEffect) else rule.title)
            for rule in check.telling
            if rule.id in holds
        ]
        effects = check.memo[key] = _effects_by_technique(tables, check, telling)
    for technique, (blocked, unsure, cautioned) in effects.items():
        if blocked:
            excluded[technique] = (*excluded.get(technique, ()), *blocked)
        if unsure:
            pending[technique] = pending.get(technique, frozenset()).union(unsure)
        if cautioned:
            cautions[technique] = (*cautions.get(technique, ()), *cautioned)


def _effects_by_technique(
    tables: PlanTables, check: AgentCheck, telling: list[tuple[Rule[RequirementEffect] | Rule[AftercareEffect], str]]
) -> dict[str, _Effects]:
    """What the telling steps, and each technique's sessions, do to each technique, in catalogue order."""
    steps = [(rule, _effects(tables, check.step(rule), f"{title} ({rule.id})")) for rule, title in telling]
    out: dict[str, _Effects] = {}
    for technique in tables.catalogue:
        blocked: list[Reason] = []
        unsure: list[str] = []
        cautioned: list[Reason] = []
        fate = check.session(technique)
        mine = [_effects(tables, fate, tables.session_names[technique])] if fate.fate != "keep" or fate.cautions else []
        mine += [effects for rule, effects in steps if rule.general or technique in rule.techniques]
        for more_blocked, more_unsure, more_cautioned in mine:
            blocked += more_blocked
            unsure += more_unsure
            cautioned += more_cautioned
        if blocked or unsure or cautioned:
            out[technique] = (blocked, unsure, cautioned)
    return out


_Effects = tuple[list[Reason], list[str], list[Reason]]
"""What one step's fate does to a technique it belongs to: reasons to exclude it, unknown rules
that keep it pending, and reasons to caution it."""


def _effects(tables: PlanTables, fate: StepFate, needed_by: str) -> _Effects:
    """The exclusions, pending rules and cautions a step's fate (or a technique's sessions') sets."""
    blocked: list[Reason] = []
    unsure: list[str] = []
    if fate.fate == "blocked":
        agents = tables.spec.agents
        names = ", ".join(agents[a].title if a in agents else a for a in fate.agents)
        blocked = [Reason(r, f"rules out {names}, which {needed_by} needs") for r in fate.because]
    elif fate.fate == "undecided":
        unsure = [r.id for r in fate.unsure]
    return blocked, unsure, [Reason(caution, f"cautions {needed_by}") for caution in fate.cautions]


def _rank(
    tables: PlanTables,
    rules: Holding,
    excluded: Mapping[str, object],
    pending: Mapping[str, object],
    cautions: Mapping[str, tuple[Reason, ...]],
    choose: bool,
) -> tuple[RankRow, ...]:
    """Every technique in rank order; the first candidate is ``chosen`` when ``choose`` (no question open).

    Made 12 times a plan, so each row is made in one step from the technique's summed
    arguments (a look-up, see :class:`engine._plan_tables.SummedArguments`) and the rows are
    sorted by their keys, which differ in the catalogue position if nothing else.
    """
    summed = tables.summed
    held = summed.held(rules.suitability)
    rows: list[RankRow] = []
    for technique, invasiveness, order, mask, seen in tables.rank_order:
        score, causes, pros, cons = seen.get(held & mask) or summed(technique, held)
        status: RankStatus
        if technique in excluded:
            status = "excluded"
        elif technique in pending:
            status = "pending"
        elif causes and score > 0:
            status = "candidate"
        else:
            status = "not_indicated"
        reasons = cautions.get(technique) if cautions else None
        if not reasons:
            caution_ids: tuple[str, ...] = ()
        elif len(reasons) == 1:
            caution_ids = (reasons[0].rule.id,)
        else:
            caution_ids = tuple(sorted(set(map(_RULE_ID, reasons))))
        key = _tuple(RankKey, (status != "candidate", len(caution_ids), -score, invasiveness, order))
        rows.append(_tuple(RankRow, (technique, status, score, causes, pros, cons, caution_ids, key)))
    rows.sort(key=_KEY)
    if choose and rows and rows[0].status == "candidate":
        rows[0] = _tuple(RankRow, (rows[0].technique, "chosen", *rows[0][2:]))
    return tuple(rows)


_tuple = tuple.__new__
"""Makes a :class:`RankKey` or :class:`RankRow` from its fields in order, as ``_make`` does, without
the named tuple's own ``__new__`` (a Python call with keyword handling, made 24 times a plan)."""
_RULE_ID = attrgetter("rule.id")
"""A reason's rule id (a look-up in C)."""
_KEY = itemgetter(RankRow._fields.index("key"))
"""A row's :class:`RankKey` (a look-up in C: the sort calls it for every row)."""


def _missing(
    tables: PlanTables, outcome: Outcome, excluded: Mapping[str, object], requested: str | None = None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Absent facts that could still change the plan, and the rules that need them, most needed first.

    A rule about techniques that are all excluded anyway cannot change the plan, so its
    unknown facts are not asked for; derived facts are traced back to the intake questions
    behind them. With a technique the practitioner asked for, only what decides that one
    matters. The questions that hold back the most techniques come first, then vocabulary order.
    """
    if not outcome.needs:
        return ()  # every rule is decided: nothing to ask
    spec = tables.spec
    if requested is None:
        open_techniques = set(tables.catalogue).difference(excluded)
    else:
        open_techniques = set() if requested in excluded else {requested}
    if not open_techniques:
        relevant: list[Rule[Effect]] = []
    else:
        relevant = [
            rule
            for rule in map(spec.by_id.__getitem__, outcome.needs)
            if rule.kind != "derived" and (rule.general or not open_techniques.isdisjoint(rule.techniques))
        ]
    involved = {rule.id for rule in relevant}
    sources = tables.sources
    frontier: list[Rule[Effect]] = [rule for rule in relevant if sources[rule.id]]
    while frontier:
        rule = frontier.pop()
        for source in sources[rule.id]:
            if source.id in outcome.needs and source.id not in involved:
                involved.add(source.id)
                frontier.append(source)
    needed: dict[str, set[str]] = {}
    held: dict[str, set[str]] = {}
    holds_back = tables.holds_back
    for rule_id in involved:
        techniques = holds_back[rule_id]
        for fact in outcome.needs[rule_id]:
            if fact in needed:
                needed[fact].add(rule_id)
                held[fact].update(techniques)
            else:
                needed[fact] = {rule_id}
                held[fact] = set(techniques)
    order = tables.fact_order
    ranked = sorted(needed, key=lambda fact: (-len(held[fact]), order[fact.partition(".")[0]], fact))
    return tuple((fact, tuple(sorted(needed[fact]))) for fact in ranked)
