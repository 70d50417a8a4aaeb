"""The checks of ``pore-protocol lint``, each a function of a :class:`~engine.authoring._lint_context.LintContext`.

A check is registered with :func:`check`, naming the finding codes it can emit, and yields
its findings. Checks do not share state: whatever several need is in the context,
computed before any check runs, so their order changes nothing but the order findings are
produced in (the report sorts them). :func:`run_checks` runs them in the order they are
defined here, which is also the order of this list:

1. ``undecided_conditions``: conditions too complex to decide (a note).
2. ``never_true``, ``always_true``, ``dead_branches``: each rule's condition on its own.
3. ``redundant_rules``: duplicate and subsumed rules of the same kind and effect.
4. ``masked_derivations``: derived rules that never decide.
5. ``requirements_against_exclusions``: requirements for techniques that are excluded.
6. ``unreachable_techniques``, ``suitability_gaps``: each technique of the catalogue.
7. ``session_intervals``, ``maintenance_intervals``: waits against session intervals.
8. ``wait_mismatches``: waits against the conditions that trigger them.
9. ``unused_facts``, ``scenario_coverage``, ``review_date``: the vocabulary, the
   features and the manifest.

A check whose search exceeds its budget says so with a ``not-analysed`` note rather than
guessing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine._english import treatment_text
from engine._issues import MANIFEST_FILE, TECHNIQUES_FILE, VOCABULARY_FILE
from engine._model import AgentUse, Moment, Period, TechniqueSpec, WaitSpec
from engine._spec import (
    ASSESSMENT_DATE,
    PREVIOUS_TREATMENTS,
    AftercareEffect,
    AllOf,
    Always,
    AnyOf,
    Atom,
    Condition,
    DerivedEffect,
    Effect,
    NotOf,
    RequirementEffect,
    Rule,
    SequencingEffect,
    atoms,
)
from engine.authoring._lint_context import CODES, Finding, LintContext, finding
from engine.authoring._logic import Logic, TooComplex, period_days

__all__ = ["CHECKS", "Check", "check", "run_checks"]

CheckFunction = Callable[[LintContext], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """A registered check: its name, the finding codes it can emit, and the function."""

    name: str
    codes: tuple[str, ...]
    function: CheckFunction


CHECKS: list[Check] = []
"""Every registered check, in the order :func:`run_checks` runs them (the order they are defined)."""


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as a check that can emit findings with ``codes`` (from ``CODES``)."""
    unknown = [code for code in codes if code not in CODES]
    if unknown:
        raise ValueError(f"unknown finding codes {unknown}")

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(function.__name__, codes, function))
        return function

    return register


def run_checks(context: LintContext, checks: Sequence[Check] | None = None) -> list[Finding]:
    """The findings of ``checks`` (default: every registered check, in order) on ``context``."""
    findings: list[Finding] = []
    for registered in CHECKS if checks is None else checks:
        findings.extend(registered.function(context))
    return findings


# ----------------------------------------------------------------------------- conditions


@check("not-analysed")
def undecided_conditions(ctx: LintContext) -> Iterator[Finding]:
    """Name the conditions too complex to decide, so that no finding about them is not read as "sound"."""
    for rule in ctx.spec.rules:
        if rule.id in ctx.undecided:
            yield ctx.not_checked(f"The condition of {rule.id}", rule)


@check("never-true")
def never_true(ctx: LintContext) -> Iterator[Finding]:
    """A condition that can never hold means a rule that never applies: the tests contradict each other."""
    for rule in ctx.spec.rules:
        if rule.id in ctx.never:
            yield finding(
                "error",
                "never-true",
                f"The condition {ctx.said(rule.condition)} can never be true, so {rule.id} never applies",
                rule,
                [rule.id],
                "remove or correct the tests that contradict each other",
            )


@check("always-true")
def always_true(ctx: LintContext) -> Iterator[Finding]:
    """A condition every client meets tests nothing: a mistaken bound, or a rule meant to have no ``when``."""
    for rule in ctx.spec.rules:
        if rule.id in ctx.always:
            yield finding(
                "warning",
                "always-true",
                f"The condition {ctx.said(rule.condition)} holds for every client, so it tests nothing",
                rule,
                [rule.id],
                "leave out 'when:' if the rule should always apply, or correct the test",
            )


