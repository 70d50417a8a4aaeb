"""Turn three-valued rule outcomes into a treatment plan with a justification for everything.

Decisions, in order:

1. **Excluded**: a technique with an absolute contraindication that is true.
2. **Pending**: a technique whose safety (a contraindication, requirement or timing rule
   that applies to it) is unknown because a fact is missing. Fail closed: it is not planned.
3. **Ranked**: the rest, scored by their true suitability arguments (weak 1, moderate 2,
   strong 3; for adds, against subtracts). A technique needs a positive score to be a
   candidate; the best candidate is chosen, ties going to fewer cautions, then catalogue order.
4. **Status**: ``needs_information`` if any rule is unknown, else ``not_suitable`` if no
   candidate, else ``needs_review`` if the chosen technique carries a caution, else ``ready``.

The steps follow the protocol's phases; dates come only from the facts (assessment and
start dates), never from the clock, so the same input always gives the same plan.

Speed: what depends only on the rules (which rules apply to which technique, each
rule's justification text and evidence, the protocol stamp) is worked out once per
loaded protocol in :class:`_Index`; per client the planner visits only the rules whose
outcome matters. Plan parts are made with :func:`make` (what ``model_construct`` does,
without its overhead) from that validated data, and the finished plan goes through
:func:`assemble_plan`, which still enforces every safety invariant.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from engine._evaluate import Outcome, Truth
from engine._facts import ClientFacts
from engine._model import (
    AftercareEffect,
    ContraindicationEffect,
    RequirementEffect,
    SequencingEffect,
    SuitabilityEffect,
    WaitSpec,
)
from engine._plan_model import (
    Caution,
    DerivedFact,
    Evidence,
    Exclusion,
    Justification,
    MissingFact,
    Pending,
    PlanStatus,
    ProtocolStamp,
    Ranking,
    Step,
    TreatmentPlan,
    assemble_plan,
    constructor,
)
from engine._validate import PREVIOUS_TREATMENTS, ProtocolSpec, Rule
from engine._version import __version__

__all__ = ["build_plan"]

_STRENGTH = {"weak": 1, "moderate": 2, "strong": 3}
_SAFETY_KINDS = ("contraindication", "requirement", "sequencing", "aftercare")
_TRUE = Truth.TRUE
_UNKNOWN = Truth.UNKNOWN
# Fast constructors of the plan's parts (see engine._plan_model.make): bound once, called often.
_new_evidence = constructor(Evidence)
_new_justification = constructor(Justification)
_new_step = constructor(Step)
_new_exclusion = constructor(Exclusion)
_new_pending = constructor(Pending)
_new_caution = constructor(Caution)
_new_ranking = constructor(Ranking)
_new_missing_fact = constructor(MissingFact)
_new_derived_fact = constructor(DerivedFact)
_new_protocol_stamp = constructor(ProtocolStamp)
_KINDS = ("derived", "contraindication", "suitability", "requirement", "sequencing", "aftercare")


class _Info:
    """What the planner needs of one rule, read once from the validated spec.

    ``techniques`` are the rule's own (from ``applies_to``); ``scope`` the techniques it
    applies to as a safety rule: every technique for a general contraindication,
    requirement, sequencing or aftercare rule (one without ``applies_to``).
    """

    __slots__ = ("effect", "evidence", "facts", "general", "id", "kind", "rule", "scope", "techniques")

    def __init__(self, rule: Rule, catalogue: tuple[str, ...]) -> None:
        self.rule = rule
        self.id = rule.spec.id
        self.kind = rule.spec.kind
        self.effect: BaseModel = rule.effect
        self.general = not rule.spec.applies_to
        self.techniques = frozenset(rule.techniques)
        self.scope = catalogue if self.general and self.kind in _SAFETY_KINDS else rule.techniques
        self.facts = tuple(sorted(rule.facts))
        self.evidence = tuple(_new_evidence(**e.model_dump()) for e in rule.spec.evidence)


class _Index:
    """Per-protocol tables for the planner, built on first use and dropped with the spec."""

    def __init__(self, spec: ProtocolSpec) -> None:
        catalogue = tuple(spec.techniques)
        self.rules = tuple(_Info(rule, catalogue) for rule in spec.rules)
        self.info = {info.id: info for info in self.rules}
        self.position = {info.id: n for n, info in enumerate(self.rules)}
        self.deriving = spec.deriving
        self.derived_order = {name: tuple(self.info[r.id] for r in rules) for name, rules in self.deriving.items()}
        self.order = {t: i for i, t in enumerate(catalogue)}
        self.stamp = _new_protocol_stamp(
            id=spec.manifest.id,
            title=spec.manifest.title,
            version=spec.manifest.version,
            status=spec.manifest.status,
            sha256=spec.sha256,
        )


_INDEXES: dict[int, tuple[weakref.ref[ProtocolSpec], _Index]] = {}


def _index(spec: ProtocolSpec) -> _Index:
    """The planner's tables for ``spec`` (a frozen spec never changes, so they never go stale)."""
    key = id(spec)
    entry = _INDEXES.get(key)
    if entry is not None and entry[0]() is spec:
        return entry[1]
    index = _Index(spec)

    def forget(_: object, key: int = key) -> None:
        _INDEXES.pop(key, None)

    _INDEXES[key] = (weakref.ref(spec, forget), index)
    return index


