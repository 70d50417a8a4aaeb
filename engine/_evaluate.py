"""Run one client's facts through the compiled rulesets and read back three-valued outcomes.

The facts are first flattened into the matcher's fact: sets become one boolean field per
member, ``never`` becomes a date before any other, previous treatments become the date of
the latest one per technique selector, and every period a rule uses becomes a per-client
cut-off date (``assessment_date`` minus the period). That is data preparation; every
condition is decided by the matcher. Strata run in order: after each, the derived facts
it decides are added to the fact the next stratum sees (forward chaining).

Rules without a condition are true for every client and never reach the matcher.
Within a stratum the "definitely true" rulesets always run. A rule whose T rail did not
fire is false when every field it reads is present (its condition is then two-valued);
only rules with a missing field need the "definitely false" rulesets, which run for
those clients alone and tell false from unknown. Whenever an F ruleset runs, every rule
in it is cross-checked: deciding a rule both true and false, or a complete rule neither,
is an engine failure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine._adapter import CATCH_ALL, Matcher
from engine._compile import CompiledProtocol
from engine._errors import EngineError
from engine._facts import NEVER, ClientFacts
from engine._model import DerivedEffect
from engine._validate import ProtocolSpec, Rule, selector_key

__all__ = ["NEVER_DATE", "Evaluator", "Outcome", "Truth", "matcher_fact"]

NEVER_DATE = "0000-00-00"
"""Sorts before every real ISO date, so ``never`` is outside every 'within' window."""


class Truth(str, enum.Enum):
    """Kleene truth value of a rule's condition for one client."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    """What the matcher decided for one client."""

    truth: Mapping[str, Truth]
    derived: Mapping[str, Any]
    needs: Mapping[str, frozenset[str]]
    """For each unknown rule, the absent intake facts that would decide it."""


def matcher_fact(spec: ProtocolSpec, facts: ClientFacts) -> dict[str, Any]:
    """Flatten validated facts into the fields the compiled rules test."""
    out: dict[str, Any] = {}
    for name, value in facts.values.items():
        fact = spec.facts[name]
        if fact.planning_only:
            continue
        if fact.type == "set":
            for member in fact.values:
                out[f"{name}__{member}"] = member in value
        elif fact.type == "date":
            out[name] = NEVER_DATE if value == NEVER else value.isoformat()
        elif fact.type == "treatment_history":
            for selector in sorted(spec.history_selectors):
                chosen = set(spec.select(selector))
                dates = [t.date for t in value if t.technique in chosen]
                out[f"__last__{selector_key(selector)}"] = max(dates).isoformat() if dates else NEVER_DATE
        else:
            out[name] = value
    anchor = facts.assessment_date
    for period in spec.periods:
        out[f"__cut__{period.key}"] = period.before(anchor).isoformat()
    return out


