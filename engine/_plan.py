"""Turn one client's rule outcomes into a treatment plan with a justification for everything.

The planner works in three parts, each in its own module:

1. :mod:`engine._decide`: which techniques are excluded, pending or cautioned, how they
   rank, which one is chosen and the plan's status (plain data, :class:`~engine._decide.Decision`);
2. :mod:`engine._schedule`: the steps of each phase and their dates;
3. :mod:`engine._wording`: every sentence the plan adds to the rules' own words.

This module assembles their results into the plan models. What depends only on the rules
is worked out once per protocol (:class:`~engine._plan_tables.PlanTables`); the parts are
made without re-validation (:mod:`engine._fastmodel`) and the finished plan's safety
invariants are always checked. A plan that breaks one is never returned: the failure is an
:class:`~engine._errors.EngineError`, since no input should be able to cause it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from engine._course import find_course
from engine._decide import Decision, decide
from engine._errors import EngineError
from engine._evaluate import Outcome, Truth
from engine._facts import ClientFacts
from engine._fastmodel import assemble_plan, builder
from engine._holding import holding
from engine._plan_model import (
    PLAN_FORMAT_VERSION,
    Caution,
    DerivedFact,
    Exclusion,
    Justification,
    MissingFact,
    Pending,
    Ranking,
    TreatmentPlan,
)
from engine._plan_tables import EXCLUSION, PENDING, RANKING, Justifier, PlanTables, Reason
from engine._schedule import Schedule, wait_until
from engine._spec import ProtocolSpec
from engine._version import __version__
from engine._wording import OVERRULED_NOTE, choice, continued, overruled_advice, summary

__all__ = ["PlanTables", "Workings", "build_plan", "plan_with_workings"]

_new_caution = builder(Caution, "rule_id", "title", "techniques", "advice", "justification")
_new_missing_fact = builder(MissingFact, "fact", "label", "question", "needed_by")
_new_derived_fact = builder(DerivedFact, "fact", "value", "justification")


def build_plan(
    spec: ProtocolSpec,
    facts: ClientFacts,
    outcome: Outcome,
    tables: PlanTables | None = None,
    technique: str | None = None,
) -> TreatmentPlan:
    """Decide, schedule and write the plan, then check it.

    :param tables: the protocol's planner tables (built here when not given; pass the
        protocol's own, as :class:`engine._protocol.Protocol` does, to build them once).
    :param technique: the practitioner's choice (see :func:`engine._decide.decide`).
    :raises EngineError: the plan broke a safety invariant (a bug, never the input's fault).
    """
    return _plan(spec, facts, outcome, tables, technique, None)[0]


@dataclass(frozen=True)
class Workings:
    """What the planner worked out on the way to a plan that the plan does not itemise.

    :mod:`engine._check` reads it to judge a practitioner's own dates against the same
    waits, rule by rule, rather than working them out a second time.
    """

    waits: tuple[tuple[dt.date, str], ...]
    """Each first day a rule allows for the first session, with the rule's id (the plan's
    ``earliest_start`` is the latest of them and the assessment date)."""
    ends: Mapping[tuple[str, str], dt.date | None]
    """(technique, rule id) of each exclusion -> the day its wait ends (``None``: no end)."""


def plan_with_workings(
    spec: ProtocolSpec,
    facts: ClientFacts,
    outcome: Outcome,
    tables: PlanTables | None = None,
    technique: str | None = None,
) -> tuple[TreatmentPlan, Workings]:
    """:func:`build_plan`, with the waits behind its dates (for checking a proposal)."""
    ends: dict[tuple[str, str], dt.date | None] = {}
    plan, waits = _plan(spec, facts, outcome, tables, technique, ends)
    return plan, Workings(waits, ends)


def _plan(
    spec: ProtocolSpec,
    facts: ClientFacts,
    outcome: Outcome,
    tables: PlanTables | None,
    technique: str | None,
    ends: dict[tuple[str, str], dt.date | None] | None,
) -> tuple[TreatmentPlan, tuple[tuple[dt.date, str], ...]]:
    """The plan and the waits behind its dates; ``ends`` (when given) is filled as :class:`Workings` says."""
    tables = tables if tables is not None else PlanTables(spec)
    rules = holding(tables, outcome)
    decision = decide(tables, outcome, rules, technique, find_course(facts, spec.techniques))
    supplied = facts.as_json()
    justify = Justifier(tables, supplied, outcome)
    schedule = Schedule(tables, facts, rules, decision.agents, justify, outcome.true_rules)
    steps, earliest = schedule.steps(decision.chosen, decision.course)
    ranking = _ranking(tables, decision)
    missing = _missing_facts(tables, decision)
    excluded = _exclusions(tables, facts, decision, justify, ends)
    first = _reconsider(decision, excluded) if decision.status == "not_suitable" else None
    reconsider = first.reconsider_from if first else None
    try:
        plan = assemble_plan(
            format_version=PLAN_FORMAT_VERSION,
            status=decision.status,
            summary=summary(
                decision.status,
                spec.techniques[decision.chosen].title if decision.chosen else None,
                [m.label for m in missing],
                len(decision.excluded) if technique is None else int(technique in decision.excluded),
                spec.techniques[technique].title if technique else None,
                (first.title, reconsider) if first and reconsider else None,
                next((r.cautions for r in decision.ranking if first and r.technique == first.technique), ()),
            ),
            protocol=tables.stamp,
            engine_version=__version__,
            assessment_date=facts.assessment_date.isoformat(),
            technique=decision.chosen,
            choice=_choice(decision, schedule, ranking, spec, technique),
            course=schedule.sessions.info,
            earliest_start=earliest.isoformat() if earliest else None,
            steps=tuple(steps),
            excluded=excluded,
            reconsider_from=reconsider,
            pending=_pending(tables, outcome, decision) if decision.pending else (),
            cautions=_cautions(decision, justify),
            ranking=ranking,
            missing_facts=missing,
            derived_facts=_derived(spec, outcome, justify),
            facts=supplied,
        )
    except (ValidationError, ValueError) as exc:
        raise EngineError(f"the plan broke a safety invariant and was not returned: {_first_error(exc)}") from exc
    return plan, tuple(schedule.waits)


def _pending(tables: PlanTables, outcome: Outcome, decision: Decision) -> tuple[Pending, ...]:
    """Each pending technique with the facts and rules it waits for.

    An unknown rule about every technique (a general safety rule) holds back all of them
    for the same reasons: techniques waiting on the same rules share one written answer.
    """
    needs = outcome.needs
    written: dict[frozenset[str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    made = tables.pendings
    out = []
    for technique, ids in sorted(decision.pending.items()):
        found = written.get(ids)
        if found is None:
            if len(ids) == 1:
                (rule_id,) = ids
                found = written[ids] = (tuple(sorted(needs[rule_id])), (rule_id,))
            else:
                found = written[ids] = (tuple(sorted(set().union(*(needs[r] for r in ids)))), tuple(sorted(ids)))
        key = (technique, *found)
        part = made.get(key)
        if part is None:
            part = made.keep(key, PENDING.build(tables.pending[technique], missing_facts=found[0], rules=found[1]))
        out.append(part)
    return tuple(out)


def _reconsider(decision: Decision, excluded: tuple[Exclusion, ...]) -> Exclusion | None:
    """The excluded technique the client is indicated for that may be reconsidered first, if any has a date.

    Of those free on the same day, the one the ranking puts first (fewer cautions, then the
    higher score, then the less invasive): the plan names what a practitioner would offer then.
    """
    wanted = {decision.requested} if decision.requested else {r.technique for r in decision.ranking if r.indicated_by}
    dated = [e for e in excluded if e.technique in wanted and e.reconsider_from]
    if not dated:
        return None
    place = {row.technique: n for n, row in enumerate(decision.ranking)}
    return min(dated, key=lambda e: (e.reconsider_from or "", place[e.technique]))


def _choice(
    decision: Decision, schedule: Schedule, ranking: tuple[Ranking, ...], spec: ProtocolSpec, technique: str | None
) -> str | None:
    """Why this technique: a course carried on (or restarted, or maintained), or the ranking's choice."""
    info = schedule.sessions.info
    if decision.course is not None and info is not None and info.state != "new":
        return continued(info, spec.techniques[info.technique].title)
    return choice(ranking, technique is not None)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        if errors:
            return str(errors[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


def _ranking(tables: PlanTables, decision: Decision) -> tuple[Ranking, ...]:
    """The ranking's rows as plan parts: each row seen before is the part made for it then.

    A :class:`~engine._plan_model.Ranking` holds only strings, numbers and tuples of them, so
    one part can be in any number of plans; rows repeat between clients (the same technique,
    status and arguments), and each is made once while it is remembered (see
    :attr:`PlanTables.rankings`).
    """
    made = tables.rankings
    get = made.get
    out = []
    for row in decision.ranking:
        found = get(row)
        if found is None:
            found = made.keep(
                row,
                RANKING.build(
                    tables.ranking_row[row.technique],  # the technique's title and invasiveness
                    status=row.status,
                    score=row.score,
                    indicated_by=row.indicated_by,
                    arguments_for=row.arguments_for,
                    arguments_against=row.arguments_against,
                    cautions=row.cautions,
                ),
            )
        out.append(found)
    return tuple(out)


def _missing_facts(tables: PlanTables, decision: Decision) -> tuple[MissingFact, ...]:
    spec = tables.spec
    made = tables.missing
    out = []
    for key in decision.missing:
        found = made.get(key)
        if found is not None:
            out.append(found)
            continue
        fact, rule_ids = key
        name, _, detail = fact.partition(".")
        fspec = spec.facts[name]
        label, question = fspec.label, fspec.question
        if detail:  # a detail of the latest previous treatment, e.g. how the skin reacted to it
            label = f"{fspec.label}: {detail} to the last session"
            asked = fspec.reaction_question if detail == "reaction" else fspec.response_question
            question = asked or f"What was the {detail} to the client's last session?"
        out.append(made.keep(key, _new_missing_fact(fact=fact, label=label, question=question, needed_by=rule_ids)))
    return tuple(out)


def _exclusions(
    tables: PlanTables,
    facts: ClientFacts,
    decision: Decision,
    justify: Justifier,
    ends: dict[tuple[str, str], dt.date | None] | None,
) -> tuple[Exclusion, ...]:
    """Each excluded technique with its reasons and, when every reason is a wait, when to reconsider.

    Fills ``ends`` (when given) with the day each reason's wait ends, by (technique, rule id). A rule that
    excludes several techniques (every one, for a pregnancy) has its wait worked out once, and
    techniques excluded for the same reasons share their justifications and advice.
    """
    out = []
    until_of: dict[str, dt.date | None] = {}
    written: dict[int, _Written] = {}
    build, templates = EXCLUSION.build, tables.exclusion
    for technique, reasons in sorted(decision.excluded.items()):
        # Techniques excluded for the same rules share one tuple of reasons (see Governed), alive
        # until the plan is made: its id is its own. (Equal tuples that are not one are written twice.)
        key = id(reasons)
        found = written.get(key)
        if found is None:
            found = written[key] = _write_reasons(reasons, tables, facts, justify, until_of)
        if ends is not None:
            for rule_id, until in found[3]:
                ends[technique, rule_id] = until
        out.append(build(templates[technique], reasons=found[0], reconsider_from=found[2], advice=found[1]))
    return tuple(out)


_Written = tuple[tuple[Justification, ...], tuple[str, ...], str | None, tuple[tuple[str, dt.date | None], ...]]
"""What an exclusion says for its reasons: justifications, advice, the day to reconsider, and each
reason's rule with the day its wait ends."""


def _write_reasons(
    reasons: tuple[Reason, ...],
    tables: PlanTables,
    facts: ClientFacts,
    justify: Justifier,
    until_of: dict[str, dt.date | None],
) -> _Written:
    """What an exclusion for ``reasons`` says (the same for every technique excluded for them)."""
    dates = []
    permanent = False
    ends = []
    for reason in reasons:
        rule_id = reason.rule.id
        if rule_id in until_of:
            until = until_of[rule_id]
        else:
            wait = reason.rule.effect.wait
            until = until_of[rule_id] = wait_until(wait, facts, tables) if wait else None
        ends.append((rule_id, until))
        if until is None:
            permanent = True
        else:
            dates.append(until)
    reconsider = max(dates).isoformat() if dates and not permanent else None
    if len(reasons) == 1:  # most exclusions have one reason
        reason = reasons[0]
        advice = reason.rule.effect.advice
        return (justify(reason.rule, reason.note),), (advice,) if advice else (), reconsider, tuple(ends)
    ordered = sorted(reasons, key=_reason_order)
    return (
        tuple([justify(r.rule, r.note) for r in ordered]),
        tuple(dict.fromkeys([r.rule.effect.advice for r in ordered if r.rule.effect.advice])),
        reconsider,
        tuple(ends),
    )


def _reason_order(reason: Reason) -> tuple[str, str]:
    return (reason.rule.id, reason.note or "")


def _cautions(decision: Decision, justify: Justifier) -> tuple[Caution, ...]:
    """What the practitioner must review before the chosen technique; alternatives' cautions stay in the ranking.

    The relative contraindications that hold for it, then the arguments against the
    practitioner's choice that the protocol heeds (see :attr:`Decision.overruled`).
    """
    if decision.chosen is None:
        return ()
    chosen = decision.chosen
    first = {reason.rule.id: reason for reason in reversed(decision.cautions.get(chosen, ()))}
    relative = [
        _new_caution(
            rule_id=reason.rule.id,
            title=reason.rule.title,
            techniques=(chosen,),
            advice=reason.rule.effect.advice or reason.rule.spec.rationale,
            justification=justify(reason.rule, reason.note),
        )
        for _, reason in sorted(first.items())
    ]
    against = [
        _new_caution(
            rule_id=rule.id,
            title=rule.title,
            techniques=(chosen,),
            advice=overruled_advice(rule.spec.rationale),
            justification=justify(rule, OVERRULED_NOTE),
        )
        for rule in decision.overruled
    ]
    return (*relative, *against)


def _derived(spec: ProtocolSpec, outcome: Outcome, justify: Justifier) -> tuple[DerivedFact, ...]:
    out = []
    truth = outcome.truth
    for name, value in sorted(outcome.derived.items()):
        source = next((r for r in spec.deriving.get(name, ()) if truth[r.id] is Truth.TRUE), None)
        out.append(_new_derived_fact(fact=name, value=value, justification=justify(source) if source else None))
    return tuple(out)