@check("dead-branch", "not-analysed")
def dead_branches(ctx: LintContext) -> Iterator[Finding]:
    """A part of an ``any`` that can never hold hides the case its author meant to cover."""
    for rule in ctx.spec.rules:
        decided = rule.id in ctx.never or rule.id in ctx.always or rule.id in ctx.undecided
        if isinstance(rule.condition, Always) or decided:
            continue
        try:
            for branch in _any_items(rule.condition):
                if ctx.logic.never(branch):
                    yield finding(
                        "warning",
                        "dead-branch",
                        f"The part {ctx.said(branch)} of {rule.id}'s 'any' can never be true",
                        rule,
                        [rule.id],
                        "correct or remove that part",
                    )
        except TooComplex:
            yield ctx.not_checked(f"The condition of {rule.id}", rule)


def _any_items(condition: Condition) -> list[Condition]:
    """The items of every ``any`` inside ``condition``."""
    out: list[Condition] = []
    if isinstance(condition, AnyOf):
        out.extend(condition.items)
    if isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            out.extend(_any_items(item))
    elif isinstance(condition, NotOf):
        out.extend(_any_items(condition.item))
    return out


# ----------------------------------------------------------------------------- redundancy


@check("duplicate", "subsumed", "not-analysed")
def redundant_rules(ctx: LintContext) -> Iterator[Finding]:
    """Two rules with the same effect where one implies the other: one is dead weight, or counted twice."""
    try:
        for rules in _same_effect(ctx):
            for earlier, later in _comparable(ctx, rules):
                yield from _redundant_pair(ctx, earlier, later)
    except TooComplex:
        yield ctx.not_checked("Duplicate and subsumed rules", (None, None))


def _comparable(ctx: LintContext, rules: list[Rule[Effect]]) -> Iterator[tuple[Rule[Effect], Rule[Effect]]]:
    """The pairs (earlier, later) of ``rules`` that can be redundant, in the order of a full pairwise comparison.

    Two conditions that read no variable in common (derived facts expanded) can imply one
    another only if one can never hold (such rules are not in ``rules``) or the other always
    holds (a rule in ``ctx.always`` is never reported as redundant): so a rule is compared only
    with the rules that share a variable with it, found through an index by variable, which
    keeps the comparison close to linear in the number of rules. A rule without a condition
    (it always holds) and one too complex to decide are compared with every other rule.
    """
    logic = ctx.logic
    readers: dict[str, list[int]] = {}
    everyone: list[int] = []
    for index, later in enumerate(rules):
        if later.id in ctx.always:
            continue  # _redundant_pair reports nothing for it
        universal = isinstance(later.condition, Always) or later.id in ctx.undecided
        fields = logic.fields(later.condition)
        if universal:
            candidates: set[int] = set(range(index))
        else:
            candidates = {i for field in fields for i in readers.get(field, ())}
            candidates.update(everyone)
        for earlier in sorted(candidates):
            if rules[earlier].id not in ctx.always:
                yield rules[earlier], later
        if universal:
            everyone.append(index)
        for field in fields:
            readers.setdefault(field, []).append(index)


def _same_effect(ctx: LintContext) -> list[list[Rule[Effect]]]:
    """The rules that can hold, grouped by kind and effect (in rule order); derived rules are compared elsewhere."""
    spec = ctx.spec
    keyed: list[tuple[Rule[Effect], tuple[Any, ...]]] = [
        *((r, (r.effect.level, str(r.effect.wait))) for r in spec.contraindications),
        *((r, (r.effect.argument, r.effect.strength)) for r in spec.suitability),
        *((r, (r.effect.phase, r.effect.step.lower())) for r in spec.requirements),
        *((r, (str(r.effect.not_before), r.effect.skip_phase, r.effect.not_same_day)) for r in spec.sequencing),
        *((r, (r.effect.instruction.lower(), str(r.effect.duration))) for r in spec.aftercare),
    ]
    groups: dict[tuple[str, tuple[Any, ...]], list[Rule[Effect]]] = {}
    for rule, key in keyed:
        if rule.id not in ctx.never:
            groups.setdefault((rule.kind, key), []).append(rule)
    return list(groups.values())


