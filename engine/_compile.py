"""Compile validated rules into matcher rulesets that decide each condition three-valued.

Kleene logic on a matcher that only knows "matches": every condition ``C`` is compiled
twice, as ``T(C)`` (definitely true) and ``F(C)`` (definitely false). A test of an absent
fact matches neither, so a rule whose outcome depends on it fires neither variant and is
*unknown*. Negation swaps the two; De Morgan gives the rest::

    T(all) = and of T(items)      F(all) = or of F(items)
    T(any) = or of T(items)       F(any) = and of F(items)

Both variants are expanded to disjunctive normal form and each conjunction becomes one
matcher rule named ``RULE-ID|T|k`` or ``RULE-ID|F|k``. Keeping each pattern a plain chain
of tests (no ``$or``) makes the matcher's working stack predictable: the adapter's
:class:`~engine._adapter.StackGauge` gives the most stack entries any fact can need in a
ruleset, and rules are packed into a ruleset while that stays within :data:`NODE_BUDGET`
(of the 64 entries whose overflow is error 303). The need grows with the number of
*distinct* first tests, not with chain length, so the tests of each pattern are put in
one order (the most widely shared first) and rules with the same leading tests are
packed together, letting chains share their prefixes. Fewer, fuller rulesets mean fewer
matcher calls per client. Rules are grouped by stratum so that derived facts are
decided before the rules that read them.

The two rails go into *separate* rulesets: ``chunks`` hold the T rails, ``false_chunks``
the F rails. When every field a rule reads is present, its condition is two-valued and
"not T" already means false, so the evaluator fires the F rulesets only for clients with
missing answers, and only those that hold an undecided rule. Every firing costs the
matcher about a microsecond and most rules of a protocol are false for most clients,
so this halves the work for the common, complete client.

A rule without a condition (no ``when``) is true for every client: it is listed in
``always`` and not sent to the matcher, where it would fire for every client (a
quarter of the shipped rules are such steps and instructions).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine._adapter import STACK_LIMIT, StackGauge
from engine._errors import Issue, RulesError
from engine._names import CATCH_ALL, GUARD_FIELD, Polarity, cut_field, rule_name
from engine._spec import AllOf, Always, Atom, Condition, Effect, NotOf, ProtocolSpec, Rule, atoms

__all__ = [
    "MAX_CONJUNCTIONS",
    "MAX_PATTERNS",
    "MAX_RULE_TESTS",
    "NODE_BUDGET",
    "Chunk",
    "CompiledProtocol",
    "compile_protocol",
    "dnf",
]

NODE_BUDGET = STACK_LIMIT - 4
"""Worst-case matcher stack entries per ruleset (see the adapter's StackGauge), 4 kept spare."""

MAX_RULE_TESTS = 56
"""Tests one rule may need (both rails): a rule always fits in a ruleset of its own."""

MAX_PATTERNS = 200
"""Patterns per ruleset: under the matcher's 256 rules ending on one test and 4,096 actions."""

MAX_CONJUNCTIONS = 32
"""Alternatives one rule may expand to, per polarity, before we ask the author to split it."""

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "within": "before"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}

Literal_ = tuple[Atom, bool]  # (atom, positive?)
Conjunction = tuple[Literal_, ...]


def _cut(atom: Atom) -> str:
    """The per-client field holding ``assessment_date - period`` for a ``within`` atom."""
    return cut_field(atom.value.key)


def dnf(condition: Condition, positive: bool = True) -> list[Conjunction]:
    """Conjunctions whose disjunction is ``T(condition)`` (or ``F`` when ``positive`` is false)."""
    if isinstance(condition, Always):
        return [()] if positive else []
    if isinstance(condition, Atom):
        return [((condition, positive),)]
    if isinstance(condition, NotOf):
        return dnf(condition.item, not positive)
    parts = [dnf(item, positive) for item in condition.items]
    conjunctive = isinstance(condition, AllOf) == positive
    if not conjunctive:
        return [conj for part in parts for conj in part]
    out: list[Conjunction] = []
    for combo in itertools.product(*parts):
        merged: list[Literal_] = []
        for conj in combo:
            merged.extend(lit for lit in conj if lit not in merged)
        out.append(tuple(merged))
        if len(out) > MAX_CONJUNCTIONS:
            break
    return out


