"""An independent, plain-Python interpreter of rule conditions, for differential testing.

It decides every rule of a protocol for one client with Kleene three-valued logic, straight
from the condition tree, without the compiler (``engine/_compile.py``), the matcher or the
evaluator (``engine/_evaluate.py``). The only engine code it relies on is the *validated
data*: the :class:`~engine._spec.ProtocolSpec` (rules, vocabulary, catalogue), the
facts as checked by :func:`engine.Protocol.check_facts`, and :class:`~engine._model.Period`
calendar arithmetic. Everything else is written out here, deliberately naively, so that a
bug in the engine's translation to durable_rules shows up as a disagreement.

Semantics, as the README states them:

* an atom on an absent fact is unknown; ``never`` is never within a period;
* ``all`` is false if any part is false, else unknown if any part is unknown, else true;
* ``any`` is true if any part is true, else unknown if any part is unknown, else false;
* ``not`` swaps true and false and keeps unknown;
* a derived fact takes the value of the first *true* deriving rule in (priority, file,
  order) order; an *unknown* rule before it makes the value unknown; when every rule is
  false the vocabulary default applies (unknown when there is none).

Derived facts are resolved lazily and memoised, so the order in which rules are visited
does not matter (the engine, by contrast, evaluates strata in order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import engine
from engine._facts import ClientFacts, Treatment
from engine._model import Period
from engine._spec import AllOf, Always, AnyOf, Atom, Condition, DerivedEffect, Effect, NotOf, ProtocolSpec, Rule

__all__ = ["FALSE", "TRUE", "UNKNOWN", "Reference", "kleene_and", "kleene_not", "kleene_or", "reference_outcomes"]

TRUE = "true"
FALSE = "false"
UNKNOWN = "unknown"
_ABSENT = object()


def kleene_not(value: str) -> str:
    """Three-valued negation."""
    return {TRUE: FALSE, FALSE: TRUE, UNKNOWN: UNKNOWN}[value]


def kleene_and(values: list[str]) -> str:
    """Three-valued conjunction of any number of values (true when empty)."""
    if FALSE in values:
        return FALSE
    if UNKNOWN in values:
        return UNKNOWN
    return TRUE


def kleene_or(values: list[str]) -> str:
    """Three-valued disjunction of any number of values (false when empty)."""
    if TRUE in values:
        return TRUE
    if UNKNOWN in values:
        return UNKNOWN
    return FALSE


def _truth(flag: bool) -> str:
    return TRUE if flag else FALSE


@dataclass
class Reference:
    """One client's evaluation against one protocol; build with :meth:`run`."""

    spec: ProtocolSpec
    facts: ClientFacts
    truth: dict[str, str] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    _resolved: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def run(cls, protocol: engine.Protocol, facts: Mapping[str, Any]) -> Reference:
        """Validate ``facts`` (raises :class:`engine.FactsError`) and decide every rule."""
        ref = cls(protocol._spec, protocol.check_facts(facts))
        for rule in ref.spec.rules:
            ref.rule_truth(rule)
        return ref

    # -- rules and derived facts

    def rule_truth(self, rule: Rule[Effect]) -> str:
        rule_id = rule.spec.id
        found = self.truth.get(rule_id)
        if found is None:
            found = self.truth[rule_id] = self.condition(rule.condition)
        return found

    def derived_value(self, name: str) -> Any:
        """The value of derived fact ``name``, or ``_ABSENT`` when it is unknown."""
        if name in self._resolved:
            return self._resolved[name]
        if name in self._resolving:
            raise ValueError(f"derived fact {name} depends on itself")
        self._resolving.add(name)
        deriving = [r for r in self.spec.rules if isinstance(r.effect, DerivedEffect) and r.effect.fact == name]
        deriving.sort(key=_precedence)
        value: Any = _ABSENT
        decided = False
        for rule in deriving:
            outcome = self.rule_truth(rule)
            if outcome == TRUE:
                assert isinstance(rule.effect, DerivedEffect)
                value, decided = rule.effect.value, True
                break
            if outcome == UNKNOWN:
                decided = True  # stays absent: unknown
                break
        if not decided:
            default = self.spec.facts[name].default
            value = _ABSENT if default is None else default
        self._resolving.discard(name)
        self._resolved[name] = value
        if value is not _ABSENT:
            self.derived[name] = value
        return value

    # -- conditions

    def condition(self, node: Condition) -> str:
        if isinstance(node, Atom):
            return self.atom(node)
        if isinstance(node, Always):
            return TRUE
        if isinstance(node, AllOf):
            return kleene_and([self.condition(item) for item in node.items])
        if isinstance(node, AnyOf):
            return kleene_or([self.condition(item) for item in node.items])
        if isinstance(node, NotOf):
            return kleene_not(self.condition(node.item))
        raise TypeError(f"not a condition: {node!r}")

    def atom(self, atom: Atom) -> str:
        fact = self.spec.facts[atom.fact]
        value = self.derived_value(atom.fact) if fact.derived else self.facts.values.get(atom.fact, _ABSENT)
        if value is _ABSENT:
            return UNKNOWN
        if fact.type == "treatment_history":
            return self._history(atom, value)
        if fact.type == "date":
            if atom.op != "within":
                raise ValueError(f"date facts are only tested with 'within', not {atom.op}")
            if value == "never":
                return FALSE
            if value == "ongoing":  # still taken: within every period
                return TRUE
            assert isinstance(value, dt.date)
            return _truth(self.waiting(atom.value, value))
        if fact.type == "set":
            member = atom.member
            if member is None or member not in fact.values or atom.op != "eq":
                raise ValueError(f"unexpected set test {atom!r}")
            return _truth((member in value) == atom.value)
        return _truth(_compare(atom.op, value, atom.value))

    def waiting(self, period: Period, day: dt.date) -> bool:
        """``within period``, by its definition: a wait of ``period`` from ``day`` has not ended at the assessment."""
        return period.after(day) > self.facts.assessment_date

    def _history(self, atom: Atom, treatments: tuple[Treatment, ...]) -> str:
        if atom.selector is None:
            raise ValueError(f"unexpected previous-treatment test {atom!r}")
        chosen = set(self.spec.select(atom.selector))
        if atom.detail is not None:  # the reaction or response recorded for the latest such treatment
            if atom.op != "eq":
                raise ValueError(f"unexpected previous-treatment detail test {atom!r}")
            matching = sorted(
                (t for t in treatments if t.technique in chosen),
                key=lambda t: (t.date, t.technique, t.reaction or "", t.response or ""),
            )
            recorded = getattr(matching[-1], atom.detail) if matching else None
            return UNKNOWN if recorded is None else _truth(recorded == atom.value)
        if atom.op != "within":
            raise ValueError(f"unexpected previous-treatment test {atom!r}")
        return _truth(any(t.technique in chosen and self.waiting(atom.value, t.date) for t in treatments))