def _redundant_pair(ctx: LintContext, first: Rule[Effect], second: Rule[Effect]) -> Iterator[Finding]:
    """``first`` (earlier) and ``second``: a duplicate, or the one implied by the other, if either."""
    logic = ctx.logic
    t1, t2 = set(first.scope), set(second.scope)
    if not (t1 & t2) or {first.id, second.id} & ctx.always:
        return
    one_two = logic.implies(first.condition, second.condition)
    two_one = logic.implies(second.condition, first.condition)
    counted = " (its argument is counted twice in the score)" if first.kind == "suitability" else ""
    adds = (
        "always counts on top of it: the same argument is scored twice"
        if first.kind == "suitability"
        else "adds nothing"
    )
    if one_two and two_one and t1 == t2:
        yield finding(
            "warning",
            "duplicate",
            f"{second.id} repeats {first.id} ({first.file}:{first.line}): same kind, effect and techniques, "
            f"and their conditions hold for exactly the same clients{counted}",
            second,
            [second.id, first.id],
            f"delete one of them, or make {second.id} say something {first.id} does not",
        )
        return
    for small, big, implied, ts, tb in ((first, second, one_two, t1, t2), (second, first, two_one, t2, t1)):
        if implied and ts <= tb:
            yield finding(
                "warning",
                "subsumed",
                f"Whenever {small.id} holds, {big.id} ({big.file}:{big.line}) holds too, with the same effect "
                f"on the same techniques, so {small.id} {adds}",
                small,
                [small.id, big.id],
                f"delete {small.id}, or narrow {big.id}"
                + (
                    ", or give them different strengths if both arguments are meant"
                    if small.kind == "suitability"
                    else ""
                ),
            )
            return


@check("masked", "subsumed", "not-analysed")
def masked_derivations(ctx: LintContext) -> Iterator[Finding]:
    """A derived rule that holds only when earlier rules (by priority) already decide never sets its value."""
    try:
        for rules in ctx.spec.deriving.values():
            for index, rule in enumerate(rules):
                earlier = [e for e in rules[:index] if e.id not in ctx.never]
                if earlier and rule.id not in ctx.never:
                    yield from _masked(ctx, rule, earlier)
    except TooComplex:
        yield ctx.not_checked("Derived rules", (None, None))


def _masked(ctx: LintContext, rule: Rule[DerivedEffect], earlier: list[Rule[DerivedEffect]]) -> Iterator[Finding]:
    """``rule`` against the rules tried before it: masked when they set another value, else redundant."""
    logic = ctx.logic
    if not logic.implies(rule.condition, AnyOf(tuple(e.condition for e in earlier))):
        return
    value = rule.effect.value
    overlapping = [e for e in earlier if not logic.never(AllOf((rule.condition, e.condition)))]
    ids = [e.id for e in overlapping]
    verb = "comes first by priority and decides" if len(ids) == 1 else "come first by priority and decide"
    other_values = [e.id for e in overlapping if e.effect.value != value]
    if other_values:
        yield finding(
            "error",
            "masked",
            f"{rule.id} can never set {rule.effect.fact} to {value}: whenever it holds, {', '.join(ids)} {verb} it",
            rule,
            [rule.id, *ids],
            f"give {rule.id} a lower priority number than {', '.join(other_values)}, or narrow them",
        )
    else:
        yield finding(
            "warning",
            "subsumed",
            f"{rule.id} never decides {rule.effect.fact}: whenever it holds, {', '.join(ids)} already "
            f"set the same value first",
            rule,
            [rule.id, *ids],
            f"delete {rule.id}",
        )


# ----------------------------------------------------------------------------- requirements and techniques


@check("required-but-excluded", "required-and-excluded", "not-analysed")
def requirements_against_exclusions(ctx: LintContext) -> Iterator[Finding]:
    """A requirement that applies only when its technique is excluded adds a step no plan can show."""
    try:
        for rule in ctx.spec.requirements:
            if rule.id not in ctx.never:
                yield from _requirement(ctx, rule)
    except TooComplex:
        yield ctx.not_checked("Requirements against exclusions", (None, None))


def _requirement(ctx: LintContext, rule: Rule[RequirementEffect]) -> Iterator[Finding]:
    """One requirement against the exclusions of each technique it governs."""
    logic = ctx.logic
    named = {s for s in rule.spec.applies_to if s in ctx.spec.techniques}
    dead: dict[str, list[str]] = {}
    for technique in rule.scope:
        exclusions = ctx.exclusions[technique]
        if ctx.excluded_when[technique] is None:
            continue
        if ctx.implies_excluded(rule.condition, technique):
            dead[technique] = [e.id for e in exclusions]
            continue
        if isinstance(rule.condition, Always) or technique not in named:
            continue
        facts = logic.facts(rule.condition)
        for exclusion in exclusions:
            shared = facts & logic.facts(exclusion.condition)
            if shared and not logic.never(AllOf((rule.condition, exclusion.condition))):
                yield finding(
                    "info",
                    "required-and-excluded",
                    f"{rule.id} asks for \u201c{rule.effect.step}\u201d before {ctx.title(technique)} "
                    f"when {ctx.said(rule.condition)}, and {exclusion.id} excludes that technique when "
                    f"{ctx.said(exclusion.condition)}; both can hold for the same client",
                    rule,
                    [rule.id, exclusion.id],
                    "check that the requirement is meant for clients who can still have the technique",
                )
    if dead and (set(dead) == set(rule.scope) or set(dead) & named):
        which = sorted(dead) if set(dead) != set(rule.scope) else sorted(rule.scope)
        by = sorted({i for t in which for i in dead[t]})
        yield finding(
            "warning",
            "required-but-excluded",
            f"{rule.id} requires \u201c{rule.effect.step}\u201d for {', '.join(ctx.title(t) for t in which)}"
            f" only when that technique is excluded (by {', '.join(by)}), so the step can never appear in "
            "a plan for it",
            rule,
            [rule.id, *by],
            "correct the condition or applies_to of the requirement, or of the exclusion",
        )