class _Planner:
    def __init__(self, spec: ProtocolSpec, facts: ClientFacts, outcome: Outcome) -> None:
        self.spec = spec
        self.facts = facts
        self.outcome = outcome
        self.truth = outcome.truth
        self.anchor = facts.assessment_date
        self.index = _index(spec)
        self.deriving = self.index.deriving
        self.supplied = facts.as_json()
        self.justified: dict[tuple[str, str | None], Justification] = {}
        # The planner reads only the rules that are true or unknown, by kind, in protocol order.
        info = self.index.info
        true_ids = outcome.true_rules or frozenset(r for r, t in self.truth.items() if t is _TRUE)
        self.true_of: dict[str, list[_Info]] = {kind: [] for kind in _KINDS}
        for rule_id in sorted(true_ids, key=self.index.position.__getitem__):
            rule = info[rule_id]
            self.true_of[rule.kind].append(rule)
        self.unknown_rules = [info[rule_id] for rule_id in outcome.needs]  # protocol order

    # -- helpers

    def true(self, rule: _Info) -> bool:
        return self.truth[rule.id] is _TRUE

    def unknown(self, rule: _Info) -> bool:
        return self.truth[rule.id] is _UNKNOWN

    def applies(self, rule: _Info, technique: str) -> bool:
        return technique in rule.scope

    def justify(self, rule: _Info, note: str | None = None) -> Justification:
        """The rule's justification for this client; one object per rule and note within a plan.

        A contraindication that excludes several techniques is cited under each of them
        with the same content, so the plan holds one justification and refers to it.
        """
        key = (rule.id, note)
        found = self.justified.get(key)
        if found is None:
            found = self.justified[key] = self._justify(rule, note)
        return found

    def _justify(self, rule: _Info, note: str | None) -> Justification:
        derived = self.outcome.derived
        supplied = self.supplied
        facts: dict[str, Any] = {}
        for name in rule.facts:
            if name in derived:
                facts[name] = derived[name]
            else:
                value = supplied.get(name, "unknown")
                facts[name] = value[:] if isinstance(value, list) else value  # not shared with plan.facts
        spec = rule.rule.spec
        return _new_justification(
            rule_id=rule.id,
            title=spec.title,
            kind=rule.kind,
            severity=spec.severity,
            facts=facts,
            rationale=spec.rationale,
            evidence=rule.evidence,
            note=note,
        )

    def describe(self, selector: str) -> str:
        """A technique selector in words: ``peel.*`` -> "any peel"."""
        if selector == "all":
            return "any other treatment"
        if selector.endswith(".*"):
            return "any " + selector[:-2].replace("_", " ")
        return self.spec.techniques[selector].title

    def wait_until(self, wait: WaitSpec) -> dt.date | None:
        """The first day allowed by ``wait`` for this client, or None if its clock never started."""
        if wait.after is not None:
            start = self.facts.values.get(wait.after)
            if not isinstance(start, dt.date):
                return None
        else:
            assert wait.after_previous is not None
            chosen = set(self.spec.select(wait.after_previous))
            history = self.facts.values.get(PREVIOUS_TREATMENTS, ())
            dates = [t.date for t in history if t.technique in chosen]
            if not dates:
                return None
            start = max(dates)
        return wait.period.after(start)

    # -- decisions

    def build(self) -> TreatmentPlan:
        spec = self.spec
        excluded: dict[str, list[_Info]] = {}
        pending: dict[str, set[str]] = {}
        cautions: dict[str, list[_Info]] = {}
        for rule in self.unknown_rules:
            if rule.kind not in ("suitability", "derived"):
                for technique in rule.scope:
                    pending.setdefault(technique, set()).add(rule.id)
        for rule in self.true_of["contraindication"]:
            assert isinstance(rule.effect, ContraindicationEffect)
            target = excluded if rule.effect.level == "absolute" else cautions
            for technique in rule.scope:
                target.setdefault(technique, []).append(rule)
        excluded = _in_catalogue(excluded, spec.techniques)
        pending = _in_catalogue(pending, spec.techniques)
        cautions = _in_catalogue(cautions, spec.techniques)
        for technique in excluded:
            pending.pop(technique, None)

        ranking = self.rank(excluded, pending, cautions)
        chosen = next((r.technique for r in ranking if r.status == "chosen"), None)
        missing = self.missing(excluded)
        status: PlanStatus
        if missing:
            status = "needs_information"
        elif chosen is None:
            status = "not_suitable"
        elif chosen in cautions:
            status = "needs_review"
        else:
            status = "ready"

        steps, earliest = self.steps(chosen)
        plan_cautions = self.cautions(cautions)
        return assemble_plan(
            status=status,
            summary=self.summary(status, chosen, missing, excluded, pending),
            protocol=self.index.stamp,
            engine_version=__version__,
            assessment_date=self.anchor.isoformat(),
            technique=chosen,
            choice=self.choice(ranking),
            earliest_start=earliest.isoformat() if earliest else None,
            steps=tuple(steps),
            excluded=tuple(self.exclusions(excluded)),
            pending=tuple(
                _new_pending(
                    technique=t,
                    title=spec.techniques[t].title,
                    missing_facts=tuple(sorted(set().union(*(self.outcome.needs[r] for r in ids)))),
                    rules=tuple(sorted(ids)),
                )
                for t, ids in sorted(pending.items())
            ),
            cautions=tuple(plan_cautions),
            ranking=tuple(ranking),
            missing_facts=tuple(missing),
            derived_facts=tuple(self.derived()),
            facts=self.supplied,
        )

    def rank(
        self,
        excluded: Mapping[str, list[_Info]],
        pending: Mapping[str, set[str]],
        cautions: Mapping[str, list[_Info]],
    ) -> list[Ranking]:
        rows: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
        order = self.index.order
        pros: dict[str, list[str]] = {t: [] for t in self.spec.techniques}
        cons: dict[str, list[str]] = {t: [] for t in self.spec.techniques}
        scores = dict.fromkeys(self.spec.techniques, 0)
        for rule in self.true_of["suitability"]:  # rule by rule: arguments keep protocol order
            effect = rule.effect
            assert isinstance(effect, SuitabilityEffect)
            weight = _STRENGTH[effect.strength]
            for technique in rule.rule.techniques:
                if effect.argument == "for":
                    pros[technique].append(rule.id)
                    scores[technique] += weight
                else:
                    cons[technique].append(rule.id)
                    scores[technique] -= weight
        for technique, tspec in self.spec.techniques.items():
            pro, con, score = pros[technique], cons[technique], scores[technique]
            if technique in excluded:
                status = "excluded"
            elif technique in pending:
                status = "pending"
            elif score > 0:
                status = "candidate"
            else:
                status = "not_indicated"
            caution_ids = tuple(sorted(r.id for r in cautions.get(technique, ())))
            row = {
                "technique": technique,
                "title": tspec.title,
                "status": status,
                "score": score,
                "arguments_for": tuple(pro),
                "arguments_against": tuple(con),
                "cautions": caution_ids,
            }
            group = 0 if status == "candidate" else 1
            rows.append(((group, -score, len(caution_ids) * 1000 + order[technique]), row))
        rows.sort(key=lambda item: item[0])
        if rows and rows[0][1]["status"] == "candidate":
            rows[0][1]["status"] = "chosen"
        return [_new_ranking(**row) for _, row in rows]

    def choice(self, ranking: list[Ranking]) -> str | None:
        if not ranking or ranking[0].status != "chosen":
            return None
        best = ranking[0]
        text = f"{best.title} scored {best.score:+d} ({_args(best)})"
        others = [r for r in ranking[1:] if r.status == "candidate"]
        if others:
            beaten = "; ".join(f"{r.title} {r.score:+d} ({_args(r)})" for r in others[:4])
            text += f", ahead of {beaten}"
            tie = [r for r in others if r.score == best.score]
            if tie:
                text += ". Ties go to the technique with fewer cautions, then to catalogue order"
        else:
            text += "; no other technique was both safe and indicated"
        return text + "."

    def missing(self, excluded: Mapping[str, Any]) -> list[MissingFact]:
        """Absent facts that could still change the plan, and the rules that need them.

        A rule about techniques that are all excluded anyway cannot change the plan, so
        its unknown facts are not asked for; derived facts are traced back to the intake
        questions behind them.
        """
        open_techniques = [t for t in self.spec.techniques if t not in excluded]
        info = self.index.info
        relevant = [
            rule
            for rule in (info[rule_id].rule for rule_id in self.outcome.needs)
            if rule.kind != "derived"
            and open_techniques
            and (not rule.spec.applies_to or any(t not in excluded for t in rule.techniques))
        ]
        involved = {rule.id for rule in relevant}
        frontier = list(relevant)
        while frontier:
            rule = frontier.pop()
            for name in rule.facts:
                for source in self.deriving.get(name, ()):
                    if source.id in self.outcome.needs and source.id not in involved:
                        involved.add(source.id)
                        frontier.append(source)
        needed: dict[str, set[str]] = {}
        for rule_id in involved:
            for fact in self.outcome.needs[rule_id]:
                needed.setdefault(fact, set()).add(rule_id)
        out = []
        for fact, rule_ids in sorted(needed.items()):
            fspec = self.spec.facts[fact]
            out.append(
                _new_missing_fact(
                    fact=fact,
                    label=fspec.label,
                    question=fspec.question,
                    needed_by=tuple(sorted(rule_ids)),
                )
            )
        return out

    def exclusions(self, excluded: Mapping[str, list[_Info]]) -> list[Exclusion]:
        out = []
        for technique, rules in sorted(excluded.items()):
            dates = []
            permanent = False
            for rule in rules:
                assert isinstance(rule.effect, ContraindicationEffect)
                until = self.wait_until(rule.effect.wait) if rule.effect.wait else None
                if until is None:
                    permanent = True
                else:
                    dates.append(until)
            reconsider = max(dates).isoformat() if dates and not permanent else None
            out.append(
                _new_exclusion(
                    technique=technique,
                    title=self.spec.techniques[technique].title,
                    reasons=tuple(self.justify(r) for r in sorted(rules, key=lambda r: r.id)),
                    reconsider_from=reconsider,
                )
            )
        return out

    def cautions(self, cautions: Mapping[str, list[_Info]]) -> list[Caution]:
        by_rule: dict[str, set[str]] = {}
        rules: dict[str, _Info] = {}
        for technique, items in cautions.items():
            for rule in items:
                by_rule.setdefault(rule.id, set()).add(technique)
                rules[rule.id] = rule
        out = []
        for rule_id in sorted(by_rule):
            rule = rules[rule_id]
            assert isinstance(rule.effect, ContraindicationEffect)
            out.append(
                _new_caution(
                    rule_id=rule_id,
                    title=rule.rule.spec.title,
                    techniques=tuple(sorted(by_rule[rule_id])),
                    advice=rule.effect.advice or rule.rule.spec.rationale,
                    justification=self.justify(rule),
                )
            )
        return out

    def derived(self) -> list[DerivedFact]:
        out = []
        for name, value in sorted(self.outcome.derived.items()):
            source = next((r for r in self.index.derived_order.get(name, ()) if self.true(r)), None)
            out.append(
                _new_derived_fact(fact=name, value=value, justification=self.justify(source) if source else None)
            )
        return out

    def summary(
        self,
        status: str,
        chosen: str | None,
        missing: list[MissingFact],
        excluded: Mapping[str, Any],
        pending: Mapping[str, Any],
    ) -> str:
        title = self.spec.techniques[chosen].title if chosen else None
        if status == "needs_information":
            asked = ", ".join(m.label for m in missing[:5]) + (" and more" if len(missing) > 5 else "")
            lead = f"Provisionally {title}; " if chosen else ""
            return f"{lead}the plan cannot be confirmed until these are known: {asked}."
        if status == "not_suitable":
            return (
                f"No technique in the protocol is both safe and indicated for this client ({len(excluded)} excluded)."
            )
        if status == "needs_review":
            return f"{title}, after a practitioner reviews the cautions listed."
        return f"{title} is planned; every safety rule has been checked."

    # -- steps

    def steps(self, chosen: str | None) -> tuple[list[Step], dt.date | None]:
        steps: list[Step] = []
        by_phase: dict[str, list[Step]] = {}
        constraints: list[dt.date] = [self.anchor]
        for rule in self.true_of["requirement"]:
            assert isinstance(rule.effect, RequirementEffect)
            if not rule.general and (chosen is None or chosen not in rule.techniques):
                continue
            effect = rule.effect
            if chosen is None and effect.phase != "consultation":
                continue
            not_before = None
            if effect.lead_time is not None:
                not_before = effect.lead_time.after(self.anchor)
            if effect.ready_after is not None:
                until = self.wait_until(effect.ready_after)
                if until is not None:
                    not_before = max(not_before, until) if not_before else until
            if not_before is not None and effect.phase == "pre_treatment":
                constraints.append(not_before)
            if effect.phase == "follow_up":
                continue  # scheduled after the sessions, below
            by_phase.setdefault(effect.phase, []).append(
                _new_step(
                    phase=effect.phase,
                    title=effect.step,
                    instructions=effect.instructions,
                    not_before=not_before.isoformat() if not_before else None,
                    justifications=(self.justify(rule),),
                )
            )
        if chosen is None:
            return by_phase.get("consultation", []), None
        for rule in self.true_of["sequencing"]:
            if self.applies(rule, chosen):
                assert isinstance(rule.effect, SequencingEffect)
                if rule.effect.not_before is not None:
                    until = self.wait_until(rule.effect.not_before)
                    if until is not None:
                        constraints.append(until)
        earliest = max(constraints)
        for phase in self.spec.manifest.phases:
            if phase == "exfoliation":
                steps.extend(self.exfoliation(chosen, by_phase.get("exfoliation", [])))
            elif phase == "treatment":
                steps.extend(self.sessions(chosen, earliest))
            elif phase == "aftercare":
                steps.extend(self.aftercare(chosen, steps))
            elif phase == "follow_up":
                steps.extend(self.follow_up(chosen, steps))
            else:
                steps.extend(by_phase.get(phase, []))
        return steps, earliest

    def exfoliation(self, chosen: str, indicated: list[Step]) -> list[Step]:
        skips = [
            r
            for r in sorted(
                [*self.true_of["sequencing"], *(u for u in self.unknown_rules if u.kind == "sequencing")],
                key=lambda r: self.index.position[r.id],
            )
            if isinstance(r.effect, SequencingEffect) and r.effect.skip_phase and (chosen in r.techniques or r.general)
        ]
        if not skips:
            return indicated
        reasons = []
        for rule in skips:
            assert isinstance(rule.effect, SequencingEffect)
            note = None if self.true(rule) else "skipped until the missing facts are known"
            reasons.append((rule.effect.reason, self.justify(rule, note)))
        return [
            _new_step(
                phase="exfoliation",
                title="No separate exfoliation",
                instructions=" ".join(sorted({text for text, _ in reasons})),
                skipped=True,
                justifications=tuple(j for _, j in reasons),
            )
        ]

    def sessions(self, chosen: str, earliest: dt.date) -> list[Step]:
        tspec = self.spec.techniques[chosen]
        course = tspec.sessions
        supporting = [
            r
            for r in self.true_of["suitability"]
            if chosen in r.techniques and isinstance(r.effect, SuitabilityEffect) and r.effect.argument == "for"
        ]
        timing = [
            r
            for r in self.true_of["sequencing"]
            if self.applies(r, chosen) and isinstance(r.effect, SequencingEffect) and not r.effect.skip_phase
        ]
        justifications = tuple(self.justify(r) for r in [*supporting, *timing])
        start = self.facts.values.get("start_date")
        first: dt.date | None = None
        note = ""
        if isinstance(start, dt.date):
            first = max(start, earliest)
            if first > start:
                note = f" Moved from the requested start {start} to the earliest safe date."
        constraints: list[str] = []
        for rule in timing:
            assert isinstance(rule.effect, SequencingEffect)
            if rule.effect.not_same_day:
                constraints.extend(self.describe(sel) for sel in rule.effect.not_same_day)
        same_day = f" Not on the same day as {_words(constraints)}." if constraints else ""
        low, high = str(course.interval_min), str(course.interval_max)
        text = (
            f"{tspec.description or tspec.title}. Course of {course.typical} sessions "
            f"(range {course.minimum}-{course.maximum}), {low} to {high} apart. Expected downtime: {tspec.downtime}."
        )
        parameters = dict(sorted(tspec.parameters.items()))
        out = []
        day = first
        for number in range(1, course.typical + 1):
            if number > 1 and day is not None:
                day = course.interval_min.after(day)
            out.append(
                _new_step(
                    phase="treatment",
                    title=f"Session {number} of {course.typical}: {tspec.title}",
                    instructions=text + (note if number == 1 else "") + same_day,
                    technique=chosen,
                    session=number,
                    of_sessions=course.typical,
                    date=day.isoformat() if day else None,
                    not_before=earliest.isoformat() if number == 1 else None,
                    interval={"min": low, "max": high},
                    parameters=dict(parameters) or None,
                    justifications=justifications,
                )
            )
        return out

    def aftercare(self, chosen: str, so_far: Iterable[Step]) -> list[Step]:
        last = _last_session_date(so_far)
        out = []
        for rule in self.true_of["aftercare"]:
            if chosen not in rule.techniques:
                continue
            assert isinstance(rule.effect, AftercareEffect)
            until = rule.effect.duration.after(last).isoformat() if last else None
            out.append(
                _new_step(
                    phase="aftercare",
                    title=rule.rule.spec.title,
                    instructions=rule.effect.instruction,
                    technique=None,
                    duration=str(rule.effect.duration),
                    until=until,
                    justifications=(self.justify(rule),),
                )
            )
        return out

    def follow_up(self, chosen: str, so_far: Iterable[Step]) -> list[Step]:
        last = _last_session_date(so_far)
        every = self.spec.techniques[chosen].maintenance_every
        out = []
        for rule in self.true_of["requirement"]:
            effect = rule.effect
            assert isinstance(effect, RequirementEffect)
            if effect.phase != "follow_up" or (not rule.general and chosen not in rule.techniques):
                continue
            date = effect.after_last_session.after(last).isoformat() if last and effect.after_last_session else None
            out.append(
                _new_step(
                    phase="follow_up",
                    title=effect.step,
                    instructions=effect.instructions
                    + (f" Maintenance sessions every {every} after the course." if every else ""),
                    date=date,
                    duration=str(effect.after_last_session) if effect.after_last_session else None,
                    maintenance_every=str(every) if every else None,
                    justifications=(self.justify(rule),),
                )
            )
        return out


def _in_catalogue(table: dict[str, Any], catalogue: Iterable[str]) -> dict[str, Any]:
    """``table`` with its keys in catalogue order (the order the plan has always listed them in)."""
    return {t: table[t] for t in catalogue if t in table}


def _last_session_date(steps: Iterable[Step]) -> dt.date | None:
    dates = [s.date for s in steps if s.phase == "treatment" and s.date]
    return dt.date.fromisoformat(max(dates)) if dates else None


def _words(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]


def _args(row: Ranking) -> str:
    parts = []
    if row.arguments_for:
        parts.append("for: " + ", ".join(row.arguments_for))
    if row.arguments_against:
        parts.append("against: " + ", ".join(row.arguments_against))
    return "; ".join(parts) or "no arguments"


def build_plan(spec: ProtocolSpec, facts: ClientFacts, outcome: Outcome) -> TreatmentPlan:
    """Assemble the plan and check it; the plan's invariants reject anything unsafe."""
    return _Planner(spec, facts, outcome).build()