def _test(literal: Literal_) -> dict[str, Any]:
    atom, positive = literal
    op = atom.op if positive else _NEGATE[atom.op]
    if op == "within":  # less than the period before the assessment: after the cut-off day
        return {"$gt": {atom.field: {"$m": _cut(atom)}}}
    if op == "before":  # the period or more before the assessment (never included)
        return {"$lte": {atom.field: {"$m": _cut(atom)}}}
    if op == "eq":
        return {atom.field: atom.value}
    return {_DURABLE_OP[op]: {atom.field: atom.value}}


def _fields(literal: Literal_) -> set[str]:
    atom = literal[0]
    return {atom.field, _cut(atom)} if atom.op == "within" else {atom.field}


@dataclass(frozen=True)
class Chunk:
    """One matcher ruleset: its definition, the rules it decides and the fact fields it reads.

    ``polarity`` is ``T`` (the ruleset holds the definitely-true rails of its rules) or
    ``F`` (the definitely-false rails); ``nodes`` is the most matcher stack entries a fact
    can need in it (at most :data:`NODE_BUDGET`); ``fired`` maps the name of each matcher
    rule in it to the protocol rule it decides (the catch-all is not in it).
    """

    stratum: int
    definition: dict[str, Any]
    rule_ids: tuple[str, ...]
    fields: tuple[str, ...]
    nodes: int
    polarity: Polarity = "T"
    fired: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledProtocol:
    """Pure data ready for the adapter: rulesets grouped by stratum, in evaluation order.

    ``chunks`` decide "definitely true" for every rule, ``false_chunks`` "definitely
    false"; ``rule_fields`` lists, per rule, the matcher fields its condition reads (when
    all are present for a client, the rule cannot be unknown).
    """

    chunks: tuple[Chunk, ...]
    strata: int
    false_chunks: tuple[Chunk, ...] = ()
    rule_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    always: tuple[str, ...] = ()
    """Rules without a condition, true for every client; they are in no ruleset."""

    def by_stratum(self, stratum: int) -> tuple[Chunk, ...]:
        return tuple(c for c in self.chunks if c.stratum == stratum)


@dataclass
class _RuleCode:
    """One rule's matcher patterns (both rails), how many tests they hold, and the fields they read."""

    rule: Rule[Effect]
    patterns: dict[Polarity, dict[str, Conjunction]]
    """Per rail, each matcher rule name with the conjunction it tests."""
    nodes: int
    fields: set[str]


_RAILS: tuple[tuple[Polarity, bool], ...] = (("T", True), ("F", False))


def _rule_code(rule: Rule[Effect], issues: list[Issue]) -> _RuleCode | None:
    patterns: dict[Polarity, dict[str, Conjunction]] = {}
    for polarity, positive in _RAILS:
        conjunctions = dnf(rule.condition, positive)
        if len(conjunctions) > MAX_CONJUNCTIONS:
            issues.append(
                Issue(
                    rule.file,
                    rule.line,
                    rule.id,
                    "when",
                    f"the condition expands to more than {MAX_CONJUNCTIONS} alternatives",
                    "move part of it into a derived fact, or split the rule",
                )
            )
            return None
        patterns[polarity] = {rule_name(rule.id, polarity, k): conj for k, conj in enumerate(conjunctions)}
    nodes = sum(len(conj) for rail in patterns.values() for conj in rail.values())
    if nodes > MAX_RULE_TESTS:
        issues.append(
            Issue(
                rule.file,
                rule.line,
                rule.id,
                "when",
                f"the condition needs {nodes} matcher tests; one ruleset holds at most {MAX_RULE_TESTS}",
                "move part of it into a derived fact, or split the rule",
            )
        )
        return None
    fields = {f for rail in patterns.values() for conj in rail.values() for lit in conj for f in _fields(lit)}
    return _RuleCode(rule, patterns, nodes, fields)


Tests = list[tuple[dict[str, Any], str]]
"""A pattern's tests, each with its canonical JSON (the key the stack gauge shares nodes by)."""


def _rails(codes: Sequence[_RuleCode], polarity: Polarity) -> dict[str, dict[str, Tests]]:
    """Per rule, its patterns of one polarity as test lists, in a shared order.

    Within a pattern the order of tests does not matter to the result; putting the tests
    most patterns have in common first (tests against another field last, since they are
    never shared) lets the matcher share the leading nodes of chains.
    """
    made: dict[Literal_, tuple[dict[str, Any], str]] = {}

    def test_of(literal: Literal_) -> tuple[dict[str, Any], str]:
        found = made.get(literal)
        if found is None:
            test = _test(literal)
            found = made[literal] = (test, json.dumps(test, sort_keys=True, separators=(",", ":")))
        return found

    raw = {
        code.rule.id: {name: [test_of(lit) for lit in conj] for name, conj in code.patterns[polarity].items()}
        for code in codes
    }
    counts: dict[str, int] = {}
    for patterns in raw.values():
        for tests in patterns.values():
            for _, key in tests:
                counts[key] = counts.get(key, 0) + 1

    def order(item: tuple[dict[str, Any], str]) -> tuple[bool, int, str]:
        key = item[1]
        return (not StackGauge.shared(key), -counts[key], key)

    return {
        rule_id: {name: sorted(tests, key=order) for name, tests in patterns.items()}
        for rule_id, patterns in raw.items()
    }