@check("unreachable-technique", "not-analysed")
def unreachable_techniques(ctx: LintContext) -> Iterator[Finding]:
    """A technique no client can be offered is a catalogue entry the rules silently disable."""
    return _each_technique(ctx, "Reachability of", _reachable)


def _each_technique(
    ctx: LintContext, what: str, analyse: Callable[[LintContext, str], Iterator[Finding]]
) -> Iterator[Finding]:
    """``analyse`` each technique of the catalogue; one too complex to analyse gets a note instead."""
    for technique in ctx.spec.techniques:
        try:
            yield from analyse(ctx, technique)
        except TooComplex:
            yield ctx.not_checked(f"{what} {technique}", ctx.technique_at(technique))


def _reachable(ctx: LintContext, technique: str) -> Iterator[Finding]:
    """Why ``technique`` can never be offered, if it cannot: always excluded, never argued for, always outweighed."""
    logic = ctx.logic
    where = ctx.technique_at(technique)
    exclusions = ctx.exclusions[technique]
    excluded = ctx.excluded_when[technique]
    if excluded is not None and logic.always(excluded):
        yield finding(
            "warning",
            "unreachable-technique",
            f"{ctx.title(technique)} is excluded for every client (by {', '.join(e.id for e in exclusions)})",
            where,
            [technique, *(e.id for e in exclusions)],
            "narrow the exclusions, or remove the technique from the catalogue",
        )
        return
    suits = [r for r in ctx.spec.suitability if r.governs(technique)]
    pro = [r for r in suits if r.effect.argument == "for"]
    if not pro:
        yield finding(
            "warning",
            "unreachable-technique",
            f"No suitability rule argues for {ctx.title(technique)}, so it never has a positive score and is "
            "never offered",
            where,
            [technique],
            "add a suitability rule with argument: for, or remove the technique from the catalogue",
        )
        return
    causes = [r for r in pro if r.cause_argument]  # none: reported by unindicated_techniques
    not_excluded: Condition = NotOf(excluded) if excluded is not None else Always()
    try:
        for assignment in logic.assignments([r.condition for r in suits], limit=20_000):
            score = sum(rule.effect.points for rule in suits if logic.evaluate(rule.condition, assignment))
            indicated = not causes or any(logic.evaluate(r.condition, assignment) for r in causes)
            if score > 0 and indicated and not logic.never(not_excluded, assignment):
                return
    except TooComplex:
        if any(
            ctx.escapes[technique].escapes(logic, r.condition) or not logic.never(AllOf((r.condition, not_excluded)))
            for r in causes or pro
        ):
            return
    yield finding(
        "warning",
        "unreachable-technique",
        f"No client can be offered {ctx.title(technique)}: whenever an argument for it holds, no cause "
        f"argument indicates it, the arguments against outweigh it or an absolute contraindication excludes it",
        where,
        [technique, *(r.id for r in suits)],
        "review the strengths of the arguments for and against it, and its exclusions",
    )


@check("unindicated-technique")
def unindicated_techniques(ctx: LintContext) -> Iterator[Finding]:
    """A technique no cause argument indicates is never offered, not even as the practitioner's choice.

    The planner makes a technique a candidate only while an argument for it that reads only
    why the client came (the facts marked ``indication: true``) holds: skin type or
    Fitzpatrick type alone never indicate one.
    """
    for technique in ctx.spec.techniques:
        pro = [r for r in ctx.spec.suitability if r.governs(technique) and r.effect.argument == "for"]
        if pro and not any(r.cause_argument for r in pro):
            yield finding(
                "warning",
                "unindicated-technique",
                f"No cause argument indicates {ctx.title(technique)}: its arguments for it read more than why the "
                "client came (the indication facts), so it is never offered, not even as the practitioner's choice",
                ctx.technique_at(technique),
                [technique, *(r.id for r in pro)],
                "add an argument for it whose condition reads only indication facts (e.g. the pore causes)",
            )