def _precedence(rule: Rule[Effect]) -> tuple[int, str, int]:
    """Deriving rules are tried by priority (lowest first), then file name, then position in the file."""
    return (rule.spec.priority, rule.file, rule.order)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        raise ValueError(f"comparing {left!r} with {right!r}")
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if isinstance(left, bool | str):
        raise ValueError(f"ordering test {op} on {left!r}")
    if op == "lt":
        return bool(left < right)
    if op == "le":
        return bool(left <= right)
    if op == "gt":
        return bool(left > right)
    if op == "ge":
        return bool(left >= right)
    raise ValueError(f"unknown operator {op!r}")


def reference_outcomes(protocol: engine.Protocol, facts: Mapping[str, Any]) -> dict[str, str]:
    """Every rule's outcome for ``facts``: rule id -> ``"true"``, ``"false"`` or ``"unknown"``.

    :raises engine.FactsError: when ``facts`` do not fit the protocol's vocabulary.
    """
    return dict(Reference.run(protocol, facts).truth)


def reference_derived(protocol: engine.Protocol, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The derived facts the reference decides (absent when unknown)."""
    ref = Reference.run(protocol, facts)
    for name, fact in protocol.facts.items():
        if fact.derived:
            ref.derived_value(name)
    return dict(ref.derived)