def _definition(codes: Sequence[_RuleCode], rails: Mapping[str, Mapping[str, Tests]]) -> dict[str, Any]:
    definition: dict[str, Any] = {CATCH_ALL: {"all": [{"m": {GUARD_FIELD: 1}}]}}
    for code in codes:
        priority = code.rule.spec.priority
        for name, tests in rails[code.rule.id].items():
            chain = [{GUARD_FIELD: 1}, *(test for test, _ in tests)]
            definition[name] = {"pri": priority, "all": [{"m": {"$and": chain}}]}
    return definition


def _pack(stratum: int, codes: Sequence[_RuleCode], polarity: Polarity, chunks: list[Chunk]) -> None:
    """Pack whole rules into rulesets, next-fit, keeping each ruleset's stack need within budget."""
    rails = _rails(codes, polarity)
    keys = {rule_id: [[key for _, key in tests] for tests in patterns.values()] for rule_id, patterns in rails.items()}

    batch: list[_RuleCode] = []
    gauge = StackGauge()
    need = patterns = 0
    for code in sorted(codes, key=lambda c: sorted(keys[c.rule.id])):  # same leading tests side by side
        own = keys[code.rule.id]
        for chain in own:
            gauge.add_keys(chain)
        if batch and (gauge.need > NODE_BUDGET or patterns + len(own) > MAX_PATTERNS):
            chunks.append(_chunk(stratum, batch, need, polarity, rails))
            batch, gauge, patterns = [], StackGauge(), 0
            for chain in own:
                gauge.add_keys(chain)
        batch.append(code)
        need = gauge.need
        patterns += len(own)
    if batch:
        chunks.append(_chunk(stratum, batch, need, polarity, rails))


def compile_protocol(spec: ProtocolSpec) -> CompiledProtocol:
    """Compile every rule; raise :class:`RulesError` for rules the matcher cannot hold."""
    issues: list[Issue] = []
    codes = [code for rule in spec.rules if (code := _rule_code(rule, issues)) is not None]
    if issues:
        raise RulesError("some rules cannot be compiled for the matcher", issues)
    strata = max((spec.strata[rule.id] for rule in spec.rules), default=0) + 1
    packed: dict[Polarity, list[Chunk]] = {"T": [], "F": []}
    for polarity, chunks in packed.items():
        for stratum in range(strata):
            members = [
                c for c in codes if spec.strata[c.rule.id] == stratum and not isinstance(c.rule.condition, Always)
            ]
            if polarity == "T":
                _pack(stratum, members, polarity, chunks)
                continue
            # F rails of rules testing a treatment detail go into rulesets of their own: a detail
            # the latest treatment did not record is absent for many returning clients, and
            # asking a ruleset fires every false rule in it (measured on the shipped rules and
            # the benchmark population: over half the clients asked the stratum's whole F
            # ruleset, about 54 firings, to settle some 5 rules that read a reaction).
            reads_detail = [c for c in members if any(a.detail for a in atoms(c.rule.condition))]
            _pack(stratum, [c for c in members if c not in reads_detail], polarity, chunks)
            _pack(stratum, reads_detail, polarity, chunks)
    return CompiledProtocol(
        chunks=tuple(packed["T"]),
        strata=strata,
        false_chunks=tuple(packed["F"]),
        rule_fields={code.rule.id: frozenset(code.fields) for code in codes},
        always=tuple(code.rule.id for code in codes if isinstance(code.rule.condition, Always)),
    )


def _chunk(
    stratum: int, codes: Sequence[_RuleCode], nodes: int, polarity: Polarity, rails: Mapping[str, Mapping[str, Tests]]
) -> Chunk:
    fields = sorted(set().union(*(c.fields for c in codes)))
    return Chunk(
        stratum=stratum,
        definition=_definition(codes, rails),
        rule_ids=tuple(c.rule.id for c in codes),
        fields=tuple(fields),
        nodes=nodes,
        polarity=polarity,
        fired={name: c.rule.id for c in codes for name in rails[c.rule.id]},
    )