@check("gap", "not-analysed")
def suitability_gaps(ctx: LintContext) -> Iterator[Finding]:
    """A value of a fact for which a technique gets no verdict at all is usually a forgotten case."""
    return _each_technique(ctx, "Gaps for", _gaps)


def _gaps(ctx: LintContext, technique: str) -> Iterator[Finding]:
    """For each enum or small integer fact the suitability rules of ``technique`` read, the values none covers."""
    logic = ctx.logic
    suits = [r for r in ctx.spec.suitability if r.governs(technique)]
    if not suits:
        return
    excluded = ctx.excluded_when[technique]
    compared = _constants([r.condition for r in suits] + ([excluded] if excluded else []), logic)
    facts: dict[str, list[str]] = {}
    for rule in suits:
        for name in [*(a.fact for a in atoms(logic.expand(rule.condition))), *rule.facts]:
            readers = facts.setdefault(name, [])
            if rule.id not in readers:
                readers.append(rule.id)
    for name, rule_ids in sorted(facts.items()):
        fact = ctx.spec.facts[name]
        values: Sequence[Any]
        if fact.type == "enum":
            values = fact.values
        elif fact.type == "integer":
            listed = logic.integer_values(name)
            if listed is None:
                continue
            values = listed
        else:
            continue
        uncovered: list[Any] = []
        memo: dict[tuple[int, ...], bool] = {}
        constants = compared.get(name, ())
        for value in values:
            signature = tuple((value > c) - (value < c) for c in constants) if fact.type == "integer" else ()
            if fact.type == "integer" and signature in memo:
                covered = memo[signature]
            else:
                is_value = Atom(name, "eq", value, f"{fact.label} is {value}")
                covered = ctx.implies_excluded(is_value, technique) or any(
                    _can_hold_with(ctx, rule, is_value) for rule in suits
                )
                if fact.type == "integer":
                    memo[signature] = covered
            if not covered:
                uncovered.append(value)
        if uncovered and len(uncovered) < len(values):
            shown = _ranges(uncovered) if fact.type == "integer" else ", ".join(str(v) for v in uncovered)
            yield finding(
                "warning",
                "gap",
                f"{ctx.title(technique)} has no suitability verdict when {fact.label} is {shown}: none of its "
                f"suitability rules ({', '.join(r.id for r in suits)}) can hold then, and it is not excluded",
                ctx.technique_at(technique),
                [technique, *rule_ids],
                f"add a rule for or against {technique} that covers {shown}, or widen an existing one",
            )


def _can_hold_with(ctx: LintContext, rule: Rule[Effect], is_value: Atom) -> bool:
    """Can ``rule``'s condition hold when the fact has the value ``is_value`` names?"""
    logic = ctx.logic
    known = rule.id not in ctx.never and rule.id not in ctx.undecided  # known to be able to hold
    if known and logic.fields(is_value) == {is_value.field} and is_value.field not in logic.fields(rule.condition):
        return True  # it can hold, and it does not read the fact (a fact given, not derived): any value will do
    return not ctx.logic.never(AllOf((rule.condition, is_value)))


def _constants(conditions: Iterable[Condition], logic: Logic) -> dict[str, tuple[Any, ...]]:
    """For each fact, the integer constants the (expanded) conditions compare it with, sorted."""
    found: dict[str, set[Any]] = {}
    for condition in conditions:
        for atom in atoms(logic.expand(condition)):
            if isinstance(atom.value, int) and not isinstance(atom.value, bool):
                found.setdefault(atom.fact, set()).add(atom.value)
    return {name: tuple(sorted(values)) for name, values in found.items()}


def _ranges(values: Sequence[int]) -> str:
    """``1 to 3, 5``: sorted integers as runs."""
    parts: list[str] = []
    start = prev = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start} to {prev}")
        if value is not None:
            start = prev = value
    return ", ".join(parts)


# ----------------------------------------------------------------------------- waiting periods