class Evaluator:
    """Holds the matcher for one compiled protocol and evaluates clients against it."""

    def __init__(self, spec: ProtocolSpec, compiled: CompiledProtocol) -> None:
        self._spec = spec
        self._compiled = compiled
        chunks = (*compiled.chunks, *compiled.false_chunks)
        self._matcher = Matcher([c.definition for c in chunks], label=f"pp-{spec.sha256[:10]}")
        # Per stratum: the T rulesets (matcher index, fields to send, fired name -> rule id),
        # the rules decided there with the fields they read, and for each rule its F ruleset.
        self._strata: list[list[tuple[int, tuple[str, ...], dict[str, str]]]] = [[] for _ in range(compiled.strata)]
        self._members: list[list[tuple[str, frozenset[str]]]] = [[] for _ in range(compiled.strata)]
        self._always: list[list[str]] = [[] for _ in range(compiled.strata)]
        for rule_id in compiled.always:
            self._always[spec.strata[rule_id]].append(rule_id)
        self._position = {rule.id: n for n, rule in enumerate(spec.rules)}
        self._rules = {rule.id: rule for rule in spec.rules}
        self._false_of: dict[str, int] = {}
        self._false: dict[int, tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]] = {}
        for index, chunk in enumerate(chunks):
            names = {name: name.split("|", 1)[0] for name in chunk.definition if name != CATCH_ALL}
            if chunk.polarity == "T":
                self._strata[chunk.stratum].append((index, chunk.fields, names))
                self._members[chunk.stratum].extend((r, compiled.rule_fields[r]) for r in chunk.rule_ids)
            else:
                self._false[index] = (chunk.fields, names, chunk.rule_ids)
                for rule_id in chunk.rule_ids:
                    self._false_of[rule_id] = index
        self._deriving: dict[str, list[Rule]] = {}
        for rule in spec.rules:
            if isinstance(rule.effect, DerivedEffect):
                self._deriving.setdefault(rule.effect.fact, []).append(rule)
        for rules in self._deriving.values():
            rules.sort(key=lambda r: (r.spec.priority, r.file, r.order))
        self._derived_at = {name: spec.strata[rules[0].id] for name, rules in self._deriving.items()}
        self._derive_order = [
            [name for name, level in sorted(self._derived_at.items()) if level == s] for s in range(compiled.strata)
        ]

    def close(self) -> None:
        self._matcher.close()

    @property
    def chunk_count(self) -> int:
        return len(self._matcher)

    def evaluate(self, facts: ClientFacts) -> Outcome:
        """Decide every rule for ``facts`` (true, false or unknown)."""
        fact = matcher_fact(self._spec, facts)
        truth: dict[str, Truth] = {}
        derived: dict[str, Any] = {}
        fire = self._matcher.fire
        unknown: list[str] = []
        for stratum, chunks in enumerate(self._strata):
            for rule_id in self._always[stratum]:
                truth[rule_id] = Truth.TRUE
            yes: set[str] = set()
            for index, fields, names in chunks:
                fired = fire(index, {f: fact[f] for f in fields if f in fact})
                yes.update(names[name] for name in fired if name in names)
            undecided: dict[int, list[str]] = {}
            present = set(fact)
            for rule_id, reads in self._members[stratum]:
                if rule_id in yes:
                    truth[rule_id] = Truth.TRUE
                elif reads <= present or rule_id not in self._false_of:
                    # two-valued (or a rule without an F rail, i.e. unconditional): not true means false
                    truth[rule_id] = Truth.FALSE
                else:
                    undecided.setdefault(self._false_of[rule_id], []).append(rule_id)
            for index, waiting in sorted(undecided.items()):
                fields, names, members = self._false[index]
                fired = fire(index, {f: fact[f] for f in fields if f in fact})
                no = {names[name] for name in fired if name in names}
                for rule_id in members:
                    if rule_id in no and truth.get(rule_id) is Truth.TRUE:
                        raise EngineError(f"rule {rule_id} was decided both true and false")
                    if rule_id not in no and truth.get(rule_id) is Truth.FALSE:
                        raise EngineError(f"rule {rule_id} reads only known facts but was decided neither way")
                for rule_id in waiting:
                    if rule_id in no:
                        truth[rule_id] = Truth.FALSE
                    else:
                        truth[rule_id] = Truth.UNKNOWN
                        unknown.append(rule_id)
            for name in self._derive_order[stratum]:
                value = self._derive(name, truth)
                if value is not _UNKNOWN:
                    derived[name] = value
                    fact[name] = value
        unknown.sort(key=self._position.__getitem__)  # protocol order, as callers have always seen it
        needs = {rule_id: self._absent(self._rules[rule_id], facts, truth, derived) for rule_id in unknown}
        for rule_id, absent in needs.items():
            if not absent:
                raise EngineError(f"rule {rule_id} is unknown although every fact it reads is known")
        return Outcome(truth, derived, needs)

    def _derive(self, name: str, truth: Mapping[str, Truth]) -> Any:
        for rule in self._deriving[name]:
            outcome = truth[rule.id]
            if outcome is Truth.TRUE:
                assert isinstance(rule.effect, DerivedEffect)
                return rule.effect.value
            if outcome is Truth.UNKNOWN:
                return _UNKNOWN
        default = self._spec.facts[name].default
        return _UNKNOWN if default is None else default

    def _absent(
        self, rule: Rule, facts: ClientFacts, truth: Mapping[str, Truth], derived: Mapping[str, Any]
    ) -> frozenset[str]:
        absent: set[str] = set()
        for name in rule.facts:
            if name in self._deriving:
                if name not in derived:
                    for source in self._deriving[name]:
                        if truth[source.id] is Truth.UNKNOWN:
                            absent |= self._absent(source, facts, truth, derived)
            elif not facts.known(name):
                absent.add(name)
        return frozenset(absent)


_UNKNOWN = object()
