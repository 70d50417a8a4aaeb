"""Compile validated rules into matcher rulesets that decide each condition three-valued.

Kleene logic on a matcher that only knows "matches": every condition ``C`` is compiled
twice, as ``T(C)`` (definitely true) and ``F(C)`` (definitely false). A test of an absent
fact matches neither, so a rule whose outcome depends on it fires neither variant and is
*unknown*. Negation swaps the two; De Morgan gives the rest::

    T(all) = and of T(items)      F(all) = or of F(items)
    T(any) = or of T(items)       F(any) = and of F(items)

Both variants are expanded to disjunctive normal form and each conjunction becomes one
matcher rule named ``RULE-ID|T|k`` or ``RULE-ID|F|k``. Keeping each pattern a plain chain
of tests (no ``$or``) makes the matcher's working stack predictable: a ruleset whose
patterns hold at most :data:`NODE_BUDGET` tests in total can never overflow the 64-entry
stack that causes error 303, so rules are packed into as many rulesets as that needs.
Rules are grouped by stratum so that derived facts are decided before the rules that
read them.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine._errors import Issue, RulesError
from engine._model import AllOf, Always, Atom, Condition, NotOf
from engine._validate import ProtocolSpec, Rule

__all__ = [
    "GUARD_FIELD",
    "MAX_CONJUNCTIONS",
    "NODE_BUDGET",
    "Chunk",
    "CompiledProtocol",
    "compile_protocol",
    "cut_field",
    "dnf",
]

GUARD_FIELD = "_c"
"""Present only on client facts: the matcher's own state document never carries it."""

NODE_BUDGET = 56
"""Tests per ruleset; the matcher's alpha stack holds 64 entries (root and guard included)."""

MAX_CONJUNCTIONS = 32
"""Alternatives one rule may expand to, per polarity, before we ask the author to split it."""

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "within": "before"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}

Literal_ = tuple[Atom, bool]  # (atom, positive?)
Conjunction = tuple[Literal_, ...]


def cut_field(atom: Atom) -> str:
    """Name of the per-client field holding ``assessment_date - period`` for a ``within`` atom."""
    return f"__cut__{atom.value.key}"


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
    if op == "within":
        return {"$gte": {atom.field: {"$m": cut_field(atom)}}}
    if op == "before":
        return {"$lt": {atom.field: {"$m": cut_field(atom)}}}
    if op == "eq":
        return {atom.field: atom.value}
    return {_DURABLE_OP[op]: {atom.field: atom.value}}


def _fields(literal: Literal_) -> set[str]:
    atom = literal[0]
    return {atom.field, cut_field(atom)} if atom.op == "within" else {atom.field}


@dataclass(frozen=True)
class Chunk:
    """One matcher ruleset: its definition, the rules it decides and the fact fields it reads.

    ``polarity`` is ``T`` (the ruleset holds the definitely-true rails of its rules) or
    ``F`` (the definitely-false rails).
    """

    stratum: int
    definition: dict[str, Any]
    rule_ids: tuple[str, ...]
    fields: tuple[str, ...]
    nodes: int
    polarity: str = "T"


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
    rule: Rule
    patterns: dict[str, list[Literal_] | tuple[Literal_, ...]]
    nodes: int
    fields: set[str]


def _rule_code(rule: Rule, issues: list[Issue]) -> _RuleCode | None:
    patterns: dict[str, Any] = {}
    for polarity, positive in (("T", True), ("F", False)):
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
        for k, conj in enumerate(conjunctions):
            patterns[f"{rule.id}|{polarity}|{k}"] = conj
    nodes = sum(len(conj) for conj in patterns.values())
    if nodes > NODE_BUDGET:
        issues.append(
            Issue(
                rule.file,
                rule.line,
                rule.id,
                "when",
                f"the condition needs {nodes} matcher tests; one ruleset holds at most {NODE_BUDGET}",
                "move part of it into a derived fact, or split the rule",
            )
        )
        return None
    fields = {f for conj in patterns.values() for lit in conj for f in _fields(lit)}
    return _RuleCode(rule, patterns, nodes, fields)


def _definition(codes: Sequence[_RuleCode], polarity: str) -> dict[str, Any]:
    definition: dict[str, Any] = {"__catch_all": {"all": [{"m": {GUARD_FIELD: 1}}]}}
    marker = f"|{polarity}|"
    for code in codes:
        priority = code.rule.spec.priority
        for name, conj in code.patterns.items():
            if marker not in name:
                continue
            tests = [{GUARD_FIELD: 1}, *(_test(lit) for lit in conj)]
            definition[name] = {"pri": priority, "all": [{"m": {"$and": tests}}]}
    return definition


def _rail_nodes(code: _RuleCode, polarity: str) -> int:
    marker = f"|{polarity}|"
    return sum(len(conj) for name, conj in code.patterns.items() if marker in name)


def compile_protocol(spec: ProtocolSpec) -> CompiledProtocol:
    """Compile every rule; raise :class:`RulesError` for rules the matcher cannot hold."""
    issues: list[Issue] = []
    codes = [code for rule in spec.rules if (code := _rule_code(rule, issues)) is not None]
    if issues:
        raise RulesError("some rules cannot be compiled for the matcher", issues)
    strata = max((spec.strata[rule.id] for rule in spec.rules), default=0) + 1
    rails: dict[str, list[Chunk]] = {"T": [], "F": []}
    for polarity, chunks in rails.items():
        for stratum in range(strata):
            batch: list[_RuleCode] = []
            used = 0
            members = [
                c for c in codes if spec.strata[c.rule.id] == stratum and not isinstance(c.rule.condition, Always)
            ]
            for code in members:
                nodes = _rail_nodes(code, polarity)
                if batch and used + nodes > NODE_BUDGET:
                    chunks.append(_chunk(stratum, batch, used, polarity))
                    batch, used = [], 0
                batch.append(code)
                used += nodes
            if batch:
                chunks.append(_chunk(stratum, batch, used, polarity))
    return CompiledProtocol(
        chunks=tuple(rails["T"]),
        strata=strata,
        false_chunks=tuple(rails["F"]),
        rule_fields={code.rule.id: frozenset(code.fields) for code in codes},
        always=tuple(code.rule.id for code in codes if isinstance(code.rule.condition, Always)),
    )


def _chunk(stratum: int, codes: Sequence[_RuleCode], nodes: int, polarity: str) -> Chunk:
    fields = sorted(set().union(*(c.fields for c in codes)))
    return Chunk(
        stratum=stratum,
        definition=_definition(codes, polarity),
        rule_ids=tuple(c.rule.id for c in codes),
        fields=tuple(fields),
        nodes=nodes,
        polarity=polarity,
    )