@check("interval-conflict")
def session_intervals(ctx: LintContext) -> Iterator[Finding]:
    """A wait after a previous treatment longer than a technique's session interval cannot be kept during a course."""
    for rule in ctx.spec.sequencing:
        wait = rule.effect.not_before
        if wait is None or wait.after_previous is None:
            continue
        anchors = set(ctx.spec.select(wait.after_previous))
        gap = period_days(wait.period)
        for technique in rule.scope:
            if technique not in anchors:
                continue
            sessions = ctx.spec.techniques[technique].sessions
            # During a course the only previous treatment is the last session of the same technique.
            shortest = _during_course(ctx, rule, technique, period_days(sessions.interval_min))
            longest = _during_course(ctx, rule, technique, period_days(sessions.interval_max))
            if longest and gap > period_days(sessions.interval_max):
                yield finding(
                    "error",
                    "interval-conflict",
                    f"{rule.id} requires {wait.period} after a previous "
                    f"{treatment_text(wait.after_previous, ctx.spec, '')} before {ctx.title(technique)}, but "
                    f"its sessions are {sessions.interval_min} to {sessions.interval_max} apart: a course "
                    "cannot keep both",
                    rule,
                    [rule.id, technique],
                    f"lengthen interval_max of {technique} to at least {wait.period}, or leave {technique} out "
                    "of the rule",
                )
            elif shortest and gap > period_days(sessions.interval_min):
                yield finding(
                    "warning",
                    "interval-conflict",
                    f"{rule.id} requires {wait.period} between treatments of {ctx.title(technique)}, but the "
                    f"plan dates its sessions {sessions.interval_min} apart (its interval_min)",
                    rule,
                    [rule.id, technique],
                    f"raise interval_min of {technique} to {wait.period}",
                )


def _during_course(ctx: LintContext, rule: Rule[SequencingEffect], technique: str, elapsed: float) -> bool:
    """Can ``rule`` hold when the last treatment, ``elapsed`` days ago, was a session of ``technique``?"""
    fixed = {
        field: (elapsed if technique in ctx.spec.select(selector) else math.inf)
        for field, selector in ctx.history.items()
    }
    try:
        return not ctx.logic.never(rule.condition, fixed)
    except TooComplex:
        return True


@check("interval-conflict")
def maintenance_intervals(ctx: LintContext) -> Iterator[Finding]:
    """Maintenance sooner than the shortest session interval contradicts the course itself."""
    for technique, spec in ctx.spec.techniques.items():
        every = spec.maintenance_every
        if every is not None and period_days(every) < period_days(spec.sessions.interval_min):
            yield finding(
                "warning",
                "interval-conflict",
                f"{ctx.title(technique)} has maintenance every {every}, sooner than the shortest interval "
                f"between its sessions ({spec.sessions.interval_min})",
                ctx.line(TECHNIQUES_FILE, ("techniques", technique, "maintenance_every")),
                [technique],
                "make maintenance_every at least interval_min",
            )


@check("wait-mismatch")
def wait_mismatches(ctx: LintContext) -> Iterator[Finding]:
    """A wait that counts from another date, or for another period, than the condition that triggers it."""
    for rule in ctx.spec.rules:
        for wait in rule.effect.waits():
            if wait.spec.after is not None:
                yield from _date_wait(ctx, rule, wait.key, wait.spec, wait.spec.after)
            elif wait.spec.after_previous is not None:
                yield from _history_wait(ctx, rule, wait.key, wait.spec, wait.spec.after_previous)


def _date_wait(ctx: LintContext, rule: Rule[Effect], key: str, wait: WaitSpec, fact: str) -> Iterator[Finding]:
    """A wait after a date fact against the rule's ``within`` tests of that fact."""
    tests = [a for a in atoms(rule.condition) if a.fact == fact and a.op == "within"]
    label = ctx.spec.facts[fact].label
    if not tests:
        yield finding(
            "warning",
            "wait-mismatch",
            f"{rule.id}'s {key} counts {wait.period} from {label}, but its condition does not test {fact}",
            rule,
            [rule.id],
            f"test {fact} in the condition (e.g. {fact}: {{within: {wait.period}}}) or count from a fact it tests",
        )
        return
    for atom in tests:
        if isinstance(atom.value, Period) and period_days(atom.value) != period_days(wait.period):
            sooner = period_days(wait.period) < period_days(atom.value)
            consequence = (
                "on that date the rule still applies"
                if sooner
                else "the rule stops applying before that date, so the later date is never enforced"
            )
            yield finding(
                "warning",
                "wait-mismatch",
                f"{rule.id} applies while {label} is within {atom.value}, but its {key} ends {wait.period} after "
                f"it: {consequence}",
                rule,
                [rule.id],
                f"use the same period in the condition and in {key}",
            )


def _history_wait(ctx: LintContext, rule: Rule[Effect], key: str, wait: WaitSpec, anchor: str) -> Iterator[Finding]:
    """A wait after a previous treatment against the rule's ``previous_treatment`` tests."""
    covered = set(ctx.spec.select(anchor))
    for atom in atoms(rule.condition):
        if atom.fact != PREVIOUS_TREATMENTS:
            continue
        selector = ctx.history.get(atom.field)
        if selector is None:
            continue
        missing = sorted(set(ctx.spec.select(selector)) - covered)
        if missing:
            yield finding(
                "warning",
                "wait-mismatch",
                f"{rule.id} applies after {treatment_text(selector, ctx.spec)}, but its {key} counts only from "
                f"the last {treatment_text(anchor, ctx.spec, '')}: after a "
                f"{' or '.join(ctx.title(m) for m in missing)} alone the wait is not enforced",
                rule,
                [rule.id],
                f"count {key} from a selector that covers {selector} (e.g. after_previous: all)",
            )
        elif isinstance(atom.value, Period) and period_days(atom.value) > period_days(wait.period):
            yield finding(
                "warning",
                "wait-mismatch",
                f"{rule.id} applies after {treatment_text(selector, ctx.spec)} within {atom.value}, but its "
                f"{key} is only {wait.period}",
                rule,
                [rule.id],
                f"use the same period in the condition and in {key}",
            )


# ----------------------------------------------------------------------------- vocabulary, features, manifest


@check("unused-fact")
def unused_facts(ctx: LintContext) -> Iterator[Finding]:
    """A fact no rule reads is a question asked at intake (or a value derived) for nothing."""
    read: set[str] = set()
    for rule in ctx.spec.rules:
        read |= set(rule.facts)
        for wait in rule.effect.waits():
            if wait.spec.after:
                read.add(wait.spec.after)
            if wait.spec.after_previous:
                read.add(PREVIOUS_TREATMENTS)
    for name, fact in ctx.spec.facts.items():
        if name == ASSESSMENT_DATE or fact.planning_only or name in read:
            continue
        where = ctx.line(VOCABULARY_FILE, ("facts", name))
        if fact.derived:
            message = f"Derived fact {name} ({fact.label}) is worked out but no rule reads it"
            hint = "use it in a condition, or remove it and the rules deriving it"
        else:
            message = f"Fact {name} ({fact.label}) is asked at intake but no rule reads it"
            hint = "use it in a condition, or remove it from the vocabulary"
        yield finding("warning", "unused-fact", message, where, [name], hint)


@check("no-scenario", "not-analysed")
def scenario_coverage(ctx: LintContext) -> Iterator[Finding]:
    """A rule no scenario is tagged with has nothing showing a reviewer that it works."""
    if ctx.features is None or not ctx.features.is_dir():
        yield finding(
            "info",
            "not-analysed",
            "Scenario coverage was not checked: there is no features folder"
            + (f" at {ctx.features}" if ctx.features else ""),
            (None, None),
            hint="pass --features DIR",
        )
        return
    from engine.authoring._trace import FeatureError, index_features

    try:
        index = index_features(ctx.features)
    except FeatureError as exc:
        yield finding("warning", "no-scenario", f"Scenario coverage was not checked: {exc}", (None, None))
        return
    tagged = {rid for pickle in index.pickles for rid in pickle.rule_ids}
    for rule in ctx.spec.rules:
        if rule.id not in tagged:
            yield finding(
                "warning",
                "no-scenario",
                f"No scenario in {ctx.features.name}/ is tagged @rule:{rule.id}, so nothing shows it works",
                rule,
                [rule.id],
                f"add a scenario tagged @rule:{rule.id}",
            )


@check("review-in-future", "review-overdue")
def review_date(ctx: LintContext) -> Iterator[Finding]:
    """Rules must be reviewed regularly; a review dated in the future is a typo that hides an overdue one."""
    manifest = ctx.spec.manifest
    where = ctx.line(MANIFEST_FILE, ("last_review",))
    if manifest.last_review > ctx.today:
        yield finding(
            "error",
            "review-in-future",
            f"The last review date {manifest.last_review} is after today ({ctx.today})",
            where,
            [manifest.id],
            "write the date on which the protocol was actually reviewed",
        )
        return
    due = ctx.review_every.after(manifest.last_review)
    if due < ctx.today:
        yield finding(
            "warning",
            "review-overdue",
            f"The protocol was last reviewed on {manifest.last_review}; with a review every {ctx.review_every} "
            f"it was due on {due}",
            where,
            [manifest.id],
            "review the rules with the clinical lead and update last_review",
        )


_MODEL_FIRST = dt.date(2030, 3, 4)
"""A model course for comparing agent timings: sessions from this day, the assessment 12 weeks before."""


@check("agent-timing-conflict", "not-analysed")
def agent_timing_conflicts(ctx: LintContext) -> Iterator[Finding]:
    """Two steps of one plan that tell the client different things about the same agent.

    One step has the client use an agent while another has her pause it at the same time
    (priming with a retinoid while a washout stops it), or two steps give the same agent
    different timings (an antiviral for 10 days in one, 14 in the other). Only pairs of steps
    that can be in the same plan count: both govern a technique and their conditions can hold
    together. A pause inside one step's own use (hydroquinone paused around each peel) is
    that step's design, not a conflict. Timings are compared on a model course of the
    technique (typical sessions at the shortest interval).
    """
    seen: set[tuple[str, str, str]] = set()
    steps: list[Rule[RequirementEffect] | Rule[AftercareEffect]] = [
        *(r for r in ctx.spec.requirements if r.effect.agents),
        *(r for r in ctx.spec.aftercare if r.effect.agents),
    ]
    for technique, entry in ctx.spec.techniques.items():
        mine = [r for r in steps if r.general or technique in r.techniques]
        course = _model_course(entry)
        for i, first in enumerate(mine):
            for second in mine[i + 1 :]:
                for agent, problem in _agent_clashes(first, second, course):
                    key = (first.id, second.id, agent)
                    if key in seen or not _together(ctx, first, second):
                        continue
                    seen.add(key)
                    yield finding(
                        "warning",
                        "agent-timing-conflict",
                        f"{first.id} and {second.id} {problem} {_agent_title(ctx, agent)} "
                        f"(for {ctx.title(technique)} and any other technique both govern)",
                        first,
                        [first.id, second.id],
                        "give the agent one timing, in one step, or make the steps' conditions exclusive",
                    )


def _model_course(entry: TechniqueSpec) -> tuple[dt.date, tuple[dt.date, ...]]:
    sessions = entry.sessions
    days = [_MODEL_FIRST]
    for _ in range(sessions.typical - 1):
        days.append(sessions.interval_min.after(days[-1]))
    return _MODEL_FIRST - dt.timedelta(weeks=12), tuple(days)


def _spans(use: AgentUse, course: tuple[dt.date, tuple[dt.date, ...]]) -> list[tuple[dt.date, dt.date]]:
    """The days ``use`` covers on the model course (each session's window for moments around each session)."""
    assessment, sessions = course

    def on(moment: Moment | None, session: dt.date, default: dt.date) -> dt.date:
        if moment is None:
            return default
        anchor = {
            "assessment": assessment,
            "first_session": sessions[0],
            "last_session": sessions[-1],
            "each_session": session,
        }[moment.anchor]
        return moment.on(anchor)

    around = any(m is not None and m.anchor == "each_session" for m in (use.start, use.until))
    out = []
    for session in sessions if around else sessions[:1]:
        start = on(use.start, session, assessment)
        until = on(use.until, session, sessions[-1])
        out.append((start, until))
    return out


def _agent_clashes(
    first: Rule[RequirementEffect] | Rule[AftercareEffect],
    second: Rule[RequirementEffect] | Rule[AftercareEffect],
    course: tuple[dt.date, tuple[dt.date, ...]],
) -> Iterator[tuple[str, str]]:
    """(agent, what is wrong) for each agent the two steps time differently."""
    for a in first.effect.agents:
        for b in second.effect.agents:
            if a.agent != b.agent:
                continue
            # spans that only meet (one step's use ends the day another's pause starts) follow each other
            overlap = any(s1 < u2 and s2 < u1 for s1, u1 in _spans(a, course) for s2, u2 in _spans(b, course))
            if not overlap:
                continue
            if a.role != b.role:
                yield a.agent, "have the client use and pause, at the same time,"
            elif a.role == "uses" and (a.start, a.until) != (b.start, b.until):
                yield a.agent, f"give different timings ({_timing(a)}; {_timing(b)}) for"


def _agent_title(ctx: LintContext, agent: str) -> str:
    found = ctx.spec.agents.get(agent)
    return found.title if found is not None else agent


def _timing(use: AgentUse) -> str:
    return f"from {use.start or 'the assessment'} until {use.until or 'the last session'}"


def _together(ctx: LintContext, first: Rule[Any], second: Rule[Any]) -> bool:
    """Whether both steps' conditions can hold for one client (unknown to the analysis: assume so)."""
    try:
        return not ctx.logic.never(AllOf((first.condition, second.condition)))
    except TooComplex:
        return True
